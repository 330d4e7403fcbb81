// Keyboard only, and an axe-core scan of the open widget.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { chat, env, launch, newContext, openReady, sel, under, waitForEvent } from "../lib/harness.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const active = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return { id: el?.id ?? "", inPanel: Boolean(el?.closest?.("#chatkit-inject-panel")) };
  });

test("keyboard only: Tab reaches the toggle, Enter opens with focus inside, Escape closes and returns focus", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await page.waitForSelector('html[data-has-hydrated="true"]');
    let presses = 0;
    while ((await active(page)).id !== "chatkit-inject-toggle") {
      await page.keyboard.press("Tab");
      presses += 1;
      assert.ok(presses < 300, "Tab never reached the toggle");
    }
    await page.keyboard.press("Enter");
    await page.waitForSelector(sel.panel, { state: "visible" });
    assert.equal(await page.locator(sel.toggle).getAttribute("aria-expanded"), "true");
    assert.ok((await active(page)).inPanel, "focus moved into the panel");
    await waitForEvent(page, "chatkit.ready");

    // Escape from the panel (where the open put the focus) closes it.
    await page.keyboard.press("Escape");
    await page.waitForSelector(sel.panel, { state: "hidden" });
    assert.equal((await active(page)).id, "chatkit-inject-toggle", "focus is back on the toggle");
    assert.equal(await page.locator(sel.toggle).getAttribute("aria-expanded"), "false");

    // And the keyboard opens it again (Space as well as Enter); Tab then goes into ChatKit's
    // frame, the panel's one set of controls once ChatKit is ready (its header has the close
    // action: the next test closes from there).
    await page.keyboard.press("Space");
    await page.waitForSelector(sel.panel, { state: "visible" });
    assert.ok((await active(page)).inPanel, "focus moved into the panel");
    // ChatKit's frame is another process: while the panel was hidden it had no layout, and until
    // it has painted again it has nothing to focus, so a Tab sent in that moment goes through it
    // (a reader's Tab comes far later). One animation frame inside it means it is shown again.
    await (await chat(page).frame()).evaluate(() => new Promise((done) => requestAnimationFrame(() => done())));
    await page.keyboard.press("Tab");
    const afterTab = await page.evaluate(() => ({
      inPanel: Boolean(document.activeElement?.closest("#chatkit-inject-panel")),
      tag: document.activeElement?.tagName,
    }));
    assert.deepEqual(afterTab, { inPanel: true, tag: "OPENAI-CHATKIT" }, "Tab moves into ChatKit's frame, in the panel");
  } finally {
    await context.close();
  }
});

test("keyboard only, inside ChatKit's frame: Escape cannot reach the page, ChatKit's header close action closes the panel and focus returns to the toggle", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await openReady(page);
    const ui = chat(page);
    const frame = await ui.frame();
    const inFrame = () => frame.evaluate(() => ({ action: document.activeElement?.getAttribute("data-header-action") ?? null, tag: document.activeElement?.tagName ?? null }));

    // The reader is in the composer, inside ChatKit's cross-origin frame.
    await ui.composer().focus();
    assert.equal((await inFrame()).tag, "TEXTAREA");
    // Escape there is ChatKit's, not the page's: the panel stays open (as with the real one).
    await page.keyboard.press("Escape");
    await page.waitForTimeout(200);
    assert.ok(await page.locator(sel.panel).isVisible(), "Escape inside the frame does not reach the page");

    // Shift+Tab, without leaving the frame, reaches ChatKit's header close action.
    let presses = 0;
    while ((await inFrame()).action !== "right") {
      await page.keyboard.press("Shift+Tab");
      presses += 1;
      assert.ok(presses < 20, "Shift+Tab never reached ChatKit's header close action");
    }
    assert.equal(await ui.rightAction().getAttribute("data-icon"), "close");
    // One title and one close control: ChatKit's header has both, the panel's own header is hidden.
    assert.equal(await ui.title().textContent(), await page.locator(sel.toggle).getAttribute("aria-label"));
    assert.equal(await page.locator(`${sel.panel} .chatkit-inject-header`).isVisible(), false, "no second header");
    assert.equal(await page.locator(sel.panel).getAttribute("aria-label"), await ui.title().textContent(), "the dialog's name is the title");
    await page.keyboard.press("Enter");
    await page.waitForSelector(sel.panel, { state: "hidden" });
    assert.equal((await active(page)).id, "chatkit-inject-toggle", "focus is back on the toggle");
    assert.equal(await page.locator(sel.toggle).getAttribute("aria-expanded"), "false");
    assert.deepEqual(
      (await page.evaluate(() => window.__chatkitDouble.headerClicks)).map((c) => c.side),
      ["right"],
      "the frame reported the click to the page",
    );

    // And it opens again from the keyboard on the toggle.
    await page.keyboard.press("Enter");
    await page.waitForSelector(sel.panel, { state: "visible" });
  } finally {
    await context.close();
  }
});

for (const scheme of ["light", "dark"]) {
  test(`axe-core finds no serious or critical violation in the widget's own markup (${scheme} mode)`, async () => {
    const context = await newContext(browser, { colorScheme: scheme });
    try {
      const page = await context.newPage();
      await page.goto(under(env.site, "docs/intro"));
      await page.waitForSelector(sel.toggle, { state: "visible" });
      // Closed: the toggle alone.
      await page.addScriptTag({ content: AXE });
      const run = (include) =>
        page.evaluate(
          async (include) => {
            const result = await window.axe.run(
              { include, exclude: [["openai-chatkit"]] },
              { resultTypes: ["violations", "passes"] },
            );
            return {
              passes: result.passes.length,
              violations: result.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.map((n) => n.html.slice(0, 200)),
              })),
            };
          },
          include,
        );
      const closed = await run([["#chatkit-inject-toggle"]]);
      await page.click(sel.toggle);
      await waitForEvent(page, "chatkit.ready");
      await page.waitForTimeout(300);
      const open = await run([["#chatkit-inject-toggle"], ["#chatkit-inject-panel"]]);
      for (const result of [closed, open]) {
        assert.ok(result.passes > 3, "axe ran its rules on the widget");
        const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
        assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
      }
    } finally {
      await context.close();
    }
  });
}
