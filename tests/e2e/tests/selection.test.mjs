// "Ask about this": text selected in the page is offered to the chat, quoted in ChatKit's composer,
// and reaches the backend quoted, with the page context as for any message. It is offered from the
// start, on a page where the panel was never opened (the loader imports the panel module on the
// first selection of the page's text, and the panel module installs the button), and after an open
// and close too, for the page's own text only (not the navbar's, nor a field's).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chat, env, launch, newContext, openReady, sel, storedItems, under, waitForReply } from "../lib/harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});


/** Opens the chat once and closes it again (ChatKit's close action). */
async function openedOnce(page) {
  await openReady(page);
  await chat(page).rightAction().click();
  await page.waitForSelector(sel.panel, { state: "hidden" });
}

test("on a page where the panel was never opened, a reader selects a sentence with the mouse, asks about it, and the question reaches the backend with the selection quoted", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await page.waitForSelector('html[data-has-hydrated="true"]');
    const paragraph = page.locator("article p").first();
    const panelLoaded = () =>
      page.evaluate(() => performance.getEntriesByType("resource").some((e) => /\/panel\.[0-9a-f]+\.js$/.test(e.name)));
    await page.waitForTimeout(400);
    assert.equal(await page.locator(sel.ask).count(), 0, "nothing offered without a selection");
    assert.equal(await panelLoaded(), false, "nothing loaded before a selection");
    // Not for the navbar's text (selected as a range: a click there would follow its link).
    const navbarText = await page.evaluate(() => {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector(".navbar__title"));
      document.getSelection().removeAllRanges();
      document.getSelection().addRange(range);
      return document.getSelection().toString().trim();
    });
    assert.ok(navbarText.length > 0, "the navbar's title is selected");
    await page.keyboard.press("Shift");
    await page.waitForTimeout(400);
    assert.equal(await page.locator(sel.ask).count(), 0, "not offered for the navbar's text");
    assert.equal(await panelLoaded(), false, "the navbar's text loads nothing");
    await page.evaluate(() => document.getSelection().removeAllRanges());

    // A real triple click selects the first paragraph of the article.
    await paragraph.click({ clickCount: 3 });
    const selected = (await page.evaluate(() => document.getSelection().toString())).trim();
    assert.ok(selected.length > 10, `selected: ${JSON.stringify(selected)}`);
    await page.waitForSelector(sel.ask, { state: "visible" });
    assert.equal(await page.locator(sel.panel).isVisible(), false, "the panel was never opened");
    assert.equal(await page.locator("openai-chatkit").count(), 0, "ChatKit was never mounted");
    assert.equal(await panelLoaded(), true, "the panel module was loaded for the selection");
    // Near the selection: just under it.
    const text = await paragraph.boundingBox();
    const ask = await page.locator(sel.ask).boundingBox();
    assert.ok(ask.y >= text.y && ask.y <= text.y + text.height + 40, `the button is under the selection: ${JSON.stringify({ text, ask })}`);
    assert.equal((await page.locator(sel.ask).textContent()).trim(), "Ask about this");
    // Styled by the panel's stylesheet, which came with the panel module for the selection: its
    // accent layer spread under the label.
    const styled = await page.evaluate((selector) => {
      const button = document.querySelector(selector);
      return { layer: getComputedStyle(button.firstElementChild).position, radius: getComputedStyle(button).borderTopLeftRadius };
    }, sel.ask);
    assert.deepEqual(styled, { layer: "absolute", radius: "6px" });

    await page.mouse.click(ask.x + ask.width / 2, ask.y + ask.height / 2);
    await page.waitForSelector(sel.panel, { state: "visible" });
    const quoted = `${selected
      .split("\n")
      .map((line) => `> ${line}`.trimEnd())
      .join("\n")}\n\n`;
    const ui = chat(page);
    await ui.composer().waitFor({ state: "visible" });
    await (await ui.frame()).waitForFunction((q) => document.querySelector("textarea").value === q, quoted);
    assert.equal(await page.locator(sel.ask).isVisible(), false, "the button went with the selection");

    // The composer has the focus: the reader types the question and presses Enter.
    const question = "What does this mean?";
    await page.keyboard.press("End");
    await page.keyboard.type(question);
    const before = await ui.assistant().count();
    await page.keyboard.press("Enter");
    await waitForReply(page, before);
    const sent = (await page.evaluate(() => window.__chatkitDouble.requests)).find((r) => r.type === "threads.create");
    assert.equal(sent.params.input.content[0].text, quoted + question);
    const stored = (await storedItems(page)).filter((i) => i.type === "user_message").map((i) => i.content[0].text);
    assert.deepEqual(stored, [quoted + question], "the backend got the selection quoted, then the question");
    assert.equal(await page.locator(sel.error).count(), 0);
  } finally {
    await context.close();
  }
});

test("keyboard only, after the panel was opened and closed: after a selection, Tab reaches the Ask button, Enter asks; it is hidden on print", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await page.waitForSelector('html[data-has-hydrated="true"]');
    await openedOnce(page);
    // A selection made from the keyboard (Shift+End in caret browsing), set here as a range.
    const selected = await page.evaluate(() => {
      document.activeElement?.blur();
      const p = document.querySelector("article p");
      const range = document.createRange();
      range.selectNodeContents(p);
      document.getSelection().removeAllRanges();
      document.getSelection().addRange(range);
      return document.getSelection().toString().trim();
    });
    await page.keyboard.press("Shift+End");
    await page.waitForSelector(sel.ask, { state: "visible" });
    await page.emulateMedia({ media: "print" });
    await page.evaluate(() => window.dispatchEvent(new Event("beforeprint")));
    assert.equal(await page.locator(sel.ask).isVisible(), false, "hidden on print");
    await page.emulateMedia({ media: "screen" });
    await page.keyboard.press("Shift+End");
    await page.waitForSelector(sel.ask, { state: "visible" });

    let presses = 0;
    while (!(await page.evaluate(() => document.activeElement?.id === "chatkit-inject-ask"))) {
      await page.keyboard.press("Tab");
      presses += 1;
      assert.ok(presses < 300, "Tab never reached the Ask button");
    }
    await page.keyboard.press("Enter");
    await page.waitForSelector(sel.panel, { state: "visible" });
    const frame = await chat(page).frame();
    await frame.waitForFunction((s) => document.querySelector("textarea").value.startsWith(`> ${s.split("\n")[0]}`), selected);
    assert.equal(await frame.evaluate(() => document.activeElement?.tagName), "TEXTAREA", "the composer has the focus");
  } finally {
    await context.close();
  }
});

test("on a phone (320 px), a word selected at the end of a line: the Ask button stays inside the screen and the page does not scroll sideways", async () => {
  const context = await newContext(browser, { viewport: { width: 320, height: 568 }, isMobile: true, hasTouch: true });
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await page.waitForSelector('html[data-has-hydrated="true"]');
    // The last characters of a line of the article's first paragraph that ends near the right edge.
    const picked = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const walker = document.createTreeWalker(document.querySelector("article"), NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i + 3 <= node.data.length; i++) {
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 3);
          const box = range.getBoundingClientRect();
          if (box.width > 0 && box.left > width - 60 && /^\S{3}$/.test(range.toString())) {
            document.getSelection().removeAllRanges();
            document.getSelection().addRange(range);
            return { left: box.left, text: range.toString(), width };
          }
        }
      }
      return null;
    });
    assert.ok(picked, "a word at the end of a line was found");
    await page.waitForSelector(sel.ask, { state: "visible" });
    const ask = await page.locator(sel.ask).boundingBox();
    assert.ok(ask.x >= 0 && ask.x + ask.width <= picked.width, `the Ask button ${JSON.stringify(ask)} inside the ${picked.width} px screen`);
    assert.ok(ask.x < picked.left, "moved left of the selection to stay on screen");
    assert.ok(ask.height < 40, `its label on one line: ${JSON.stringify(ask)}`);
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(sideways, 0, "nothing wider than the screen");
  } finally {
    await context.close();
  }
});
