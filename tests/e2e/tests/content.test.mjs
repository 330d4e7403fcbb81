// Hard content: markup-like text, emoji, code, 5,000 characters; a long streamed reply; and
// sending while a reply streams.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chat, env, launch, newContext, openReady, sel, storedItems, transcript, under, waitForEvent, waitForReply } from "../lib/harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const SPECIAL = [
  `<script>alert("x")</script> & <b>bold</b> "double" 'single' \`tick\` \\ back\\slash`,
  "Emoji 🎉👩🏽‍💻🇫🇷 and accents: élève, naïve, Ærø, 中文, العربية, עברית",
  "Separators:\u2028line\u2029para\ttab",
  "```python\ndef f(x):\n    return x < 2 and x > 0  # </div>\n```",
];

test("special characters, emoji, code blocks and a 5,000-character message go through intact", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const dialogs = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(under(env.site, "docs/intro"));
    await openReady(page);
    const long = Array.from({ length: 5000 }, (_, i) => "abcdefghijklmnopqrstuvwxyz0123456789 "[i % 37]).join("");
    assert.equal(long.length, 5000);
    const messages = [...SPECIAL, long];
    for (const text of messages) {
      const before = await chat(page).assistant().count();
      await chat(page).composer().fill(text);
      await chat(page).send().click();
      await waitForReply(page, before);
    }
    const shown = (await transcript(page)).filter((m) => m.role === "user").map((m) => m.text);
    assert.deepEqual(shown, messages, "rendered as sent");
    const stored = (await storedItems(page)).filter((i) => i.type === "user_message").map((i) => i.content[0].text);
    assert.deepEqual(stored, messages, "stored by the backend as sent");
    const replies = (await storedItems(page)).filter((i) => i.type === "assistant_message");
    assert.match(replies.at(-1).content[0].text, /\(5000 characters, 1 line\)/);
    assert.deepEqual(dialogs, [], "no markup was executed");
    assert.equal(await page.locator(sel.error).count(), 0);
  } finally {
    await context.close();
  }
});

test("a very long streamed reply stays scrollable inside the panel", async () => {
  const context = await newContext(browser, { viewport: { width: 1280, height: 720 } });
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await openReady(page);
    const before = await chat(page).assistant().count();
    await chat(page).composer().fill("Please give me a longreply about this page");
    await chat(page).send().click();
    const reply = await waitForReply(page, before);
    assert.match(reply, /Paragraph 8 of 8/);
    const panel = await page.locator(sel.panel).boundingBox();
    const metrics = await chat(page).messages().evaluate((log) => {
      const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight;
      log.scrollTop = 0;
      const top = log.scrollTop;
      log.scrollTop = log.scrollHeight;
      return { scrollHeight: log.scrollHeight, clientHeight: log.clientHeight, atEnd, top, bottom: log.scrollTop };
    });
    assert.ok(metrics.scrollHeight > metrics.clientHeight * 1.5, `the reply is taller than the view: ${JSON.stringify(metrics)}`);
    assert.ok(metrics.bottom > metrics.top, "it scrolls");
    assert.ok(metrics.atEnd < 5, "the newest words were kept in view");
    const chatBox = await page.locator(sel.chatkit).boundingBox();
    assert.ok(chatBox.y + chatBox.height <= panel.y + panel.height + 0.5, "the chat does not grow past the panel");
    assert.ok(panel.y + panel.height <= 720, "the panel does not grow past the viewport");
    const composer = await chat(page).composer().boundingBox();
    assert.ok(composer.y + composer.height <= panel.y + panel.height + 0.5, "the composer stays reachable");
  } finally {
    await context.close();
  }
});

test("sending while a reply streams does not break the thread", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await openReady(page);
    await chat(page).composer().fill("First, a longreply please");
    await chat(page).send().click();
    await page.waitForSelector(`${sel.status}[data-state="responding"]`, { state: "attached" });
    await (await chat(page).frame()).waitForFunction(() => (document.querySelector('[data-role="assistant"]')?.textContent ?? "").length > 10);
    // The reader types the next question and presses Enter while the answer streams.
    await chat(page).composer().fill("Second question, typed during the stream");
    await chat(page).composer().press("Enter");
    await chat(page).send().click({ force: true }).catch(() => undefined);
    await waitForEvent(page, "chatkit.response.end", 1, 20_000);
    await page.waitForSelector(`${sel.status}[data-state="idle"]`, { state: "attached" });
    const first = await chat(page).assistant().first().textContent();
    assert.match(first, /Paragraph 8 of 8/, "the first answer completed");
    assert.equal(await page.locator(sel.error).count(), 0);

    // Whatever the composer held back is sent now, in the same thread.
    if ((await chat(page).composer().inputValue()) !== "") await chat(page).send().click();
    await waitForEvent(page, "chatkit.response.end", 2, 20_000);
    const messages = await transcript(page);
    assert.deepEqual(messages.map((m) => m.role), ["user", "assistant", "user", "assistant"]);
    assert.match(messages[3].text, /You asked 2 questions so far; your first was: "First, a longreply please"/);
    const stored = await page.evaluate(() => window.__chatkitDouble.requests.map((r) => r.type));
    assert.deepEqual(stored, ["threads.create", "threads.add_user_message"]);
    assert.equal(await page.locator(sel.error).count(), 0);
  } finally {
    await context.close();
  }
});
