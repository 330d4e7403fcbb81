// First open: one session request, ChatKit initialised and ready within 1 s, greeting and an
// empty composer.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  backend,
  chat,
  count,
  doubleLog,
  env,
  launch,
  newContext,
  openReady,
  pageText,
  recordMetric,
  runtimeConfig,
  sel,
  under,
  waitForEvent,
  waitForReply,
} from "../lib/harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// Three fresh readers, for three samples of the timings.
for (const run of [1, 2, 3]) test(`first open (reader ${run}): one session request, ChatKit ready within 1 s, greeting and an empty composer`, async () => {
  await backend.reset();
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(under(env.site, "docs/intro"));
    await page.waitForSelector(sel.toggle, { state: "visible" });

    const sessionResponse = page.waitForResponse((r) => r.url() === env.backend + "/api/chatkit/session");
    const clickedAt = await page.evaluate(() => performance.now());
    await page.click(sel.toggle);
    const session = await sessionResponse;
    assert.equal(session.status(), 200);
    await waitForEvent(page, "chatkit.ready", 1, 5_000);
    const log = await doubleLog(page);
    const readyAt = log.events.find((e) => e.name === "chatkit.ready").at;
    const openToReady = readyAt - clickedAt;
    recordMetric("open-to-ready", openToReady);
    const timing = session.request().timing();
    recordMetric("session", timing.responseEnd);
    assert.ok(openToReady < 1_000, `ChatKit ready ${Math.round(openToReady)} ms after the click`);

    // Exactly one session request, none to /chatkit yet (nothing to load).
    const stats = await backend.stats();
    assert.equal(count(stats, "/api/chatkit/session"), 1, JSON.stringify(stats));
    assert.equal(count(stats, "/chatkit"), 0, JSON.stringify(stats));

    // ChatKit got the self-hosted api form and our texts.
    const config = await runtimeConfig(page);
    assert.equal(log.options.length >= 1, true);
    const options = log.options.at(-1);
    assert.equal(options.api.url, config.backendUrl + config.chatPath);
    assert.equal(options.api.domainKey, config.domainKey);
    assert.equal(options.api.fetch, "[function]");
    assert.equal(options.startScreen.greeting, pageText(config, "greeting"));

    await chat(page).greeting().waitFor({ state: "visible" });
    assert.equal(await chat(page).greeting().textContent(), pageText(config, "greeting"));
    assert.equal(await chat(page).composer().inputValue(), "");
    // One title, one close control: ChatKit's header has both; the panel's own header is hidden.
    assert.equal(await chat(page).title().textContent(), config.title);
    assert.ok(await chat(page).rightAction().isVisible(), "ChatKit's close action shows");
    await page.locator(`${sel.panel} .chatkit-inject-header`).waitFor({ state: "hidden" });
    assert.equal(await page.locator(sel.toggle).getAttribute("aria-expanded"), "true");
    assert.equal(await page.locator(sel.error).count(), 0);
    assert.equal(await chat(page).doubleError().count(), 0);
  } finally {
    await context.close();
  }
});

test("the page language reaches ChatKit's locale and the backend's page context", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const headers = [];
    page.on("request", (r) => {
      if (r.url() === env.backend + "/chatkit") headers.push(r.headers()["x-chatkit-page"]);
    });
    await page.goto(under(env.site, "fr/docs/intro"));
    assert.equal(await page.locator("html").getAttribute("lang"), "fr");
    await openReady(page);
    const options = (await doubleLog(page)).options.at(-1);
    assert.equal(options.locale, "fr");
    const before = await chat(page).assistant().count();
    await chat(page).composer().fill("Bonjour, où suis-je ?");
    await chat(page).send().click();
    const reply = await waitForReply(page, before);
    const pageContext = JSON.parse(headers[0]);
    assert.equal(pageContext.lang, "fr");
    assert.equal(pageContext.path, "/fr/docs/intro");
    assert.match(reply, /\(\/fr\/docs\/intro\), language fr\./);
    assert.match(reply, /"Bonjour, où suis-je \?"/);
  } finally {
    await context.close();
  }
});
