// The conversation survives client-side navigation, a full reload, and closing the panel.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  chat,
  env,
  eventCount,
  launch,
  newContext,
  openReady,
  sel,
  transcript,
  under,
  waitForEvent,
  waitForReply,
} from "../lib/harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function ask(page, text) {
  const before = await chat(page).assistant().count();
  await chat(page).composer().fill(text);
  await chat(page).send().click();
  return waitForReply(page, before);
}

test("navigation: a client-side link, a full reload, and close/reopen all keep the conversation, which goes on", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await page.waitForSelector('html[data-has-hydrated="true"]');
    await openReady(page);
    await ask(page, "First question on the intro page");
    const threadId = await page.evaluate(() => sessionStorage.getItem("chatkit-inject:thread"));
    const before = await transcript(page);
    assert.equal(before.length, 2);

    // 1. Client-side navigation (Docusaurus router): same document, widget untouched.
    await page.evaluate(() => (window.__sameDocument = true));
    await page.click('nav.navbar a[href="/blog"]');
    await page.waitForURL(/\/blog$/);
    await page.waitForFunction(() => document.title.startsWith("Blog"));
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "the link navigated client-side");
    assert.equal(await page.locator(sel.toggle).count(), 1, "one toggle after navigation");
    assert.ok(await page.locator(sel.panel).isVisible(), "the panel stays open");
    assert.deepEqual(await transcript(page), before);
    const reply = await ask(page, "Second question, on the blog");
    assert.match(reply, /You asked 2 questions so far; your first was: "First question on the intro page"/);
    assert.match(reply, /\(\/blog\)/, "the backend saw the page the reader is on now");

    // 2. Full reload: the thread is loaded again from the backend (same reader, same thread).
    const chatkitBefore = (await page.evaluate(() => window.__chatkitDouble.requests.length));
    assert.ok(chatkitBefore > 0);
    await page.reload();
    await page.waitForSelector(sel.toggle, { state: "visible" });
    assert.equal(await page.evaluate(() => window.__sameDocument), undefined, "a real reload");
    // The panel was open before the reload: it opens again by itself, or on a click.
    if (!(await page.locator(sel.panel).isVisible())) await page.click(sel.toggle);
    await waitForEvent(page, "chatkit.thread.load.end", 1, 10_000);
    await (await chat(page).frame()).waitForFunction(() => document.querySelectorAll("[data-role]").length === 4);
    const log = await page.evaluate(() => window.__chatkitDouble);
    // Four items fit in threads.get_by_id's first page (the SDK's 20): nothing more to list.
    assert.deepEqual(log.requests.map((r) => r.type).slice(0, 1), ["threads.get_by_id"]);
    assert.notEqual(log.requests[1]?.type, "items.list");
    assert.equal(log.requests[0].params.thread_id, threadId);
    const afterReload = await transcript(page);
    assert.equal(afterReload.length, 4);
    assert.equal(afterReload[0].text, "First question on the intro page");
    assert.equal(afterReload[2].text, "Second question, on the blog");
    assert.equal(await page.locator(sel.error).count(), 0);
    assert.equal(await chat(page).doubleError().count(), 0);
    const reply3 = await ask(page, "Third question after a reload");
    assert.match(reply3, /You asked 3 questions so far/);

    // 3. Close and reopen: same element, same conversation, nothing reloaded.
    const instances = await page.evaluate(() => window.__chatkitDouble.instances);
    const readyCount = await eventCount(page, "chatkit.ready");
    // The one close control once ChatKit is ready: ChatKit's header action.
    await chat(page).rightAction().click();
    await page.waitForSelector(sel.panel, { state: "hidden" });
    assert.equal(await page.locator(sel.toggle).getAttribute("aria-expanded"), "false");
    await page.click(sel.toggle);
    await page.waitForSelector(sel.panel, { state: "visible" });
    assert.equal((await transcript(page)).length, 6);
    assert.equal(await page.evaluate(() => window.__chatkitDouble.instances), instances);
    assert.equal(await eventCount(page, "chatkit.ready"), readyCount);
    assert.match(await ask(page, "Fourth question after reopening"), /You asked 4 questions so far/);
  } finally {
    await context.close();
  }
});

/** Adds a question (and its streamed answer) to the saved thread straight at the backend. */
async function addTurn(page, text) {
  const { secret, thread } = await page.evaluate(() => ({
    secret: JSON.parse(sessionStorage.getItem("chatkit-inject:session")).clientSecret,
    thread: sessionStorage.getItem("chatkit-inject:thread"),
  }));
  const input = { content: [{ type: "input_text", text }], quoted_text: "", attachments: [], inference_options: {} };
  const response = await fetch(env.backend + "/chatkit", {
    method: "POST",
    headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
    body: JSON.stringify({ type: "threads.add_user_message", params: { thread_id: thread, input } }),
  });
  assert.equal(response.status, 200);
  await response.text();
}

test("a thread longer than one page (threads.get_by_id answers 20 items and has_more) reloads complete, in order", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await openReady(page);
    await ask(page, "Question 1");
    for (let n = 2; n <= 13; n++) await addTurn(page, `Question ${n}`);

    await page.reload();
    await page.waitForSelector(sel.toggle, { state: "visible" });
    if (!(await page.locator(sel.panel).isVisible())) await page.click(sel.toggle);
    await waitForEvent(page, "chatkit.thread.load.end", 1, 10_000);
    const log = await page.evaluate(() => window.__chatkitDouble);
    const loads = log.requests.filter((r) => r.type === "threads.get_by_id" || r.type === "items.list");
    assert.equal(loads[0].type, "threads.get_by_id");
    assert.ok(loads.length >= 2 && loads.slice(1).every((r) => r.type === "items.list" && typeof r.params.after === "string"), JSON.stringify(loads));
    const messages = await transcript(page);
    assert.equal(messages.length, 26, "13 questions and 13 answers");
    messages.forEach((m, i) => assert.equal(m.role, i % 2 === 0 ? "user" : "assistant"));
    assert.deepEqual(
      messages.filter((m) => m.role === "user").map((m) => m.text),
      Array.from({ length: 13 }, (_, i) => `Question ${i + 1}`),
    );
    assert.match(messages.at(-1).text, /echo your question: "Question 13"/);
    assert.equal(await chat(page).doubleError().count(), 0);
    assert.match(await ask(page, "Question 14"), /You asked 14 questions so far/);
  } finally {
    await context.close();
  }
});
