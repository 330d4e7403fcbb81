// Two readers at once, in two browser contexts: separate sessions, no crossed conversations.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chat, env, launch, newContext, openReady, sel, transcript, under, waitForReply } from "../lib/harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("two browser contexts at once: separate sessions and threads, no crossed conversations", async () => {
  const [a, b] = await Promise.all([newContext(browser), newContext(browser)]);
  try {
    const [pageA, pageB] = await Promise.all([a.newPage(), b.newPage()]);
    await Promise.all([pageA.goto(under(env.site, "docs/intro")), pageB.goto(under(env.site, "blog"))]);
    await Promise.all([openReady(pageA), openReady(pageB)]);
    const ask = async (page, text) => {
      const before = await chat(page).assistant().count();
      await chat(page).composer().fill(text);
      await chat(page).send().click();
      return waitForReply(page, before);
    };
    // Both at the same time, twice.
    await Promise.all([ask(pageA, "Alpha reader first question"), ask(pageB, "Bravo reader first question")]);
    const [replyA, replyB] = await Promise.all([ask(pageA, "Alpha follow-up"), ask(pageB, "Bravo follow-up")]);
    assert.match(replyA, /You asked 2 questions so far; your first was: "Alpha reader first question"/);
    assert.match(replyB, /You asked 2 questions so far; your first was: "Bravo reader first question"/);

    const state = (page) =>
      page.evaluate(() => ({
        secret: JSON.parse(sessionStorage.getItem("chatkit-inject:session")).clientSecret,
        thread: sessionStorage.getItem("chatkit-inject:thread"),
      }));
    const [sa, sb] = await Promise.all([state(pageA), state(pageB)]);
    assert.notEqual(sa.secret, sb.secret);
    assert.notEqual(sa.thread, sb.thread);
    const textA = (await transcript(pageA)).map((m) => m.text).join("\n");
    const textB = (await transcript(pageB)).map((m) => m.text).join("\n");
    assert.doesNotMatch(textA, /Bravo/);
    assert.doesNotMatch(textB, /Alpha/);

    // Reader B cannot read reader A's thread, even knowing its id.
    const response = await fetch(env.backend + "/chatkit", {
      method: "POST",
      headers: { Authorization: `Bearer ${sb.secret}`, "Content-Type": "application/json" },
      body: JSON.stringify({ type: "items.list", params: { thread_id: sa.thread } }),
    });
    assert.equal(response.status, 404);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
