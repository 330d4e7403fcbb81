// Toggle on every kind of page, fast, and nothing fetched before the first open.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { env, launch, newContext, recordMetric, sel, under, widgetTraffic } from "../lib/harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const PAGES = [
  ["home", ""],
  ["doc", "docs/intro"],
  ["blog", "blog"],
  ["404", "no/such/page"],
];

for (const [kind, relative] of PAGES) {
  test(`toggle is visible within 2 s on the ${kind} page, and nothing is fetched before the first open`, async () => {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      const url = under(env.site, relative);
      const response = await page.goto(url, { waitUntil: "commit" });
      if (kind === "404") assert.equal(response.status(), 404, "the static server answers 404.html with 404");
      else assert.equal(response.status(), 200);
      // Measured in the page (from navigation start), not by polling from here.
      await page.waitForSelector(sel.toggle, { state: "visible", timeout: 10_000 });
      await page.waitForFunction(() => window.__e2e.toggleVisibleAt !== null);
      const visibleAt = await page.evaluate(() => window.__e2e.toggleVisibleAt);
      assert.ok(visibleAt !== null && visibleAt < 2_000, `toggle visible after ${visibleAt} ms`);
      recordMetric("toggle-visible", visibleAt, kind);

      const toggle = page.locator(sel.toggle);
      assert.equal(await toggle.getAttribute("aria-expanded"), "false");
      assert.equal(await toggle.getAttribute("aria-controls"), "chatkit-inject-panel");
      assert.ok((await toggle.getAttribute("aria-label"))?.length > 0, "toggle has an accessible name");
      // Bottom right corner of the viewport.
      const box = await toggle.boundingBox();
      const viewport = page.viewportSize();
      assert.ok(box.x + box.width > viewport.width - 100 && box.y + box.height > viewport.height - 100, JSON.stringify(box));

      // Let the page settle (hydration, idle callbacks): still nothing for the widget.
      await page.waitForLoadState("networkidle");
      await page.waitForTimeout(500);
      assert.deepEqual(widgetTraffic(context.requestLog), [], "no backend or ChatKit request before the first open");
      assert.equal(await page.locator(sel.chatkit).count(), 0);

      // And the first open does fetch: the check above can see traffic when there is some.
      await page.click(sel.toggle);
      await page.waitForFunction(() => window.__chatkitDouble?.events.some((e) => e.name === "chatkit.ready"));
      assert.ok(widgetTraffic(context.requestLog).length > 0, "the first open reaches the backend and ChatKit");
    } finally {
      await context.close();
    }
  });
}

test("on a phone, while Docusaurus' search modal is open (DocSearch's `body.DocSearch--active`, full screen), the toggle steps aside; it is back once the search closes", async () => {
  const context = await newContext(browser, { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await page.waitForSelector(sel.toggle, { state: "visible" });
    // What DocSearch does when the reader opens it: its full-screen modal, and the class on <body>.
    await page.evaluate(() => {
      const modal = document.createElement("div");
      modal.className = "DocSearch-Container";
      modal.style.cssText = "position:fixed;inset:0;z-index:200;background:#fff";
      modal.innerHTML = "<ul>" + "<li>Result</li>".repeat(40) + "</ul>";
      document.body.append(modal);
      document.body.classList.add("DocSearch--active");
    });
    await page.waitForSelector(sel.toggle, { state: "hidden" });
    const corner = await page.evaluate(() => document.elementFromPoint(innerWidth - 40, innerHeight - 40)?.closest(".DocSearch-Container") !== null);
    assert.ok(corner, "the search's results reach the corner, nothing of ours over them");
    // Closed: DocSearch removes its modal and the class.
    await page.evaluate(() => {
      document.querySelector(".DocSearch-Container").remove();
      document.body.classList.remove("DocSearch--active");
    });
    await page.waitForSelector(sel.toggle, { state: "visible" });
  } finally {
    await context.close();
  }
});
