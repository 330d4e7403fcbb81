import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ERROR_MESSAGES, ScriptLoadError } from "./errors";
import type { PanelContext, PanelHandle } from "./panel-api";
import { buildFrame } from "./frame";
import { createServices, mount, offerAsk, type PanelServices, QUOTE_MAX, quoteSelection, renderPanel } from "./panel";
import { ASK_ATTR, ASK_EVENT, ASK_ID } from "./selection";
import { DEFAULT_POLICY } from "./retry";
import type { Strings } from "./strings";
import { SESSION_KEY, THREAD_KEY } from "./storage";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Answer, fakeFetch, json, MemoryStore } from "./testing/fake-backend";
import { currentChatKit, defineFakeChatKit, FakeChatKit } from "./testing/fake-chatkit";
import { FULL_THEME, sampleConfig, samplePage, sampleSite, themedConfig } from "./testing/fixtures";

const FAR = Math.floor(Date.now() / 1000) + 3600;
const issued = (secret: string) => json({ client_secret: secret, expires_at: FAR });

let host: HTMLElement;
let handle: PanelHandle | null = null;

beforeEach(() => {
  defineFakeChatKit();
  FakeChatKit.instances = [];
  document.documentElement.lang = "de";
  document.documentElement.removeAttribute("data-theme");
  document.documentElement.removeAttribute("style");
  document.title = "Einführung";
  host = document.createElement("div");
  document.body.append(host);
});
afterEach(() => {
  handle?.unmount();
  handle = null;
  document.body.innerHTML = "";
});

function setup(
  routes: { session?: Answer[]; chat?: Answer[] } = {},
  patch: {
    store?: MemoryStore;
    loadScript?: () => Promise<void>;
    strings?: Strings;
    locale?: string;
    close?: () => void;
    /** Render into the body of the panel's frame (header, title, close button) built in `host`. */
    frame?: boolean;
  } = {},
) {
  // Every [theme] key set: ChatKit's theme does not depend on what jsdom computes.
  const config = themedConfig();
  // A page in another language carries its own loader strings: a test of the built-in
  // translation leaves the sample's English ones out.
  if (patch.locale) {
    config.locale = patch.locale;
    delete config.strings;
  }
  if (patch.strings) config.strings = patch.strings;
  const context: PanelContext = { config, scriptTimeoutMs: 100, close: patch.close ?? (() => undefined) };
  const backend = fakeFetch({
    "/api/chatkit/session": routes.session ?? [issued("s1")],
    "/chatkit": routes.chat ?? [],
  });
  const store = patch.store ?? new MemoryStore();
  const services: PanelServices = {
    ...createServices(context, {
      fetch: backend.fetch,
      store,
      policy: { ...DEFAULT_POLICY, sleep: async () => undefined },
    }),
    ...(patch.loadScript ? { loadScript: patch.loadScript } : {}),
  };
  handle = renderPanel(patch.frame ? buildFrame(host, context) : host, context, services);
  return { context, services, store, ...backend };
}

const sessionRequests = (seen: Array<{ url: string; body: string }>) => seen.filter((r) => r.url.endsWith("/session"));
const waitFor = <T,>(check: () => T) => vi.waitFor(check, { timeout: 2000, interval: 5 });
const status = () => document.getElementById("chatkit-inject-status");
const errorBox = () => document.getElementById("chatkit-inject-error");
const retryButton = () => errorBox()?.querySelector<HTMLButtonElement>('button[data-action="retry"]') ?? null;

const REPLY = [
  { type: "thread.created", thread: { id: "thr_1" } },
  { type: "thread.item.added", item: { id: "msg_1", type: "assistant_message", content: [] } },
  { type: "thread.item.done", item: { id: "msg_1", type: "assistant_message", content: [{ type: "output_text", text: "Hi" }] } },
];
const frames = (events: unknown[]) => events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join("");
const down = (): Answer[] => Array.from({ length: 4 }, () => new TypeError("Failed to fetch"));
const sse = (events: unknown[]) => new Response(frames(events), { headers: { "Content-Type": "text/event-stream" } });

/** A mounted panel and a way to send a question through ChatKit's fetch, as ChatKit would. */
async function chatting(routes: { chat: Answer[] }) {
  const backend = setup(routes);
  const chatkit = await waitFor(() => currentChatKit());
  await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
  const api = chatkit.options.api as { url: string; fetch: typeof fetch };
  const ask = (text: string) =>
    api.fetch(api.url, {
      method: "POST",
      headers: { Accept: "text/event-stream" },
      body: JSON.stringify({ type: "threads.create", params: { input: { content: [{ type: "input_text", text }] } } }),
    });
  return { ...backend, chatkit, ask };
}

describe("mounting", () => {
  it("creates the session once, then mounts ChatKit with the self-hosted api options", async () => {
    const { seen } = setup();
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    expect(sessionRequests(seen)).toHaveLength(1);
    const options = chatkit.options;
    expect(options.api).toMatchObject({ url: "https://chat.example.edu/chatkit", domainKey: sampleConfig().domainKey });
    expect("getClientSecret" in options.api).toBe(false);
    expect(typeof (options.api as { fetch?: unknown }).fetch).toBe("function");
    expect(options.startScreen).toEqual({ greeting: sampleConfig().greeting, prompts: sampleConfig().prompts });
    expect(options.composer).toEqual({ placeholder: "Ask a question…" });
    // ChatKit's header has the title and the close action (keys pressed inside ChatKit's iframe
    // never reach the page); the panel's own header hides once ChatKit is ready.
    expect(options.header).toEqual({ title: { text: "Textbook assistant" }, rightAction: { icon: "close", onClick: expect.any(Function) } });
    expect(options.history).toEqual({ enabled: false });
    expect(options.locale).toBe("de");
    expect(options.initialThread).toBeNull();
    expect(options.theme).toEqual({
      colorScheme: "light",
      radius: "round",
      color: { accent: { primary: "#2e8555", level: 1 } },
      typography: { fontFamily: FULL_THEME.fontFamily },
    });
    expect(chatkit.className).toBe("chatkit-inject-chat");
  });

  it("ChatKit's header close action closes the panel, as the panel's close button does", async () => {
    const close = vi.fn();
    setup({}, { close });
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    const header = chatkit.options.header as { rightAction?: { icon: string; onClick: () => void } };
    expect(header.rightAction?.icon).toBe("close");
    expect(close).not.toHaveBeenCalled();
    header.rightAction?.onClick();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it("one title, one close control: the panel's own header until ChatKit is ready, ChatKit's header from then on", async () => {
    const close = vi.fn();
    setup({}, { close, frame: true });
    const ownHeader = () => host.querySelector<HTMLElement>(".chatkit-inject-header");
    const shown = () => ownHeader()?.style.display !== "none";
    // Loading: only the panel's own header can close.
    expect(host.querySelector(".chatkit-inject-loading")).not.toBeNull();
    expect(shown()).toBe(true);
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    // Mounted but not ready yet (ChatKit's frame still loading): still the panel's own header.
    expect(shown()).toBe(true);
    // The reader's keyboard focus on its close button moves to the panel when it hides.
    host.tabIndex = -1;
    host.querySelector<HTMLButtonElement>(".chatkit-inject-close")?.focus();
    chatkit.emit("chatkit.ready");
    await waitFor(() => expect(shown()).toBe(false));
    expect(document.activeElement).toBe(host);
    expect(chatkit.options.header).toMatchObject({ title: { text: "Textbook assistant" }, rightAction: { icon: "close" } });
    // A reply failing leaves ChatKit (and its header) on screen.
    chatkit.emit("chatkit.error", { error: new Error("boom") });
    await waitFor(() => expect(retryButton()).not.toBeNull());
    expect(shown()).toBe(false);
    // Retry that mounts ChatKit again: the panel's own header until the new one is ready.
    retryButton()?.click();
    await waitFor(() => expect(shown()).toBe(true));
    const again = await waitFor(() => {
      const next = currentChatKit();
      expect(next).not.toBe(chatkit);
      return next;
    });
    again.emit("chatkit.ready");
    await waitFor(() => expect(shown()).toBe(false));
    expect(close).not.toHaveBeenCalled();
  });

  it("when ChatKit cannot start, the panel's own header stays, and its close button closes", async () => {
    const close = vi.fn();
    setup({}, { close, frame: true, loadScript: () => Promise.reject(new ScriptLoadError("blocked", "https://cdn.example/chatkit.js")) });
    await waitFor(() => expect(retryButton()).not.toBeNull());
    const header = host.querySelector<HTMLElement>(".chatkit-inject-header");
    expect(header?.style.display).toBe("");
    header?.querySelector<HTMLButtonElement>(".chatkit-inject-close")?.click();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it("ChatKit's fetch reuses the session and sends the bearer token and the page", async () => {
    const { seen } = setup({ chat: [json({ data: [] })] });
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    const api = chatkit.options.api as { url: string; fetch: typeof fetch };
    const response = await api.fetch(api.url, { method: "POST", body: '{"type":"threads.list","params":{}}' });
    expect(response.status).toBe(200);
    const chat = seen.filter((r) => r.url.endsWith("/chatkit"));
    expect(chat).toHaveLength(1);
    expect(chat[0].headers.get("Authorization")).toBe("Bearer s1");
    expect(chat[0].headers.get("X-ChatKit-Page")).toBe('{"path":"/","title":"Einf\\u00fchrung","lang":"de"}');
    expect(sessionRequests(seen)).toHaveLength(1);
  });

  it("passes the saved thread back as initialThread and saves thread changes", async () => {
    const store = new MemoryStore();
    store.setItem(THREAD_KEY, "thr_1");
    setup({}, { store });
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.options.initialThread).toBe("thr_1"));
    chatkit.emit("chatkit.thread.change", { threadId: "thr_2" });
    expect(store.getItem(THREAD_KEY)).toBe("thr_2");
    chatkit.emit("chatkit.thread.change", { threadId: null });
    expect(store.getItem(THREAD_KEY)).toBeNull();
  });
});

describe("theme", () => {
  it("follows html[data-theme] through setOptions", async () => {
    setup();
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    const before = chatkit.calls.length;
    document.documentElement.setAttribute("data-theme", "dark");
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(before));
    const theme = chatkit.options.theme;
    expect(theme).toMatchObject({ colorScheme: "dark", color: { accent: { primary: "#25c2a0" } } });
    expect(FakeChatKit.instances).toHaveLength(1);
    document.documentElement.setAttribute("data-theme", "light");
    await waitFor(() => expect(chatkit.options.theme).toMatchObject({ colorScheme: "light" }));
  });

  it("gives the widget's own accent (focus rings, Retry) the colour ChatKit gets, in each scheme, until it unmounts", async () => {
    const accent = () => document.documentElement.style.getPropertyValue("--cki-accent");
    expect(accent()).toBe("");
    setup();
    // The setup's config fixes both accents (FULL_THEME): light first.
    await waitFor(() => expect(accent()).toBe(FULL_THEME.accent));
    document.documentElement.setAttribute("data-theme", "dark");
    await waitFor(() => expect(accent()).toBe(FULL_THEME.accentDark));
    handle?.unmount();
    handle = null;
    await waitFor(() => expect(accent()).toBe(""));
  });

  it("starts dark on a dark page", async () => {
    document.documentElement.setAttribute("data-theme", "dark");
    setup();
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.options.theme).toMatchObject({ colorScheme: "dark" }));
  });
});

describe("typing indicator", () => {
  it("shows while a response streams", async () => {
    setup();
    const chatkit = await waitFor(() => currentChatKit());
    expect(status()?.getAttribute("role")).toBe("status");
    expect(status()?.getAttribute("aria-live")).toBe("polite");
    expect(status()?.getAttribute("data-state")).toBe("idle");
    expect(status()?.textContent).toBe("");
    chatkit.emit("chatkit.response.start");
    await waitFor(() => expect(status()?.getAttribute("data-state")).toBe("responding"));
    expect(status()?.textContent).not.toBe("");
    chatkit.emit("chatkit.response.end");
    await waitFor(() => expect(status()?.getAttribute("data-state")).toBe("idle"));
    expect(status()?.textContent).toBe("");
  });
});

describe("errors", () => {
  it("reports a refused session at open, and Retry recovers without a reload", async () => {
    const { seen } = setup({ session: [json({ detail: "nope" }, 403), issued("s2")] });
    await waitFor(() => expect(errorBox()).not.toBeNull());
    expect(errorBox()?.getAttribute("role")).toBe("alert");
    expect(errorBox()?.textContent).toContain("could not start a chat");
    expect(errorBox()?.textContent).not.toContain("403");
    expect(document.querySelector("openai-chatkit")).toBeNull();
    retryButton()?.click();
    await waitFor(() => currentChatKit());
    expect(errorBox()).toBeNull();
    expect(sessionRequests(seen)).toHaveLength(2);
  });

  it("reports an unreachable backend after retries", async () => {
    const down = new TypeError("Failed to fetch");
    setup({ session: [down, down, down, down] });
    await waitFor(() => expect(errorBox()?.textContent).toContain("can't be reached"));
    expect(errorBox()?.textContent).not.toContain("Failed to fetch");
  });

  it("reports a backend answering 5xx after retries", async () => {
    setup({ session: [json({}, 502), json({}, 502), json({}, 502), json({}, 502)] });
    await waitFor(() => expect(errorBox()?.textContent).toContain("can't be reached"));
  });

  it("reports being offline first", async () => {
    vi.spyOn(window.navigator, "onLine", "get").mockReturnValue(false);
    const down = new TypeError("Failed to fetch");
    setup({ session: [down, down, down, down] });
    await waitFor(() =>
      expect(errorBox()?.textContent).toContain("You appear to be offline. Check your internet connection and try again."),
    );
  });

  it("reports a blocked or slow ChatKit script, and Retry loads it again", async () => {
    let attempts = 0;
    const loadScript = vi.fn(async () => {
      attempts += 1;
      if (attempts === 1) throw new ScriptLoadError("timeout", sampleConfig().scriptUrl);
    });
    setup({}, { loadScript });
    await waitFor(() => expect(errorBox()?.textContent).toContain("chat component could not be loaded"));
    retryButton()?.click();
    await waitFor(() => currentChatKit());
    expect(loadScript).toHaveBeenCalledTimes(2);
  });

  it("turns ChatKit's error event into a friendly message, and Retry re-mounts ChatKit", async () => {
    const store = new MemoryStore();
    store.setItem(THREAD_KEY, "thr_1");
    const down = new TypeError("Failed to fetch");
    setup({ chat: [down, down, down, down] }, { store });
    const first = await waitFor(() => currentChatKit());
    await waitFor(() => expect(first.calls.length).toBeGreaterThan(0));
    const api = first.options.api as { url: string; fetch: typeof fetch };
    await expect(api.fetch(api.url, { method: "POST", body: "{}" })).rejects.toThrow();
    first.emit("chatkit.error", { error: new Error("HTTP error: network") });
    await waitFor(() => expect(errorBox()?.textContent).toContain("can't be reached"));
    expect(errorBox()?.textContent).not.toContain("HTTP error");
    retryButton()?.click();
    await waitFor(() => expect(currentChatKit()).not.toBe(first));
    expect(errorBox()).toBeNull();
    await waitFor(() => expect(currentChatKit().options.initialThread).toBe("thr_1"));
  });

  it("a message the backend finds too long: Retry only dismisses, nothing is asked again", async () => {
    setup({ chat: [json({ error: "message_too_long", limit: 8000 }, 413)] });
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    const api = chatkit.options.api as { url: string; fetch: typeof fetch };
    const input = { content: [{ type: "input_text", text: "x".repeat(9000) }] };
    chatkit.emit("chatkit.response.start");
    await api.fetch(api.url, { method: "POST", body: JSON.stringify({ type: "threads.add_user_message", params: { thread_id: "thr_1", input } }) });
    chatkit.emit("chatkit.error", { error: new Error("HTTP error 413") });
    chatkit.emit("chatkit.response.end");
    await waitFor(() => expect(errorBox()?.textContent).toContain("too long"));
    expect(errorBox()?.textContent).not.toContain("413");
    retryButton()?.click();
    await waitFor(() => expect(errorBox()).toBeNull());
    expect(chatkit.sent).toEqual([]);
    expect(currentChatKit()).toBe(chatkit);
  });

  it("a full conversation: Retry starts a new one", async () => {
    const store = new MemoryStore();
    store.setItem(THREAD_KEY, "thr_1");
    setup({ chat: [json({ error: "thread_full" }, 409)] }, { store });
    const first = await waitFor(() => currentChatKit());
    expect(first.options.initialThread).toBe("thr_1");
    await waitFor(() => expect(first.calls.length).toBeGreaterThan(0));
    const api = first.options.api as { url: string; fetch: typeof fetch };
    await api.fetch(api.url, { method: "POST", body: "{}" });
    first.emit("chatkit.error", { error: new Error("HTTP error 409") });
    await waitFor(() => expect(errorBox()?.textContent).toContain("new conversation"));
    retryButton()?.click();
    await waitFor(() => expect(currentChatKit()).not.toBe(first));
    expect(store.getItem(THREAD_KEY)).toBeNull();
    expect(currentChatKit().options.initialThread ?? null).toBeNull();
  });

  it("after a reply failed, Retry asks the same question again in the same ChatKit", async () => {
    const down = new TypeError("Failed to fetch");
    const { seen } = setup({ chat: [down, down, down, down] });
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    const api = chatkit.options.api as { url: string; fetch: typeof fetch };
    const input = { content: [{ type: "input_text", text: "What is a monad?" }] };
    chatkit.emit("chatkit.response.start");
    await expect(
      api.fetch(api.url, { method: "POST", body: JSON.stringify({ type: "threads.add_user_message", params: { thread_id: "thr_1", input } }) }),
    ).rejects.toThrow();
    chatkit.emit("chatkit.error", { error: new Error("HTTP error: network") });
    chatkit.emit("chatkit.response.end");
    await waitFor(() => expect(errorBox()?.textContent).toContain("can't be reached"));
    retryButton()?.click();
    await waitFor(() => expect(chatkit.sent).toEqual([{ text: "What is a monad?" }]));
    expect(errorBox()).toBeNull();
    expect(currentChatKit()).toBe(chatkit);
    expect(FakeChatKit.instances).toHaveLength(1);
    expect(sessionRequests(seen)).toHaveLength(1);
  });

  it("a question sent after a failed reply is not asked again by a later Retry", async () => {
    const { chatkit, ask } = await chatting({ chat: [...down(), sse(REPLY)] });
    await ask("First").catch(() => undefined);
    chatkit.emit("chatkit.error", { error: new Error("network") });
    await waitFor(() => expect(errorBox()).not.toBeNull());
    // The reader asks something else instead, and it works: nothing is left to ask again.
    const answer = await ask("Second");
    chatkit.emit("chatkit.response.start");
    await answer.text();
    chatkit.emit("chatkit.response.end");
    await waitFor(() => expect(errorBox()).toBeNull());
    chatkit.emit("chatkit.error", { error: new Error("later, outside a reply") });
    await waitFor(() => expect(errorBox()).not.toBeNull());
    retryButton()?.click();
    await waitFor(() => expect(currentChatKit()).not.toBe(chatkit));
    expect(chatkit.sent).toEqual([]);
  });

  // The types say only that response.start fires when the assistant begins sending a
  // response; the order of error, start and end is not documented. Retry must keep the
  // reader's question in every order.
  const ORDERS: Array<[string, "before" | "stream", string[]]> = [
    ["fails before its stream opens (error only)", "before", ["error"]],
    ["fails before its stream opens (error, then end)", "before", ["error", "end"]],
    ["fails mid-stream (start, error, end)", "stream", ["start", "error", "end"]],
    ["fails mid-stream (start, end, error)", "stream", ["start", "end", "error"]],
  ];
  for (const [name, where, order] of ORDERS) {
    it(`a reply that ${name}: Retry asks the same question again`, async () => {
      const chat: Answer[] =
        where === "before" ? down() : [sse([...REPLY.slice(0, 2), { type: "error", code: "stream.error", allow_retry: true }])];
      const { chatkit, ask } = await chatting({ chat });
      const answer = await ask("What is a monad?").catch(() => null);
      if (answer) await answer.text();
      for (const event of order) {
        if (event === "error") chatkit.emit("chatkit.error", { error: new Error("failed") });
        else chatkit.emit(`chatkit.response.${event}`);
      }
      await waitFor(() => expect(errorBox()).not.toBeNull());
      retryButton()?.click();
      await waitFor(() => expect(chatkit.sent).toEqual([{ text: "What is a monad?" }]));
      expect(currentChatKit()).toBe(chatkit);
      expect(errorBox()).toBeNull();
    });
  }

  it("a reply cut mid-stream (the connection drops): Retry asks the same question again", async () => {
    const cut = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(frames(REPLY.slice(0, 2))));
        controller.error(new TypeError("network error"));
      },
    });
    const { chatkit, ask } = await chatting({ chat: [new Response(cut, { headers: { "Content-Type": "text/event-stream" } })] });
    const answer = await ask("Cut short?");
    chatkit.emit("chatkit.response.start");
    await expect(answer.text()).rejects.toThrow();
    chatkit.emit("chatkit.response.end");
    chatkit.emit("chatkit.error", { error: new Error("network") });
    await waitFor(() => expect(errorBox()).not.toBeNull());
    retryButton()?.click();
    await waitFor(() => expect(chatkit.sent).toEqual([{ text: "Cut short?" }]));
  });

  it("an error after a reply streamed to its end does not ask that question again", async () => {
    const { chatkit, ask } = await chatting({ chat: [sse(REPLY)] });
    const answer = await ask("Answered");
    chatkit.emit("chatkit.response.start");
    await answer.text();
    chatkit.emit("chatkit.response.end");
    chatkit.emit("chatkit.error", { error: new Error("later") });
    await waitFor(() => expect(errorBox()).not.toBeNull());
    retryButton()?.click();
    await waitFor(() => expect(currentChatKit()).not.toBe(chatkit));
    expect(chatkit.sent).toEqual([]);
  });

  it("forgets a saved thread that fails to load, so Retry starts fresh", async () => {
    const store = new MemoryStore();
    store.setItem(THREAD_KEY, "thr_gone");
    setup({}, { store });
    const chatkit = await waitFor(() => currentChatKit());
    chatkit.emit("chatkit.thread.load.start", { threadId: "thr_gone" });
    chatkit.emit("chatkit.error", { error: new Error("Thread not found") });
    await waitFor(() => expect(errorBox()?.textContent).toContain("Something went wrong"));
    expect(store.getItem(THREAD_KEY)).toBeNull();
  });

  it("after a refused chat request, Retry refreshes the secret with existing", async () => {
    const { seen, store } = setup({
      session: [issued("s1"), issued("s2"), issued("s3")],
      chat: [json({}, 401), json({}, 401)],
    });
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    const api = chatkit.options.api as { url: string; fetch: typeof fetch };
    expect((await api.fetch(api.url, { method: "POST", body: "{}" })).status).toBe(401);
    chatkit.emit("chatkit.error", { error: new Error("Unauthorized") });
    await waitFor(() => expect(errorBox()?.textContent).toContain("could not start a chat"));
    retryButton()?.click();
    await waitFor(() => expect(sessionRequests(seen)).toHaveLength(3));
    expect(JSON.parse(sessionRequests(seen)[2].body)).toEqual({ existing: "s2" });
    await waitFor(() => currentChatKit());
    expect(JSON.parse(store.getItem(SESSION_KEY) ?? "{}").clientSecret).toBe("s3");
  });
});

describe("strings", () => {
  const fr: Strings = {
    loading: "Chargement…",
    responding: "L’assistant rédige une réponse…",
    retry: "Réessayer",
    session: "L’assistant n’a pas pu ouvrir de discussion pour cette page.",
  };

  it("shows Loading, the error, Retry and the typing text in the page's language", async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loadScript = () => gate;
    setup({ session: [json({}, 401), issued("s2")] }, { strings: fr, loadScript });
    await waitFor(() => expect(host.querySelector(".chatkit-inject-loading")?.textContent).toBe("Chargement…"));
    release();
    await waitFor(() => expect(errorBox()?.querySelector("p")?.textContent).toBe(fr.session));
    expect(retryButton()?.textContent).toBe("Réessayer");
    retryButton()?.click();
    const chatkit = await waitFor(() => currentChatKit());
    chatkit.emit("chatkit.response.start");
    await waitFor(() => expect(status()?.textContent).toBe("L’assistant rédige une réponse…"));
  });

  it("falls back to English for keys the config leaves out", async () => {
    setup({ session: [json({}, 500), json({}, 500), json({}, 500), json({}, 500)] }, { strings: { close: "Fermer" } });
    await waitFor(() => expect(errorBox()?.querySelector("p")?.textContent).toBe(ERROR_MESSAGES.unreachable));
    expect(retryButton()?.textContent).toBe("Retry");
  });
});

describe("mount (the loader's entry point)", () => {
  const table = JSON.parse(readFileSync(resolve(__dirname, "../../templates/strings.json"), "utf8")) as Record<
    string,
    Record<string, string>
  >;

  it("builds the frame in the empty panel element, ChatKit in its body, in the built-in translation of locale", async () => {
    const backend = fakeFetch({ "/api/chatkit/session": [issued("s1")] });
    vi.spyOn(globalThis, "fetch").mockImplementation(backend.fetch);
    sessionStorage.clear();
    const { greeting: _g, placeholder: _p, ...site } = sampleSite();
    const config = { ...site, locale: "ur" };
    const close = vi.fn();
    host.id = "chatkit-inject-panel";
    // The page config and the site module's default export, as the loader hands them over.
    handle = mount(host, { config: samplePage(), site: config, scriptTimeoutMs: 100, close });
    expect(host.querySelector(".chatkit-inject-header .chatkit-inject-title")?.textContent).toBe("Textbook assistant");
    expect(host.querySelector(".chatkit-inject-close")?.getAttribute("aria-label")).toBe(table.ur.close);
    expect(host.querySelector(".chatkit-inject-body .chatkit-inject-loading")?.textContent).toBe(table.ur.loading);
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    expect(host.querySelector(".chatkit-inject-body openai-chatkit")).not.toBeNull();
    expect(chatkit.options.startScreen).toEqual({ greeting: table.ur.greeting, prompts: config.prompts });
    expect(chatkit.options.composer).toEqual({ placeholder: table.ur.placeholder });
    host.querySelector<HTMLButtonElement>(".chatkit-inject-close")?.click();
    expect(close).toHaveBeenCalledTimes(1);
    handle.unmount();
    handle = null;
    expect(host.childElementCount).toBe(0);
  });

  it("an invalid config turns the widget off: toggle and panel removed, a console warning, nothing fetched", () => {
    const backend = fakeFetch({});
    vi.spyOn(globalThis, "fetch").mockImplementation(backend.fetch);
    const toggle = document.createElement("button");
    toggle.id = "chatkit-inject-toggle";
    document.body.append(toggle);
    document.documentElement.classList.add("chatkit-inject-open");
    sessionStorage.setItem("chatkit-inject:open", "1");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    mount(host, { config: samplePage(), site: { ...sampleSite(), strings: { close: 1 } }, scriptTimeoutMs: 100, close: vi.fn() });
    expect(String(warn.mock.calls[0][0])).toContain("(strings.close)");
    expect(document.getElementById("chatkit-inject-toggle")).toBeNull();
    expect(host.isConnected).toBe(false);
    expect(document.documentElement.classList.contains("chatkit-inject-open")).toBe(false);
    expect(sessionStorage.getItem("chatkit-inject:open")).toBeNull();
    expect(backend.seen).toHaveLength(0);
    expect(document.querySelector("openai-chatkit")).toBeNull();
  });
});

describe("mount with a site module that exports no config", () => {
  it("turns the widget off with the config problem `site`", () => {
    const toggle = document.createElement("button");
    toggle.id = "chatkit-inject-toggle";
    document.body.append(toggle);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    mount(host, { config: samplePage(), site: undefined, scriptTimeoutMs: 100, close: vi.fn() });
    expect(String(warn.mock.calls[0][0])).toContain("(site)");
    expect(document.getElementById("chatkit-inject-toggle")).toBeNull();
    expect(host.isConnected).toBe(false);
  });
});

describe("built-in translations (config.locale)", () => {
  it("show Loading, the errors, Retry and the typing text in the page's language without config.strings", async () => {
    const table = JSON.parse(readFileSync(resolve(__dirname, "../../templates/strings.json"), "utf8")) as Record<
      string,
      Record<string, string>
    >;
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    setup({ session: [json({}, 401), issued("s2")] }, { locale: "ja", loadScript: () => gate });
    await waitFor(() => expect(host.querySelector(".chatkit-inject-loading")?.textContent).toBe(table.ja.loading));
    release();
    await waitFor(() => expect(errorBox()?.querySelector("p")?.textContent).toBe(table.ja.session));
    expect(retryButton()?.textContent).toBe(table.ja.retry);
    retryButton()?.click();
    const chatkit = await waitFor(() => currentChatKit());
    chatkit.emit("chatkit.response.start");
    await waitFor(() => expect(status()?.textContent).toBe(table.ja.responding));
  });
});

describe("Ask about this (a selection quoted in the composer)", () => {
  const table = JSON.parse(readFileSync(resolve(__dirname, "../../templates/strings.json"), "utf8")) as Record<
    string,
    Record<string, string>
  >;

  function pageWithToggle(config: unknown) {
    const script = document.createElement("script");
    script.type = "application/json";
    script.id = "chatkit-inject-config";
    script.textContent = typeof config === "string" ? config : JSON.stringify(config);
    const toggle = document.createElement("button");
    toggle.id = "chatkit-inject-toggle";
    const paragraph = document.createElement("p");
    paragraph.textContent = "Chlorophyll";
    document.body.prepend(script, paragraph, toggle);
    return { toggle, paragraph };
  }

  function selectAndAsk(paragraph: HTMLElement): void {
    Range.prototype.getBoundingClientRect = () => ({ left: 0, bottom: 0 }) as DOMRect;
    try {
      const range = document.createRange();
      range.selectNodeContents(paragraph);
      document.getSelection()?.removeAllRanges();
      document.getSelection()?.addRange(range);
      document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
      document.getElementById(ASK_ID)?.click();
    } finally {
      delete (Range.prototype as Partial<Range>).getBoundingClientRect;
    }
  }

  it("mounting offers it (the button before the toggle, labelled in the page's language), once per page; the toggle opens a closed panel", async () => {
    const { toggle, paragraph } = pageWithToggle(sampleConfig());
    const opened = vi.fn();
    toggle.addEventListener("click", opened);
    host.hidden = true;
    handle = mount(host, { config: samplePage(), site: { ...sampleSite(), locale: "hi" }, scriptTimeoutMs: 100, close: vi.fn() });
    const button = document.getElementById(ASK_ID);
    expect(button?.nextElementSibling).toBe(toggle);
    expect(button?.textContent).toBe(table.hi.ask);
    handle.unmount();
    handle = mount(host, { config: samplePage(), site: sampleSite(), scriptTimeoutMs: 100, close: vi.fn() });
    expect(document.querySelectorAll(`#${ASK_ID}`)).toHaveLength(1);
    selectAndAsk(paragraph);
    expect(opened).toHaveBeenCalledTimes(1);
    expect(host.getAttribute(ASK_ATTR)).toBe("Chlorophyll");
  });

  it("offerAsk (a page where the panel never opened): the config's two parts from the loader, the label of its locale or its strings, the selection already there offered", () => {
    const { toggle, paragraph } = pageWithToggle(samplePage());
    const config = { config: samplePage(), site: { ...sampleSite(), locale: "ja" } };
    const range = document.createRange();
    range.selectNodeContents(paragraph);
    document.getSelection()?.addRange(range);
    Range.prototype.getBoundingClientRect = () => ({ left: 10, bottom: 20 }) as DOMRect;
    const setOpen = vi.fn();
    try {
      offerAsk({ toggle, panel: host, setOpen }, config);
    } finally {
      delete (Range.prototype as Partial<Range>).getBoundingClientRect;
    }
    const button = document.getElementById(ASK_ID) as HTMLButtonElement;
    expect(button.textContent).toBe(table.ja.ask);
    expect(button.style.display).toBe("");
    offerAsk({ toggle, panel: host, setOpen }, config);
    expect(document.querySelectorAll(`#${ASK_ID}`)).toHaveLength(1);
    button.click();
    expect(setOpen).toHaveBeenCalledWith(true);
    expect(host.getAttribute(ASK_ATTR)).toBe("Chlorophyll");
    button.remove();
    // The maintainer's string wins.
    offerAsk({ toggle, panel: host, setOpen }, { config: samplePage(), site: { ...sampleSite(), strings: { ask: "Frag" } } });
    expect(document.getElementById(ASK_ID)?.textContent).toBe("Frag");
  });

  it("offerAsk offers nothing when the config is invalid or the site module exports no object", () => {
    const { toggle } = pageWithToggle(samplePage());
    offerAsk({ toggle, panel: host, setOpen: vi.fn() }, { config: samplePage(), site: { ...sampleSite(), prompts: "nope" } });
    expect(document.getElementById(ASK_ID)).toBeNull();
    offerAsk({ toggle, panel: host, setOpen: vi.fn() }, { config: samplePage(), site: undefined });
    expect(document.getElementById(ASK_ID)).toBeNull();
  });

  it("quotes each line, then leaves an empty line for the question; a long selection is cut", () => {
    expect(quoteSelection("One line")).toBe("> One line\n\n");
    expect(quoteSelection("First\n\nThird\r\nFourth")).toBe("> First\n>\n> Third\n> Fourth\n\n");
    const long = quoteSelection("x".repeat(QUOTE_MAX + 50));
    expect(long).toBe(`> ${"x".repeat(QUOTE_MAX)}…\n\n`);
  });

  it("a selection waiting when ChatKit becomes ready is quoted and the composer focused, once", async () => {
    host.id = "chatkit-inject-panel";
    host.setAttribute(ASK_ATTR, "Photosynthesis turns light into sugar.");
    setup();
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    // Not before ChatKit is ready.
    host.dispatchEvent(new Event(ASK_EVENT));
    expect(chatkit.composer).toEqual([]);
    chatkit.emit("chatkit.ready");
    await waitFor(() => expect(chatkit.composer).toEqual([{ setValue: "> Photosynthesis turns light into sugar.\n\n" }, "focus"]));
    expect(host.hasAttribute(ASK_ATTR)).toBe(false);
    chatkit.emit("chatkit.ready");
    host.dispatchEvent(new Event(ASK_EVENT));
    expect(chatkit.composer).toHaveLength(2);
  });

  it("a selection asked about while ChatKit is open is quoted at once", async () => {
    host.id = "chatkit-inject-panel";
    setup();
    const chatkit = await waitFor(() => currentChatKit());
    await waitFor(() => expect(chatkit.calls.length).toBeGreaterThan(0));
    chatkit.emit("chatkit.ready");
    host.setAttribute(ASK_ATTR, "Second selection");
    host.dispatchEvent(new Event(ASK_EVENT));
    await waitFor(() => expect(chatkit.composer).toEqual([{ setValue: "> Second selection\n\n" }, "focus"]));
  });
});
