// The panel at 320, 375, 768, 1280 and 2560 px wide: inside the viewport, at most 400x600 px
// where there is room, the toggle still clickable. Screenshots go to artifacts/.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { artifact, env, launch, newContext, openReady, sel, under } from "../lib/harness.mjs";

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
      await openReady(page);
      await page.waitForTimeout(300); // any opening transition
      const panel = await page.locator(sel.panel).boundingBox();
      await page.screenshot({ path: artifact(`size-${width}x${height}.png`) });

      assert.ok(panel.x >= 0 && panel.y >= 0, `panel starts inside: ${JSON.stringify(panel)}`);
      assert.ok(panel.x + panel.width <= width + 0.5, `panel fits the width: ${JSON.stringify(panel)}`);
      assert.ok(panel.y + panel.height <= height + 0.5, `panel fits the height: ${JSON.stringify(panel)}`);
      assert.ok(panel.width <= 400.5 && panel.height <= 600.5, `panel at most 400x600: ${JSON.stringify(panel)}`);
      if (width >= 480) assert.ok(panel.width >= 300, `panel is usable: ${JSON.stringify(panel)}`);
      else assert.ok(panel.width >= width - 48, `full width minus margins on a phone: ${JSON.stringify(panel)}`);
      if (height >= 700) assert.ok(panel.height >= 400, `panel is tall enough: ${JSON.stringify(panel)}`);

      // ChatKit gets a real box inside the panel.
      const chat = await page.locator(sel.chatkit).boundingBox();
      assert.ok(chat.width > 200 && chat.height > 150, `chat area: ${JSON.stringify(chat)}`);
      assert.ok(chat.y + chat.height <= panel.y + panel.height + 0.5, "the chat stays inside the panel");
      const composer = await page.locator(sel.composer).boundingBox();
      assert.ok(composer.y + composer.height <= height, "the composer is on screen");

      // The toggle is on screen and nothing covers it: a click closes the panel.
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
      await page.waitForSelector(sel.panel, { state: "hidden" });
    } finally {
      await context.close();
    }
  });
}
