// A site built with baseUrl '/textbook/': assets under /textbook/chatkit/, the widget works.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chat, env, launch, newContext, openReady, sel, under, waitForReply } from "../lib/harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("a site under /textbook/: the widget loads from /textbook/chatkit/ and works", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const failed = [];
    page.on("response", (r) => {
      if (r.status() >= 400 && r.url().startsWith(new URL(env.textbook).origin)) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(under(env.textbook, "docs/intro/"));
    await page.waitForSelector(sel.toggle, { state: "visible", timeout: 2_000 });
    const assets = await page.evaluate(() =>
      [...document.querySelectorAll("[data-chatkit-inject][src], [data-chatkit-inject][href]")].map((e) => e.getAttribute("src") ?? e.getAttribute("href")),
    );
    assert.ok(assets.length >= 2, JSON.stringify(assets));
    for (const url of assets) assert.match(url, /^\/textbook\/chatkit\/(widget|loader)\.[0-9a-f]{8}\.(css|js)$/);
    const config = JSON.parse(await page.locator("#chatkit-inject-config").textContent());
    assert.match(config.panelUrl, /^\/textbook\/chatkit\/panel\.[0-9a-f]{8}\.js$/);

    await openReady(page);
    const before = await chat(page).assistant().count();
    await chat(page).composer().fill("Hello from the textbook");
    await chat(page).send().click();
    const reply = await waitForReply(page, before);
    assert.match(reply, /\(\/textbook\/docs\/intro\/\)/);
    assert.match(reply, /You asked 1 question/);
    assert.deepEqual(failed, []);
  } finally {
    await context.close();
  }
});
