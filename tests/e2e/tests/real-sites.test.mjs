// The widget on customised textbooks as they are really published (fixtures/site-course and
// fixtures/site-handbook, see fixtures/README.md), injected with a chatkit.toml that holds nothing
// but the backend URL: the sites' own floating chat buttons, fixed navbars, an announcement bar,
// a fixed bottom bar, an RTL locale. Every click here is a real mouse click at a point of the
// screen (page.mouse.click), so whatever covers that point gets it, as a reader's click would.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { artifact, chat, doubleLog, env, launch, newContext, REPO, sel, stableBox, under, waitForEvent, waitForReply } from "../lib/harness.mjs";

const STRINGS = JSON.parse(readFileSync(path.join(REPO, "templates/strings.json"), "utf8"));
const COURSE_BUTTON = ".course-chat-button";
const LAUNCHER = "#hb-bot-launcher";
const NOTICE_BAR = ".hb-notice-bar";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Waits until React has hydrated the page and the widget's toggle has stopped moving. */
async function settle(page) {
  await page.waitForSelector("html[data-has-hydrated=true]", { state: "attached", timeout: 15_000 });
  await page.waitForSelector(sel.toggle, { state: "visible", timeout: 10_000 });
  await stableBox(page, sel.toggle);
}

const centre = (box) => ({ x: box.x + box.width / 2, y: box.y + box.height / 2 });

/** Whether the topmost element at (x, y) is `selector` or inside it; with what is there instead. */
function hitAt(page, selector, { x, y }) {
  return page.evaluate(
    ([selector, x, y]) => {
      const target = document.querySelector(selector);
      const at = document.elementFromPoint(x, y);
      const describe = (e) => (e ? `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : ""}` : "nothing");
      return { ok: !!target && !!at && target.contains(at), at: describe(at) };
    },
    [selector, x, y],
  );
}

async function assertUncovered(page, selector, what) {
  const box = await page.locator(selector).boundingBox();
  assert.ok(box, `${what} is visible`);
  const hit = await hitAt(page, selector, centre(box));
  assert.ok(hit.ok, `${what} is covered at its centre by ${hit.at}`);
  return box;
}

function overlap(a, b) {
  return a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5;
}

/**
 * The one close control once ChatKit is ready (ChatKit's header action, in its frame; the
 * panel's own close button is hidden then): its box, checked to be on top at its centre (the
 * topmost element there is ChatKit's element, which holds the frame, not the site's).
 */
async function assertChatCloseUncovered(page, what) {
  await waitForEvent(page, "chatkit.ready");
  await page.locator(sel.ownClose).waitFor({ state: "hidden" });
  const action = chat(page).rightAction();
  await action.waitFor({ state: "visible" });
  const box = await action.boundingBox();
  const hit = await hitAt(page, sel.chatkit, centre(box));
  assert.ok(hit.ok, `${what} is covered at its centre by ${hit.at}`);
  return box;
}

/** A real click at the centre of the toggle; waits for the panel. */
async function clickToggle(page) {
  const box = await assertUncovered(page, sel.toggle, "the toggle");
  const { x, y } = centre(box);
  await page.mouse.click(x, y);
  await page.waitForSelector(sel.panel, { state: "visible", timeout: 5_000 });
  assert.equal(await page.locator(sel.toggle).getAttribute("aria-expanded"), "true");
}

test("site-course, default config: a real click opens the panel, and the site's own chat button stays visible and clickable", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.course, "docs/intro"));
    await settle(page);
    const viewport = page.viewportSize();

    const own = await assertUncovered(page, COURSE_BUTTON, "the site's own chat button");
    const toggle = await assertUncovered(page, sel.toggle, "the toggle");
    assert.ok(!overlap(toggle, own), `the toggle ${JSON.stringify(toggle)} overlaps the site's button ${JSON.stringify(own)}`);
    // Same corner (bottom right), stacked above the site's button.
    assert.ok(toggle.x + toggle.width > viewport.width - 100, `toggle on the right: ${JSON.stringify(toggle)}`);
    assert.ok(toggle.y + toggle.height <= own.y + 0.5, `toggle above the site's button: ${JSON.stringify({ toggle, own })}`);
    await page.screenshot({ path: artifact("real-course-closed.png") });

    await clickToggle(page);
    const panel = await stableBox(page, sel.panel);
    await page.screenshot({ path: artifact("real-course-open.png") });
    assert.ok(!overlap(panel, own), `the panel ${JSON.stringify(panel)} covers the site's button ${JSON.stringify(own)}`);
    await assertUncovered(page, COURSE_BUTTON, "the site's own chat button, with the panel open");
    // The panel's header is not under the fixed navbar or the announcement bar.
    await assertChatCloseUncovered(page, "the panel's close control");

    // The site's button still works (a real click reaches it: its own panel opens).
    const { x, y } = centre(own);
    await page.mouse.click(x, y);
    await page.waitForSelector(".course-chat-panel", { state: "visible", timeout: 5_000 });
  } finally {
    await context.close();
  }
});

test("site-course, default config: a reader gets an answer", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.course, "docs/intro"));
    await settle(page);
    await clickToggle(page);
    await waitForEvent(page, "chatkit.ready");
    await chat(page).composer().waitFor({ state: "visible" });
    const before = await chat(page).assistant().count();
    await chat(page).composer().fill("What does this chapter cover?");
    await chat(page).send().click();
    const reply = await waitForReply(page, before);
    assert.match(reply, /\(\/docs\/intro\)/, "the backend answered about the page being read");
    assert.match(reply, /You asked 1 question/);
  } finally {
    await context.close();
  }
});

for (const [width, height] of [
  [320, 568],
  [375, 667],
]) {
  test(`site-course at ${width}x${height}: the open panel is a full-screen sheet whose close button a real click reaches; the page behind does not scroll; focus returns to the toggle`, async () => {
    const context = await newContext(browser, { viewport: { width, height }, isMobile: true, hasTouch: true });
    try {
      const page = await context.newPage();
      await page.goto(under(env.course, "docs/intro"));
      await settle(page);
      const own = await assertUncovered(page, COURSE_BUTTON, "the site's own chat button");
      const toggle = await assertUncovered(page, sel.toggle, "the toggle");
      assert.ok(!overlap(toggle, own), `the toggle overlaps the site's button: ${JSON.stringify({ toggle, own })}`);
      const scrollable = await page.evaluate(() => document.scrollingElement.scrollHeight > innerHeight + 200);
      assert.ok(scrollable, "the page is long enough to scroll");

      await clickToggle(page);
      const panel = await stableBox(page, sel.panel);
      await page.screenshot({ path: artifact(`real-course-sheet-${width}x${height}.png`) });
      // Full screen: the whole viewport.
      assert.ok(
        Math.abs(panel.x) < 1 && Math.abs(panel.y) < 1 && Math.abs(panel.width - width) < 1 && Math.abs(panel.height - height) < 1,
        `a full-screen sheet: ${JSON.stringify(panel)}`,
      );
      // Above everything, the fixed announcement bar and navbar included.
      for (const point of [
        { x: width / 2, y: 5 },
        { x: width / 2, y: 60 },
        { x: width - 40, y: height - 40 },
      ]) {
        const hit = await hitAt(page, sel.panel, point);
        assert.ok(hit.ok, `the sheet is covered at ${JSON.stringify(point)} by ${hit.at}`);
      }
      const close = await assertChatCloseUncovered(page, "the close control");
      assert.ok(close.x >= 0 && close.y >= 0 && close.x + close.width <= width && close.y + close.height <= height, `close on screen: ${JSON.stringify(close)}`);
      // Its size is ChatKit's own (the double's button does not imitate the real one's), so no
      // tap-size check here; the panel's own close button, shown while ChatKit cannot, is 40 px.

      // The page behind does not scroll while the sheet is open.
      const scrollBefore = await page.evaluate(() => scrollY);
      await page.mouse.move(width / 2, height / 2);
      await page.mouse.wheel(0, 800);
      await page.waitForTimeout(300);
      assert.equal(await page.evaluate(() => scrollY), scrollBefore, "the page scrolled behind the sheet");
      const locked = await page.evaluate(() =>
        [document.documentElement, document.body].some((e) => ["hidden", "clip"].includes(getComputedStyle(e).overflowY)),
      );
      assert.ok(locked, "the page's scrolling is locked while the sheet is open (touch scrolling too)");

      // A real click on the close button closes the sheet and gives the focus back to the toggle.
      const { x, y } = centre(close);
      await page.mouse.click(x, y);
      await page.waitForSelector(sel.panel, { state: "hidden", timeout: 5_000 });
      assert.equal(await page.evaluate(() => document.activeElement?.id), "chatkit-inject-toggle", "focus is back on the toggle");
      assert.equal(await page.locator(sel.toggle).getAttribute("aria-expanded"), "false");

      // And the page scrolls again (the check above can see scrolling).
      await page.mouse.move(width / 2, height / 2);
      await page.mouse.wheel(0, 800);
      await page.waitForFunction((before) => scrollY > before, scrollBefore, { timeout: 3_000 });
    } finally {
      await context.close();
    }
  });
}

test("replaces: the site's own chat button is hidden on every kind of page, and the toggle works", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    for (const relative of ["", "docs/intro", "blog", "ur/docs/intro"]) {
      await page.goto(under(env.courseReplaces, relative));
      await settle(page);
      assert.equal(await page.locator(COURSE_BUTTON).count(), 1, `${relative || "home"}: the site still renders its button`);
      assert.equal(await page.locator(COURSE_BUTTON).isVisible(), false, `${relative || "home"}: the old bot is hidden`);
      assert.equal(await page.locator(COURSE_BUTTON).evaluate((e) => getComputedStyle(e).display), "none");
    }
    await page.goto(under(env.courseReplaces, "docs/intro"));
    await settle(page);
    await clickToggle(page);
  } finally {
    await context.close();
  }
});

test("replaces: with JavaScript disabled, the CSS alone hides the old bot (and without replaces it shows)", async () => {
  const context = await newContext(browser, { javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(under(env.course, "docs/intro"));
    assert.equal(await page.locator(COURSE_BUTTON).isVisible(), true, "without replaces, the server-rendered button shows");
    await page.goto(under(env.courseReplaces, "docs/intro"));
    assert.equal(await page.locator(COURSE_BUTTON).count(), 1, "the server-rendered button is in the page");
    assert.equal(await page.locator(COURSE_BUTTON).isVisible(), false, "the injected stylesheet hides it");
  } finally {
    await context.close();
  }
});

test("the Urdu page (dir=rtl): the toggle sits bottom left, and the toggle, panel and ChatKit speak Urdu", async () => {
  const ur = STRINGS.ur;
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    // The English page first: bottom right, English strings (the control).
    await page.goto(under(env.course, "docs/intro"));
    await settle(page);
    const viewport = page.viewportSize();
    const en = await page.locator(sel.toggle).boundingBox();
    assert.ok(en.x + en.width > viewport.width - 100, `English page: bottom right: ${JSON.stringify(en)}`);
    assert.equal(await page.locator(sel.toggle).getAttribute("aria-label"), STRINGS.en.title);

    await page.goto(under(env.course, "ur/docs/intro"));
    assert.equal(await page.locator("html").getAttribute("dir"), "rtl");
    assert.equal(await page.locator("html").getAttribute("lang"), "ur");
    await settle(page);
    const toggle = await assertUncovered(page, sel.toggle, "the toggle");
    assert.ok(toggle.x < 100 && toggle.y + toggle.height > viewport.height - 140, `bottom left: ${JSON.stringify(toggle)}`);
    assert.equal(await page.locator(sel.toggle).getAttribute("aria-label"), ur.title);
    await page.screenshot({ path: artifact("real-course-ur.png") });

    await clickToggle(page);
    assert.equal(await page.locator(sel.ownClose).getAttribute("aria-label"), ur.close);
    assert.equal(await page.locator(sel.panel).evaluate((e) => getComputedStyle(e).direction), "rtl", "the panel follows the page's direction");
    const panel = await page.locator(sel.panel).boundingBox();
    assert.ok(panel.x < viewport.width / 2, `the panel opens on the left: ${JSON.stringify(panel)}`);
    await waitForEvent(page, "chatkit.ready");
    const options = (await doubleLog(page)).options.at(-1);
    assert.equal(options.locale, "ur");
    assert.equal(options.startScreen?.greeting, ur.greeting);
    assert.equal(options.composer?.placeholder, ur.placeholder);
  } finally {
    await context.close();
  }
});

for (const [width, height] of [
  [1280, 800],
  [375, 667],
]) {
  test(`site-handbook at ${width}x${height}: the toggle sits above the bottom bar and the launcher without covering them`, async () => {
    const context = await newContext(browser, { viewport: { width, height } });
    try {
      const page = await context.newPage();
      await page.goto(under(env.handbook, "docs/intro/"));
      await settle(page);
      const launcher = await assertUncovered(page, LAUNCHER, "the site's launcher");
      const bar = await page.locator(NOTICE_BAR).boundingBox();
      assert.ok(bar && bar.width >= width - 1, `the notice bar spans the window: ${JSON.stringify(bar)}`);
      const toggle = await assertUncovered(page, sel.toggle, "the toggle");
      await page.screenshot({ path: artifact(`real-handbook-${width}x${height}.png`) });
      assert.ok(!overlap(toggle, launcher), `the toggle overlaps the launcher: ${JSON.stringify({ toggle, launcher })}`);
      assert.ok(!overlap(toggle, bar), `the toggle overlaps the bottom bar: ${JSON.stringify({ toggle, bar })}`);
      assert.ok(toggle.y + toggle.height <= Math.min(launcher.y, bar.y) + 0.5, `the toggle is above both: ${JSON.stringify({ toggle, launcher, bar })}`);
      // The bar is the bar right under the toggle too (nothing of ours there).
      const under_ = await hitAt(page, NOTICE_BAR, { x: centre(toggle).x, y: bar.y + bar.height / 2 });
      const hitLauncher = await hitAt(page, LAUNCHER, { x: centre(toggle).x, y: bar.y + bar.height / 2 });
      assert.ok(under_.ok || hitLauncher.ok, `the bottom bar below the toggle is covered by ${under_.at}`);

      await clickToggle(page);
      if (width > 480) {
        const panel = await stableBox(page, sel.panel);
        assert.ok(!overlap(panel, launcher), `the panel covers the launcher: ${JSON.stringify({ panel, launcher })}`);
        assert.ok(!overlap(panel, bar), `the panel covers the bottom bar: ${JSON.stringify({ panel, bar })}`);
        await assertUncovered(page, LAUNCHER, "the site's launcher, with the panel open");
        await assertChatCloseUncovered(page, "the panel's close control");
      } else {
        await assertChatCloseUncovered(page, "the sheet's close control");
      }
      await waitForEvent(page, "chatkit.ready");
    } finally {
      await context.close();
    }
  });
}
