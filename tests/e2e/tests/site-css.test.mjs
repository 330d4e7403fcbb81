// The widget under a site's own aggressive CSS, as real textbooks carry it: Tailwind's preflight
// (many Docusaurus textbooks add Tailwind), global resets of buttons and SVGs, a theme that
// restyles Infima's `.button`, a root font size of 62.5 %. The sheet comes after everything of
// ours in the page (the order that lets it win every tie), on the fixture site and on the
// customised course textbook. What a reader must still get: a round 56 px toggle in its corner,
// the icon in its middle, the accent layer filling it, a real click opening a panel inside the
// window, ChatKit ready in it, and the panel gone again once closed.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chat, env, launch, newContext, sel, stableBox, under, waitForEvent } from "../lib/harness.mjs";

/** What real sites ship, in one sheet (each block as published; comments say where from). */
const SITE_CSS = `
/* Tailwind CSS v3 preflight (excerpt) */
*,::before,::after{box-sizing:border-box;border-width:0;border-style:solid;border-color:#e5e7eb}
button,[type='button'],[type='reset'],[type='submit']{-webkit-appearance:button;background-color:transparent;background-image:none}
button,input,optgroup,select,textarea{font-family:inherit;font-size:100%;font-weight:inherit;line-height:inherit;color:inherit;margin:0;padding:0}
button,[role=button]{cursor:pointer}
img,svg,video,canvas,audio,iframe,embed,object{display:block;vertical-align:middle}
img,video{max-width:100%;height:auto}
[hidden]{display:none}
/* a theme's global resets, and an icon set's */
html{font-size:62.5%}
body{font-size:1.6rem}
/* a theme that makes room for its own fixed top bar by moving the positioned body down */
body{position:relative;margin-top:24px}
svg{max-width:100%;height:auto}
svg{width:1em;height:1em;fill:currentColor}
button{border-radius:4px;min-height:44px;min-width:88px;padding:8px 16px;text-transform:uppercase;letter-spacing:.05em;box-shadow:none}
button:hover{transform:translateY(-1px)}
a{transition:color .2s}
a:hover{text-decoration:underline}
/* a theme restyling Infima's buttons */
.button{display:inline-flex;align-items:center;padding:1.2rem 2.4rem;border-radius:4px;line-height:1.2}
.button.button--primary{position:relative;background:#0f766e;border:2px solid #0f766e}
`;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/**
 * A page at `url` with SITE_CSS last in its <body>, after everything of ours (appended once the
 * document is parsed, before the site's scripts hydrate; the widget's loader has run by then).
 */
async function pageWithSiteCss(context, url) {
  const page = await context.newPage();
  await page.addInitScript((css) => {
    document.addEventListener("DOMContentLoaded", () => {
      const style = document.createElement("style");
      style.id = "site-css";
      style.textContent = css;
      document.body.append(style);
    });
  }, SITE_CSS);
  await page.goto(url);
  await page.waitForSelector("html[data-has-hydrated=true]", { state: "attached", timeout: 15_000 });
  // Last in the page: after our markup, the loader's toggle and panel included.
  assert.equal(await page.evaluate(() => document.body.lastElementChild?.id), "site-css");
  return page;
}

const near = (a, b, what, tolerance = 1) => assert.ok(Math.abs(a - b) <= tolerance, `${what}: ${a} vs ${b}`);

for (const [name, base, relative] of [
  ["the fixture site", () => env.site, "docs/intro"],
  ["the course textbook", () => env.course, "docs/intro"],
]) {
  test(`${name} under the site's own aggressive CSS: a round toggle in its corner, its icon and accent in place, a panel that opens and closes`, async () => {
    const context = await newContext(browser, { viewport: { width: 1280, height: 800 } });
    try {
      const page = await pageWithSiteCss(context, under(base(), relative));
      // The sheet really applies (so the test can fail): the page's buttons are reset by it.
      assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize), "10px");

      await page.waitForSelector(sel.toggle, { state: "visible" });
      const toggle = await stableBox(page, sel.toggle);
      near(toggle.width, 56, "toggle width");
      near(toggle.height, 56, "toggle height");
      // In the bottom-right corner (16 px in; a site element it must clear may lift it, not here).
      near(toggle.x + toggle.width, 1280 - 16, "toggle right edge");
      assert.ok(toggle.y + toggle.height <= 800 - 16 + 0.5, `toggle inside the window: ${JSON.stringify(toggle)}`);
      const look = await page.evaluate((selector) => {
        const style = getComputedStyle(document.querySelector(selector));
        const icon = getComputedStyle(document.querySelector(`${selector} svg`));
        return { radius: style.borderTopLeftRadius, fill: icon.fill, stroke: icon.stroke, toggleColour: style.color };
      }, sel.toggle);
      assert.equal(look.radius, "50%", "the toggle stays round");
      // An outline icon still: not filled by the icon set's rule, stroked in the toggle's colour.
      assert.equal(look.fill, "none");
      assert.equal(look.stroke, look.toggleColour);

      const icon = await page.locator(`${sel.toggle} svg`).boundingBox();
      assert.ok(icon, "the icon is shown");
      near(icon.width, 26, "icon width");
      near(icon.height, 26, "icon height");
      near(icon.x + icon.width / 2, toggle.x + toggle.width / 2, "icon centred across", 1.5);
      near(icon.y + icon.height / 2, toggle.y + toggle.height / 2, "icon centred down", 1.5);

      // The accent layer (the site's primary button, repainted by the site) fills the toggle.
      const layer = await page.locator(`${sel.toggle} a`).boundingBox();
      assert.ok(layer, "the accent layer is there");
      for (const k of ["x", "y", "width", "height"]) near(layer[k], toggle[k], `accent layer ${k}`);
      const colour = await page.evaluate((selector) => getComputedStyle(document.querySelector(`${selector} a`)).backgroundColor, sel.toggle);
      assert.equal(colour, "rgb(15, 118, 110)", "the toggle shows the site's restyled primary button colour");

      // A real click at its centre opens a panel inside the window, and ChatKit gets ready in it.
      await page.mouse.click(toggle.x + toggle.width / 2, toggle.y + toggle.height / 2);
      await page.waitForSelector(sel.panel, { state: "visible", timeout: 5_000 });
      await waitForEvent(page, "chatkit.ready");
      await chat(page).composer().waitFor({ state: "visible" });
      const panel = await stableBox(page, sel.panel);
      assert.ok(panel.x >= 0 && panel.y >= 0 && panel.x + panel.width <= 1280 + 0.5 && panel.y + panel.height <= 800 + 0.5, `panel inside the window: ${JSON.stringify(panel)}`);
      assert.ok(panel.width <= 400.5 && panel.height <= 600.5 && panel.width >= 300 && panel.height >= 300, `panel size: ${JSON.stringify(panel)}`);
      assert.ok(panel.y + panel.height <= toggle.y + 0.5, "the panel sits above the toggle");

      // Closed again (Escape from inside the panel): hidden, focus back on the toggle.
      await page.focus(sel.panel);
      await page.keyboard.press("Escape");
      await page.waitForSelector(sel.panel, { state: "hidden" });
      assert.equal(await page.evaluate(() => document.activeElement?.id), "chatkit-inject-toggle");

      // "Ask about this" under a selection: a solid button in the site's primary button colour,
      // its label legible (the preflight makes buttons transparent, the theme 88 px wide).
      await page.locator("article p").first().click({ clickCount: 3 });
      await page.waitForSelector(sel.ask, { state: "visible" });
      const ask = await page.locator(sel.ask).boundingBox();
      assert.ok(ask.height >= 20 && ask.height <= 40 && ask.width < 300, `Ask button size: ${JSON.stringify(ask)}`);
      // Just under the selection, at its left edge, whatever the body's position and margin.
      const range = await page.evaluate(() => {
        const r = document.getSelection().getRangeAt(0).getBoundingClientRect();
        return { left: r.left, bottom: r.bottom };
      });
      near(ask.y, range.bottom + 6, "Ask button top, 6 px under the selection");
      near(ask.x, range.left, "Ask button left, at the selection's");
      const askLayer = await page.locator(`${sel.ask} a`).boundingBox();
      for (const k of ["x", "y", "width", "height"]) near(askLayer[k], ask[k], `Ask button layer ${k}`);
      const askLook = await page.evaluate((selector) => {
        const button = document.querySelector(selector);
        return { layer: getComputedStyle(button.firstElementChild).backgroundColor, colour: getComputedStyle(button).color, text: button.textContent };
      }, sel.ask);
      assert.equal(askLook.layer, "rgb(15, 118, 110)");
      assert.equal(askLook.colour, "rgb(255, 255, 255)");
      assert.equal(askLook.text, "Ask about this");
    } finally {
      await context.close();
    }
  });
}

test("a failure under the site's own aggressive CSS: the panel's own header, its 40 px close button and Retry keep their shape", async () => {
  // The ChatKit script blocked: the panel's own header stays, with the error and Retry.
  const context = await newContext(browser, { script: "block" });
  try {
    const page = await pageWithSiteCss(context, under(env.site, "docs/intro"));
    await page.click(sel.toggle);
    await page.waitForSelector(sel.retry, { state: "visible", timeout: 15_000 });
    const close = await page.locator(sel.ownClose).boundingBox();
    assert.ok(close, "the panel's own close button is shown");
    near(close.width, 40, "close button width");
    near(close.height, 40, "close button height");
    const retry = await page.locator(sel.retry).boundingBox();
    const panel = await page.locator(sel.panel).boundingBox();
    assert.ok(retry.x >= panel.x && retry.x + retry.width <= panel.x + panel.width, `Retry inside the panel: ${JSON.stringify({ retry, panel })}`);
    // The error's text is sized from the page's text (em), not from the root (62.5 % = 10 px).
    const sizes = await page.evaluate((selector) => ({
      error: parseFloat(getComputedStyle(document.querySelector(selector)).fontSize),
      body: parseFloat(getComputedStyle(document.body).fontSize),
    }), sel.error);
    near(sizes.error, sizes.body * 0.9, "error text size", 0.5);
    // The close button still closes.
    await page.mouse.click(close.x + close.width / 2, close.y + close.height / 2);
    await page.waitForSelector(sel.panel, { state: "hidden" });
  } finally {
    await context.close();
  }
});
