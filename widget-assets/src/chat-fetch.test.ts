import { describe, expect, it, vi } from "vitest";
import { createChatFetch, questionOf, type SecretSource } from "./chat-fetch";
import { BackendUnavailableError, classifyError, RequestRefusedError, SessionRefusedError } from "./errors";
import type { PageContext } from "./page-context";
import { DEFAULT_POLICY, type RetryPolicy } from "./retry";
import { fakeFetch, json } from "./testing/fake-backend";

const CHAT = "http://localhost:8000/chatkit";
const instant: RetryPolicy = { ...DEFAULT_POLICY, sleep: async () => undefined };

/** A secret source that hands out s1, s2, … and records what it was asked. */
function secrets(): SecretSource & { calls: Array<string | null> } {
  let n = 1;
  let current = "s1";
  const calls: Array<string | null> = [];
  return {
    calls,
    async getClientSecret(existing) {
      calls.push(existing);
      if (existing === current) current = `s${++n}`;
      return current;
    },
  };
}

function setup(answers: Parameters<typeof fakeFetch>[0]["x"], page?: () => PageContext) {
  const backend = fakeFetch({ "/chatkit": answers });
  const session = secrets();
  const onFailure = vi.fn();
  const onSuccess = vi.fn();
  const chatFetch = createChatFetch({
    session,
    fetch: backend.fetch,
    policy: instant,
    pageContext: page ?? (() => ({ path: "/docs/intro", title: "Intro", lang: "en" })),
    onFailure,
    onSuccess,
  });
  return { chatFetch, session, onFailure, onSuccess, ...backend };
}

const BODY = JSON.stringify({ type: "threads.list", params: {} });
const post = { method: "POST", body: BODY, headers: { "Content-Type": "application/json" } };

describe("chat fetch", () => {
  it("adds the bearer token and the page context, keeping ChatKit's request", async () => {
    const { chatFetch, seen, onSuccess } = setup([json({ data: [] })]);
    const response = await chatFetch(CHAT, post);
    expect(response.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0].method).toBe("POST");
    expect(seen[0].body).toBe(BODY);
    expect(seen[0].headers.get("Content-Type")).toBe("application/json");
    expect(seen[0].headers.get("Authorization")).toBe("Bearer s1");
    expect(JSON.parse(seen[0].headers.get("X-ChatKit-Page") ?? "")).toEqual({ path: "/docs/intro", title: "Intro", lang: "en" });
    expect(onSuccess).toHaveBeenCalledTimes(1);
  });

  it("accepts a Request object as input", async () => {
    const { chatFetch, seen } = setup([json({})]);
    await chatFetch(new Request(CHAT, post));
    expect(seen[0].body).toBe(BODY);
    expect(seen[0].headers.get("Authorization")).toBe("Bearer s1");
  });

  it("reads the page context at request time", async () => {
    let title = "First";
    const { chatFetch, seen } = setup([json({}), json({})], () => ({ path: "/a", title, lang: "en" }));
    await chatFetch(CHAT, post);
    title = "Second — Zweite";
    await chatFetch(CHAT, post);
    const header = seen[1].headers.get("X-ChatKit-Page") ?? "";
    expect(header).toMatch(/^[\x20-\x7e]*$/);
    expect(JSON.parse(header).title).toBe("Second — Zweite");
  });

  it("on 401 refreshes the secret with existing and repeats the request once", async () => {
    const { chatFetch, seen, session } = setup([json({}, 401), json({ ok: true })]);
    const response = await chatFetch(CHAT, post);
    expect(response.status).toBe(200);
    expect(seen.map((r) => r.headers.get("Authorization"))).toEqual(["Bearer s1", "Bearer s2"]);
    expect(seen[1].body).toBe(BODY);
    expect(session.calls).toEqual([null, "s1"]);
  });

  it("hands a second 401 to ChatKit and reports a refused session", async () => {
    const { chatFetch, seen, onFailure } = setup([json({}, 401), json({}, 401)]);
    const response = await chatFetch(CHAT, post);
    expect(response.status).toBe(401);
    expect(seen).toHaveLength(2);
    expect(onFailure.mock.calls[0][0]).toBeInstanceOf(SessionRefusedError);
  });

  it("retries 5xx with the same body, then succeeds", async () => {
    const { chatFetch, seen } = setup([json({}, 503), json({}, 502), json({ ok: true })]);
    expect((await chatFetch(CHAT, post)).status).toBe(200);
    expect(seen.map((r) => r.body)).toEqual([BODY, BODY, BODY]);
  });

  it("reports a backend that keeps failing, and still hands over its answer", async () => {
    const { chatFetch, seen, onFailure } = setup([json({}, 500), json({}, 500), json({}, 500), json({}, 500)]);
    expect((await chatFetch(CHAT, post)).status).toBe(500);
    expect(seen).toHaveLength(4);
    expect(onFailure.mock.calls[0][0]).toBeInstanceOf(BackendUnavailableError);
  });

  it("a stream request still failing (5xx) after the retries rejects, so ChatKit does not retry it five times more", async () => {
    const { chatFetch, seen, onFailure } = setup([json({}, 503), json({}, 503), json({}, 503), json({}, 503)]);
    const stream = { ...post, headers: { "Content-Type": "application/json", Accept: "text/event-stream" } };
    await expect(chatFetch(CHAT, stream)).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(seen).toHaveLength(4);
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(classifyError(onFailure.mock.calls[0][0], true)).toBe("unreachable");
  });

  it("tells when the reply to a question streamed to its end, and not when it carried an error event", async () => {
    const sse = (events: unknown[]) =>
      new Response(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(""), { headers: { "Content-Type": "text/event-stream" } });
    const backend = fakeFetch({ "/chatkit": [sse([{ type: "thread.created" }]), sse([{ type: "thread.created" }, { type: "error", code: "stream.error" }])] });
    const onAnswered = vi.fn();
    const chatFetch = createChatFetch({ session: secrets(), fetch: backend.fetch, policy: instant, onAnswered });
    const ask = { method: "POST", body: JSON.stringify({ type: "threads.create", params: { input: { content: [{ type: "input_text", text: "Q" }] } } }) };
    const first = await chatFetch(CHAT, ask);
    expect(first.headers.get("Content-Type")).toBe("text/event-stream");
    expect(onAnswered).not.toHaveBeenCalled();
    expect(await first.text()).toContain("thread.created");
    expect(onAnswered).toHaveBeenCalledTimes(1);
    await (await chatFetch(CHAT, ask)).text();
    expect(onAnswered).toHaveBeenCalledTimes(1);
  });

  it("reports refusals the reader can act on: 429 after retries, 413, 409 thread_full", async () => {
    const busy = setup([json({}, 429), json({}, 429), json({}, 429), json({ error: "rate_limited" }, 429)]);
    expect((await busy.chatFetch(CHAT, post)).status).toBe(429);
    expect(classifyError(busy.onFailure.mock.calls[0][0], true)).toBe("busy");

    const long = setup([json({ error: "message_too_long", limit: 8000 }, 413)]);
    expect((await long.chatFetch(CHAT, post)).status).toBe(413);
    expect(long.seen).toHaveLength(1);
    expect(long.onFailure.mock.calls[0][0]).toEqual(new RequestRefusedError("long", 413));
    expect(classifyError(long.onFailure.mock.calls[0][0], true)).toBe("long");

    const full = setup([json({ error: "thread_full" }, 409)]);
    const answer = await full.chatFetch(CHAT, post);
    // ChatKit still gets the whole answer: the code was read from a copy.
    expect(await answer.json()).toEqual({ error: "thread_full" });
    expect(classifyError(full.onFailure.mock.calls[0][0], true)).toBe("full");

    // Another 409 is ChatKit's to handle, not a full conversation.
    const other = setup([json({ error: "conflict" }, 409)]);
    await other.chatFetch(CHAT, post);
    expect(other.onFailure).not.toHaveBeenCalled();
  });

  it("rejects after network failures and reports them", async () => {
    const down = new TypeError("Failed to fetch");
    const { chatFetch, onFailure } = setup([down, down, down, down]);
    await expect(chatFetch(CHAT, post)).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(onFailure).toHaveBeenCalledTimes(1);
  });

  it("never repeats a request whose stream has started", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: {"type":"thread.created"}\n\n'));
        controller.error(new TypeError("network error"));
      },
    });
    const { chatFetch, seen } = setup([new Response(stream, { headers: { "Content-Type": "text/event-stream" } })]);
    const response = await chatFetch(CHAT, post);
    await expect(response.text()).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });

  it("does not report a failure for a request ChatKit aborted", async () => {
    const controller = new AbortController();
    const { chatFetch, onFailure } = setup([
      () => {
        controller.abort();
        return new DOMException("aborted", "AbortError");
      },
    ]);
    await expect(chatFetch(CHAT, { ...post, signal: controller.signal })).rejects.toHaveProperty("name", "AbortError");
    expect(onFailure).not.toHaveBeenCalled();
  });

  it("propagates a refused session without calling the chat endpoint", async () => {
    const backend = fakeFetch({});
    const chatFetch = createChatFetch({
      session: { getClientSecret: () => Promise.reject(new SessionRefusedError(403)) },
      fetch: backend.fetch,
      policy: instant,
    });
    await expect(chatFetch(CHAT, post)).rejects.toBeInstanceOf(SessionRefusedError);
    expect(backend.seen).toHaveLength(0);
  });

  it("tells the text of each question it sends, before sending", async () => {
    const backend = fakeFetch({ "/chatkit": [json({}, 503), json({}, 503), json({}, 503), json({}, 503)] });
    const onQuestion = vi.fn();
    const chatFetch = createChatFetch({ session: secrets(), fetch: backend.fetch, policy: instant, onQuestion });
    const input = { content: [{ type: "input_text", text: "Why?" }], attachments: [] };
    await expect(chatFetch(CHAT, { method: "POST", body: JSON.stringify({ type: "threads.create", params: { input } }) })).rejects.toThrow();
    expect(onQuestion).toHaveBeenCalledTimes(1);
    expect(onQuestion).toHaveBeenCalledWith("Why?");
  });
});

describe("questionOf", () => {
  const body = (type: string, content: unknown) => JSON.stringify({ type, params: { thread_id: "t", input: { content } } });

  it("reads the text of threads.create and threads.add_user_message", () => {
    expect(questionOf(body("threads.create", [{ type: "input_text", text: "a <b> \u2028 🇫🇷" }]))).toBe("a <b> \u2028 🇫🇷");
    expect(
      questionOf(body("threads.add_user_message", [{ type: "input_text", text: "one " }, { type: "input_tag", id: "x" }, { type: "input_text", text: "two" }])),
    ).toBe("one two");
  });

  it.each([
    ["another request", body("items.list", [{ type: "input_text", text: "x" }])],
    ["no text", body("threads.create", [{ type: "input_tag", id: "x" }])],
    ["no content", JSON.stringify({ type: "threads.create", params: {} })],
    ["not JSON", "{"],
    ["JSON null", "null"],
    ["not a string", new Blob(["{}"])],
    ["no body", undefined],
  ])("is null for %s", (_name, value) => {
    expect(questionOf(value)).toBeNull();
  });
});
