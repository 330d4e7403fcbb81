// Hostile config strings: a site injected by the release CLI with a title, greeting, placeholder
// and prompts full of markup, comment delimiters, quotes, backslashes, line separators, emoji and
// right-to-left text. Nothing of it may run, the page keeps exactly its elements plus ours, and
// every string reaches the reader exactly as written. And URLs that are not http(s) are refused.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  chat,
  doubleLog,
  env,
  injectedCopy,
  launch,
  newContext,
  openReady,
  REPO,
  runtimeConfig,
  sel,
  startBackend,
  transcript,
  under,
  waitForReply,
} from "../lib/harness.mjs";

// Every would-be payload sets window.__pwned (and most also call alert, which fires 'dialog').
const HOSTILE = {
  title: `Help </script><script>window.__pwned=1;alert(1)</script> --> "q" 'a' \\ 🇫🇷 مساعد`,
  greeting:
    `<!-- Hello --> "double" 'single' \`tick\` back\\slash \\n \\u003c <img src=x onerror="window.__pwned=2;alert(2)">` +
    ` {{ 7*7 }} \u2028line\u2029para 👩🏽‍💻 🏳️‍🌈 🇯🇵 مرحبا بك في الكتاب שלום לכולם`,
  placeholder: `Ask… </textarea><script>window.__pwned=3</script> ]]> -- > \u2028 'x' "y" \\ سؤال`,
  prompts: [
    {
      label: `</script><svg onload="window.__pwned=4;alert(4)"> 👨‍👩‍👧 עברית`,
      prompt: `Explain <!-- this --> & "that" 'now' \\ \u2029 </script><script>window.__pwned=5</script> 🇺🇦 العربية`,
    },
    { label: `--><!-- <iframe src="javascript:window.top.__pwned=6">`, prompt: `Quiz me "<b>bold</b>" \\\\ 🧑‍🚀` },
  ],
};

/** A TOML basic string holding `text` exactly, in ASCII (\u / \U escapes for the rest). */
function tomlString(text) {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0);
    if (char === '"' || char === "\\") out += "\\" + char;
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code <= 0xffff) out += "\\u" + code.toString(16).padStart(4, "0");
    else out += "\\U" + code.toString(16).padStart(8, "0");
  }
  return out + '"';
}

function hostileToml(backendUrl) {
  const prompts = HOSTILE.prompts.map((p) => `  { label = ${tomlString(p.label)}, prompt = ${tomlString(p.prompt)} },`);
  return [
    "[widget]",
    `title = ${tomlString(HOSTILE.title)}`,
    `greeting = ${tomlString(HOSTILE.greeting)}`,
    `placeholder = ${tomlString(HOSTILE.placeholder)}`,
    "prompts = [",
    ...prompts,
    "]",
    "",
    "[profiles.dev]",
    `backend-url = ${tomlString(backendUrl)}`,
    "",
  ].join("\n");
}

let browser;
let work;
let site;
let server;
let backendServer;

before(async () => {
  let backendPort;
  ({ work, site, server, backendPort } = await injectedCopy("hostile", hostileToml));
  cpSync(path.join(REPO, "fixtures", "site"), path.join(work, "original"), { recursive: true });
  backendServer = await startBackend(backendPort, [new URL(site).origin]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await backendServer?.stop();
  server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A page of the hostile site that records dialogs; the payloads would open one. */
async function hostilePage(context) {
  const page = await context.newPage();
  const dialogs = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.dialogs = dialogs;
  return page;
}

/** The user messages of the page's thread, as the backend stored them (read with its session). */
async function storedUserTexts(page, backendUrl) {
  const { secret, thread } = await page.evaluate(() => ({
    secret: JSON.parse(sessionStorage.getItem("chatkit-inject:session")).clientSecret,
    thread: sessionStorage.getItem("chatkit-inject:thread"),
  }));
  const response = await fetch(backendUrl + "/chatkit", {
    method: "POST",
    headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
    body: JSON.stringify({ type: "items.list", params: { thread_id: thread, order: "asc", limit: 100 } }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).data.filter((i) => i.type === "user_message").map((i) => i.content[0].text);
}

async function assertNothingRan(page) {
  // Long enough for an <img src=x> to fail and any onerror/onload to fire.
  await page.waitForTimeout(500);
  assert.deepEqual(page.dialogs, [], "no dialog opened");
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "no injected script ran");
}

/**
 * What the injection added to a served page, element by element: the page's elements (tag, id,
 * src, href, rel, type) as parsed by the browser, minus those of the original page.
 */
async function addedElements(page, injectedHtml, originalHtml) {
  return page.evaluate(
    ([injected, original]) => {
      const signatures = (html) =>
        [...new DOMParser().parseFromString(html, "text/html").querySelectorAll("*")].map((el) =>
          [el.localName, el.id, el.getAttribute("src"), el.getAttribute("href"), el.getAttribute("rel"), el.getAttribute("type")].join("|"),
        );
      const remaining = new Map();
      for (const s of signatures(original)) remaining.set(s, (remaining.get(s) ?? 0) + 1);
      const added = [];
      for (const s of signatures(injected)) {
        if (remaining.get(s) > 0) remaining.set(s, remaining.get(s) - 1);
        else added.push(s);
      }
      const removed = [...remaining].filter(([, n]) => n > 0).map(([s]) => s);
      return { added, removed };
    },
    [injectedHtml, originalHtml],
  );
}

for (const [kind, relative, file] of [
  ["home page", "", "index.html"],
  ["doc page", "docs/intro", "docs/intro/index.html"],
]) {
  test(`hostile config strings on the ${kind}: the page holds exactly our three elements more, and nothing runs`, async () => {
    const injected = readFileSync(path.join(work, "site", file), "utf8");
    const original = readFileSync(path.join(work, "original", file), "utf8");
    for (const payload of ["<script>window.__pwned", "<img src=x", "<svg onload", "<iframe src=", "<!-- Hello", "</textarea>"]) {
      assert.ok(!injected.includes(payload), `no raw ${payload} in the page's HTML`);
    }
    const context = await newContext(browser);
    try {
      const page = await hostilePage(context);
      await page.goto(under(site, relative));
      await assertNothingRan(page);
      await page.waitForSelector(sel.toggle, { state: "visible" });
      const { added, removed } = await addedElements(page, injected, original);
      assert.deepEqual(removed, [], "no element of the page was lost");
      assert.equal(added.length, 3, `exactly three elements added: ${JSON.stringify(added)}`);
      assert.ok(added.some((s) => /^link\|\|\|\/chatkit\/widget\.[0-9a-f]+\.css\|stylesheet\|/.test(s)), JSON.stringify(added));
      assert.ok(added.includes("script|chatkit-inject-config||||application/json"), JSON.stringify(added));
      assert.ok(added.some((s) => /^script\|\|\/chatkit\/loader\.[0-9a-f]+\.js\|\|\|/.test(s)), JSON.stringify(added));

      // In the live page: one of each of ours, and the config parses back to the strings as written.
      const live = await page.evaluate(() => ({
        configs: document.querySelectorAll("#chatkit-inject-config").length,
        toggles: document.querySelectorAll("#chatkit-inject-toggle").length,
        panels: document.querySelectorAll("#chatkit-inject-panel").length,
        config: JSON.parse(document.getElementById("chatkit-inject-config").textContent),
        toggleLabel: document.getElementById("chatkit-inject-toggle").getAttribute("aria-label"),
        panelLabel: document.getElementById("chatkit-inject-panel").getAttribute("aria-label"),
      }));
      assert.deepEqual([live.configs, live.toggles, live.panels], [1, 1, 1]);
      // The page config holds the title; the rest is in the site module.
      assert.equal(live.config.title, HOSTILE.title);
      live.config = await runtimeConfig(page);
      assert.equal(live.config.title, HOSTILE.title);
      assert.equal(live.config.greeting, HOSTILE.greeting);
      assert.equal(live.config.placeholder, HOSTILE.placeholder);
      assert.deepEqual(live.config.prompts, HOSTILE.prompts);
      assert.equal(live.toggleLabel, HOSTILE.title, "the toggle's label is the title, verbatim");
      assert.equal(live.panelLabel, HOSTILE.title);
      // The panel module builds the header on first open.
      await page.click(sel.toggle);
      const title = page.locator(`${sel.panel} .chatkit-inject-title`);
      await title.waitFor({ state: "attached" });
      assert.equal(await title.textContent(), HOSTILE.title, "the panel header shows the title as text");
      await assertNothingRan(page);
    } finally {
      await context.close();
    }
  });
}

test("hostile config strings in the open widget: shown verbatim as text, a prompt is sent and stored exactly, nothing runs", async () => {
  const context = await newContext(browser);
  try {
    const page = await hostilePage(context);
    await page.goto(under(site, "docs/intro"));
    await openReady(page);
    const frame = await chat(page).frame();
    const shown = await frame.evaluate(() => {
      const root = document.querySelector(".root");
      return {
        greeting: root.querySelector("[data-greeting]")?.textContent,
        placeholder: root.querySelector("textarea").getAttribute("placeholder"),
        prompts: [...root.querySelectorAll("[data-prompt]")].map((b) => b.textContent),
        // Anything the strings could have become if parsed as markup.
        markup: root.querySelectorAll("script, img, svg, iframe, b").length,
      };
    });
    assert.equal(shown.greeting, HOSTILE.greeting, "the greeting, verbatim");
    assert.equal(shown.placeholder, HOSTILE.placeholder, "the placeholder, verbatim");
    assert.deepEqual(shown.prompts, HOSTILE.prompts.map((p) => p.label), "the prompt labels, verbatim");
    assert.equal(shown.markup, 0, "no markup came out of the strings");
    const options = (await doubleLog(page)).options.at(-1);
    assert.deepEqual(
      options.header,
      { title: { text: HOSTILE.title }, rightAction: { icon: "close", onClick: "[function]" } },
      "one title: ChatKit's header has it, with the close action",
    );
    assert.equal(await chat(page).title().textContent(), HOSTILE.title, "ChatKit's header shows the title verbatim");
    await page.locator(`${sel.panel} .chatkit-inject-header`).waitFor({ state: "hidden" });
    assert.equal(options.frameTitle, HOSTILE.title);
    assert.deepEqual(options.startScreen, { greeting: HOSTILE.greeting, prompts: HOSTILE.prompts });
    assert.equal(options.composer.placeholder, HOSTILE.placeholder);
    assert.equal(await page.locator(sel.panel).getAttribute("aria-label"), HOSTILE.title);

    // A starter prompt is sent as written and comes back as written.
    const before = await chat(page).assistant().count();
    await chat(page).prompt().first().click();
    const reply = await waitForReply(page, before);
    assert.match(reply, /You asked 1 question so far/);
    const stored = await storedUserTexts(page, backendServer.url);
    assert.deepEqual(stored, [HOSTILE.prompts[0].prompt], "stored by the backend as written");
    const messages = await transcript(page);
    assert.equal(messages.find((m) => m.role === "user")?.text, HOSTILE.prompts[0].prompt, "rendered as sent");
    const sent = (await doubleLog(page)).requests.find((r) => r.type === "threads.create");
    assert.equal(sent.params.input.content[0].text, HOSTILE.prompts[0].prompt, "sent as written");
    await assertNothingRan(page);
    assert.equal(await page.locator(sel.error).count(), 0);
  } finally {
    await context.close();
  }
});

test("URLs that are not http(s) are refused by the CLI with a clear message, and no page is touched", () => {
  const root = path.join(work, "refused");
  cpSync(path.join(REPO, "fixtures", "site"), root, { recursive: true });
  const page = path.join(root, "index.html");
  const pageBefore = readFileSync(page);
  const cases = [
    ["profiles.dev.backend-url", "javascript:alert(1)"],
    ["profiles.dev.backend-url", "JavaScript:alert(document.domain)//http://x"],
    ["profiles.dev.backend-url", "data:text/html,<script>alert(1)</script>"],
    ["profiles.dev.backend-url", "vbscript:msgbox(1)"],
    ["profiles.dev.backend-url", "file:///etc/passwd"],
    ["profiles.dev.backend-url", " javascript:alert(1)"],
    ["widget.script-url", "javascript:alert(1)"],
    ["widget.script-url", "data:text/javascript,alert(1)"],
  ];
  for (const [key, url] of cases) {
    const toml =
      key === "widget.script-url"
        ? `[widget]\nscript-url = ${tomlString(url)}\n`
        : `[profiles.dev]\nbackend-url = ${tomlString(url)}\n`;
    const config = path.join(work, "refused.toml");
    writeFileSync(config, toml);
    const run = spawnSync(env.cli, [root, "--config", config], { cwd: work, encoding: "utf8" });
    const said = `${run.stdout}${run.stderr}`;
    assert.equal(run.status, 2, `${url}: exit 2 (config error), got ${run.status}: ${said}`);
    assert.ok(said.includes(`\`${key}\``), `${url}: the message names ${key}: ${said}`);
    assert.match(said, /http:\/\/ or https:\/\//, `${url}: the message says what is expected: ${said}`);
    assert.ok(said.includes(JSON.stringify(url).slice(1, -1)) || said.includes(url.trim()), `${url}: the message quotes the value: ${said}`);
    assert.deepEqual(readFileSync(page), pageBefore, `${url}: the page is unchanged`);
    assert.equal(existsSync(path.join(root, "chatkit")), false, `${url}: no widget files written`);
  }
});
