/**
 * The `fetch` handed to ChatKit (`api.fetch`). It authenticates every request
 * with the session's client secret, attaches the page context, retries
 * transient failures, and refreshes the secret once when the backend answers
 * 401. A response is handed to ChatKit only once it is final, so a stream that
 * has started is never replayed. It notes the text of each question sent, so a
 * question whose reply failed can be asked again.
 */

import { BackendUnavailableError, RequestRefusedError, SessionRefusedError } from "./errors";
import { encodePageContext, PAGE_HEADER, type PageContext, readPageContext } from "./page-context";
import { DEFAULT_POLICY, fetchWithRetry, type RetryPolicy } from "./retry";

export interface SecretSource {
  getClientSecret(existing: string | null): Promise<string>;
}

export interface ChatFetchOptions {
  session: SecretSource;
  fetch: typeof fetch;
  policy?: RetryPolicy;
  pageContext?: () => PageContext;
  /** Told about every request that finally failed, with the cause. */
  onFailure?: (error: Error) => void;
  /** Told about every request that finally succeeded. */
  onSuccess?: () => void;
  /** Told the text of every user message ChatKit sends (`threads.create`, `threads.add_user_message`). */
  onQuestion?: (text: string) => void;
  /** Told when the reply to that question streamed to its end without an `error` event. */
  onAnswered?: () => void;
}

/**
 * `response` with its body watched: `done` runs once the body has been read to its end
 * and none of its SSE frames was an `error` event. A cut connection never calls it.
 */
export function watchReply(response: Response, done: () => void): Response {
  if (!response.body) return response;
  const decoder = new TextDecoder();
  let line = "";
  let failed = false;
  const scan = (text: string): void => {
    const lines = (line + text).split(/\r\n|\r|\n/);
    line = lines.pop() ?? "";
    for (const l of lines) {
      if (!l.startsWith("data:") || !l.includes('"error"')) continue;
      try {
        if (JSON.parse(l.slice(5)).type === "error") failed = true;
      } catch {
        // not JSON: ChatKit judges the frame
      }
    }
  };
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(chunk);
        scan(decoder.decode(chunk, { stream: true }));
      },
      flush() {
        scan(decoder.decode() + "\n");
        if (!failed) done();
      },
    }),
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * The text of the user message a ChatKit request body sends (`threads.create`,
 * `threads.add_user_message`), or null for any other request or body.
 */
export function questionOf(body: unknown): string | null {
  if (typeof body !== "string") return null;
  let request: { type?: unknown; params?: { input?: { content?: unknown } } };
  try {
    request = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof request !== "object" || request === null) return null;
  const content = request.params?.input?.content;
  if ((request.type !== "threads.create" && request.type !== "threads.add_user_message") || !Array.isArray(content)) {
    return null;
  }
  let text = "";
  for (const part of content) if (part?.type === "input_text" && typeof part.text === "string") text += part.text;
  return text === "" ? null : text;
}

/** The `error` code of a JSON error answer (`{"error": "thread_full", ...}`), read from a copy. */
async function errorCode(response: Response): Promise<string | null> {
  try {
    const body: unknown = await response.clone().json();
    return typeof body === "object" && body !== null && typeof (body as { error?: unknown }).error === "string"
      ? (body as { error: string }).error
      : null;
  } catch {
    return null;
  }
}

export function createChatFetch(options: ChatFetchOptions): typeof fetch {
  const policy = options.policy ?? DEFAULT_POLICY;
  const pageContext = options.pageContext ?? ((): PageContext => readPageContext());

  return async function chatFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const base = new Request(input, init);
    const question = questionOf(init?.body);
    // ChatKit asks for an event stream with this header on its streaming requests.
    const stream = question !== null || (base.headers.get("Accept") ?? "").includes("text/event-stream");
    if (question !== null) options.onQuestion?.(question);
    const page = encodePageContext(pageContext());
    const send = (secret: string): Promise<Response> => {
      const headers = new Headers(base.headers);
      headers.set("Authorization", `Bearer ${secret}`);
      headers.set(PAGE_HEADER, page);
      return fetchWithRetry(() => options.fetch(new Request(base.clone(), { headers })), policy, base.signal);
    };

    let reported = false;
    try {
      let secret = await options.session.getClientSecret(null);
      let response = await send(secret);
      if (response.status === 401) {
        response.body?.cancel().catch(() => undefined);
        secret = await options.session.getClientSecret(secret);
        response = await send(secret);
      }
      if (response.status === 401 || response.status === 403) {
        options.onFailure?.(new SessionRefusedError(response.status));
      } else if (response.status >= 500) {
        const error = new BackendUnavailableError(`chat endpoint answered HTTP ${response.status}`, response.status);
        options.onFailure?.(error);
        if (stream) {
          // ChatKit retries a 5xx stream answer five more times (up to half a minute):
          // after the retries here, a failure it will not retry, so the reader sees it now.
          response.body?.cancel().catch(() => undefined);
          reported = true;
          throw error;
        }
      } else if (response.status === 429) {
        options.onFailure?.(new BackendUnavailableError(`chat endpoint answered HTTP ${response.status}`, response.status));
      } else if (response.status === 413) {
        options.onFailure?.(new RequestRefusedError("long", 413));
      } else if (response.status === 409 && (await errorCode(response)) === "thread_full") {
        options.onFailure?.(new RequestRefusedError("full", 409));
      } else {
        options.onSuccess?.();
        if (question !== null && response.ok) return watchReply(response, () => options.onAnswered?.());
      }
      return response;
    } catch (error) {
      if (!reported && !base.signal.aborted) options.onFailure?.(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  };
}
