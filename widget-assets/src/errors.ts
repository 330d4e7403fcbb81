/**
 * What can go wrong for the reader, and what they are told. Each cause has one
 * plain message; technical details go to the console only. The English here is
 * the fallback for `config.strings` (see strings.ts).
 */

import type { Strings } from "./strings";

/** The ChatKit script failed to load (blocked, 404) or did not define its element in time. */
export class ScriptLoadError extends Error {
  constructor(
    readonly reason: "blocked" | "timeout",
    readonly url: string,
  ) {
    super(`ChatKit script ${reason}: ${url}`);
    this.name = "ScriptLoadError";
  }
}

/** The session endpoint refused to issue a client secret (401/403). */
export class SessionRefusedError extends Error {
  constructor(readonly status: number) {
    super(`session endpoint refused with HTTP ${status}`);
    this.name = "SessionRefusedError";
  }
}

/**
 * The backend could not be reached (network failure, CORS) or kept failing
 * (429/5xx after retries, or an unusable answer).
 */
export class BackendUnavailableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "BackendUnavailableError";
  }
}

/**
 * The backend refused the request for a reason the reader can act on: the
 * message is too long (413), or the conversation is full (409 `thread_full`).
 */
export class RequestRefusedError extends Error {
  constructor(
    readonly kind: "long" | "full",
    readonly status: number,
  ) {
    super(`chat endpoint refused the request (${kind}, HTTP ${status})`);
    this.name = "RequestRefusedError";
  }
}

/** `busy`: too many requests (429, after the retries that honour Retry-After). */
export type ErrorKind = "offline" | "unreachable" | "session" | "script" | "unknown" | "busy" | "long" | "full";

export const OFFLINE_MESSAGE = "You appear to be offline. Check your internet connection and try again.";
export const UNREACHABLE_MESSAGE = "The assistant can't be reached right now. Please try again in a moment.";

export const ERROR_MESSAGES: Readonly<Record<ErrorKind, string>> = {
  offline: OFFLINE_MESSAGE,
  unreachable: UNREACHABLE_MESSAGE,
  session: "The assistant could not start a chat for this page. Try again; if it keeps happening, reload the page.",
  script:
    "The chat component could not be loaded. It may be blocked by a browser extension or network filter; allow it and try again.",
  unknown: "Something went wrong with the assistant. Please try again.",
  busy: "Too many questions at once. Please wait a moment, then try again.",
  long: "That message is too long. Please shorten it and try again.",
  full: "This conversation has reached its limit. Start a new conversation to keep asking.",
};

/**
 * Maps an error to what the reader is told. Being offline wins over every
 * other cause, because it is the one thing the reader can fix.
 */
export function classifyError(error: unknown, online: boolean): ErrorKind {
  if (!online) return "offline";
  if (error instanceof ScriptLoadError) return "script";
  if (error instanceof SessionRefusedError) return "session";
  if (error instanceof RequestRefusedError) return error.kind;
  if (error instanceof BackendUnavailableError) return error.status === 429 ? "busy" : "unreachable";
  // fetch() rejects with a TypeError on network failure and on CORS refusal.
  if (error instanceof TypeError) return "unreachable";
  return "unknown";
}

/** The message for `kind`: the page's language from the config's strings, else English. */
export function errorMessage(kind: ErrorKind, strings?: Strings): string {
  return strings?.[kind] ?? ERROR_MESSAGES[kind];
}
