// Switching the Docusaurus color mode updates the widget: its chrome (site CSS variables) and
// the theme option sent to ChatKit.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { doubleLog, env, launch, newContext, openReady, sel, under,
  pageText,
} from "../lib/harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const chrome = (page) =>
  page.evaluate(() => {
    const style = (id) => getComputedStyle(document.getElementById(id));
    const panel = style("chatkit-inject-panel");
    return {
      toggle: style("chatkit-inject-toggle").backgroundColor,
      panelBackground: panel.backgroundColor,
      panelColor: panel.color,
      primary: getComputedStyle(document.documentElement).getPropertyValue("--ifm-color-primary").trim(),
    };
  });

async function switchTo(page, mode) {
  const button = page.locator('nav.navbar button[aria-label*="dark and light mode"]').first();
  for (let i = 0; i < 4; i++) {
    if ((await page.locator("html").getAttribute("data-theme")) === mode) return;
    await button.click();
    await page.waitForTimeout(100);
  }
  assert.fail(`the color mode switch never reached ${mode}`);
}

test("dark mode: the Docusaurus switch updates the widget chrome and the options sent to ChatKit", async () => {
  const context = await newContext(browser, { colorScheme: "light" });
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await page.waitForSelector('html[data-has-hydrated="true"]');
    const config = JSON.parse(await page.locator("#chatkit-inject-config").textContent());
    await switchTo(page, "light");
    await openReady(page);
    const light = await chrome(page);
    let options = (await doubleLog(page)).options.at(-1);
    assert.equal(options.theme.colorScheme, "light");
    assert.equal(options.theme.color.accent.primary.toLowerCase(), config.theme.accent.toLowerCase());

    const calls = (await doubleLog(page)).options.length;
    await switchTo(page, "dark");
    await page.waitForFunction((n) => window.__chatkitDouble.options.length > n, calls);
    const dark = await chrome(page);
    options = (await doubleLog(page)).options.at(-1);
    assert.equal(options.theme.colorScheme, "dark");
    assert.equal(options.theme.color.accent.primary.toLowerCase(), config.theme.accentDark.toLowerCase());
    // The whole option set each time (setOptions does not merge).
    assert.equal(options.api.url, config.backendUrl + config.chatPath);
    assert.equal(options.startScreen.greeting, pageText(config, "greeting"));
    assert.notEqual(dark.toggle, light.toggle, `toggle color follows the mode: ${JSON.stringify({ light, dark })}`);
    assert.notEqual(dark.panelBackground, light.panelBackground, `panel follows the mode: ${JSON.stringify({ light, dark })}`);
    assert.equal(await page.locator("openai-chatkit >> .root").getAttribute("data-color-scheme"), "dark");
    // The same ChatKit instance, re-themed, not a new one.
    assert.equal((await doubleLog(page)).instances, 1);

    await switchTo(page, "light");
    await page.waitForFunction(() => window.__chatkitDouble.options.at(-1).theme.colorScheme === "light");
    assert.deepEqual(await chrome(page), light);
  } finally {
    await context.close();
  }
});
