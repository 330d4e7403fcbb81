// Placement next to launchers that draw their floating button in a shadow root (web-component
// "Ask AI" buttons, chat launchers): the toggle is lifted above them as above the site's own
// fixed elements (src/placement.ts). The launchers are added at test time, after load, the way
// such widgets mount themselves: a static custom element appended to <body> whose button, fixed
// in the bottom right corner, is rendered into its shadow root later, with no change in <body> then. Clicks are real mouse clicks at a point of the screen.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { artifact, env, launch, newContext, sel, stableBox, under } from "../lib/harness.mjs";

/** Gap (px) the toggle keeps above what it clears, and the step of its probe of a closed root. */
const GAP = 8;
const STEP = 8;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function open(page, url) {
  await page.goto(url);
  await page.waitForSelector("html[data-has-hydrated=true]", { state: "attached", timeout: 15_000 });
  await page.waitForSelector(sel.toggle, { state: "visible", timeout: 10_000 });
  await page.waitForLoadState("load");
  return stableBox(page, sel.toggle);
}

/**
 * Mounts a launcher: `<ask-ai-launcher>` appended to <body> now, its fixed 60 px round button
 * (bottom right, 20 px from the edges) rendered into its shadow root `delay` ms later. A click on
 * the button counts in `window.launcherClicks`; `window.launcherBox()` gives the button's box
 * (the test's own handle: a closed root is not reachable from the page).
 */
function mountLauncher(page, mode, delay = 1500) {
  return page.evaluate(
    ([mode, delay]) => {
      window.launcherClicks = 0;
      const host = document.createElement("ask-ai-launcher");
      document.body.append(host);
      const root = host.attachShadow({ mode });
      setTimeout(() => {
        root.innerHTML =
          "<style>div{position:fixed;right:20px;bottom:20px;z-index:1000}button{display:block;width:60px;height:60px;border-radius:50%;border:0;background:#222;color:#fff}</style>" +
          "<div><button type=button>AI</button></div>";
        const button = root.querySelector("button");
        button.addEventListener("click", () => window.launcherClicks++);
        window.launcherBox = () => {
          const r = button.getBoundingClientRect();
          return { x: r.x, y: r.y, width: r.width, height: r.height };
        };
      }, delay);
    },
    [mode, delay],
  );
}

const centre = (box) => ({ x: box.x + box.width / 2, y: box.y + box.height / 2 });

/** Waits until the launcher is drawn and the toggle has moved (or not) and stopped. */
async function settleAfterLauncher(page) {
  await page.waitForFunction(() => typeof window.launcherBox === "function", null, { timeout: 5_000 });
  // One frame for the check, the toggle's transition, and the one-second re-check.
  await page.waitForTimeout(1_300);
  return { toggle: await stableBox(page, sel.toggle), launcher: await page.evaluate(() => window.launcherBox()) };
}

/** Real clicks: the launcher's centre reaches the launcher, the toggle's opens the panel. */
async function assertBothClickable(page, toggle, launcher) {
  const topmost = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.localName, centre(launcher));
  assert.equal(topmost, "ask-ai-launcher", "the launcher (its host, from the page) is on top at its centre");
  let { x, y } = centre(launcher);
  await page.mouse.click(x, y);
  assert.equal(await page.evaluate(() => window.launcherClicks), 1, "a click at the launcher's centre reaches it");

  const onToggle = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.closest("#chatkit-inject-toggle") !== null, centre(toggle));
  assert.ok(onToggle, "the toggle is on top at its centre");
  ({ x, y } = centre(toggle));
  await page.mouse.click(x, y);
  await page.waitForSelector(sel.panel, { state: "visible", timeout: 5_000 });
  assert.equal(await page.evaluate(() => window.launcherClicks), 1, "the toggle's click did not reach the launcher");
}

// An open root is watched, so its button may come any time; a closed one cannot be watched: its
// button is seen by the re-check a second after its host came in (or at the next change of <body>).
for (const [mode, delay, slack] of [
  ["open", 1500, 1],
  ["closed", 300, STEP + 1],
]) {
  test(`a launcher in a ${mode} shadow root, drawn ${delay} ms after its host came in, after load, in the bottom right: the toggle goes above it, both clickable`, async () => {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      const before = await open(page, under(env.site, "docs/intro"));
      const viewport = page.viewportSize();
      assert.ok(before.x + before.width > viewport.width - 100 && before.y + before.height > viewport.height - 100, `in the corner first: ${JSON.stringify(before)}`);

      await mountLauncher(page, mode, delay);
      const { toggle, launcher } = await settleAfterLauncher(page);
      await page.screenshot({ path: artifact(`placement-${mode}-shadow.png`) });
      const gap = launcher.y - (toggle.y + toggle.height);
      assert.ok(gap >= GAP - 0.5 && gap <= GAP + slack, `the toggle ${JSON.stringify(toggle)} is ${GAP} px above the launcher ${JSON.stringify(launcher)} (gap ${gap})`);
      assert.equal(toggle.x, before.x, "the toggle stays on the right");
      await assertBothClickable(page, toggle, launcher);
    } finally {
      await context.close();
    }
  });
}

test("the Urdu page (dir=rtl): the toggle stays bottom left, whatever is in a shadow root bottom right", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const before = await open(page, under(env.course, "ur/docs/intro"));
    assert.equal(await page.locator("html").getAttribute("dir"), "rtl");
    const viewport = page.viewportSize();
    assert.ok(before.x < viewport.width / 2, `bottom left: ${JSON.stringify(before)}`);
    const lift = await page.evaluate(() => document.documentElement.style.getPropertyValue("--cki-lift"));

    await mountLauncher(page, "open");
    const { toggle, launcher } = await settleAfterLauncher(page);
    await page.evaluate(() => {
      const host = document.createElement("ask-ai-launcher");
      document.body.append(host);
      host.attachShadow({ mode: "closed" }).innerHTML =
        "<div style='position:fixed;right:20px;bottom:100px;width:60px;height:60px;background:#444'></div>";
    });
    await page.waitForTimeout(1_300);
    assert.deepEqual(await stableBox(page, sel.toggle), toggle, "the closed one moves nothing either");
    assert.deepEqual(toggle, before, "the toggle did not move");
    assert.equal(await page.evaluate(() => document.documentElement.style.getPropertyValue("--cki-lift")), lift);
    assert.ok(launcher.x > viewport.width / 2, `the launcher is on the right: ${JSON.stringify(launcher)}`);
  } finally {
    await context.close();
  }
});

test("a third-party chat launcher in an iframe (as Intercom, Crisp or Tawk mount theirs), at our own z-index, injected seconds after load: the toggle goes above it, both clickable", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const before = await open(page, under(env.site, "docs/intro"));
    // Their script comes late, then appends a fixed iframe to <body>, later in the page than ours
    // and at the same z-index (so it would be drawn over the toggle where they overlap).
    await page.evaluate(() => {
      window.launcherClicks = 0;
      setTimeout(() => {
        const frame = document.createElement("iframe");
        frame.title = "Chat launcher";
        frame.style.cssText = "position:fixed;right:20px;bottom:20px;width:60px;height:60px;border:0;border-radius:50%;z-index:2147483000;background:#222";
        frame.srcdoc = "<body style='margin:0'><button style='width:60px;height:60px;border:0;border-radius:50%;background:#222;color:#fff'>Chat</button>";
        frame.addEventListener("load", () => frame.contentDocument.querySelector("button").addEventListener("click", () => window.launcherClicks++));
        document.body.append(frame);
      }, 2_000);
    });
    await page.waitForFunction(() => document.querySelector("iframe[title='Chat launcher']")?.contentDocument?.querySelector("button"), null, { timeout: 5_000 });
    await page.waitForTimeout(300);
    const toggle = await stableBox(page, sel.toggle);
    const launcher = await page.locator("iframe[title='Chat launcher']").boundingBox();
    const gap = launcher.y - (toggle.y + toggle.height);
    assert.ok(gap >= GAP - 0.5 && gap <= GAP + 1, `the toggle ${JSON.stringify(toggle)} is ${GAP} px above the launcher ${JSON.stringify(launcher)} (gap ${gap})`);
    assert.equal(toggle.x, before.x, "the toggle stays on the right");

    // Real clicks: the launcher's centre reaches its button inside the iframe, the toggle's opens the panel.
    let { x, y } = centre(launcher);
    await page.mouse.click(x, y);
    await page.waitForFunction(() => window.launcherClicks === 1, null, { timeout: 2_000 });
    ({ x, y } = centre(toggle));
    await page.mouse.click(x, y);
    await page.waitForSelector(sel.panel, { state: "visible", timeout: 5_000 });
    assert.equal(await page.evaluate(() => window.launcherClicks), 1, "the toggle's click did not reach the launcher");
  } finally {
    await context.close();
  }
});
