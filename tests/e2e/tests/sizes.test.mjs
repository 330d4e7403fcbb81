// The panel at 320, 375, 768, 1280 and 2560 px wide: inside the viewport, at most 400x600 px
// where there is room, the toggle still clickable; below 480 px a full-screen sheet whose close
// button is clickable, with the page behind locked. Screenshots go to artifacts/.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { artifact, chat, env, launch, newContext, openPanel, openReady, sel, under } from "../lib/harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const SIZES = [
  [320, 568],
  [375, 667],
  [768, 1024],
  [1280, 800],
  [2560, 1440],
];

for (const [width, height] of SIZES) {
  test(`at ${width}x${height} the panel fits, stays within 400x600 where there is room, and the toggle stays clickable`, async () => {
    const context = await newContext(browser, { viewport: { width, height } });
    try {
      const page = await context.newPage();
      await page.goto(under(env.site, "docs/intro"));
      // Docusaurus rewrites <html class> when it hydrates: open after, so the class check below
      // sees the widget's class (the scroll lock itself holds either way, through :has()).
      await page.waitForSelector('html[data-has-hydrated="true"]');
      await openReady(page);
      await page.waitForTimeout(300); // any opening transition
      const panel = await page.locator(sel.panel).boundingBox();
      await page.screenshot({ path: artifact(`size-${width}x${height}.png`) });

      assert.ok(panel.x >= 0 && panel.y >= 0, `panel starts inside: ${JSON.stringify(panel)}`);
      assert.ok(panel.x + panel.width <= width + 0.5, `panel fits the width: ${JSON.stringify(panel)}`);
      assert.ok(panel.y + panel.height <= height + 0.5, `panel fits the height: ${JSON.stringify(panel)}`);
      const phone = width < 480;
      if (phone) {
        // A full-screen sheet, above everything.
        assert.deepEqual(
          [panel.x, panel.y, panel.width, panel.height].map(Math.round),
          [0, 0, width, height],
          `a full-screen sheet on a phone: ${JSON.stringify(panel)}`,
        );
      } else {
        assert.ok(panel.width <= 400.5 && panel.height <= 600.5, `panel at most 400x600: ${JSON.stringify(panel)}`);
        assert.ok(panel.width >= 300, `panel is usable: ${JSON.stringify(panel)}`);
        if (height >= 700) assert.ok(panel.height >= 400, `panel is tall enough: ${JSON.stringify(panel)}`);
      }

      // ChatKit gets a real box inside the panel.
      const chatBox = await page.locator(sel.chatkit).boundingBox();
      assert.ok(chatBox.width > 200 && chatBox.height > 150, `chat area: ${JSON.stringify(chatBox)}`);
      assert.ok(chatBox.y + chatBox.height <= panel.y + panel.height + 0.5, "the chat stays inside the panel");
      const composer = await chat(page).composer().boundingBox();
      assert.ok(composer.y + composer.height <= height, "the composer is on screen");

      if (phone) {
        // The page behind does not scroll; the close button is reachable by a real click, closes
        // the sheet, unlocks the page and gives the focus back to the toggle.
        const locked = await page.evaluate(() => ({
          cls: document.documentElement.classList.contains("chatkit-inject-open"),
          overflow: getComputedStyle(document.documentElement).overflow,
        }));
        assert.deepEqual(locked, { cls: true, overflow: "hidden" });
        // One close control once ChatKit is ready: ChatKit's header action (the panel's own is hidden).
        await page.locator(`${sel.panel} .chatkit-inject-close`).waitFor({ state: "hidden" });
        const close = await chat(page).rightAction().boundingBox();
        assert.ok(close.y >= 0 && close.x >= 0 && close.x + close.width <= width, JSON.stringify(close));
        await page.mouse.click(close.x + close.width / 2, close.y + close.height / 2);
        await page.waitForSelector(sel.panel, { state: "hidden" });
        const after = await page.evaluate(() => ({
          cls: document.documentElement.classList.contains("chatkit-inject-open"),
          locked: getComputedStyle(document.documentElement).overflow === "hidden",
          focus: document.activeElement?.id,
        }));
        assert.deepEqual(after, { cls: false, locked: false, focus: "chatkit-inject-toggle" });
      }

      // The toggle is on screen and nothing covers it: a click opens or closes the panel.
      const toggle = await page.locator(sel.toggle).boundingBox();
      assert.ok(toggle.x >= 0 && toggle.x + toggle.width <= width && toggle.y + toggle.height <= height, JSON.stringify(toggle));
      const hit = await page.evaluate(() => {
        const t = document.getElementById("chatkit-inject-toggle");
        const r = t.getBoundingClientRect();
        const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return t.contains(at);
      });
      assert.ok(hit, "the toggle is not covered");
      await page.click(sel.toggle, { trial: false });
      await page.waitForSelector(sel.panel, { state: phone ? "visible" : "hidden" });
    } finally {
      await context.close();
    }
  });
}

test("under a strict style-src CSP (no 'unsafe-inline') the panel is styled: its stylesheet is a constructable one", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const url = under(env.site, "docs/intro");
    // The site's HTML page answered with a CSP that allows only stylesheets from the site itself.
    await page.route(url, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), "content-security-policy": "style-src 'self'" } });
    });
    const violations = [];
    await page.exposeFunction("__cspViolation", (v) => violations.push(v));
    await page.addInitScript(() =>
      document.addEventListener("securitypolicyviolation", (e) =>
        window.__cspViolation({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }),
      ),
    );
    await page.goto(url);
    // The frame and its stylesheet come with the panel module, whatever happens to ChatKit next.
    await openPanel(page);
    await page.waitForSelector(`${sel.panel} .chatkit-inject-header`, { state: "visible" });
    const styled = await page.evaluate(() => {
      const panel = document.getElementById("chatkit-inject-panel");
      const header = panel.querySelector(".chatkit-inject-header");
      return {
        display: getComputedStyle(panel).display,
        width: panel.getBoundingClientRect().width,
        height: panel.getBoundingClientRect().height,
        headerFlex: getComputedStyle(header).flexShrink,
        sheets: document.adoptedStyleSheets.length,
        styleElements: document.querySelectorAll("style#chatkit-inject-panel-css").length,
      };
    });
    assert.equal(styled.display, "flex", JSON.stringify(styled));
    assert.ok(styled.width > 300 && styled.width <= 400.5 && styled.height > 400, JSON.stringify(styled));
    assert.equal(styled.headerFlex, "0", JSON.stringify(styled));
    assert.equal(styled.sheets, 1, JSON.stringify(styled));
    assert.equal(styled.styleElements, 0, JSON.stringify(styled));
    // Whatever the CSP refuses of the site itself, nothing of ours was refused.
    const ours = violations.filter((v) => /chatkit|cki-/.test(`${v.blocked} ${v.sample}`));
    assert.deepEqual(ours, [], JSON.stringify(violations));
  } finally {
    await context.close();
  }
});
