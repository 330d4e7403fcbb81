// The faults the first error tests lack: a reply that stops halfway (an error event in the
// stream, or the connection cut), a proxy answering an HTML error page instead of JSON, a
// session token without an expiry, and a tab left idle past its token's expiry.

import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import {
  backend,
  chat,
  count,
  env,
  errorsShown,
  friendlyError,
  launch,
  newContext,
  openPanel,
  openReady,
  recordMetric,
  sel,
  transcript,
  under,
  waitForEvent,
  waitForReply,
  watchErrors,
} from "../lib/harness.mjs";

// 1 attempt + DEFAULT_POLICY.retries (widget-assets/src/retry.ts).
const ATTEMPTS = 4;
const SESSION = "/api/chatkit/session";
// What the reference backend's proxy error page (app/faults.py) would put on screen.
const PROXY_PAGE = /Bad Gateway|nginx|<\s*\/?\s*(html|head|body|center|h1|hr|title)\b|DOCTYPE/i;

let browser;
before(async () => {
  // Earlier test files in the same run share this backend: start from clean counters.
  await backend.reset();
  browser = await launch();
});
after(async () => {
  await browser?.close();
});
afterEach(async () => {
  await backend.reset();
});

/** Sends `text` and returns the finished reply. */
async function ask(page, text) {
  const before = await chat(page).assistant().count();
  await chat(page).composer().fill(text);
  await chat(page).send().click();
  return waitForReply(page, before);
}

const savedThread = (page) => page.evaluate(() => sessionStorage.getItem("chatkit-inject:thread"));
const savedSession = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem("chatkit-inject:session")));
const chatRequests = (page) => page.evaluate(() => window.__chatkitDouble.requests.map((r) => ({ type: r.type, thread: r.params.thread_id ?? null })));

/** The session requests' JSON bodies, as the page sent them. */
function recordSessionBodies(page) {
  const bodies = [];
  page.on("request", (r) => {
    if (r.url() === env.backend + SESSION && r.method() === "POST") bodies.push(JSON.parse(r.postData() || "{}"));
  });
  return bodies;
}

// --- a reply that stops halfway ---

const HALFWAY = [
  {
    name: "an error event in the stream",
    // The responder raises after 3 words; the SDK sends {"type":"error","code":"stream.error"}.
    faults: { stream_error_next: 1 },
    counter: "stream_error",
  },
  {
    name: "the connection cut",
    // 12 SSE frames (the user item, the assistant item, then a few words), then the server closes
    // the connection in the middle of the chunked body.
    faults: { drop_next: 1, drop_after_chunks: 12, paths: ["/chatkit"] },
    counter: "drop",
  },
];

// The order of chatkit.error and chatkit.response.end after a started reply is not documented:
// the double's default (end, then error) and the other one (DOUBLE.md).
for (const { name, faults, counter } of HALFWAY) for (const order of ["end-first", "error-first"]) {
  test(`a reply that stops halfway (${name}, ${order}): the partial answer stays, a plain message with Retry; Retry answers in the same thread`, async () => {
    const context = await newContext(browser);
    if (order !== "end-first") await context.addInitScript((order) => (window.__chatkitDoubleErrorOrder = order), order);
    try {
      const page = await context.newPage();
      await page.goto(under(env.site, "docs/intro"));
      await openReady(page);
      await ask(page, "First question, answered in full");
      const thread = await savedThread(page);
      assert.ok(thread, "a thread was saved");
      await page.evaluate(watchErrors);

      await backend.faults(faults);
      const question = "Second question, cut halfway";
      const before = await chat(page).assistant().count();
      await chat(page).composer().fill(question);
      await chat(page).send().click();
      await waitForEvent(page, "chatkit.response.end", 2, 20_000);
      const text = await friendlyError(page, /try again/i);
      assert.doesNotMatch(text, /stream|connection|network/i);

      // The words already streamed are still on screen, next to the message.
      assert.equal(await chat(page).assistant().count(), before + 1, "the partial answer was rendered");
      const partial = (await chat(page).assistant().last().textContent()).trim();
      assert.ok(partial.length > 0, "some words arrived before the stop");
      assert.ok(!partial.includes(question), `the stop came before the end of the answer: ${partial}`);
      assert.ok(await chat(page).assistant().last().isVisible(), "the partial answer is visible");
      let stats = await backend.stats();
      assert.equal(stats.faults[counter], 1, JSON.stringify(stats));

      // Retry asks again, in the same thread, and this time the answer is whole.
      const retriedAt = Date.now();
      await page.click(sel.retry);
      await waitForEvent(page, "chatkit.response.start", 3);
      const reply = await waitForReply(page, before + 1);
      recordMetric("retry-to-reply", Date.now() - retriedAt, name);
      assert.match(reply, new RegExp(`echo your question: "${question}" \\(${question.length} characters, 1 line\\)\\.$`));
      assert.match(reply, /your first was: "First question, answered in full"/, "the same thread goes on");
      assert.equal(await page.locator(sel.error).count(), 0, "the message is gone");
      assert.equal(await savedThread(page), thread);
      const requests = await chatRequests(page);
      assert.deepEqual(
        requests.map((r) => r.type),
        ["threads.create", "threads.add_user_message", "threads.add_user_message"],
        "no re-mount, no new thread: the question was sent again",
      );
      assert.ok(requests.slice(1).every((r) => r.thread === thread), JSON.stringify(requests));
      const messages = await transcript(page);
      assert.equal(messages.filter((m) => m.role === "assistant" && m.text.trim() === partial).length, 1, "the partial answer is still there");
      assert.equal(messages.at(-1).role, "assistant");
      const shown = await errorsShown(page);
      assert.equal(shown.length, 1, `one message, once: ${JSON.stringify(shown)}`);
      assert.ok(shown[0].startsWith(text));
      stats = await backend.stats();
      assert.equal(count(stats, "/chatkit", "200"), 3, JSON.stringify(stats));
    } finally {
      await context.close();
    }
  });
}

// --- a proxy answering an HTML error page instead of JSON ---

/** Nothing of the proxy's HTML page reached the screen or the DOM. */
async function noProxyPage(page) {
  const tags = "center, hr, h1, title, html, body";
  const seen = await page.evaluate((tags) => {
    const panel = document.getElementById("chatkit-inject-panel");
    const root = document.querySelector("openai-chatkit")?.shadowRoot;
    return {
      title: document.title,
      panelText: panel.innerText,
      bodyText: document.body.innerText,
      panelElements: panel.querySelectorAll(tags).length,
      shadowElements: root ? root.querySelectorAll(tags).length : 0,
    };
  }, tags);
  // Inside ChatKit's frame: its own document's html, head, body and title are expected; nothing more.
  const frameHandle = await page.$(sel.frame);
  const frame = await frameHandle?.contentFrame();
  const inFrame = frame
    ? await frame.evaluate(
        (tags) => ({
          text: document.body.innerText,
          elements: document.body.querySelectorAll(tags).length,
          title: document.title,
        }),
        tags,
      )
    : { text: "", elements: 0, title: "" };
  assert.doesNotMatch(seen.title, PROXY_PAGE, "the page title is untouched");
  assert.doesNotMatch(seen.panelText, PROXY_PAGE, "no proxy page text in the panel");
  assert.doesNotMatch(seen.bodyText, PROXY_PAGE, "no proxy page text on the page");
  assert.equal(seen.panelElements, 0, "no proxy page markup in the panel");
  assert.equal(seen.shadowElements, 0, "no proxy page markup inside ChatKit");
  assert.doesNotMatch(inFrame.text, PROXY_PAGE, "no proxy page text in ChatKit's frame");
  assert.doesNotMatch(inFrame.title, PROXY_PAGE, "ChatKit's frame title is untouched");
  assert.equal(inFrame.elements, 0, "no proxy page markup in ChatKit's frame");
}

test("HTML error page from a proxy, briefly, on the session endpoint and on /chatkit: the automatic retries recover, nothing shown", async () => {
  await backend.faults({ html_error_next: 2, paths: [SESSION] });
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await page.evaluate(watchErrors);
    const openedAt = Date.now();
    await openPanel(page);
    await waitForEvent(page, "chatkit.ready", 1, 15_000);
    recordMetric("html-502-open-to-ready", Date.now() - openedAt, "2 HTML 502s on the session endpoint");
    let stats = await backend.stats();
    assert.equal(count(stats, SESSION, "502"), 2, JSON.stringify(stats));
    assert.equal(count(stats, SESSION, "200"), 1, JSON.stringify(stats));

    await backend.faults({ html_error_next: 2, paths: ["/chatkit"] });
    const sentAt = Date.now();
    assert.match(await ask(page, "Through a flaky proxy?"), /You asked 1 question/);
    recordMetric("html-502-send-to-reply", Date.now() - sentAt, "2 HTML 502s on /chatkit");
    stats = await backend.stats();
    assert.equal(count(stats, "/chatkit", "502"), 2, JSON.stringify(stats));
    assert.equal(count(stats, "/chatkit", "200"), 1, JSON.stringify(stats));
    assert.equal(stats.faults.html_error, 4);
    assert.deepEqual(await errorsShown(page), [], "no error was ever shown");
    await noProxyPage(page);
  } finally {
    await context.close();
  }
});

test("HTML error page from a proxy, for good, on the session endpoint: the plain message and Retry, no HTML; Retry recovers", async () => {
  await backend.faults({ html_error_next: 1000, paths: [SESSION] });
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(env.site);
    await openPanel(page);
    await friendlyError(page, /can't be reached|try again/i);
    await noProxyPage(page);
    const stats = await backend.stats();
    assert.equal(count(stats, SESSION, "502"), ATTEMPTS, JSON.stringify(stats));
    assert.equal(count(stats, SESSION, "200"), 0);

    await backend.reset();
    await page.click(sel.retry);
    await waitForEvent(page, "chatkit.ready", 1, 10_000);
    await page.waitForSelector(sel.error, { state: "detached" });
    assert.match(await ask(page, "And now?"), /You asked 1 question/);
  } finally {
    await context.close();
  }
});

test("HTML error page from a proxy, for good, on /chatkit mid-conversation: the plain message and Retry, no HTML; Retry answers", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await openReady(page);
    await ask(page, "Before the proxy broke");
    await backend.faults({ html_error_next: 1000, paths: ["/chatkit"] });
    const question = "While the proxy is broken";
    await chat(page).composer().fill(question);
    await chat(page).send().click();
    await friendlyError(page, /can't be reached|try again/i);
    await noProxyPage(page);
    const stats = await backend.stats();
    assert.equal(count(stats, "/chatkit", "502"), ATTEMPTS, JSON.stringify(stats));

    await backend.reset();
    const before = await chat(page).assistant().count();
    await page.click(sel.retry);
    await page.waitForSelector(sel.error, { state: "detached", timeout: 10_000 });
    const reply = await waitForReply(page, before);
    assert.match(reply, new RegExp(`your first was: "Before the proxy broke".*echo your question: "${question}"`, "s"));
    assert.equal(await page.locator(sel.error).count(), 0);
  } finally {
    await context.close();
  }
});

// --- a session token without an expiry ---

test("a session answer without expires_at: the chat works, the token is reused (no refresh loop), and refreshed once when refused", async () => {
  await backend.faults({ session_no_expiry: true });
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const bodies = recordSessionBodies(page);
    await page.goto(under(env.site, "docs/intro"));
    await page.evaluate(watchErrors);
    await openReady(page);
    assert.match(await ask(page, "No expiry, first question"), /You asked 1 question/);
    await ask(page, "No expiry, second question");
    // Idle for a while: a widget that treats "no expiry" as "expired" would refresh in a loop.
    await page.waitForTimeout(3000);
    let stats = await backend.stats();
    assert.equal(count(stats, SESSION), 1, `one session request: ${JSON.stringify(stats)}`);
    assert.equal(count(stats, "/chatkit", "401"), 0, JSON.stringify(stats));
    const stored = await savedSession(page);
    assert.equal(typeof stored.clientSecret, "string");

    // The next page load reuses the stored secret too.
    await page.reload();
    await page.evaluate(watchErrors);
    await waitForEvent(page, "chatkit.thread.load.end", 1, 15_000);
    assert.match(await ask(page, "No expiry, after a reload"), /You asked 3 questions/);
    stats = await backend.stats();
    assert.equal(count(stats, SESSION), 1, `still one session request: ${JSON.stringify(stats)}`);

    // A secret without an expiry is still refreshed, once, when the backend refuses it.
    await backend.faults({ expire_tokens: true });
    assert.match(await ask(page, "No expiry, after the backend refused it"), /You asked 4 questions/);
    stats = await backend.stats();
    assert.equal(count(stats, SESSION), 2, JSON.stringify(stats));
    assert.equal(count(stats, "/chatkit", "401"), 1, JSON.stringify(stats));
    assert.deepEqual(bodies.at(-1), { existing: stored.clientSecret });
    assert.deepEqual(await errorsShown(page), [], "no error was ever shown");
  } finally {
    await context.close();
  }
});

// --- a tab left idle past the token's expiry ---

test("a tab idle past the token's expiry, then used: one refresh before the request, no error, the same thread", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    // The page's clock (Date, timers) is Playwright's, running at the real pace until moved on.
    await page.clock.install();
    const bodies = recordSessionBodies(page);
    await page.goto(under(env.site, "docs/intro"));
    await page.evaluate(watchErrors);
    await openReady(page);
    await ask(page, "Before the coffee break");
    const thread = await savedThread(page);
    const stored = await savedSession(page);
    const ttl = stored.expiresAt * 1000 - (await page.evaluate(() => Date.now()));
    assert.ok(ttl > 60_000, `the token lasts a while: ${ttl} ms`);

    // The reader leaves the tab for longer than the token lives: the page's clock jumps past the
    // expiry, and the backend (whose clock cannot be moved) is told to treat the token as expired.
    await page.clock.fastForward(Math.ceil(ttl + 5 * 60_000));
    await backend.faults({ expire_tokens: true });
    const before = await backend.stats();
    assert.equal(count(before, SESSION), 1, JSON.stringify(before));

    const sentAt = Date.now();
    const reply = await ask(page, "After the coffee break");
    recordMetric("idle-send-to-reply", Date.now() - sentAt, "with the session refresh");
    assert.match(reply, /You asked 2 questions so far; your first was: "Before the coffee break"/);
    const stats = await backend.stats();
    assert.equal(count(stats, SESSION, "200"), 2, `exactly one refresh: ${JSON.stringify(stats)}`);
    assert.equal(count(stats, "/chatkit", "401"), 0, `refreshed before use, not after a refusal: ${JSON.stringify(stats)}`);
    assert.deepEqual(bodies.at(-1), { existing: stored.clientSecret }, "the old secret keeps the reader");
    assert.equal(await savedThread(page), thread);
    assert.notEqual((await savedSession(page)).clientSecret, stored.clientSecret);
    assert.deepEqual(await errorsShown(page), [], "no error was ever shown");
  } finally {
    await context.close();
  }
});
