/*
 * Test double of the ChatKit web component (`<openai-chatkit>`), served by the end-to-end
 * tests in place of the ChatKit script on OpenAI's CDN, which the test machines cannot reach.
 * It never ships: it lives under tests/e2e/ only.
 *
 * Like the real component it has two halves, both in this file:
 * - the host half (this script loaded by the page, SCRIPT_URL): the element, with an open shadow
 *   root holding a cross-origin iframe (FRAME_URL, on the CDN host); the first options travel in
 *   the iframe URL's hash as base64 JSON (functions replaced by a placeholder), later calls
 *   (`setOptions`, `sendUserMessage`, `setComposerValue`, `setThreadId`, `focusComposer`,
 *   `fetchUpdates`) go to the frame by `postMessage` once it has loaded. It performs every
 *   backend request the frame asks for, in the page, with `api.fetch` (else `window.fetch`):
 *   JSON requests once, streams with `Accept: text/event-stream`, retrying 5xx answers five times
 *   with the real backoff, `Last-Event-ID` on a reconnect. It dispatches `chatkit.ready`
 *   (bubbling, composed) when the iframe has loaded, and every event the frame reports on the
 *   element without bubbling; a click on a header action in the frame runs
 *   `header.leftAction/rightAction.onClick` here.
 * - the frame half (the same script inlined in the frame's document, FRAME_URL): the UI (header,
 *   messages, start screen, composer) and the protocol: `threads.create`,
 *   `threads.add_user_message`, `threads.get_by_id`, `items.list` paged with `has_more`/`after`,
 *   the SSE events rendered delta by delta, and the events with the documented order and shapes.
 * Each behaviour and its source (types, SDK, the real loader) is listed in DOUBLE.md.
 *
 * It is not smarter than the protocol: an `api` without `url` or `domainKey`, or with both a
 * custom `url` and `getClientSecret`, is an error; a request it cannot make or an answer that is
 * not 2xx is a `chatkit.error`; it never adds credentials of its own.
 *
 * For the tests the host half records what it saw on `window.__chatkitDouble` in the page (the
 * options each `setOptions` received, the requests it sent with their headers, the stream retries
 * it waited for, the events it dispatched, the header actions clicked).
 * `window.__chatkitDoubleErrorOrder = "error-first"` (set in the frame, e.g. by a context init
 * script, which runs in every frame) dispatches `chatkit.error` before `chatkit.response.end`
 * when a started reply fails; the default is after it (the real order is not documented).
 */
(() => {
  "use strict";

  const FRAME_URL = "https://cdn.platform.openai.com/deployments/chatkit/index-double.html";
  const FRAME_ORIGIN = new URL(FRAME_URL).origin;
  const inFrame = location.origin === FRAME_ORIGIN && location.pathname === new URL(FRAME_URL).pathname;

  /** Options as they cross to the frame: functions replaced by a placeholder (as the loader does). */
  function sanitize(value) {
    if (typeof value === "function") return "[ChatKitMethod]";
    if (Array.isArray(value)) return value.map(sanitize);
    if (value && typeof value === "object") {
      const out = {};
      for (const key of Object.keys(value)) out[key] = sanitize(value[key]);
      return out;
    }
    return value;
  }

  /** An error as it crosses the frame boundary, and back. */
  function errorToWire(error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { name: e.name, message: e.message, status: e.status, statusText: e.statusText };
  }
  function wireToError(wire) {
    const error = new Error(wire && wire.message);
    error.name = (wire && wire.name) || "Error";
    if (wire && wire.status !== undefined) error.status = wire.status;
    if (wire && wire.statusText !== undefined) error.statusText = wire.statusText;
    return error;
  }

  /** An error like the real loader's HttpError: the message, the status and status text. */
  function httpError(message, response) {
    const error = new Error(message);
    error.name = "HttpError";
    error.status = response.status;
    error.statusText = response.statusText;
    return error;
  }

  function encodeBase64Json(value) {
    const bytes = new TextEncoder().encode(JSON.stringify(value));
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function decodeBase64Json(text) {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  if (inFrame) frameMain();
  else hostMain();

  // ---------------------------------------------------------------------------------------------
  // The host half: the element in the page.
  // ---------------------------------------------------------------------------------------------
  function hostMain() {
    if (customElements.get("openai-chatkit")) return;

    const log = (window.__chatkitDouble = window.__chatkitDouble || {
      options: [],
      requests: [],
      retries: [],
      events: [],
      headerClicks: [],
      instances: 0,
    });
    log.retries = log.retries || [];
    log.headerClicks = log.headerClicks || [];

    /** A plain, serialisable copy of the options for the log, functions replaced by their type. */
    function snapshot(value) {
      if (typeof value === "function") return "[function]";
      if (value instanceof Error) return `${value.name}: ${value.message}`;
      if (Array.isArray(value)) return value.map(snapshot);
      if (value && typeof value === "object") {
        const out = {};
        for (const key of Object.keys(value)) out[key] = snapshot(value[key]);
        return out;
      }
      return value;
    }

    /** Why an `api` option cannot work, or null. */
    function apiProblem(api) {
      if (!api || typeof api !== "object") return "options.api is missing";
      if (typeof api.getClientSecret === "function") {
        if ("url" in api) return "options.api cannot have both url and getClientSecret";
        return "hosted api (getClientSecret) needs OpenAI's servers, which the double does not fake";
      }
      if (typeof api.url !== "string" || api.url === "") return "options.api.url is missing";
      if (typeof api.domainKey !== "string" || api.domainKey === "") return "options.api.domainKey is missing";
      if ("fetch" in api && typeof api.fetch !== "function") return "options.api.fetch is not a function";
      return null;
    }

    /** The real loader's stream retry policy: 5 retries, 1 s x 2^n capped at 10 s, jittered to 50-100 %. */
    const STREAM_RETRIES = 5;
    function backoff(n) {
      return Math.floor(Math.min(10_000, 1000 * 2 ** n) * (0.5 + Math.random() * 0.5));
    }

    const STYLE = `
      :host { display: block; position: relative; height: 100%; width: 100%; }
      .ck-wrapper { position: absolute; inset: 0; overflow: hidden; opacity: 0; }
      :host([data-loaded="true"]) .ck-wrapper { opacity: 1; }
      .ck-iframe { border: none; position: absolute; inset: 0; width: 100%; height: 100%; overflow: hidden; color-scheme: light only; }
      :host([data-color-scheme="dark"]) .ck-iframe { color-scheme: dark only; }
    `;

    class ChatKitDouble extends HTMLElement {
      constructor() {
        super();
        this._options = null;
        this._frame = null;
        this._started = false;
        this._pending = new Map();
        this._aborts = new Map();
        this._ready = new Promise((resolve) => (this._resolveReady = resolve));
        this._onMessage = (event) => this._handle(event);
        this._shadow = this.attachShadow({ mode: "open" });
        log.instances += 1;
        /** Which element an event came from, in the log (1 for the first of the page). */
        this.__doubleInstance = log.instances;
      }

      connectedCallback() {
        window.addEventListener("message", this._onMessage);
        if (this._frame) return;
        const style = document.createElement("style");
        style.textContent = STYLE;
        const frame = document.createElement("iframe");
        frame.className = "ck-iframe";
        frame.name = "chatkit";
        frame.setAttribute("role", "presentation");
        frame.tabIndex = 0;
        frame.setAttribute("frameborder", "0");
        frame.setAttribute("scrolling", "no");
        frame.setAttribute("allow", "clipboard-read; clipboard-write");
        // `root` and its data-color-scheme only for tests written against the shadow-root double.
        const wrapper = document.createElement("div");
        wrapper.className = "ck-wrapper root";
        wrapper.append(frame);
        this._wrapper = wrapper;
        this._frame = frame;
        this._shadow.append(style);
        frame.addEventListener(
          "load",
          () => {
            this.dataset.loaded = "true";
            this._emit("chatkit.ready", undefined, true);
            this._resolveReady();
          },
          { once: true },
        );
        this._start();
      }

      disconnectedCallback() {
        window.removeEventListener("message", this._onMessage);
      }

      _applyScheme() {
        const theme = this._options && this._options.theme;
        const scheme = typeof theme === "string" ? theme : (theme && theme.colorScheme) || "light";
        this.dataset.colorScheme = scheme;
        this._wrapper?.setAttribute("data-color-scheme", scheme);
      }

      /** Loads the frame once the element is connected and has options: the options go in the hash. */
      _start() {
        if (this._started || !this._frame || !this._options) return;
        this._started = true;
        this._applyScheme();
        const url = new URL(FRAME_URL);
        url.hash = encodeBase64Json({ options: sanitize(this._options), referrer: location.origin });
        this._frame.src = url.href;
        this._shadow.append(this._wrapper);
      }

      setOptions(options) {
        log.options.push(snapshot(options));
        this._options = options;
        const problem = apiProblem(options && options.api);
        if (problem) {
          this._emit("chatkit.error", { error: new Error(problem) });
          return;
        }
        if (this._started) {
          this._applyScheme();
          void this._ready.then(() => this._command("setOptions", sanitize(options))).catch(() => undefined);
        } else {
          this._start();
        }
      }

      async focusComposer() {
        await this._ready;
        this._frame?.focus();
        await this._command("focusComposer");
      }

      async setComposerValue(params) {
        await this._ready;
        await this._command("setComposerValue", params);
      }

      async setThreadId(threadId) {
        await this._ready;
        await this._command("setThreadId", { threadId });
      }

      async sendUserMessage(params) {
        await this._ready;
        await this._command("sendUserMessage", params);
      }

      async fetchUpdates() {
        await this._ready;
        await this._command("fetchUpdates");
      }

      _post(message) {
        this._frame?.contentWindow?.postMessage({ __oaiChatKit: true, ...message }, FRAME_ORIGIN);
      }

      _command(name, data) {
        return new Promise((resolve, reject) => {
          const nonce = crypto.randomUUID();
          this._pending.set(nonce, { resolve, reject });
          this._post({ type: "command", nonce, command: `on${name[0].toUpperCase()}${name.slice(1)}`, data });
        });
      }

      _emit(name, detail, bubbles = false) {
        log.events.push({
          name,
          detail: detail === undefined ? null : snapshot(detail),
          instance: this.__doubleInstance,
          at: performance.now(),
        });
        // Like the loader: ready bubbles and is composed; the others are plain CustomEvents.
        this.dispatchEvent(new CustomEvent(name, bubbles ? { detail, bubbles: true, composed: true } : { detail }));
      }

      _handle(event) {
        const message = event.data;
        if (!message || message.__oaiChatKit !== true) return;
        if (event.origin !== FRAME_ORIGIN || !this._frame || event.source !== this._frame.contentWindow) return;
        switch (message.type) {
          case "event":
            if (message.event === "public_event") {
              const [name, detail] = message.data;
              if (name === "error") this._emit("chatkit.error", { error: wireToError(detail && detail.error) });
              else this._emit(`chatkit.${name}`, detail === null ? undefined : detail);
            } else if (message.event === "left_header_icon_click" || message.event === "right_header_icon_click") {
              const side = message.event.startsWith("left") ? "left" : "right";
              log.headerClicks.push({ side, at: performance.now() });
              const header = this._options && this._options.header;
              const action = header && (side === "left" ? header.leftAction : header.rightAction);
              if (action && typeof action.onClick === "function") action.onClick();
            }
            break;
          case "fetch":
            void this._fetchJson(message);
            break;
          case "fetchEventSource":
            void this._fetchStream(message);
            break;
          case "abortSignal":
            this._aborts.get(message.nonce)?.abort();
            this._aborts.delete(message.nonce);
            break;
          case "response": {
            const handler = this._pending.get(message.nonce);
            if (!handler) return;
            this._pending.delete(message.nonce);
            if (message.error) handler.reject(wireToError(message.error));
            else handler.resolve(message.response);
            break;
          }
          default:
            break;
        }
      }

      /** The host's fetch (`api.fetch`, else `window.fetch`), recording each request. */
      _send(url, params, headers, signal) {
        const api = this._options && this._options.api;
        const problem = apiProblem(api);
        if (problem) throw new Error(problem);
        const send = typeof api.fetch === "function" ? api.fetch : window.fetch.bind(window);
        let body = {};
        try {
          body = JSON.parse(params.body);
        } catch {
          // not JSON: logged without type
        }
        log.requests.push({ type: body.type, params: snapshot(body.params), url, headers: { ...headers }, at: performance.now() });
        return send(url, { method: params.method || "POST", headers, body: params.body, signal });
      }

      /**
       * A JSON request the frame asked for, as the real loader makes it: one attempt, no retry;
       * an answer that is not OK is an error whose message is the body's `message`, else the
       * status text; the parsed body goes back to the frame.
       */
      async _fetchJson(message) {
        const controller = new AbortController();
        this._aborts.set(message.nonce, controller);
        try {
          const response = await this._send(message.url, message.params, { ...message.params.headers }, controller.signal);
          if (!response.ok) {
            const text = await response
              .json()
              .then((body) => (body && body.message) || response.statusText)
              .catch(() => response.statusText);
            throw httpError(text, response);
          }
          const body = await response.json().catch(() => ({}));
          this._post({ type: "response", nonce: message.nonce, response: body });
        } catch (error) {
          this._post({ type: "response", nonce: message.nonce, error: errorToWire(error) });
        } finally {
          this._aborts.delete(message.nonce);
        }
      }

      /**
       * A streaming request the frame asked for, as the real loader makes it (fetch-event-source,
       * in the page): `Accept: text/event-stream` unless set; an answer that is not an OK event
       * stream is retried when its status is not 4xx, up to 5 times, after `backoff(n)` for
       * n = 1..5; a 4xx, a thrown fetch or a failure while reading the stream is final.
       * `Last-Event-ID` goes with a reconnect once a frame carried an `id:`. Each message goes to
       * the frame as it arrives; the frame can abort the request.
       */
      async _fetchStream(message) {
        const { nonce } = message;
        const cancel = new AbortController();
        this._aborts.set(nonce, cancel);
        const headers = { ...message.params.headers };
        if (!Object.keys(headers).some((name) => name.toLowerCase() === "accept")) headers.Accept = "text/event-stream";
        const body = (() => {
          try {
            return JSON.parse(message.params.body);
          } catch {
            return {};
          }
        })();
        let retries = 0;
        let lastEventId = null;
        try {
          for (;;) {
            if (cancel.signal.aborted) throw new DOMException("aborted by the frame", "AbortError");
            if (lastEventId !== null) headers["Last-Event-ID"] = lastEventId;
            // Like fetch-event-source without openWhenHidden: a page that goes hidden aborts the
            // request, and it is made again (a reconnect) when the page is visible again.
            const attempt = new AbortController();
            const onCancel = () => attempt.abort();
            cancel.signal.addEventListener("abort", onCancel);
            const onVisibility = () => {
              if (document.hidden) attempt.abort();
            };
            document.addEventListener("visibilitychange", onVisibility);
            try {
              const response = await this._send(message.url, message.params, headers, attempt.signal);
              const contentType = response.headers.get("Content-Type") || "";
              if (response.ok && contentType.startsWith("text/event-stream")) {
                retries = 0;
                await this._readStream(response.body, (id) => (lastEventId = id), (sse) =>
                  this._post({ type: "fetchEventSourceMessage", nonce, message: sse }),
                );
                break;
              }
              response.body?.cancel().catch(() => undefined);
              const error = httpError(`Streaming failed: ${response.statusText}`, response);
              if ((response.status >= 400 && response.status < 500) || retries >= STREAM_RETRIES) throw error;
              retries += 1;
              const delay = backoff(retries);
              log.retries.push({ type: body.type, status: response.status, delay, at: performance.now() });
              await new Promise((resolve) => setTimeout(resolve, delay));
            } catch (error) {
              if (!attempt.signal.aborted || cancel.signal.aborted) throw error;
              await new Promise((resolve) => {
                const onVisible = () => {
                  if (document.hidden) return;
                  document.removeEventListener("visibilitychange", onVisible);
                  resolve();
                };
                document.addEventListener("visibilitychange", onVisible);
                onVisible();
              });
            } finally {
              document.removeEventListener("visibilitychange", onVisibility);
              cancel.signal.removeEventListener("abort", onCancel);
            }
          }
          this._post({ type: "response", nonce, response: undefined });
        } catch (error) {
          this._post({ type: "response", nonce, error: errorToWire(error) });
        } finally {
          this._aborts.delete(nonce);
        }
      }

      async _readStream(stream, onId, onMessage) {
        const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) !== -1) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = frame.split("\n");
            const idLine = lines.find((line) => line.startsWith("id:"));
            const id = idLine === undefined ? "" : idLine.slice(3).replace(/^ /, "");
            if (idLine !== undefined) onId(id);
            const eventLine = lines.find((line) => line.startsWith("event:"));
            const data = lines
              .filter((line) => line.startsWith("data:"))
              .map((line) => line.slice(5).replace(/^ /, ""))
              .join("\n");
            if (data !== "") onMessage({ id, event: eventLine ? eventLine.slice(6).trim() : "", data });
          }
        }
        if (buffer.trim() !== "") throw new Error("stream ended inside a frame");
      }
    }

    customElements.define("openai-chatkit", ChatKitDouble);
  }

  // ---------------------------------------------------------------------------------------------
  // The frame half: the UI, on the CDN's origin.
  // ---------------------------------------------------------------------------------------------
  function frameMain() {
    /** The page size the SDK uses when a request names none (DEFAULT_PAGE_SIZE). */
    const PAGE_SIZE = 20;

    let boot = { options: {}, referrer: "*" };
    try {
      boot = decodeBase64Json(location.hash.slice(1));
    } catch {
      // a frame opened without options: it waits for setOptions
    }
    const host = window.parent;
    const hostOrigin = typeof boot.referrer === "string" && /^https?:\/\//.test(boot.referrer) ? boot.referrer : "*";
    let options = boot.options || {};
    let threadId = null;
    let responding = false;
    const items = new Map();
    const pending = new Map();
    // For the tests: the events this frame reported, so they can wait until the page got them all.
    const frameLog = (window.__chatkitFrame = { emitted: [] });

    document.documentElement.lang = "en";
    document.body.innerHTML = `<style>
        html, body { margin: 0; height: 100%; }
        body { font: 14px/1.4 system-ui, sans-serif; }
        .root { display: flex; flex-direction: column; height: 100%; box-sizing: border-box; }
        .root[data-color-scheme="dark"] { background: #1b1b1d; color: #e3e3e3; }
        .root[data-color-scheme="light"] { background: #fff; color: #1c1e21; }
        .header { display: flex; align-items: center; gap: 4px; padding: 4px 8px; border-bottom: 1px solid rgba(127,127,127,0.3); min-height: 32px; }
        .header[hidden] { display: none; }
        .header .title { flex: 1; font-weight: 600; margin: 0; font-size: 15px; }
        .messages { flex: 1 1 auto; overflow-y: auto; padding: 8px; min-height: 0; }
        .greeting { opacity: 0.8; margin: 8px 0; }
        .prompts { display: flex; flex-wrap: wrap; gap: 4px; margin: 8px 0; }
        .message { margin: 6px 0; padding: 6px 8px; border-radius: 8px; white-space: pre-wrap; overflow-wrap: anywhere; }
        .message[data-role="user"] { background: rgba(127,127,127,0.15); }
        .composer { display: flex; gap: 4px; padding: 8px; border-top: 1px solid rgba(127,127,127,0.3); }
        .composer textarea { flex: 1; min-height: 2.5em; resize: none; }
        .error { color: #b00020; padding: 8px; }
      </style>
      <div class="root" data-color-scheme="light">
        <div class="header" data-header>
          <button type="button" data-header-action="left" hidden></button>
          <h2 class="title" data-title></h2>
          <button type="button" data-header-action="right" hidden></button>
        </div>
        <div class="messages" role="log" aria-label="Conversation"></div>
        <form class="composer">
          <textarea name="message" aria-label="Message" rows="2"></textarea>
          <button type="submit" data-action="send">Send</button>
        </form>
      </div>`;
    const root = document.querySelector(".root");
    const header = document.querySelector("[data-header]");
    const title = document.querySelector("[data-title]");
    const actions = {
      left: document.querySelector('[data-header-action="left"]'),
      right: document.querySelector('[data-header-action="right"]'),
    };
    const messages = document.querySelector(".messages");
    const textarea = document.querySelector("textarea");
    const form = document.querySelector("form");
    const sendButton = document.querySelector('button[data-action="send"]');

    function post(message) {
      host.postMessage({ __oaiChatKit: true, ...message }, hostOrigin);
    }
    function emit(name, detail) {
      frameLog.emitted.push(name);
      post({ type: "event", event: "public_event", data: [name, detail === undefined ? null : detail] });
    }

    for (const side of ["left", "right"]) {
      actions[side].addEventListener("click", () => post({ type: "event", event: `${side}_header_icon_click`, data: null }));
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        submit();
      }
    });

    function apply() {
      const theme = options.theme;
      const scheme = typeof theme === "string" ? theme : (theme && theme.colorScheme) || "light";
      root.setAttribute("data-color-scheme", scheme);
      const accent = theme && theme.color && theme.color.accent && theme.color.accent.primary;
      sendButton.style.background = accent || "";
      textarea.placeholder = (options.composer && options.composer.placeholder) || "";
      document.title = typeof options.frameTitle === "string" ? options.frameTitle : "ChatKit";
      const head = options.header || {};
      header.hidden = head.enabled === false;
      const titleText = head.title && head.title.enabled !== false && typeof head.title.text === "string" ? head.title.text : "";
      title.textContent = titleText;
      title.hidden = titleText === "";
      for (const side of ["left", "right"]) {
        const action = side === "left" ? head.leftAction : head.rightAction;
        const button = actions[side];
        button.hidden = !action;
        // The real button's accessible name is not documented; the double names it by its icon.
        button.setAttribute("aria-label", action ? String(action.icon) : "");
        button.setAttribute("data-icon", action ? String(action.icon) : "");
        button.textContent = action && action.icon === "close" ? "\u00d7" : action ? "\u2022" : "";
      }
    }

    function fail(error) {
      const box = document.createElement("div");
      box.className = "error";
      box.setAttribute("data-double-error", "");
      box.textContent = "Error: " + error.message;
      messages.append(box);
      emit("error", { error: errorToWire(error) });
    }

    function showGreeting() {
      messages.replaceChildren();
      const start = options.startScreen || {};
      if (start.greeting) {
        const p = document.createElement("p");
        p.className = "greeting";
        p.setAttribute("data-greeting", "");
        p.textContent = start.greeting;
        messages.append(p);
      }
      // Like the real start screen: one button per starter prompt; a click sends its prompt.
      if (Array.isArray(start.prompts) && start.prompts.length > 0) {
        const list = document.createElement("div");
        list.className = "prompts";
        list.setAttribute("data-prompts", "");
        for (const prompt of start.prompts) {
          const button = document.createElement("button");
          button.type = "button";
          button.setAttribute("data-prompt", "");
          button.textContent = prompt.label;
          button.addEventListener("click", () => {
            if (!responding) void sendText(prompt.prompt, false);
          });
          list.append(button);
        }
        messages.append(list);
      }
    }

    /** Asks the host to perform a request; resolves with its answer. */
    function call(message, onmessage) {
      const nonce = crypto.randomUUID();
      return new Promise((resolve, reject) => {
        pending.set(nonce, { resolve, reject, onmessage, nonce });
        post({ ...message, nonce });
      });
    }

    function body(type, params) {
      return { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ type, params }) };
    }

    /** A JSON request, performed by the host. */
    function request(type, params) {
      return call({ type: "fetch", url: options.api.url, params: body(type, params) });
    }

    /**
     * A streaming request, performed by the host, which posts each SSE message here. `onEvent`
     * gets each parsed event; if it throws (an `error` event), the request is aborted and fails.
     */
    function stream(type, params, onEvent) {
      return new Promise((resolve, reject) => {
        const nonce = crypto.randomUUID();
        pending.set(nonce, {
          resolve,
          reject,
          onmessage: (sse) => {
            try {
              onEvent(JSON.parse(sse.data));
            } catch (error) {
              pending.delete(nonce);
              post({ type: "abortSignal", nonce });
              reject(error);
            }
          },
        });
        post({ type: "fetchEventSource", nonce, url: options.api.url, params: body(type, params) });
      });
    }

    async function loadThread(id) {
      emit("thread.load.start", { threadId: id });
      try {
        // threads.get_by_id answers the thread with its first page of items (asc) and
        // has_more/after; the rest comes page by page from items.list, after that cursor.
        const thread = await request("threads.get_by_id", { thread_id: id });
        if (!thread || thread.id !== id) throw new Error("threads.get_by_id answered another thread");
        let page = thread.items;
        if (!page || !Array.isArray(page.data)) throw new Error("threads.get_by_id answered no items");
        const all = [...page.data];
        while (page.has_more) {
          if (typeof page.after !== "string") throw new Error("has_more without an after cursor");
          page = await request("items.list", { thread_id: id, order: "asc", after: page.after, limit: PAGE_SIZE });
          if (!page || !Array.isArray(page.data)) throw new Error("items.list answered no data");
          all.push(...page.data);
        }
        threadId = id;
        messages.replaceChildren();
        items.clear();
        for (const item of all) renderItem(item);
        emit("thread.change", { threadId: id });
      } catch (error) {
        fail(error);
      } finally {
        emit("thread.load.end", { threadId: id });
      }
    }

    function submit() {
      // Like the real composer: nothing is sent while a reply is streaming; the text stays.
      if (responding) return;
      const text = textarea.value;
      if (text.trim() === "") return;
      textarea.value = "";
      void sendText(text, false);
    }

    async function sendText(text, newThread) {
      if (!options.api || typeof options.api.url !== "string") {
        fail(new Error("setOptions was not called with a usable api"));
        return;
      }
      const input = {
        content: [{ type: "input_text", text }],
        quoted_text: "",
        attachments: [],
        inference_options: {},
      };
      const createThread = newThread || threadId === null;
      if (createThread) {
        messages.replaceChildren();
        items.clear();
      }
      responding = true;
      sendButton.disabled = true;
      // response.start when the assistant begins sending (the first event of the stream
      // arrives), never before the request; response.end only after a start. A failure is
      // chatkit.error: before the stream opens, alone; after it, before or after response.end.
      let started = false;
      try {
        const onEvent = (event) => {
          if (!started) {
            started = true;
            emit("response.start");
          }
          onStreamEvent(event);
        };
        if (createThread) await stream("threads.create", { input }, onEvent);
        else await stream("threads.add_user_message", { thread_id: threadId, input }, onEvent);
        finish(started, null);
      } catch (error) {
        finish(started, error);
      }
    }

    function finish(started, error) {
      responding = false;
      sendButton.disabled = false;
      const endFirst = (window.__chatkitDoubleErrorOrder ?? "end-first") === "end-first";
      if (started && (error === null || endFirst)) emit("response.end");
      if (error !== null) fail(error);
      if (started && error !== null && !endFirst) emit("response.end");
    }

    function onStreamEvent(event) {
      switch (event.type) {
        case "thread.created":
          threadId = event.thread.id;
          emit("thread.change", { threadId: event.thread.id });
          break;
        case "thread.item.added":
        case "thread.item.done":
        case "thread.item.replaced":
          renderItem(event.item);
          break;
        case "thread.item.updated":
          applyUpdate(event.item_id, event.update);
          break;
        case "error":
          throw new Error("stream error: " + (event.message || event.code));
        default:
          break;
      }
    }

    function renderItem(item) {
      if (item.type !== "user_message" && item.type !== "assistant_message") return;
      let node = items.get(item.id);
      if (!node) {
        node = document.createElement("div");
        node.className = "message";
        node.setAttribute("data-role", item.type === "user_message" ? "user" : "assistant");
        node.setAttribute("data-item-id", item.id);
        messages.querySelector("[data-greeting]")?.remove();
        messages.querySelector("[data-prompts]")?.remove();
        messages.append(node);
        items.set(item.id, node);
      }
      show(node, item.content.map((part) => part.text || "").join(""));
      scrollToEnd();
    }

    function applyUpdate(itemId, update) {
      const node = items.get(itemId);
      if (!node) throw new Error("update for an unknown item " + itemId);
      if (update.type === "assistant_message.content_part.text_delta") {
        show(node, node.__text + update.delta);
        scrollToEnd();
      } else if (update.type === "assistant_message.content_part.done") {
        if (update.content && typeof update.content.text === "string") show(node, update.content.text);
      }
    }

    // An inline Markdown link: [text](target), the text possibly with backslash escapes.
    const MARKDOWN_LINK = /\[((?:\\.|[^\]\\\n])+)\]\(([^()\s]+)\)/g;

    /**
     * Shows a message's text: a user's as written; an assistant's with its inline Markdown links
     * as links (the rest of the Markdown stays text). The target is kept as written, so a path
     * resolves against this frame's document, on the CDN host, as in any frame; only http(s)
     * targets become links. A click opens a new tab (`target=_blank`, `rel=noopener
     * noreferrer`); the page is not told (DOUBLE.md, "Messages").
     */
    function show(node, text) {
      node.__text = text;
      if (node.getAttribute("data-role") !== "assistant") {
        node.textContent = text;
        return;
      }
      const parts = [];
      let at = 0;
      for (const match of text.matchAll(MARKDOWN_LINK)) {
        parts.push(text.slice(at, match.index));
        at = match.index + match[0].length;
        let url = null;
        try {
          url = new URL(match[2], document.baseURI);
        } catch {
          // not a URL: shown as text
        }
        if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
          parts.push(match[0]);
          continue;
        }
        const link = document.createElement("a");
        link.setAttribute("href", match[2]);
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.setAttribute("data-link", "");
        link.textContent = match[1].replace(/\\(.)/g, "$1");
        parts.push(link);
      }
      parts.push(text.slice(at));
      node.replaceChildren(...parts);
    }

    function scrollToEnd() {
      messages.scrollTop = messages.scrollHeight;
    }

    const commands = {
      onSetOptions(next) {
        options = next || {};
        apply();
        if (threadId === null) showGreeting();
      },
      onFocusComposer() {
        textarea.focus();
      },
      onSetComposerValue(params) {
        textarea.value = (params && params.text) || "";
      },
      async onSetThreadId(params) {
        const id = params ? params.threadId : null;
        if (id === null || id === undefined) {
          threadId = null;
          items.clear();
          showGreeting();
          emit("thread.change", { threadId: null });
          return;
        }
        await loadThread(id);
      },
      onSendUserMessage(params) {
        return sendText((params && params.text) || "", Boolean(params && params.newThread));
      },
      onFetchUpdates() {
        return threadId ? loadThread(threadId) : undefined;
      },
    };

    window.addEventListener("message", async (event) => {
      const message = event.data;
      if (!message || message.__oaiChatKit !== true || event.source !== host) return;
      if (hostOrigin !== "*" && event.origin !== hostOrigin) return;
      switch (message.type) {
        case "command": {
          const handler = commands[message.command];
          try {
            if (!handler) throw new Error(`Command ${message.command} not supported`);
            const response = await handler(message.data);
            post({ type: "response", nonce: message.nonce, response: response === undefined ? undefined : response });
          } catch (error) {
            post({ type: "response", nonce: message.nonce, error: errorToWire(error) });
          }
          break;
        }
        case "fetchEventSourceMessage":
          pending.get(message.nonce)?.onmessage?.(message.message);
          break;
        case "response": {
          const handler = pending.get(message.nonce);
          if (!handler) return;
          pending.delete(message.nonce);
          if (message.error) handler.reject(wireToError(message.error));
          else handler.resolve(message.response);
          break;
        }
        default:
          break;
      }
    });

    apply();
    // Like the real component: the host reports ready on the frame's load; the initial thread
    // (or the start screen) comes right after.
    window.addEventListener("load", () =>
      setTimeout(() => {
        if (typeof options.initialThread === "string" && options.initialThread !== "") void loadThread(options.initialThread);
        else showGreeting();
      }, 0),
    );
  }
})();
