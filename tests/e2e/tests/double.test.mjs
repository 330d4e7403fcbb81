// The test double itself, held to what the real ChatKit loader does at its boundary (DOUBLE.md):
// request headers, the stream retry policy, JSON errors, event order, paging. Each test loads the
// double alone into an empty page and gives it an `api.fetch` scripted in the page, so these
// behaviours are checked exactly, apart from the widget and the backend.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DOUBLE_SOURCE, launch, newContext } from "../lib/harness.mjs";

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
    const texts = await page.evaluate(() => [...window.element.shadowRoot.querySelectorAll("[data-role]")].map((n) => n.textContent));
    assert.deepEqual(texts, Array.from({ length: 45 }, (_, i) => `item ${i + 1}`));
  } finally {
    await page.close();
  }
});
