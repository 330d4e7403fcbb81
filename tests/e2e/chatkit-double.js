/*
 * Test double of the ChatKit web component (`<openai-chatkit>`), served by the end-to-end
 * tests in place of the ChatKit script on OpenAI's CDN, which the test machines cannot reach.
 * It never ships: it lives under tests/e2e/ only.
 *
 * It does what the real component does at its boundary, and nothing more:
 * - `setOptions(options)` takes the whole option set each time (no merging);
 * - it speaks the ChatKit protocol to `options.api.url` through `options.api.fetch`
 *   (`threads.create`, `threads.add_user_message`, `threads.get_by_id`, `items.list`), parses the
 *   SSE stream (`data: <json>` frames) and renders user and assistant messages, the assistant's
 *   text growing delta by delta;
 * - it shows `startScreen.greeting` and `startScreen.prompts` (a button per prompt, showing its
 *   label, sending its prompt), loads `initialThread`, and has a composer (textarea + send);
 * - it dispatches `chatkit.ready`, `chatkit.error`, `chatkit.response.start` (once the stream
 *   opens), `chatkit.response.end`, `chatkit.thread.change`, `chatkit.thread.load.start` and
 *   `chatkit.thread.load.end` with the real detail shapes;
 * - it makes requests as the real loader does: JSON requests once, streams with `Accept:
 *   text/event-stream`, retrying 5xx answers five times with the real backoff, `Last-Event-ID`
 *   on a reconnect after a frame with an `id:`; it pages a thread's items with `has_more`/`after`.
 * Each behaviour and its source (types, SDK, the real loader) is listed in DOUBLE.md.
 *
 * It is not smarter than the protocol: an `api` without `url` or `domainKey`, or with both a
 * custom `url` and `getClientSecret`, is an error; a request it cannot make or an answer that is
 * not 2xx is a `chatkit.error`; it never adds credentials of its own.
 *
 * For the tests it records what it saw on `window.__chatkitDouble` (the options each
 * `setOptions` received, the requests it sent with their headers, the stream retries it waited
 * for, the events it dispatched). `window.__chatkitDoubleErrorOrder = "error-first"` (set before
 * the script runs) dispatches `chatkit.error` before `chatkit.response.end` when a started reply
 * fails; the default is after it (the real order is not documented).
 */
(() => {
  "use strict";
  if (customElements.get("openai-chatkit")) return;

  const log = (window.__chatkitDouble = window.__chatkitDouble || {
    options: [],
    requests: [],
    retries: [],
    events: [],
    instances: 0,
  });
  log.retries = log.retries || [];

  /** A plain, serialisable copy of the options, functions replaced by their type. */
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
  /** The page size the SDK uses when a request names none (DEFAULT_PAGE_SIZE). */
  const PAGE_SIZE = 20;
  function backoff(n) {
    return Math.floor(Math.min(10_000, 1000 * 2 ** n) * (0.5 + Math.random() * 0.5));
  }

  /** An error like the real loader's HttpError: the message, the status and status text. */
  function httpError(message, response) {
    const error = new Error(message);
    error.name = "HttpError";
    error.status = response.status;
    error.statusText = response.statusText;
    return error;
  }

  const STYLE = `
    :host { display: block; height: 100%; font: 14px/1.4 system-ui, sans-serif; }
    .root { display: flex; flex-direction: column; height: 100%; box-sizing: border-box; }
    .root[data-color-scheme="dark"] { background: #1b1b1d; color: #e3e3e3; }
    .root[data-color-scheme="light"] { background: #fff; color: #1c1e21; }
    .messages { flex: 1 1 auto; overflow-y: auto; padding: 8px; min-height: 0; }
    .greeting { opacity: 0.8; margin: 8px 0; }
    .prompts { display: flex; flex-wrap: wrap; gap: 4px; margin: 8px 0; }
    .message { margin: 6px 0; padding: 6px 8px; border-radius: 8px; white-space: pre-wrap; overflow-wrap: anywhere; }
    .message[data-role="user"] { background: rgba(127,127,127,0.15); }
    .composer { display: flex; gap: 4px; padding: 8px; border-top: 1px solid rgba(127,127,127,0.3); }
    .composer textarea { flex: 1; min-height: 2.5em; resize: none; }
    .error { color: #b00020; padding: 8px; }
  `;

  class ChatKitDouble extends HTMLElement {
    constructor() {
      super();
      this._options = null;
      this._threadId = null;
      this._responding = false;
      this._started = false;
      this._items = new Map();
      log.instances += 1;
      const shadow = this.attachShadow({ mode: "open" });
      shadow.innerHTML = `<style>${STYLE}</style>
        <div class="root" part="root" data-color-scheme="light">
          <div class="messages" part="messages" role="log" aria-label="Conversation"></div>
          <form class="composer" part="composer">
            <textarea name="message" aria-label="Message" rows="2"></textarea>
            <button type="submit" data-action="send">Send</button>
          </form>
        </div>`;
      this._root = shadow.querySelector(".root");
      this._messages = shadow.querySelector(".messages");
      this._textarea = shadow.querySelector("textarea");
      this._form = shadow.querySelector("form");
      this._sendButton = shadow.querySelector("button");
      this._form.addEventListener("submit", (event) => {
        event.preventDefault();
        this._submit();
      });
      this._textarea.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          this._submit();
        }
      });
    }

    setOptions(options) {
      log.options.push(snapshot(options));
      this._options = options;
      const problem = apiProblem(options && options.api);
      if (problem) {
        this._fail(new Error(problem));
        return;
      }
      const theme = options.theme;
      const scheme = typeof theme === "string" ? theme : (theme && theme.colorScheme) || "light";
      this._root.setAttribute("data-color-scheme", scheme);
      const accent = theme && theme.color && theme.color.accent && theme.color.accent.primary;
      this._sendButton.style.background = accent || "";
      this._textarea.placeholder = (options.composer && options.composer.placeholder) || "";
      if (!this._started) {
        this._started = true;
        // Like the real component: ready once the frame is up, then the initial thread loads.
        setTimeout(() => {
          this._emit("chatkit.ready");
          if (typeof options.initialThread === "string" && options.initialThread !== "") {
            void this._loadThread(options.initialThread);
          } else {
            this._showGreeting();
          }
        }, 0);
      } else if (this._threadId === null) {
        this._showGreeting();
      }
    }

    focusComposer() {
      this._textarea.focus();
      return Promise.resolve();
    }

    setComposerValue(params) {
      this._textarea.value = (params && params.text) || "";
      return Promise.resolve();
    }

    async setThreadId(threadId) {
      if (threadId === null) {
        this._threadId = null;
        this._items.clear();
        this._showGreeting();
        this._emit("chatkit.thread.change", { threadId: null });
        return;
      }
      await this._loadThread(threadId);
    }

    sendUserMessage(params) {
      return this._sendText((params && params.text) || "", Boolean(params && params.newThread));
    }

    fetchUpdates() {
      return this._threadId ? this._loadThread(this._threadId) : Promise.resolve();
    }

    _emit(name, detail) {
      log.events.push({ name, detail: detail === undefined ? null : snapshot(detail), at: performance.now() });
      this.dispatchEvent(new CustomEvent(name, { detail, bubbles: false, composed: true }));
    }

    _fail(error) {
      const box = document.createElement("div");
      box.className = "error";
      box.setAttribute("data-double-error", "");
      box.textContent = "Error: " + error.message;
      this._messages.append(box);
      this._emit("chatkit.error", { error });
    }

    _showGreeting() {
      this._messages.replaceChildren();
      const start = (this._options && this._options.startScreen) || {};
      if (start.greeting) {
        const p = document.createElement("p");
        p.className = "greeting";
        p.setAttribute("data-greeting", "");
        p.textContent = start.greeting;
        this._messages.append(p);
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
            if (!this._responding) void this._sendText(prompt.prompt, false);
          });
          list.append(button);
        }
        this._messages.append(list);
      }
    }

    /** The host's fetch (`api.fetch`, else `window.fetch`), recording each request. */
    _send(type, params, headers, signal) {
      const api = this._options.api;
      const problem = apiProblem(api);
      if (problem) throw new Error(problem);
      const send = typeof api.fetch === "function" ? api.fetch : window.fetch.bind(window);
      log.requests.push({ type, params: snapshot(params), url: api.url, headers: { ...headers }, at: performance.now() });
      return send(api.url, { method: "POST", headers, body: JSON.stringify({ type, params }), signal });
    }

    /**
     * A JSON request, as the real loader makes it: one attempt, no retry; an answer that is not
     * OK is an error whose message is the body's `message`, else the status text.
     */
    async _request(type, params) {
      const response = await this._send(type, params, { "Content-Type": "application/json" });
      if (!response.ok) {
        const message = await response
          .json()
          .then((body) => (body && body.message) || response.statusText)
          .catch(() => response.statusText);
        throw httpError(message, response);
      }
      return response.json().catch(() => ({}));
    }

    /**
     * A streaming request, as the real loader makes it (fetch-event-source): `Accept:
     * text/event-stream`; an answer that is not an OK event stream is retried when its status is
     * not 4xx, up to 5 times, after `backoff(n)` for n = 1..5; a 4xx, a thrown fetch or a failure
     * while reading the stream is final. `Last-Event-ID` goes with a reconnect once a frame
     * carried an `id:`. `onOpen` runs when the stream opens (the response starts).
     */
    async _stream(type, params, onOpen, onEvent) {
      const headers = { "Content-Type": "application/json", Accept: "text/event-stream" };
      let retries = 0;
      let lastEventId = null;
      for (;;) {
        if (lastEventId !== null) headers["Last-Event-ID"] = lastEventId;
        // Like fetch-event-source without openWhenHidden: a page that goes hidden aborts the
        // request, and it is made again (a reconnect) when the page is visible again.
        const attempt = new AbortController();
        const onVisibility = () => {
          if (document.hidden) attempt.abort();
        };
        document.addEventListener("visibilitychange", onVisibility);
        try {
          const response = await this._send(type, params, headers, attempt.signal);
          const contentType = response.headers.get("Content-Type") || "";
          if (response.ok && contentType.startsWith("text/event-stream")) {
            retries = 0;
            onOpen();
            await this._readStream(response.body, (id) => (lastEventId = id), onEvent);
            return;
          }
          response.body?.cancel().catch(() => undefined);
          const error = httpError(`Streaming failed: ${response.statusText}`, response);
          if ((response.status >= 400 && response.status < 500) || retries >= STREAM_RETRIES) throw error;
          retries += 1;
          const delay = backoff(retries);
          log.retries.push({ type, status: response.status, delay, at: performance.now() });
          await new Promise((resolve) => setTimeout(resolve, delay));
        } catch (error) {
          if (!attempt.signal.aborted) throw error;
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
        }
      }
    }

    async _loadThread(threadId) {
      this._emit("chatkit.thread.load.start", { threadId });
      try {
        // threads.get_by_id answers the thread with its first page of items (asc) and
        // has_more/after; the rest comes page by page from items.list, after that cursor.
        const thread = await this._request("threads.get_by_id", { thread_id: threadId });
        if (!thread || thread.id !== threadId) throw new Error("threads.get_by_id answered another thread");
        let page = thread.items;
        if (!page || !Array.isArray(page.data)) throw new Error("threads.get_by_id answered no items");
        const items = [...page.data];
        while (page.has_more) {
          if (typeof page.after !== "string") throw new Error("has_more without an after cursor");
          page = await this._request("items.list", { thread_id: threadId, order: "asc", after: page.after, limit: PAGE_SIZE });
          if (!page || !Array.isArray(page.data)) throw new Error("items.list answered no data");
          items.push(...page.data);
        }
        this._threadId = threadId;
        this._messages.replaceChildren();
        this._items.clear();
        for (const item of items) this._renderItem(item);
        this._emit("chatkit.thread.change", { threadId });
      } catch (error) {
        this._fail(error);
      } finally {
        this._emit("chatkit.thread.load.end", { threadId });
      }
    }

    _submit() {
      // Like the real composer: nothing is sent while a reply is streaming; the text stays.
      if (this._responding) return;
      const text = this._textarea.value;
      if (text.trim() === "") return;
      this._textarea.value = "";
      void this._sendText(text, false);
    }

    async _sendText(text, newThread) {
      if (!this._options || apiProblem(this._options.api)) {
        this._fail(new Error("setOptions was not called with a usable api"));
        return;
      }
      const input = {
        content: [{ type: "input_text", text }],
        quoted_text: "",
        attachments: [],
        inference_options: {},
      };
      const createThread = newThread || this._threadId === null;
      if (createThread) {
        this._messages.replaceChildren();
        this._items.clear();
      }
      this._responding = true;
      this._sendButton.disabled = true;
      // response.start when the assistant begins sending (the stream is open), not before the
      // request; response.end only after a start. A failure is chatkit.error: before the stream
      // opens, alone; after it, before or after response.end (ERROR_ORDER, not documented).
      let started = false;
      try {
        const open = () => {
          if (started) return;
          started = true;
          this._emit("chatkit.response.start");
        };
        const onEvent = (event) => this._onEvent(event);
        if (createThread) await this._stream("threads.create", { input }, open, onEvent);
        else await this._stream("threads.add_user_message", { thread_id: this._threadId, input }, open, onEvent);
        this._finish(started, null);
      } catch (error) {
        this._finish(started, error);
      }
    }

    _finish(started, error) {
      this._responding = false;
      this._sendButton.disabled = false;
      const endFirst = (window.__chatkitDoubleErrorOrder ?? "end-first") === "end-first";
      if (started && (error === null || endFirst)) this._emit("chatkit.response.end");
      if (error !== null) this._fail(error);
      if (started && error !== null && !endFirst) this._emit("chatkit.response.end");
    }

    async _readStream(body, onId, onEvent) {
      const reader = body.pipeThrough(new TextDecoderStream()).getReader();
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
          const id = lines.find((line) => line.startsWith("id:"));
          if (id !== undefined) onId(id.slice(3).replace(/^ /, ""));
          const data = lines
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).replace(/^ /, ""))
            .join("\n");
          if (data !== "") onEvent(JSON.parse(data));
        }
      }
      if (buffer.trim() !== "") throw new Error("stream ended inside a frame");
    }

    _onEvent(event) {
      switch (event.type) {
        case "thread.created":
          this._threadId = event.thread.id;
          this._emit("chatkit.thread.change", { threadId: event.thread.id });
          break;
        case "thread.updated":
          break;
        case "thread.item.added":
        case "thread.item.done":
        case "thread.item.replaced":
          this._renderItem(event.item);
          break;
        case "thread.item.updated":
          this._applyUpdate(event.item_id, event.update);
          break;
        case "error":
          throw new Error("stream error: " + (event.message || event.code));
        default:
          break;
      }
    }

    _renderItem(item) {
      if (item.type !== "user_message" && item.type !== "assistant_message") return;
      let node = this._items.get(item.id);
      if (!node) {
        node = document.createElement("div");
        node.className = "message";
        node.setAttribute("data-role", item.type === "user_message" ? "user" : "assistant");
        node.setAttribute("data-item-id", item.id);
        this._messages.querySelector("[data-greeting]")?.remove();
        this._messages.querySelector("[data-prompts]")?.remove();
        this._messages.append(node);
        this._items.set(item.id, node);
      }
      node.textContent = item.content.map((part) => part.text || "").join("");
      this._scrollToEnd();
    }

    _applyUpdate(itemId, update) {
      const node = this._items.get(itemId);
      if (!node) throw new Error("update for an unknown item " + itemId);
      if (update.type === "assistant_message.content_part.text_delta") {
        node.textContent += update.delta;
        this._scrollToEnd();
      } else if (update.type === "assistant_message.content_part.done") {
        if (update.content && typeof update.content.text === "string") node.textContent = update.content.text;
      }
    }

    _scrollToEnd() {
      this._messages.scrollTop = this._messages.scrollHeight;
    }
  }

  customElements.define("openai-chatkit", ChatKitDouble);
})();
