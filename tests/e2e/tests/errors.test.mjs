// What the reader meets when things fail: a dead backend, a failing one, an expired token,
// no network, a blocked ChatKit script. Each has a plain message and a way out.

import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import {
  backend,
  chat,
  count,
  env,
  eventCount,
  friendlyError,
  launch,
  newContext,
  openPanel,
  openReady,
  recordMetric,
  sel,
  send,
  startBackend,
  under,
  waitForEvent,
  waitForReply,
  watchErrors,
} from "../lib/harness.mjs";

// 1 attempt + DEFAULT_POLICY.retries (widget-assets/src/retry.ts).
const ATTEMPTS = 4;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});
afterEach(async () => {
  await backend.reset();
});

/** The panel's own header: shown while ChatKit cannot show its UI (loading, failures). */
const OWN_TITLE = "#chatkit-inject-panel .chatkit-inject-header .chatkit-inject-title";

test("backend down at first open: a friendly message; once the backend is up, Retry works without a reload", async () => {
  const context = await newContext(browser);
  let server;
  try {
    const page = await context.newPage();
    await page.goto(env.downSite);
    await page.evaluate(() => (window.__sameDocument = true));
    await openPanel(page);
    await friendlyError(page, /can't be reached|try again/i);
    assert.equal(await page.locator(sel.chatkit).count(), 0, "ChatKit is not mounted without a session");
    // Without ChatKit the panel's own header has the title and the close control.
    assert.ok(await page.locator(sel.ownClose).isVisible(), "the panel's own close button shows while ChatKit cannot");
    assert.equal(await page.locator(OWN_TITLE).textContent(), await page.locator(sel.panel).getAttribute("aria-label"));

    server = await startBackend(env.downPort, process.env.E2E_DOWN_ORIGINS.split(","));
    await page.click(sel.retry);
    await waitForEvent(page, "chatkit.ready", 1, 10_000);
    await page.waitForSelector(sel.error, { state: "detached" });
    // ChatKit up: its header has the title and the close action; the panel's own header hides.
    await page.locator(sel.ownClose).waitFor({ state: "hidden" });
    assert.ok(await chat(page).rightAction().isVisible(), "ChatKit's close action shows");
    const before = await send(page, "Are you there now?");
    assert.match(await waitForReply(page, before), /You asked 1 question/);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload happened");
  } finally {
    await context.close();
    await server?.stop();
  }
});

test("backend refusing the site's origin (CORS misconfiguration): the same plain message, no technical text", async () => {
  const server = await startBackend(env.downPort, ["http://127.0.0.1:1"]);
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(env.downSite);
    await openPanel(page);
    await friendlyError(page, /can't be reached|try again/i);
    const stats = await backend.stats(server.url);
    assert.ok(count(stats, "/api/chatkit/session") >= 1 || (stats.preflight["/api/chatkit/session"] ?? 0) >= 1, "the backend was reached");
  } finally {
    await context.close();
    await server.stop();
  }
});

test("backend failing twice then healthy: the automatic retries recover within 10 s, with the designed number of attempts", async () => {
  await backend.faults({ fail_next: 2, status: 503, paths: ["/api/chatkit/session"] });
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await page.evaluate(watchErrors);
    const start = Date.now();
    await openPanel(page);
    await waitForEvent(page, "chatkit.ready", 1, 10_000);
    assert.ok(Date.now() - start < 10_000);
    let stats = await backend.stats();
    assert.equal(count(stats, "/api/chatkit/session", "503"), 2, JSON.stringify(stats));
    assert.equal(count(stats, "/api/chatkit/session", "200"), 1, JSON.stringify(stats));

    // The same on the chat endpoint, mid-conversation.
    await backend.faults({ fail_next: 2, status: 503, paths: ["/chatkit"] });
    const before = await send(page, "Does this survive two failures?");
    assert.match(await waitForReply(page, before), /You asked 1 question/);
    stats = await backend.stats();
    assert.equal(count(stats, "/chatkit", "503"), 2, JSON.stringify(stats));
    assert.equal(count(stats, "/chatkit", "200"), 1, JSON.stringify(stats));
    assert.deepEqual(await page.evaluate(() => window.__errorsShown), [], "no error was ever shown");
  } finally {
    await context.close();
  }
});

test("backend failing for good: after the automatic retries, the message and the Retry button; Retry recovers", async () => {
  await backend.faults({ fail_next: 1000, status: 500, paths: ["/api/chatkit/session"] });
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(env.site);
    await openPanel(page);
    await friendlyError(page, /can't be reached|try again/i);
    const stats = await backend.stats();
    assert.equal(count(stats, "/api/chatkit/session", "500"), ATTEMPTS, JSON.stringify(stats));
    assert.equal(count(stats, "/api/chatkit/session", "200"), 0);

    await backend.reset();
    await page.click(sel.retry);
    await waitForEvent(page, "chatkit.ready", 1, 10_000);
    await page.waitForSelector(sel.error, { state: "detached" });
    await chat(page).composer().waitFor({ state: "visible" });
  } finally {
    await context.close();
  }
});

test("backend failing for good on /chatkit mid-conversation: the message shows within seconds, not after ChatKit's own five stream retries; Retry answers", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(env.site);
    await openReady(page);
    let before = await send(page, "Before the backend broke");
    await waitForReply(page, before);

    await backend.faults({ fail_next: 1000, status: 500, paths: ["/chatkit"] });
    const question = "While the backend is broken";
    await chat(page).composer().fill(question);
    const sentAt = Date.now();
    await chat(page).send().click();
    await friendlyError(page, /can't be reached|try again/i, 40_000);
    const waited = Date.now() - sentAt;
    recordMetric("chat-failure-visible", waited, "/chatkit 500 for good");
    const stats = await backend.stats();
    // The widget's attempts only: the final answer it hands ChatKit is not retried again
    // (the double retries a 5xx stream answer five times with backoff, as the real one does).
    assert.equal(count(stats, "/chatkit", "500"), ATTEMPTS, JSON.stringify(stats));
    assert.deepEqual((await page.evaluate(() => window.__chatkitDouble.retries)), [], "ChatKit did not retry");
    assert.ok(waited < 10_000, `the message showed after ${waited} ms`);

    await backend.reset();
    before = await chat(page).assistant().count();
    await page.click(sel.retry);
    await page.waitForSelector(sel.error, { state: "detached", timeout: 10_000 });
    const reply = await waitForReply(page, before);
    assert.match(reply, new RegExp(`echo your question: "${question}"`));
  } finally {
    await context.close();
  }
});

test("token expired mid-conversation: refreshed silently with the old one, the conversation goes on", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const sessionBodies = [];
    page.on("request", (r) => {
      if (r.url() === env.backend + "/api/chatkit/session") sessionBodies.push(JSON.parse(r.postData() || "{}"));
    });
    await page.goto(env.site);
    await page.evaluate(watchErrors);
    await openReady(page);
    let before = await send(page, "First question before expiry");
    await waitForReply(page, before);
    const oldSecret = JSON.parse(await page.evaluate(() => sessionStorage.getItem("chatkit-inject:session"))).clientSecret;
    await backend.reset();

    await backend.faults({ expire_tokens: true });
    before = await send(page, "Second question after expiry");
    const reply = await waitForReply(page, before);
    assert.match(reply, /You asked 2 questions so far; your first was: "First question before expiry"/);

    const stats = await backend.stats();
    assert.equal(count(stats, "/chatkit", "401"), 1, JSON.stringify(stats));
    assert.equal(count(stats, "/chatkit", "200"), 1, JSON.stringify(stats));
    assert.equal(count(stats, "/api/chatkit/session", "200"), 1, JSON.stringify(stats));
    assert.deepEqual(sessionBodies.at(-1), { existing: oldSecret }, "refreshed with the old secret as `existing`");
    const newSecret = JSON.parse(await page.evaluate(() => sessionStorage.getItem("chatkit-inject:session"))).clientSecret;
    assert.notEqual(newSecret, oldSecret);
    assert.deepEqual(await page.evaluate(() => window.__errorsShown), [], "no error was ever shown");
  } finally {
    await context.close();
  }
});

// Regression: a ChatKit script preload that failed offline was reused by the first Retry, which
// then showed the "could not be loaded" message. The loader no longer preloads while offline.
test("offline at first open: the offline message; back online, Retry works", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(env.site);
    await page.waitForSelector(sel.toggle, { state: "visible" });
    await context.setOffline(true);
    await openPanel(page);
    await friendlyError(page, /offline/i);

    await context.setOffline(false);
    await page.evaluate(watchErrors);
    await page.click(sel.retry);
    await waitForEvent(page, "chatkit.ready", 1, 10_000);
    await page.waitForSelector(sel.error, { state: "detached" });
    assert.deepEqual(await page.evaluate(() => window.__errorsShown), [], "one Retry, no other error on the way");
    const before = await send(page, "Back online?");
    assert.match(await waitForReply(page, before), /You asked 1 question/);
  } finally {
    await context.close();
  }
});

test("offline mid-conversation: the offline message instead of a failure; back online, the question is asked again and the chat goes on", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(env.site);
    await openReady(page);
    let before = await send(page, "Question while online");
    await waitForReply(page, before);

    await context.setOffline(true);
    await send(page, "Question while offline");
    await friendlyError(page, /offline/i);

    // Back online, the widget asks the failed question again by itself (or when Retry is
    // pressed), in the same ChatKit and thread.
    before = await chat(page).assistant().count();
    await context.setOffline(false);
    await page.waitForTimeout(300);
    if (await page.locator(sel.retry).isVisible()) await page.click(sel.retry);
    await page.waitForSelector(sel.error, { state: "detached", timeout: 10_000 });
    let reply = await waitForReply(page, before);
    assert.match(reply, /You asked 2 questions so far; your first was: "Question while online"/, "the same thread goes on");
    assert.match(reply, /echo your question: "Question while offline"/, "the question asked offline is answered");
    assert.equal(await eventCount(page, "chatkit.ready"), 1, "no re-mount");

    before = await send(page, "Question back online");
    reply = await waitForReply(page, before);
    assert.match(reply, /You asked 3 questions so far; your first was: "Question while online"/);
  } finally {
    await context.close();
  }
});

for (const mode of ["block", "404"]) {
  test(`ChatKit script fails to load (${mode}): a clear message with Retry, not a blank panel`, async () => {
    const context = await newContext(browser, { script: mode });
    try {
      const page = await context.newPage();
      await page.goto(env.site);
      await openPanel(page);
      const text = await friendlyError(page, /chat component could not be loaded/i);
      assert.ok(text.length > 20);
      assert.equal(await page.locator(sel.chatkit).count(), 0);
      const panel = await page.locator(sel.panel).boundingBox();
      assert.ok(panel.height > 100, "the panel is open and shows the message");
      // The reader can still close it: the panel's own close button, with the title beside it.
      assert.ok(await page.locator(OWN_TITLE).isVisible(), "the panel's own title shows");
      await page.locator(sel.ownClose).click();
      await page.waitForSelector(sel.panel, { state: "hidden" });
      assert.equal(await page.evaluate(() => document.activeElement?.id), "chatkit-inject-toggle", "focus is back on the toggle");
    } finally {
      await context.close();
    }
  });
}

test("the site module cannot be loaded (404): the loader's plain message with Retry, which recovers once it loads", async () => {
  const context = await newContext(browser);
  try {
    let fail = true;
    await context.route(/\/chatkit\/site\.[0-9a-f]{8}\.js$/, (route) =>
      fail ? route.fulfill({ status: 404, contentType: "text/plain", body: "gone" }) : route.continue(),
    );
    const page = await context.newPage();
    await page.goto(env.site);
    await openPanel(page);
    await friendlyError(page, /can't be reached/i);
    assert.equal(await page.locator(sel.chatkit).count(), 0);
    fail = false;
    await page.click(sel.retry);
    await waitForEvent(page, "chatkit.ready", 1, 10_000);
    await page.waitForSelector(sel.error, { state: "detached" });
  } finally {
    await context.close();
  }
});

test("rate-limited by the backend (429 with Retry-After): a plain slow-down message, and Retry asks the question again once allowed", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(env.site);
    await openReady(page);
    await backend.faults({ fail_next: 1000, status: 429, retry_after: 1, paths: ["/chatkit"] });
    const before = await send(page, "Question while limited");
    await friendlyError(page, /too many questions/i);
    const stats = await backend.stats();
    assert.equal(count(stats, "/chatkit", "429"), ATTEMPTS, JSON.stringify(stats));

    await backend.reset();
    await page.click(sel.retry);
    await page.waitForSelector(sel.error, { state: "detached", timeout: 10_000 });
    const reply = await waitForReply(page, before);
    assert.match(reply, /Question while limited/);
  } finally {
    await context.close();
  }
});

test("a message longer than the backend accepts (413): says so plainly; Retry only dismisses, and a shorter question works", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(env.site);
    await openReady(page);
    await send(page, "x".repeat(9000));
    await friendlyError(page, /too long/i);
    await page.click(sel.retry);
    await page.waitForSelector(sel.error, { state: "detached", timeout: 5_000 });
    const stats = await backend.stats();
    assert.equal(count(stats, "/chatkit", "413"), 1, JSON.stringify(stats));

    const before = await send(page, "A short question");
    assert.match(await waitForReply(page, before), /A short question/);
  } finally {
    await context.close();
  }
});
