// Switching the Docusaurus color mode updates the widget: its chrome (site CSS variables) and
// the theme option sent to ChatKit. Without a `theme` in the config (no `[theme]` key set by the
// maintainer), the colour ChatKit gets is the one the page shows, read in the browser in each mode.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { doubleLog, env, launch, newContext, openReady, REPO, sel, under,
  pageText,
  runtimeConfig,
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
    await switchTo(page, "light");
    await openReady(page);
    // No [theme] key set: the CLI writes no theme, and the accent is the page's in each mode
    // (fixtures/site's custom.css: #2e8555 light, #25c2a0 dark).
    const config = await runtimeConfig(page);
    assert.equal(config.theme, undefined);
    const light = await chrome(page);
    let options = (await doubleLog(page)).options.at(-1);
    assert.equal(options.theme.colorScheme, "light");
    assert.equal(options.theme.color.accent.primary, "#2e8555");

    const calls = (await doubleLog(page)).options.length;
    await switchTo(page, "dark");
    await page.waitForFunction((n) => window.__chatkitDouble.options.length > n, calls);
    const dark = await chrome(page);
    options = (await doubleLog(page)).options.at(-1);
    assert.equal(options.theme.colorScheme, "dark");
    assert.equal(options.theme.color.accent.primary, "#25c2a0");
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
 * Serves the site module with `theme` as its config's `theme`, as the CLI writes it when the
 * maintainer set only those `[theme]` keys (tests/it/theme.rs holds the CLI to that).
 */
async function setThemeKeys(context, theme) {
  await context.route(/\/chatkit\/site\.[0-9a-f]{8}\.js$/, async (route) => {
    const response = await route.fetch();
    const config = JSON.parse((await response.text()).replace(/^export default /, "").replace(/;$/, ""));
    config.theme = theme;
    await route.fulfill({ response, body: `export default ${JSON.stringify(config)};` });
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
    const page = await context.newPage();
    const { light, dark } = await themesIn(page, under(env.course, "docs/intro"));
    assert.equal((await runtimeConfig(page)).theme, undefined);
    // The brand orange of fixtures/site-course is on its buttons, links and banner only;
    // Infima's --ifm-color-primary stays the stock blue, so reading that variable would be wrong.
    const site = await page.evaluate(() => ({
      primary: getComputedStyle(document.documentElement).getPropertyValue("--ifm-color-primary").trim(),
      banner: getComputedStyle(document.querySelector(".theme-announcement-bar")).backgroundColor,
      font: getComputedStyle(document.body).fontFamily,
    }));
    assert.equal(site.primary.toLowerCase(), "#3578e5");
    assert.equal(hexOf(site.banner), "#f97316", "the page shows the orange");
    // The widget's own accent (its focus rings, the panel's Retry) is the orange too once the
    // panel is there, not Infima's blue that widget.css names.
    const ownAccent = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--cki-accent").trim());
    assert.equal(ownAccent.toLowerCase(), "#f97316");
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
    await setThemeKeys(context, { accent: "#123456", radius: "pill" });
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

// --- the toggle: the accent ChatKit gets, as the reader sees it ---

/**
 * The colour the reader sees on the toggle, between its edge and the icon: a pixel of a
 * screenshot (so whatever paints it, the toggle or what it holds), as #rrggbb. The pointer is
 * moved away first (hover darkens the toggle).
 */
async function toggleShows(page) {
  await page.mouse.move(1, 1);
  const box = await page.locator(sel.toggle).boundingBox();
  const png = await page.screenshot({ clip: { x: box.x + box.width / 2, y: box.y + 8, width: 1, height: 1 } });
  return page.evaluate(async (data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const [r, g, b] = context.getImageData(0, 0, 1, 1).data;
    return "#" + [r, g, b].map((n) => n.toString(16).padStart(2, "0")).join("");
  }, png.toString("base64"));
}

/** Waits (the site's buttons fade their colour on a light/dark switch) until the toggle shows `hex`. */
async function toggleBecomes(page, hex, what) {
  let shown = "";
  for (let i = 0; i < 30; i++) {
    shown = await toggleShows(page);
    if (shown === hex) return;
    await page.waitForTimeout(100);
  }
  assert.equal(shown, hex, what);
}

/**
 * Runs in the page before anything else: records what the toggle's accent layer (its
 * `a.button--primary`) computes at the moment the loader inserts the toggle, before any frame
 * can show it: the colour must be right from the start, not set by a script later.
 */
function recordFirstColour() {
  new MutationObserver((records, observer) => {
    const toggle = document.getElementById("chatkit-inject-toggle");
    if (!toggle) return;
    observer.disconnect();
    const layer = toggle.querySelector("a");
    window.__toggleAtInsert = layer ? getComputedStyle(layer).backgroundColor : "no layer";
  }).observe(document, { childList: true, subtree: true });
}

async function toggleColours(url, { route } = {}) {
  const context = await newContext(browser, { colorScheme: "light" });
  try {
    await context.addInitScript(recordFirstColour);
    if (route) await context.route(/\/chatkit\/widget\.[0-9a-f]+\.css$/, route);
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('html[data-has-hydrated="true"]');
    const first = await page.evaluate(() => window.__toggleAtInsert);
    await switchTo(page, "light");
    return { page, context, first };
  } catch (error) {
    await context.close();
    throw error;
  }
}

test("site-course, no [theme] key: the toggle shows the site's orange, as ChatKit gets it, in light and dark from the first frame", async () => {
  const { page, context, first } = await toggleColours(under(env.course, "docs/intro"));
  try {
    // Infima's --ifm-color-primary stays the stock blue there: the toggle must not show it.
    assert.match(first, /^rgb/, "the toggle holds its accent layer");
    assert.equal(hexOf(first), "#f97316", "the colour when the toggle is inserted");
    await toggleBecomes(page, "#f97316", "light");
    await switchTo(page, "dark");
    await toggleBecomes(page, "#f97316", "dark");
    // ChatKit gets the same colour on this page (the panel reads the same button).
    await openReady(page);
    assert.equal((await doubleLog(page)).options.at(-1).theme.color.accent.primary, "#f97316");
  } finally {
    await context.close();
  }
});

test("fixtures/site, no [theme] key: the toggle shows the site's green in each mode", async () => {
  const { page, context, first } = await toggleColours(under(env.site, "docs/intro"));
  try {
    assert.equal(hexOf(first), "#2e8555");
    await toggleBecomes(page, "#2e8555", "light");
    await switchTo(page, "dark");
    await toggleBecomes(page, "#25c2a0", "dark");
  } finally {
    await context.close();
  }
});

/** The widget CSS the CLI writes for site-course with `theme` as its `[theme]` section. */
function cssFor(theme) {
  const work = mkdtempSync(path.join(tmpdir(), "chatkit-e2e-theme-"));
  try {
    const site = path.join(work, "site");
    cpSync(path.join(REPO, "fixtures", "site-course"), site, { recursive: true });
    const toml = path.join(work, "chatkit.toml");
    writeFileSync(toml, `[profiles.dev]\nbackend-url = "http://127.0.0.1:9"\n\n[theme]\n${theme}`);
    execFileSync(env.cli, [site, "--config", toml], { cwd: work, stdio: "pipe" });
    const name = readdirSync(path.join(site, "chatkit")).find((f) => /^widget\.[0-9a-f]+\.css$/.test(f));
    assert.ok(name, "the CLI wrote a widget CSS");
    return readFileSync(path.join(site, "chatkit", name), "utf8");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

test("site-course with [theme] accent and accent-dark: the maintainer's colours win on the toggle", async () => {
  // The widget CSS the CLI writes for that config, served in place of the page's own.
  const css = cssFor('accent = "#123456"\naccent-dark = "#654321"\n');
  const { page, context } = await toggleColours(under(env.course, "docs/intro"), {
    route: (route) => route.fulfill({ contentType: "text/css", body: css }),
  });
  try {
    await toggleBecomes(page, "#123456", "light: [theme] accent, not the site's orange");
    await switchTo(page, "dark");
    await toggleBecomes(page, "#654321", "dark: [theme] accent-dark");
  } finally {
    await context.close();
  }
});

test("site-course with [theme] accent only: the toggle shows it in light mode and the page's orange in dark, as the panel does", async () => {
  const css = cssFor('accent = "#123456"\n');
  const { page, context } = await toggleColours(under(env.course, "docs/intro"), {
    route: (route) => route.fulfill({ contentType: "text/css", body: css }),
  });
  try {
    await toggleBecomes(page, "#123456", "light: [theme] accent");
    await switchTo(page, "dark");
    await toggleBecomes(page, "#f97316", "dark: no accent-dark set, the page's button colour");
  } finally {
    await context.close();
  }
});
