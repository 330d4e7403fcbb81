// Answers from the book, followed to their source: a copy of the fixture site injected by the
// release CLI with `--corpus`, the reference backend answering from that corpus, a reader on the
// intro page asking a question whose answer is on another page. The reply quotes that page's
// section and links to it; the link, clicked inside ChatKit's frame, opens that page at that
// section (in a new tab, as the double's links do: DOUBLE.md, "Messages"), and the conversation
// stays where it was and goes on.

import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  chat,
  injectedCopy,
  launch,
  newContext,
  openReady,
  send,
  sel,
  startBackend,
  storedItems,
  transcript,
  under,
  waitForEvent,
  waitForReply,
} from "../lib/harness.mjs";

// The question, asked on /docs/intro, and the section of another page that answers it (its h2
// and a sentence of its text, from fixtures/site/docs/tutorial-extras/translate-your-site/).
const QUESTION = "How do I add a locale dropdown to the navbar?";
const TARGET_PATH = "/docs/tutorial-extras/translate-your-site";
const TARGET_ID = "add-a-locale-dropdown";
const TARGET_LABEL = "Translate your site › Add a Locale Dropdown";
const TARGET_SENTENCE = "To navigate seamlessly across languages, add a locale dropdown.";

let browser;
let work;
let server;
let backendServer;
let site;
let corpus;

before(async () => {
  // The corpus comes out of the same run that injects the widget, as in a site's CI (the CLI
  // runs in `work`).
  let backendPort;
  ({ work, site, server, backendPort } = await injectedCopy(
    "sources",
    (backendUrl) => `[profiles.dev]\nbackend-url = "${backendUrl}"\n`,
    ["--corpus", "corpus.jsonl"],
  ));
  corpus = path.join(work, "corpus.jsonl");
  backendServer = await startBackend(backendPort, [new URL(site).origin], {
    CHATKIT_CORPUS: corpus,
    CHATKIT_DB_PATH: path.join(work, "chatkit.db"),
    CHATKIT_RATE_LIMITS: "off",
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await backendServer?.stop();
  server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Asks `text` in the open panel and waits for the whole reply; returns its text. */
async function ask(page, text) {
  const before = await send(page, text);
  return waitForReply(page, before);
}

test("a question answered on another page: the reply quotes that section and links to it; the link opens it, the conversation stays", async () => {
  // The CLI's corpus holds the section, at the path the site serves it under.
  const records = readFileSync(corpus, "utf8").trim().split("\n").map((line) => JSON.parse(line));
  const section = records.find((r) => r.url === `${TARGET_PATH}#${TARGET_ID}`);
  assert.ok(section, `the corpus has ${TARGET_PATH}#${TARGET_ID}`);
  assert.ok(section.text.startsWith(TARGET_SENTENCE), section.text);

  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(site, "docs/intro"));
    await page.waitForSelector('html[data-has-hydrated="true"]');
    assert.equal(await page.getByText(TARGET_SENTENCE).count(), 0, "the answer is not on the page the reader is on");
    await openReady(page);
    const reply = await ask(page, QUESTION);

    // The reply quotes the section of the other page...
    assert.ok(reply.includes(TARGET_SENTENCE), `the reply quotes the section:\n${reply}`);
    assert.ok(reply.startsWith(`From ${TARGET_LABEL}:`), `the reply names the section first:\n${reply}`);
    // ...and links to it: a link in ChatKit's frame, to that page's section on this site (the
    // backend makes the corpus's paths absolute on the site's origin; a bare path in the frame
    // would lead to ChatKit's own host).
    const target = new URL(`${TARGET_PATH}#${TARGET_ID}`, site).href;
    const links = chat(page).assistant().last().locator("a[data-link]");
    assert.ok((await links.count()) >= 2, "the quoted section's link and the sources list");
    const first = links.first();
    assert.equal(await first.textContent(), TARGET_LABEL);
    assert.equal(await first.getAttribute("href"), target);
    const hrefs = await links.evaluateAll((nodes) => nodes.map((a) => a.href));
    assert.ok(hrefs.every((href) => href.startsWith(new URL(site).origin + "/")), `every source is on the site: ${hrefs}`);
    assert.equal(hrefs.filter((href) => href === target).length, 2, "the section is cited first in the sources too");
    const before = await transcript(page);
    assert.deepEqual(before.map((m) => m.role), ["user", "assistant"]);
    const threadId = await page.evaluate(() => sessionStorage.getItem("chatkit-inject:thread"));
    assert.ok(threadId);

    // A real click on the link, inside the cross-origin frame, opens the section in a new tab.
    const [tab] = await Promise.all([context.waitForEvent("page", { timeout: 10_000 }), first.click()]);
    await tab.waitForURL(target, { timeout: 10_000 });
    const opened = new URL(tab.url());
    assert.equal(opened.origin, new URL(site).origin);
    assert.equal(opened.pathname, TARGET_PATH);
    assert.equal(opened.hash, `#${TARGET_ID}`);
    await tab.waitForLoadState("load");
    assert.equal(await tab.evaluate(() => window.opener), null, "opened without an opener");
    // The section is there: its heading, scrolled into view, and the quoted sentence under it.
    const heading = tab.locator(`h2#${TARGET_ID}`);
    assert.equal(await heading.count(), 1);
    assert.match(await heading.textContent(), /Add a Locale Dropdown/);
    await tab.waitForFunction(
      (id) => {
        const box = document.getElementById(id)?.getBoundingClientRect();
        return box !== undefined && box.top >= 0 && box.top < window.innerHeight / 2;
      },
      TARGET_ID,
      { timeout: 10_000 },
    );
    const sectionText = await heading.evaluate((h2) => {
      let text = "";
      for (let node = h2.nextElementSibling; node && !/^H[12]$/.test(node.tagName); node = node.nextElementSibling) {
        text += node.textContent + "\n";
      }
      return text;
    });
    assert.ok(sectionText.includes(TARGET_SENTENCE), `the quote is from this section:\n${sectionText}`);
    await tab.waitForSelector(sel.toggle, { state: "visible" });

    // The conversation stays where it was: same page, panel open, same messages, same thread.
    assert.equal(new URL(page.url()).pathname, "/docs/intro");
    assert.ok(await page.locator(sel.panel).isVisible(), "the panel stays open");
    assert.deepEqual(await transcript(page), before);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("chatkit-inject:thread")), threadId);
    // It goes on in the same thread, answered from the book again.
    await page.bringToFront();
    const followUp = await ask(page, "How do I build my localized site?");
    assert.match(followUp, /^From Translate your site › Build your localized site:/);
    const stored = await storedItems(page, backendServer.url);
    assert.deepEqual(
      stored.map((i) => i.type),
      ["user_message", "assistant_message", "user_message", "assistant_message"],
    );
    assert.equal(stored[0].thread_id, threadId);
    assert.equal(stored[1].content[0].text.split("\n")[0], `From [${TARGET_LABEL}](${target}):`);

    // And across pages: after a reload the thread comes back from the backend, links included.
    await page.reload();
    await page.waitForSelector(sel.toggle, { state: "visible" });
    if (!(await page.locator(sel.panel).isVisible())) await page.click(sel.toggle);
    await waitForEvent(page, "chatkit.thread.load.end", 1, 10_000);
    await (await chat(page).frame()).waitForFunction(() => document.querySelectorAll("[data-role]").length === 4);
    const reloaded = await transcript(page);
    assert.equal(reloaded[0].text, QUESTION);
    assert.ok(reloaded[1].text.includes(TARGET_SENTENCE));
    assert.equal(await chat(page).assistant().first().locator("a[data-link]").first().getAttribute("href"), target);
    assert.equal(await chat(page).doubleError().count(), 0);
    await tab.close();
  } finally {
    await context.close();
  }
});
