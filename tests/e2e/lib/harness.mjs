// Shared harness of the end-to-end tests: the browser, the ChatKit double, the backend's
// fault switches and counters, page helpers, and the metrics file.
//
// The `run` script starts the servers and passes their addresses in the environment:
//   E2E_SITE_URL       the fixture site (baseUrl /), e.g. http://127.0.0.1:41234/
//   E2E_TEXTBOOK_URL   the fixture site built with baseUrl /textbook/, e.g. http://127.0.0.1:41235/textbook/
//   E2E_BACKEND_URL    the reference backend (CHATKIT_FAULTS=1), on another port
//   E2E_DOWN_SITE_URL  the site injected with a backend port where nothing listens yet
//   E2E_DOWN_PORT      that port; the "backend down" test starts a backend there
//   E2E_DOWN_ORIGINS   the site origins that backend allows
//   E2E_COURSE_URL     fixtures/site-course (baseUrl /, en + ur, its own chat button), config with
//                      nothing but the backend URL
//   E2E_COURSE_REPLACES_URL  site-course injected with `[widget] replaces = [".course-chat-button"]`
//                      (E2E_COURSE_REPLACES_ERROR: the CLI's output when it refused that config)
//   E2E_HANDBOOK_URL   fixtures/site-handbook (baseUrl /handbook/, launcher + bottom bar), config
//                      with nothing but the backend URL
//   E2E_BACKEND_DIR, E2E_PYTHON  how to start a backend
//   E2E_TLS_KEY, E2E_TLS_CERT    the self-signed certificate of the local ChatKit CDN stand-in
//   E2E_CLI            the release chatkit-inject that injected the sites

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const E2E_DIR = path.resolve(here, "..");
export const ARTIFACTS = path.join(E2E_DIR, "artifacts");
export const DOUBLE_SOURCE = readFileSync(path.join(E2E_DIR, "chatkit-double.js"), "utf8");
export const SCRIPT_URL = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js";

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with tests/e2e/run`);
  return value;
}

export const env = {
  get site() {
    return need("E2E_SITE_URL");
  },
  get textbook() {
    return need("E2E_TEXTBOOK_URL");
  },
  get backend() {
    return need("E2E_BACKEND_URL");
  },
  get downSite() {
    return need("E2E_DOWN_SITE_URL");
  },
  get downPort() {
    return Number(need("E2E_DOWN_PORT"));
  },
  get course() {
    return need("E2E_COURSE_URL");
  },
  get courseReplaces() {
    const refused = process.env.E2E_COURSE_REPLACES_ERROR;
    if (refused) throw new Error(`chatkit-inject refused [widget] replaces: ${refused}`);
    return need("E2E_COURSE_REPLACES_URL");
  },
  get handbook() {
    return need("E2E_HANDBOOK_URL");
  },
  /** The release CLI that `run` built and injected the sites with. */
  get cli() {
    return need("E2E_CLI");
  },
};

/** The repository's root (fixtures/, target/). */
export const REPO = path.resolve(E2E_DIR, "..", "..");

const BUILT_IN_STRINGS = JSON.parse(readFileSync(path.join(REPO, "templates", "strings.json"), "utf8"));

/**
 * What the widget shows for `key` on a page with this runtime config: the page's own value
 * (`greeting`/`placeholder`, or `strings[key]`), else the built-in translation its `locale` names,
 * else English (docs/architecture.md, "Runtime config").
 */
export function pageText(config, key) {
  const own = key === "greeting" || key === "placeholder" ? config[key] : config.strings?.[key];
  return own ?? BUILT_IN_STRINGS[config.locale ?? "en"]?.[key] ?? BUILT_IN_STRINGS.en[key];
}

/**
 * The runtime config of the page as the widget sees it: the page config in
 * `#chatkit-inject-config` and the site module it names (imported in the page, as the loader does;
 * the module map hands back the loader's copy when it already has it), the page's keys winning and
 * `strings` united (docs/architecture.md, "Runtime config").
 */
export async function runtimeConfig(page) {
  return page.evaluate(async () => {
    const own = JSON.parse(document.getElementById("chatkit-inject-config").textContent);
    const site = (await import(new URL(own.siteUrl, document.baseURI).href)).default;
    const combined = { ...site, ...own };
    if (site.strings || own.strings) combined.strings = { ...site.strings, ...own.strings };
    return combined;
  });
}

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];

/** The document of ChatKit's iframe, on the CDN host (the real one is `index-<hash>.html`). */
export const FRAME_URL = "https://cdn.platform.openai.com/deployments/chatkit/index-double.html";

/** The frame's document: the double's frame half, inline (it recognises the frame's URL). */
function frameDocument() {
  if (/<\/script/i.test(DOUBLE_SOURCE)) throw new Error("chatkit-double.js must not contain </script");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ChatKit</title></head><body><script>${DOUBLE_SOURCE}</script></body></html>`;
}

/**
 * The ChatKit script URL's host, faked: an HTTPS server on 127.0.0.1 (self-signed certificate made
 * by `run`) answering the script path with the double's host half and the frame path with its
 * frame document. Chromium resolves the CDN host to it, so the frame is really cross-origin, and
 * no request interception is needed: with a Playwright route active, Playwright itself answers
 * CORS preflights, and the backend's CORS would not really be exercised.
 */
async function startCdn() {
  const server = createHttpsServer(
    { key: readFileSync(need("E2E_TLS_KEY")), cert: readFileSync(need("E2E_TLS_CERT")) },
    (req, res) => {
      const pathname = new URL(req.url, SCRIPT_URL).pathname;
      if (pathname === new URL(SCRIPT_URL).pathname) {
        res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" });
        res.end(DOUBLE_SOURCE);
      } else if (pathname === new URL(FRAME_URL).pathname) {
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
        res.end(frameDocument());
      } else {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      }
    },
  );
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/**
 * Debian's Chromium, each launch with a fresh profile (Playwright makes a temporary user data
 * dir). The ChatKit CDN host resolves to the local double; every other host but 127.0.0.1 fails
 * to resolve (there is no internet here).
 */
export async function launch() {
  const cdn = await startCdn();
  const host = new URL(SCRIPT_URL).hostname;
  const rules = `MAP ${host}:443 127.0.0.1:${cdn.address().port}, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost`;
  const browser = await chromium.launch({
    executablePath: process.env.E2E_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [...CHROMIUM_ARGS, `--host-resolver-rules=${rules}`],
  });
  browser.on("disconnected", () => cdn.close());
  return browser;
}

// Runs in every page before its own scripts: records when the toggle first shows.
function pageProbe() {
  const probe = (window.__e2e = { toggleVisibleAt: null });
  const check = () => {
    const toggle = document.getElementById("chatkit-inject-toggle");
    if (!toggle || probe.toggleVisibleAt !== null) return;
    const box = toggle.getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && getComputedStyle(toggle).visibility !== "hidden") {
      probe.toggleVisibleAt = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true });
}

/**
 * A browser context that trusts the local CDN's certificate and logs every request. `script`
 * "block" or "404" makes the ChatKit script fail (through a route, in that context only).
 */
export async function newContext(browser, { script = "double", ...options } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true, ...options });
  const requests = [];
  context.on("request", (request) => {
    requests.push({ url: request.url(), method: request.method(), at: Date.now() });
  });
  if (script !== "double") {
    await context.route(SCRIPT_URL, (route) =>
      script === "404"
        ? route.fulfill({ status: 404, contentType: "text/plain", body: "not found" })
        : route.abort("blockedbyclient"),
    );
  }
  await context.addInitScript(pageProbe);
  context.requestLog = requests;
  return context;
}

/** Requests of `log` that went to the backend or the ChatKit script URL. */
export function widgetTraffic(log, backend = env.backend) {
  const origin = new URL(backend).origin;
  return log.filter((r) => r.url.startsWith(origin) || r.url === SCRIPT_URL);
}

// --- the backend's fault switches and counters (CHATKIT_FAULTS=1) ---

async function admin(method, pathname, body, base = env.backend) {
  const response = await fetch(new URL(pathname, base), {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${pathname}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

export const backend = {
  faults: (switches, base) => admin("POST", "/__faults", switches, base),
  reset: (base) => admin("POST", "/__faults/reset", undefined, base),
  stats: (base) => admin("GET", "/__stats", undefined, base),
};

/** Count of answers with `status` (or all, `total`) seen by the backend on `pathname`. */
export function count(stats, pathname, status = "total") {
  return stats.requests?.[pathname]?.[status] ?? 0;
}

/**
 * Starts a reference backend on `port` and waits for /healthz; returns a stop function. `extraEnv`
 * adds to its environment (e.g. `{ CHATKIT_CORPUS: file }`).
 */
export async function startBackend(port, allowedOrigins, extraEnv = {}) {
  const python = need("E2E_PYTHON");
  const cwd = need("E2E_BACKEND_DIR");
  const child = spawn(python, ["-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", String(port)], {
    cwd,
    env: { ...process.env, CHATKIT_FAULTS: "1", CHATKIT_ALLOWED_ORIGINS: allowedOrigins.join(","), ...extraEnv },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`backend exited: ${stderr}`);
    try {
      if ((await fetch(url + "/healthz")).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`backend did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", resolve);
        child.kill("SIGTERM");
      }),
  };
}

/** A free TCP port on 127.0.0.1 (for a backend a test starts itself). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Serves `root` with serve.mjs under `base` on a free port; resolves to its URL and a stop function. */
export function serveSite(root, base = "/") {
  const child = spawn(process.execPath, [path.join(E2E_DIR, "serve.mjs"), "--root", root, "--base", base, "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`serve.mjs did not start: ${out}`)), 20_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /listening (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ url: new URL(base, match[1]).href, stop: () => child.kill() });
      }
    });
    child.once("exit", (code) => reject(new Error(`serve.mjs exited (${code}): ${out}`)));
  });
}

/**
 * A site of a test file's own: `fixtures/site` copied into a fresh folder (`work/site`), injected
 * there by the release CLI with the config `toml(backendUrl)` (a backend port is chosen here for
 * the test to start its backend on) and `args`, run's E2E_AFTER_INJECT hook applied (mutations.sh
 * tries the tests against a broken widget), then served. Resolves to `{ work, site, server,
 * backendPort }`; the caller stops the server and removes `work`.
 */
export async function injectedCopy(label, toml, args = []) {
  const work = mkdtempSync(path.join(tmpdir(), `chatkit-e2e-${label}-`));
  cpSync(path.join(REPO, "fixtures", "site"), path.join(work, "site"), { recursive: true });
  const backendPort = await freePort();
  writeFileSync(path.join(work, "chatkit.toml"), toml(`http://127.0.0.1:${backendPort}`));
  const run = spawnSync(env.cli, [path.join(work, "site"), "--config", path.join(work, "chatkit.toml"), ...args], {
    cwd: work,
    encoding: "utf8",
  });
  assert.equal(run.status, 0, `chatkit-inject failed:\n${run.stdout}\n${run.stderr}`);
  if (process.env.E2E_AFTER_INJECT) {
    const hook = spawnSync("bash", ["-c", process.env.E2E_AFTER_INJECT], { env: { ...process.env, E2E_WORK: work }, encoding: "utf8" });
    assert.equal(hook.status, 0, `E2E_AFTER_INJECT failed on the ${label} site: ${hook.stderr}`);
  }
  const server = await serveSite(path.join(work, "site"));
  return { work, site: server.url, server, backendPort };
}

// --- the widget, as a reader sees it ---

export const sel = {
  toggle: "#chatkit-inject-toggle",
  panel: "#chatkit-inject-panel",
  status: "#chatkit-inject-status",
  error: "#chatkit-inject-error",
  /** "Ask about this", under a selection of the page's text. */
  ask: "#chatkit-inject-ask",
  /** The panel's own close button: shown while ChatKit cannot show its UI (loading, failures). */
  ownClose: "#chatkit-inject-panel .chatkit-inject-header .chatkit-inject-close",
  retry: '#chatkit-inject-error button[data-action="retry"]',
  chatkit: "openai-chatkit",
  /** ChatKit's cross-origin iframe, in the element's open shadow root. */
  frame: "openai-chatkit iframe",
};

/** Selectors inside ChatKit's iframe (the double's UI). */
export const inFrame = {
  composer: "textarea",
  send: 'button[data-action="send"]',
  greeting: "[data-greeting]",
  prompt: "[data-prompt]",
  user: '[data-role="user"]',
  assistant: '[data-role="assistant"]',
  message: "[data-role]",
  messages: ".messages",
  doubleError: "[data-double-error]",
  header: "[data-header]",
  title: "[data-title]",
  leftAction: '[data-header-action="left"]',
  rightAction: '[data-header-action="right"]',
};

/**
 * ChatKit's UI as a reader reaches it: inside the iframe of the (only) `<openai-chatkit>` of the
 * page. Locators, so they follow the frame when ChatKit is mounted again:
 * `chat(page).composer().fill("Hi")`, `chat(page).assistant().last()`.
 */
export function chat(page) {
  const frame = page.frameLocator(sel.frame);
  const at = (selector) => () => frame.locator(selector);
  return {
    frameLocator: frame,
    composer: at(inFrame.composer),
    send: at(inFrame.send),
    greeting: at(inFrame.greeting),
    prompt: at(inFrame.prompt),
    user: at(inFrame.user),
    assistant: at(inFrame.assistant),
    messages: at(inFrame.messages),
    doubleError: at(inFrame.doubleError),
    header: at(inFrame.header),
    title: at(inFrame.title),
    leftAction: at(inFrame.leftAction),
    rightAction: at(inFrame.rightAction),
    locator: (selector) => frame.locator(selector),
    /** The frame itself (a Playwright Frame), for `evaluate` inside it; waits for it to load. */
    async frame() {
      const handle = await page.waitForSelector(sel.frame, { state: "attached" });
      const content = await handle.contentFrame();
      if (!content) throw new Error("ChatKit's iframe has no document");
      await content.waitForLoadState("load");
      return content;
    },
    /** The messages shown, in order: {role, text}. */
    async transcript() {
      return frame.locator(inFrame.message).evaluateAll((nodes) =>
        nodes.map((n) => ({ role: n.getAttribute("data-role"), text: n.textContent })),
      );
    },
    /** How many assistant messages show now (0 while there is no frame). */
    async assistantCount() {
      if ((await page.locator(sel.frame).count()) === 0) return 0;
      return frame.locator(inFrame.assistant).count();
    },
  };
}

/** What the double recorded in the page: options, requests, events. */
export function doubleLog(page) {
  return page.evaluate(() => window.__chatkitDouble ?? { options: [], requests: [], events: [], instances: 0 });
}

export async function eventCount(page, name) {
  const log = await doubleLog(page);
  return log.events.filter((e) => e.name === name).length;
}

/** The element's box once it is the same over 200 ms (after any transition). */
export async function stableBox(page, selector) {
  let last = null;
  for (let i = 0; i < 40; i++) {
    const box = await page.locator(selector).boundingBox();
    if (box && last && ["x", "y", "width", "height"].every((k) => Math.abs(box[k] - last[k]) < 0.5)) return box;
    last = box;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector} does not settle: ${JSON.stringify(last)}`);
}

/** Waits until the double has dispatched `name` at least `n` times. */
export async function waitForEvent(page, name, n = 1, timeout = 10_000) {
  try {
    await page.waitForFunction(
      ([name, n]) => (window.__chatkitDouble?.events ?? []).filter((e) => e.name === name).length >= n,
      [name, n],
      { timeout },
    );
  } catch (error) {
    // Say what happened instead: the events ChatKit saw, and any error on screen.
    const seen = await page
      .evaluate(() => ({
        events: (window.__chatkitDouble?.events ?? []).map((e) => e.name + (e.detail?.error ? `(${e.detail.error})` : "")),
        widgetError: document.getElementById("chatkit-inject-error")?.textContent ?? null,
      }))
      .catch(() => null);
    throw new Error(`no ${n}x ${name} within ${timeout} ms; seen: ${JSON.stringify(seen)}`, { cause: error });
  }
}

export async function openPanel(page) {
  await page.click(sel.toggle);
  await page.waitForSelector(sel.panel, { state: "visible" });
}

/** Opens the panel and waits for ChatKit to be ready (the double's `chatkit.ready`). */
export async function openReady(page) {
  await openPanel(page);
  await waitForEvent(page, "chatkit.ready");
  await chat(page).composer().waitFor({ state: "visible" });
}

/** Types `text` in the composer and sends it; returns the number of assistant messages before. */
export async function send(page, text) {
  const ui = chat(page);
  const before = await ui.assistant().count();
  await ui.composer().fill(text);
  await ui.send().click();
  return before;
}

/**
 * Waits for the reply to the message just sent (the response has ended); returns its text.
 * Fails at once, saying why, when the response ended without a new assistant message.
 */
export async function waitForReply(page, before, timeout = 20_000) {
  const ui = chat(page);
  // Settled: the frame shows a new assistant message and is not responding any more, and the page
  // has received every event the frame reported (they cross by postMessage); or an error shows.
  const state = async () => {
    const handle = await page.$(sel.frame);
    const frame = await handle?.contentFrame();
    const inside = (await frame
      ?.evaluate(() => ({
        assistants: document.querySelectorAll('[data-role="assistant"]').length,
        responding: document.querySelector('button[data-action="send"]')?.disabled ?? false,
        emitted: window.__chatkitFrame?.emitted.length ?? 0,
        doubleErrors: [...document.querySelectorAll("[data-double-error]")].map((e) => e.textContent),
      }))
      .catch(() => null)) ?? { assistants: 0, responding: false, emitted: 0, doubleErrors: [] };
    const host = await page.evaluate(() => {
      const instance = document.querySelector("openai-chatkit")?.__doubleInstance;
      const events = (window.__chatkitDouble?.events ?? []).filter((e) => e.instance === instance);
      const count = (name) => events.filter((e) => e.name === name).length;
      return {
        delivered: events.filter((e) => e.name !== "chatkit.ready").length,
        open: count("chatkit.response.start") - count("chatkit.response.end"),
        widgetError: document.getElementById("chatkit-inject-error")?.textContent ?? null,
      };
    });
    return { ...inside, ...host };
  };
  const deadline = Date.now() + timeout;
  let now;
  for (;;) {
    now = await state();
    const settled = now.assistants > before && !now.responding && now.delivered >= now.emitted && now.open === 0;
    if (settled || now.widgetError !== null) break;
    if (Date.now() > deadline) throw new Error(`no reply within ${timeout} ms: ${JSON.stringify(now)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (now.assistants <= before || now.widgetError !== null) {
    throw new Error(`the response ended without a reply: ${JSON.stringify(now)}`);
  }
  return ui.assistant().last().textContent();
}

/** The thread as the backend stored it (the suite's, or `backendUrl`), read with the page's own session. */
export async function storedItems(page, backendUrl = env.backend) {
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
  return (await response.json()).data;
}

/** The visible texts of all messages of the conversation, in order. */
export function transcript(page) {
  return chat(page).transcript();
}

/** Collects console errors and page errors of a page (for "no technical text" checks). */
export function watchConsole(page) {
  const seen = { errors: [], pageErrors: [] };
  page.on("console", (msg) => {
    if (msg.type() === "error") seen.errors.push(msg.text());
  });
  page.on("pageerror", (error) => seen.pageErrors.push(String(error)));
  return seen;
}

// --- errors as the reader sees them ---

/** Words that must never reach the reader: status codes, exception names, protocol jargon. */
export const TECHNICAL = /HTTP|\b[45]\d\d\b|error|exception|TypeError|fetch|undefined|null|stack|JSON|CORS|ECONN|net::/i;

/**
 * Runs in the page (`page.evaluate(watchErrors)`): records on `window.__errorsShown` every error
 * message the widget shows from then on, so a message that only flashes is caught too.
 */
export function watchErrors() {
  const shown = (window.__errorsShown = []);
  const check = () => {
    const box = document.getElementById("chatkit-inject-error");
    if (box && shown.at(-1) !== box.textContent) shown.push(box.textContent);
  };
  new MutationObserver(check).observe(document.body, { childList: true, subtree: true, characterData: true });
}

/** The error messages the widget showed since `watchErrors` ran. */
export function errorsShown(page) {
  return page.evaluate(() => window.__errorsShown);
}

/**
 * Waits for the widget's error message and checks it is plain (no technical words), an alert,
 * and offers Retry; returns its text.
 */
export async function friendlyError(page, pattern, timeout = 15_000) {
  await page.waitForSelector(sel.error, { state: "visible", timeout });
  const text = (await page.locator(`${sel.error} p`).textContent()).trim();
  assert.match(text, pattern);
  assert.doesNotMatch(text, TECHNICAL, "no technical text in the message");
  assert.equal(await page.locator(sel.error).getAttribute("role"), "alert");
  await page.waitForSelector(sel.retry, { state: "visible" });
  return text;
}

// --- metrics ---

const METRICS = path.join(ARTIFACTS, "metrics.json");

/** Appends one measurement (milliseconds) to artifacts/metrics.json. */
export function recordMetric(name, ms, note = "") {
  mkdirSync(ARTIFACTS, { recursive: true });
  let data = { samples: [] };
  try {
    data = JSON.parse(readFileSync(METRICS, "utf8"));
  } catch {
    // first sample
  }
  data.samples.push({ name, ms: Math.round(ms * 10) / 10, note, at: new Date().toISOString() });
  writeFileSync(METRICS, JSON.stringify(data, null, 2) + "\n");
}

export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/** A URL under a site root: `under(env.site, "docs/intro")`. */
export function under(base, relative) {
  return new URL(relative, base).href;
}
