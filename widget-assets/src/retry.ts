/**
 * Retrying HTTP requests: network failures, 429 and 5xx are retried a few
 * times with exponential backoff and jitter (about 0.5 s, 1 s, 2 s), honouring
 * `Retry-After`. Only responses that were never handed to the caller are
 * retried, so a stream that has started is never replayed.
 */

import { BackendUnavailableError } from "./errors";

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Delay before the first retry; doubles each time. */
  baseDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the answer is returned as is. */
  maxRetryAfterMs: number;
  /** Uniform in [0, 1); jitter source. */
  random: () => number;
  /** Milliseconds since the epoch; used for `Retry-After` dates. */
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_POLICY: RetryPolicy = {
  retries: 3,
  baseDelayMs: 500,
  maxRetryAfterMs: 20_000,
  random: Math.random,
  now: Date.now,
  sleep,
};

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Delay before retry number `attempt` (0-based): base·2^attempt, ±25 % jitter. */
export function backoffDelay(attempt: number, baseDelayMs: number, random: () => number): number {
  return Math.round(baseDelayMs * 2 ** attempt * (0.75 + random() * 0.5));
}

/** `Retry-After` (delta seconds or an HTTP date) in milliseconds, or null when absent or invalid. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date always names its weekday and month; this keeps out "-1" & co.
  const date = /[a-z]{3}/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof DOMException && error.name === "AbortError");
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Calls `send` until it yields a response that is not worth retrying, or the
 * retries are spent. A network failure on the last attempt rejects with
 * {@link BackendUnavailableError}; a retryable status on the last attempt is
 * returned for the caller to judge.
 */
export async function fetchWithRetry(
  send: () => Promise<Response>,
  policy: RetryPolicy = DEFAULT_POLICY,
  signal?: AbortSignal,
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      if (isAbort(error, signal)) throw error;
      if (attempt >= policy.retries) {
        throw new BackendUnavailableError(`network failure after ${attempt + 1} attempts: ${describe(error)}`);
      }
      console.warn(`[chatkit-inject] request failed (${describe(error)}); retrying`);
      await policy.sleep(backoffDelay(attempt, policy.baseDelayMs, policy.random), signal);
      continue;
    }
    if (!isRetryableStatus(response.status) || attempt >= policy.retries) return response;
    const retryAfter = parseRetryAfter(response.headers.get("Retry-After"), policy.now());
    if (retryAfter !== null && retryAfter > policy.maxRetryAfterMs) return response;
    const delay = retryAfter ?? backoffDelay(attempt, policy.baseDelayMs, policy.random);
    console.warn(`[chatkit-inject] HTTP ${response.status}; retrying in ${delay} ms`);
    response.body?.cancel().catch(() => undefined);
    await policy.sleep(delay, signal);
  }
}
