// Switching the Docusaurus color mode updates the widget: its chrome (site CSS variables) and
// the theme option sent to ChatKit. Without a `theme` in the config (no `[theme]` key set by the
// maintainer), the colour ChatKit gets is the one the page shows, read in the browser in each mode.

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

// By keyboard: on site-course the open panel, lifted above the site's own chat button, covers the
// switch at the right end of the navbar.
async function switchTo(page, mode) {
  const button = page.locator('nav.navbar button[aria-label*="dark and light mode"]').first();
  for (let i = 0; i < 4; i++) {
    if ((await page.locator("html").getAttribute("data-theme")) === mode) return;
    await button.press("Enter");
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

/**
 * Runs in the page before the loader: sets the config's `theme` to `theme` (removes it when
 * undefined), as the CLI writes it when the maintainer set only those `[theme]` keys (today's CLI
 * also writes the values it derives from the site's CSS). The document is parsed by then
 * (`readystatechange` to "interactive" comes before deferred scripts run).
 */
function setThemeKeys(theme) {
  document.addEventListener("readystatechange", () => {
    if (document.readyState !== "interactive") return;
    const element = document.getElementById("chatkit-inject-config");
    if (!element) return;
    const config = JSON.parse(element.textContent);
    if (theme === undefined) delete config.theme;
    else config.theme = theme;
    element.textContent = JSON.stringify(config);
  });
}

/** The theme option ChatKit received last, after the panel opened or the mode switched to `mode`. */
async function themeAfter(page, mode) {
  await page.waitForFunction((mode) => window.__chatkitDouble?.options.at(-1)?.theme?.colorScheme === mode, mode);
  return (await doubleLog(page)).options.at(-1).theme;
}

async function themesIn(page, url) {
  await page.goto(url);
  await page.waitForSelector('html[data-has-hydrated="true"]');
  await switchTo(page, "light");
  await openReady(page);
  const light = await themeAfter(page, "light");
  await switchTo(page, "dark");
  const dark = await themeAfter(page, "dark");
  return { light, dark };
}

const hexOf = (rgb) =>
  "#" + rgb.match(/\d+/g).slice(0, 3).map((n) => Number(n).toString(16).padStart(2, "0")).join("");

test("site-course, no [theme] key: ChatKit gets the site's orange (set outside Infima) in light and dark", async () => {
  const context = await newContext(browser, { colorScheme: "light" });
  try {
    await context.addInitScript(setThemeKeys, undefined);
    const page = await context.newPage();
    const { light, dark } = await themesIn(page, under(env.course, "docs/intro"));
    // The brand orange of fixtures/site-course is on its buttons, links and banner only;
    // Infima's --ifm-color-primary stays the stock blue, so reading that variable would be wrong.
    const site = await page.evaluate(() => ({
      primary: getComputedStyle(document.documentElement).getPropertyValue("--ifm-color-primary").trim(),
      banner: getComputedStyle(document.querySelector(".theme-announcement-bar")).backgroundColor,
      font: getComputedStyle(document.body).fontFamily,
    }));
    assert.equal(site.primary.toLowerCase(), "#3578e5");
    assert.equal(hexOf(site.banner), "#f97316", "the page shows the orange");
    for (const [mode, theme] of Object.entries({ light, dark })) {
      assert.equal(theme.color.accent.primary, "#f97316", `${mode}: ${JSON.stringify(theme)}`);
      assert.equal(theme.radius, "round", `${mode}: Infima's 0.4rem`);
      assert.equal(theme.typography.fontFamily, site.font, `${mode}: the body's font`);
    }
    assert.equal((await doubleLog(page)).instances, 1);
  } finally {
    await context.close();
  }
});

test("fixtures/site, no [theme] key: ChatKit gets --ifm-color-primary as the page resolves it in each mode", async () => {
  const context = await newContext(browser, { colorScheme: "light" });
  try {
    await context.addInitScript(setThemeKeys, undefined);
    const page = await context.newPage();
    const { light, dark } = await themesIn(page, under(env.site, "docs/intro"));
    // fixtures/site's custom.css: #2e8555 light, #25c2a0 dark.
    assert.equal(light.color.accent.primary, "#2e8555");
    assert.equal(dark.color.accent.primary, "#25c2a0");
  } finally {
    await context.close();
  }
});

test("a [theme] key the maintainer set wins; the keys left out are read from the page", async () => {
  const context = await newContext(browser, { colorScheme: "light" });
  try {
    await context.addInitScript(setThemeKeys, { accent: "#123456", radius: "pill" });
    const page = await context.newPage();
    const { light, dark } = await themesIn(page, under(env.course, "docs/intro"));
    assert.equal(light.color.accent.primary, "#123456");
    assert.equal(light.radius, "pill");
    assert.equal(dark.color.accent.primary, "#f97316", "no accent-dark set: the page's");
    assert.equal(dark.radius, "pill");
  } finally {
    await context.close();
  }
});
