// Sending a message: the bearer token on /chatkit, a reply that grows word by word under a
// typing indicator, and a follow-up in the same thread that sees the first turn.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  backend,
  chat,
  env,
  launch,
  newContext,
  openReady,
  recordMetric,
  sel,
  transcript,
  under,
  waitForReply,
} from "../lib/harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// Watches, from the moment the send button is clicked, every text the last assistant message
// shows (inside ChatKit's frame) and the typing indicator's states (in the page), with times
// (absolute, so the frame's and the page's clocks compare).
function watchStatus() {
  const seen = (window.__watch = { states: [] });
  const note = () => {
    const state = document.getElementById("chatkit-inject-status")?.getAttribute("data-state") ?? null;
    if (seen.states.at(-1) !== state) seen.states.push(state);
  };
  const status = document.getElementById("chatkit-inject-status");
  if (status) new MutationObserver(note).observe(status, { attributes: true });
  new MutationObserver(note).observe(document.getElementById("chatkit-inject-panel"), { childList: true, subtree: true, attributes: true });
}
function watchTextsAndSend() {
  const now = () => performance.timeOrigin + performance.now();
  const seen = (window.__watch = { texts: [], clickedAt: now(), firstWordAt: null });
  const before = document.querySelectorAll('[data-role="assistant"]').length;
  const note = () => {
    const nodes = document.querySelectorAll('[data-role="assistant"]');
    if (nodes.length > before) {
      const text = nodes[nodes.length - 1].textContent;
      if (text !== "" && seen.texts.at(-1) !== text) {
        seen.texts.push(text);
        if (seen.firstWordAt === null) seen.firstWordAt = now();
      }
    }
  };
  new MutationObserver(note).observe(document.body, { childList: true, subtree: true, characterData: true });
  document.querySelector('button[data-action="send"]').click();
}
async function startWatching(page) {
  await page.evaluate(watchStatus);
  await (await chat(page).frame()).evaluate(watchTextsAndSend);
}
async function watched(page) {
  const inFrame = await (await chat(page).frame()).evaluate(() => window.__watch);
  const inPage = await page.evaluate(() => window.__watch);
  return { ...inFrame, ...inPage };
}

test("a message reaches /chatkit with the bearer token, streams in with a typing indicator, and a follow-up sees the first turn", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const chatRequests = [];
    page.on("request", (request) => {
      if (request.url() === env.backend + "/chatkit" && request.method() === "POST") chatRequests.push(request);
    });
    await page.goto(under(env.site, "docs/intro"));
    await openReady(page);

    const first = "What is a Docusaurus doc page?";
    await chat(page).composer().fill(first);
    const before = await chat(page).assistant().count();
    await startWatching(page);
    const reply = await waitForReply(page, before);
    const watch = await watched(page);

    // The request: the ChatKit protocol, with the session's bearer token and the page context.
    assert.equal(chatRequests.length, 1);
    const request = chatRequests[0];
    // (Chromium does not report bodies sent as streams, so the body is read from what ChatKit sent.)
    const sent = (await page.evaluate(() => window.__chatkitDouble.requests)).filter((r) => r.type.startsWith("threads."));
    assert.equal(sent[0].type, "threads.create");
    assert.equal(sent[0].params.input.content[0].text, first);
    const headers = await request.allHeaders();
    const stored = JSON.parse(await page.evaluate(() => sessionStorage.getItem("chatkit-inject:session")));
    assert.match(headers.authorization ?? "", /^Bearer \S+$/);
    assert.equal(headers.authorization, `Bearer ${stored.clientSecret}`);
    const pageContext = JSON.parse(headers["x-chatkit-page"]);
    assert.equal(pageContext.path, new URL(page.url()).pathname);
    assert.equal(pageContext.lang, "en");
    const response = await request.response();
    assert.equal(response.status(), 200);
    assert.match(response.headers()["content-type"], /^text\/event-stream/);

    // The reply grew: at least three distinct states, each extending the one before.
    assert.ok(watch.texts.length >= 3, `only ${watch.texts.length} distinct states: ${JSON.stringify(watch.texts)}`);
    for (let i = 1; i < watch.texts.length; i++) {
      assert.ok(watch.texts[i].startsWith(watch.texts[i - 1]) && watch.texts[i].length > watch.texts[i - 1].length, `state ${i} does not grow`);
    }
    assert.equal(watch.texts.at(-1), reply);
    assert.match(reply, /You asked 1 question so far/);
    assert.ok(reply.includes(pageContext.path), "the backend answered about the page being read");

    // The typing indicator came and went.
    assert.ok(watch.states.includes("responding"), `states: ${JSON.stringify(watch.states)}`);
    assert.equal(watch.states.at(-1), "idle");
    await page.waitForSelector(`${sel.status}[data-state="idle"]`, { state: "attached" });
    assert.equal((await page.locator(sel.status).textContent()).trim(), "");
    assert.equal(await page.locator(sel.status).getAttribute("aria-live"), "polite");
    recordMetric("first-word", watch.firstWordAt - watch.clickedAt);

    // A follow-up in the same thread: the answer knows the first question.
    const threadId = await page.evaluate(() => sessionStorage.getItem("chatkit-inject:thread"));
    assert.match(threadId ?? "", /^thr_/);
    const second = "And how do I add another one?";
    const sentAt = Date.now();
    const before2 = await chat(page).assistant().count();
    await chat(page).composer().fill(second);
    await startWatching(page);
    const reply2 = await waitForReply(page, before2);
    recordMetric("reply-complete", Date.now() - sentAt);
    const watch2 = await watched(page);
    assert.ok(watch2.texts.length >= 3, "the follow-up streams too");
    recordMetric("first-word", watch2.firstWordAt - watch2.clickedAt);
    assert.equal(chatRequests.length, 2);
    const sent2 = (await page.evaluate(() => window.__chatkitDouble.requests)).at(-1);
    assert.equal(sent2.type, "threads.add_user_message");
    assert.equal(sent2.params.thread_id, threadId);
    assert.equal((await chatRequests[1].allHeaders()).authorization, `Bearer ${stored.clientSecret}`);
    assert.match(reply2, /You asked 2 questions so far; your first was: "What is a Docusaurus doc page\?"/);
    assert.deepEqual(
      (await transcript(page)).map((m) => m.role),
      ["user", "assistant", "user", "assistant"],
    );
    assert.equal(await page.locator(sel.error).count(), 0);

    // The page and the backend are different origins: the browser asked (CORS preflight).
    const stats = await backend.stats();
    assert.ok((stats.preflight["/chatkit"] ?? 0) >= 1, `preflights: ${JSON.stringify(stats.preflight)}`);
  } finally {
    await context.close();
  }
});
