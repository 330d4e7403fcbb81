// The test double itself, held to what the real ChatKit loader does at its boundary (DOUBLE.md):
// request headers, the stream retry policy, JSON errors, event order, paging. Each test loads the
// double alone into an empty page and gives it an `api.fetch` scripted in the page, so these
// behaviours are checked exactly, apart from the widget and the backend.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chat, DOUBLE_SOURCE, env, FRAME_URL, launch, newContext } from "../lib/harness.mjs";

let browser;
let context;
before(async () => {
  browser = await launch();
  context = await newContext(browser);
});
after(async () => {
  await context?.close();
  await browser?.close();
});

/**
 * A page with the double and one `<openai-chatkit>` whose `api.fetch` answers from
 * `window.answers` (a list of functions `(request) => Response | throw`), recording each request
 * on `window.calls` as {type, params, headers}.
 */
async function doublePage() {
  const page = await context.newPage();
  // An http origin (the backend's; its page is replaced), so the frame on the CDN host is
  // cross-origin and can address the page by its origin, as the real one does.
  await page.goto(new URL("/healthz", env.backend).href);
  await page.setContent("<!doctype html><html><body></body></html>");
  await page.addScriptTag({ content: DOUBLE_SOURCE });
  await page.evaluate(() => {
    window.calls = [];
    window.answers = [];
    window.sse = (frames) => {
      const text = frames.map((f) => (f.id ? `id: ${f.id}\n` : "") + `data: ${JSON.stringify(f.data)}\n\n`).join("");
      return new Response(text, { headers: { "Content-Type": "text/event-stream" } });
    };
    window.reply = (text) =>
      window.sse([
        { data: { type: "thread.created", thread: { id: "thr_1" } } },
        { data: { type: "thread.item.done", item: { id: "msg_1", type: "assistant_message", content: [{ type: "output_text", text }] } } },
      ]);
    const element = document.createElement("openai-chatkit");
    element.style.cssText = "display: block; width: 400px; height: 500px";
    document.body.append(element);
    element.setOptions({
      api: {
        url: "https://backend.invalid/chatkit",
        domainKey: "local-dev",
        fetch: async (url, init) => {
          const body = JSON.parse(init.body);
          window.calls.push({ type: body.type, params: body.params, headers: { ...init.headers }, at: performance.now() });
          const answer = window.answers.shift();
          if (!answer) throw new TypeError("no scripted answer");
          return answer({ body, init });
        },
      },
    });
    window.element = element;
  });
  await page.waitForFunction(() => window.__chatkitDouble.events.some((e) => e.name === "chatkit.ready"));
  return page;
}

const events = (page) => page.evaluate(() => window.__chatkitDouble.events.map((e) => e.name).filter((n) => n !== "chatkit.ready"));

test("streams ask for text/event-stream; JSON requests do not; response.start fires once the stream is open", async () => {
  const page = await doublePage();
  try {
    await page.evaluate(() => {
      window.answers.push(() => {
        window.startedAtAnswer = window.__chatkitDouble.events.some((e) => e.name === "chatkit.response.start");
        return window.reply("Hello");
      });
      return window.element.sendUserMessage({ text: "Hi" });
    });
    await page.waitForFunction(() => window.__chatkitDouble.events.some((e) => e.name === "chatkit.response.end"));
    const calls = await page.evaluate(() => window.calls);
    assert.equal(calls[0].type, "threads.create");
    assert.equal(calls[0].headers.Accept, "text/event-stream");
    assert.equal(calls[0].headers["Last-Event-ID"], undefined);
    assert.equal(await page.evaluate(() => window.startedAtAnswer), false, "no response.start before the answer");
    assert.deepEqual(await events(page), ["chatkit.response.start", "chatkit.thread.change", "chatkit.response.end"]);

    await page.evaluate(() => {
      window.answers.push(() => new Response(JSON.stringify({ id: "thr_1", items: { data: [], has_more: false, after: null } }), { headers: { "Content-Type": "application/json" } }));
      return window.element.setThreadId("thr_1");
    });
    const json = (await page.evaluate(() => window.calls)).at(-1);
    assert.equal(json.type, "threads.get_by_id");
    assert.equal(json.headers.Accept, undefined);
  } finally {
    await page.close();
  }
});

test("a 5xx stream answer is retried five times with the real backoff (1 s x 2^n, at most 10 s, 50-100 %), then fails; 4xx and a thrown fetch at once", async () => {
  const page = await doublePage();
  try {
    // Two 503s, then the stream: two retries, about 1-2 s and 2-4 s.
    await page.evaluate(() => {
      const down = () => new Response("{}", { status: 503, statusText: "Service Unavailable" });
      window.answers.push(down, down, () => window.reply("Back"));
      return window.element.sendUserMessage({ text: "Retry me" });
    });
    await page.waitForFunction(() => window.__chatkitDouble.events.some((e) => e.name === "chatkit.response.end"), null, { timeout: 15_000 });
    const retries = await page.evaluate(() => window.__chatkitDouble.retries);
    assert.deepEqual(retries.map((r) => r.status), [503, 503]);
    assert.ok(retries[0].delay >= 1000 && retries[0].delay <= 2000, JSON.stringify(retries));
    assert.ok(retries[1].delay >= 2000 && retries[1].delay <= 4000, JSON.stringify(retries));
    const calls = await page.evaluate(() => window.calls);
    assert.equal(calls.length, 3);
    assert.ok(calls[1].at - calls[0].at >= 1000 && calls[2].at - calls[1].at >= 2000, "it waited between attempts");
    assert.deepEqual(await events(page), ["chatkit.response.start", "chatkit.thread.change", "chatkit.response.end"]);

    // A 4xx: no retry, chatkit.error alone (the response never started).
    await page.evaluate(() => {
      window.__chatkitDouble.events.length = 0;
      window.answers.push(() => new Response('{"message":"too long"}', { status: 413, statusText: "Payload Too Large" }));
      return window.element.sendUserMessage({ text: "x" });
    });
    await page.waitForFunction(() => window.__chatkitDouble.events.some((e) => e.name === "chatkit.error"));
    assert.deepEqual(await events(page), ["chatkit.error"]);
    assert.equal((await page.evaluate(() => window.calls)).length, 4);

    // A fetch that throws: no retry either.
    await page.evaluate(() => {
      window.__chatkitDouble.events.length = 0;
      window.answers.push(() => {
        throw new TypeError("Failed to fetch");
      });
      return window.element.sendUserMessage({ text: "y" });
    });
    await page.waitForFunction(() => window.__chatkitDouble.events.some((e) => e.name === "chatkit.error"));
    assert.deepEqual(await events(page), ["chatkit.error"]);
    assert.equal((await page.evaluate(() => window.calls)).length, 5);
    assert.equal((await page.evaluate(() => window.__chatkitDouble.retries)).length, 2);
  } finally {
    await page.close();
  }
});

test("the backoff itself: 5 retries, delays within 1-2, 2-4, 4-8, 5-10, 5-10 s (sampled in the page)", async () => {
  const page = await doublePage();
  try {
    // The whole policy takes 17-34 s; the clock is Playwright's, so it runs in an instant.
    await page.clock.install();
    await page.evaluate(() => {
      const down = () => new Response("{}", { status: 502, statusText: "Bad Gateway" });
      for (let i = 0; i < 6; i++) window.answers.push(down);
      void window.element.sendUserMessage({ text: "Never" });
    });
    for (let i = 0; i < 6; i++) await page.clock.runFor(10_000);
    await page.waitForFunction(() => window.__chatkitDouble.events.some((e) => e.name === "chatkit.error"));
    const retries = await page.evaluate(() => window.__chatkitDouble.retries.map((r) => r.delay));
    assert.equal(retries.length, 5, JSON.stringify(retries));
    const ranges = [[1000, 2000], [2000, 4000], [4000, 8000], [5000, 10000], [5000, 10000]];
    retries.forEach((delay, i) => assert.ok(delay >= ranges[i][0] && delay <= ranges[i][1], `retry ${i + 1}: ${delay} ms`));
    assert.equal((await page.evaluate(() => window.calls)).length, 6);
    const error = await page.evaluate(() => window.__chatkitDouble.events.find((e) => e.name === "chatkit.error").detail.error);
    assert.match(error, /Streaming failed: Bad Gateway/);
    assert.deepEqual(await events(page), ["chatkit.error"]);
  } finally {
    await page.close();
  }
});

test("a JSON request is made once; a failure is an error with the body's message, else the status text", async () => {
  const page = await doublePage();
  try {
    await page.evaluate(() => {
      window.answers.push(() => new Response('{"message":"Thread not found"}', { status: 404, statusText: "Not Found" }));
      return window.element.setThreadId("thr_gone");
    });
    await page.evaluate(() => {
      window.answers.push(() => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
      return window.element.setThreadId("thr_gone");
    });
    const errors = await page.evaluate(() => window.__chatkitDouble.events.filter((e) => e.name === "chatkit.error").map((e) => e.detail.error));
    assert.deepEqual(errors, ["HttpError: Thread not found", "HttpError: Bad Gateway"]);
    assert.equal((await page.evaluate(() => window.calls)).length, 2, "no retry");
  } finally {
    await page.close();
  }
});

test("a reply failing mid-stream: start, then end and error (error last by default)", async () => {
  const page = await doublePage();
  try {
    await page.evaluate(() => {
      window.answers.push(() =>
        window.sse([
          { data: { type: "thread.created", thread: { id: "thr_1" } } },
          { data: { type: "error", code: "stream.error", allow_retry: true } },
        ]),
      );
      return window.element.sendUserMessage({ text: "Half" });
    });
    await page.waitForFunction(() => window.__chatkitDouble.events.some((e) => e.name === "chatkit.error"));
    assert.deepEqual(await events(page), ["chatkit.response.start", "chatkit.thread.change", "chatkit.response.end", "chatkit.error"]);
  } finally {
    await page.close();
  }
});

test("a page hidden mid-stream drops the request and reconnects when visible, with Last-Event-ID", async () => {
  const page = await doublePage();
  try {
    await page.evaluate(() => {
      window.answers.push(({ init }) => {
        const body = new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('id: evt_7\ndata: {"type":"thread.created","thread":{"id":"thr_1"}}\n\n'));
            init.signal.addEventListener("abort", () => controller.error(new DOMException("aborted", "AbortError")));
          },
        });
        return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
      });
      window.answers.push(() => window.reply("Again"));
      void window.element.sendUserMessage({ text: "Hide me" });
    });
    await page.waitForFunction(() => window.calls.length === 1 && window.__chatkitDouble.events.some((e) => e.name === "chatkit.thread.change"));
    await page.evaluate(() => {
      const set = (hidden) => {
        Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
        document.dispatchEvent(new Event("visibilitychange"));
      };
      set(true);
      set(false);
    });
    await page.waitForFunction(() => window.__chatkitDouble.events.some((e) => e.name === "chatkit.response.end"));
    const calls = await page.evaluate(() => window.calls);
    assert.equal(calls.length, 2);
    assert.equal(calls[0].headers["Last-Event-ID"], undefined);
    assert.equal(calls[1].headers["Last-Event-ID"], "evt_7");
    assert.equal(calls[1].headers.Accept, "text/event-stream");
    assert.deepEqual(calls[1].params, calls[0].params, "the same request again");
    assert.equal((await events(page)).filter((n) => n === "chatkit.response.start").length, 1);
  } finally {
    await page.close();
  }
});

test("a thread is loaded page by page: threads.get_by_id's items, then items.list after each cursor while has_more", async () => {
  const page = await doublePage();
  try {
    await page.evaluate(async () => {
      const item = (n) => ({ id: `it_${n}`, type: n % 2 ? "user_message" : "assistant_message", content: [{ type: "input_text", text: `item ${n}` }] });
      const json = (body) => new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" } });
      const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => item(a + i));
      window.answers.push(
        () => json({ id: "thr_long", title: null, items: { data: range(1, 20), has_more: true, after: "it_20" } }),
        () => json({ data: range(21, 40), has_more: true, after: "it_40" }),
        () => json({ data: range(41, 45), has_more: false, after: "it_45" }),
      );
      await window.element.setThreadId("thr_long");
    });
    const calls = await page.evaluate(() => window.calls.map((c) => ({ type: c.type, params: c.params })));
    assert.deepEqual(calls, [
      { type: "threads.get_by_id", params: { thread_id: "thr_long" } },
      { type: "items.list", params: { thread_id: "thr_long", order: "asc", after: "it_20", limit: 20 } },
      { type: "items.list", params: { thread_id: "thr_long", order: "asc", after: "it_40", limit: 20 } },
    ]);
    const texts = (await chat(page).transcript()).map((m) => m.text);
    assert.deepEqual(texts, Array.from({ length: 45 }, (_, i) => `item ${i + 1}`));
  } finally {
    await page.close();
  }
});

test("the UI is in a cross-origin iframe from the CDN host, in an open shadow root; the first options travel in its hash, functions replaced", async () => {
  const page = await doublePage();
  try {
    const src = await page.evaluate(() => window.element.shadowRoot.querySelector("iframe").src);
    assert.ok(src.startsWith(FRAME_URL + "#"), src);
    const hash = src.slice(src.indexOf("#") + 1);
    const boot = JSON.parse(Buffer.from(hash, "base64url").toString("utf8"));
    assert.equal(boot.referrer, new URL(env.backend).origin);
    assert.equal(boot.options.api.url, "https://backend.invalid/chatkit");
    assert.equal(boot.options.api.fetch, "[ChatKitMethod]");
    // Nothing of the UI is in the page: the composer is only reachable through the frame.
    assert.equal(await page.evaluate(() => window.element.shadowRoot.querySelector("textarea")), null);
    const frame = await chat(page).frame();
    assert.equal(new URL(frame.url()).origin, new URL(FRAME_URL).origin);
    assert.notEqual(new URL(frame.url()).origin, new URL(page.url()).origin);
    // The page cannot reach into it (cross-origin).
    const blocked = await page.evaluate(() => {
      try {
        return window.element.shadowRoot.querySelector("iframe").contentDocument === null;
      } catch {
        return true;
      }
    });
    assert.ok(blocked, "the page cannot read the frame's document");
    await chat(page).composer().waitFor({ state: "visible" });
  } finally {
    await page.close();
  }
});

test("chatkit.ready bubbles (composed) when the frame has loaded; the other events are dispatched on the element without bubbling", async () => {
  const context2 = await newContext(browser);
  try {
    const page = await context2.newPage();
    await page.goto(new URL("/healthz", env.backend).href);
    await page.setContent("<!doctype html><html><body><div id=outer></div></body></html>");
    await page.addScriptTag({ content: DOUBLE_SOURCE });
    await page.evaluate(() => {
      window.seen = [];
      for (const name of ["chatkit.ready", "chatkit.error"]) {
        document.addEventListener(name, (e) => window.seen.push({ at: "document", name, composed: e.composed }));
      }
      const element = document.createElement("openai-chatkit");
      for (const name of ["chatkit.ready", "chatkit.error"]) element.addEventListener(name, () => window.seen.push({ at: "element", name }));
      document.getElementById("outer").append(element);
      element.setOptions({
        api: { url: "https://backend.invalid/chatkit", domainKey: "local-dev", fetch: async () => new Response('{"message":"gone"}', { status: 404, statusText: "Not Found" }) },
      });
      window.element = element;
    });
    await page.waitForFunction(() => window.seen.some((e) => e.name === "chatkit.ready" && e.at === "document"));
    const loaded = await page.evaluate(() => window.element.dataset.loaded);
    assert.equal(loaded, "true");
    await page.evaluate(() => window.element.setThreadId("thr_gone"));
    await page.waitForFunction(() => window.seen.some((e) => e.name === "chatkit.error"));
    const seen = await page.evaluate(() => window.seen);
    assert.deepEqual(seen, [
      { at: "element", name: "chatkit.ready" },
      { at: "document", name: "chatkit.ready", composed: true },
      { at: "element", name: "chatkit.error" },
    ]);
  } finally {
    await context2.close();
  }
});

test("keys pressed in the frame never reach the page; header.rightAction.onClick runs in the page when the frame reports the click; focusComposer focuses the frame, then the composer", async () => {
  const page = await doublePage();
  try {
    await page.evaluate(() => {
      window.keys = [];
      window.clicks = 0;
      document.addEventListener("keydown", (e) => window.keys.push(e.key), true);
      window.element.setOptions({
        api: { url: "https://backend.invalid/chatkit", domainKey: "local-dev", fetch: async () => new Response("{}") },
        header: { title: { text: "Course help" }, rightAction: { icon: "close", onClick: () => (window.clicks += 1) } },
        composer: { placeholder: "Ask me" },
      });
    });
    const ui = chat(page);
    // Later options go by postMessage.
    await ui.rightAction().waitFor({ state: "visible" });
    assert.equal(await ui.composer().getAttribute("placeholder"), "Ask me");
    assert.equal(await ui.title().textContent(), "Course help");

    await page.evaluate(() => window.element.focusComposer());
    assert.equal(await page.evaluate(() => document.activeElement === window.element), true, "the page's focus is on the element (its frame)");
    const frame = await ui.frame();
    assert.equal(await frame.evaluate(() => document.activeElement?.tagName), "TEXTAREA");

    await page.keyboard.press("Escape");
    await page.keyboard.type("abc");
    assert.equal(await ui.composer().inputValue(), "abc", "the keys went to the composer");
    assert.deepEqual(await page.evaluate(() => window.keys), [], "no key reached the page");

    // From the composer to the header's close action by keyboard, inside the frame.
    await page.keyboard.press("Shift+Tab");
    assert.equal(await frame.evaluate(() => document.activeElement?.getAttribute("data-header-action")), "right");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => window.clicks === 1);
    assert.deepEqual(
      (await page.evaluate(() => window.__chatkitDouble.headerClicks)).map((c) => c.side),
      ["right"],
    );
  } finally {
    await page.close();
  }
});

test("a reply's Markdown links are links (http(s) only, the target as written) that open in a new tab without an opener; a user's text stays text", async () => {
  const page = await doublePage();
  try {
    await page.evaluate(() => {
      const text =
        "See [A \\[b\\]](https://example.org/a#b) and [a path](/docs/x#y); " +
        "[js](javascript:void) and [mail](mailto:a@example.org) stay text.";
      window.answers.push(() =>
        window.sse([
          { data: { type: "thread.created", thread: { id: "thr_1" } } },
          { data: { type: "thread.item.done", item: { id: "usr_1", type: "user_message", content: [{ type: "input_text", text: "[u](https://example.org/u)" }] } } },
          { data: { type: "thread.item.added", item: { id: "msg_1", type: "assistant_message", content: [] } } },
          // Streamed in two pieces, the cut inside the first link.
          { data: { type: "thread.item.updated", item_id: "msg_1", update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: text.slice(0, 12) } } },
          { data: { type: "thread.item.updated", item_id: "msg_1", update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: text.slice(12) } } },
        ]),
      );
      return window.element.sendUserMessage({ text: "[u](https://example.org/u)" });
    });
    const ui = chat(page);
    const links = ui.assistant().last().locator("a");
    const seen = await links.evaluateAll((nodes) =>
      nodes.map((a) => ({ text: a.textContent, href: a.getAttribute("href"), resolved: a.href, target: a.target, rel: a.rel })),
    );
    assert.deepEqual(seen, [
      { text: "A [b]", href: "https://example.org/a#b", resolved: "https://example.org/a#b", target: "_blank", rel: "noopener noreferrer" },
      // A path resolves against the frame's document, on the CDN host, not against the page.
      { text: "a path", href: "/docs/x#y", resolved: "https://cdn.platform.openai.com/docs/x#y", target: "_blank", rel: "noopener noreferrer" },
    ]);
    assert.equal(
      await ui.assistant().last().textContent(),
      "See A [b] and a path; [js](javascript:void) and [mail](mailto:a@example.org) stay text.",
    );
    assert.equal(await ui.user().last().locator("a").count(), 0);
    assert.equal(await ui.user().last().textContent(), "[u](https://example.org/u)");

    const pageUrl = page.url();
    const [tab] = await Promise.all([context.waitForEvent("page"), links.nth(1).click()]);
    await tab.waitForURL("https://cdn.platform.openai.com/docs/x#y");
    assert.equal(await tab.evaluate(() => window.opener), null);
    assert.equal(page.url(), pageUrl, "the page stays");
    await tab.close();
  } finally {
    await page.close();
  }
});
