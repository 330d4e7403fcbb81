import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BackendUnavailableError } from "./errors";
import { backoffDelay, DEFAULT_POLICY, fetchWithRetry, parseRetryAfter, type RetryPolicy } from "./retry";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function policy(patch: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_POLICY, random: () => 0.5, now: () => NOW, ...patch };
}

const status = (code: number, headers: Record<string, string> = {}): Response =>
  new Response(code === 204 ? null : `status ${code}`, { status: code, headers });

describe("backoffDelay", () => {
  it("doubles from 0.5 s", () => {
    const mid = (): number => 0.5;
    expect([0, 1, 2].map((n) => backoffDelay(n, 500, mid))).toEqual([500, 1000, 2000]);
  });

  it("jitters by at most a quarter either way", () => {
    expect(backoffDelay(1, 500, () => 0)).toBe(750);
    expect(backoffDelay(1, 500, () => 0.999999)).toBe(1250);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta seconds", () => {
    expect(parseRetryAfter("3", NOW)).toBe(3000);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
  });

  it("reads an HTTP date relative to now", () => {
    expect(parseRetryAfter(new Date(NOW + 4000).toUTCString(), NOW)).toBe(4000);
    expect(parseRetryAfter(new Date(NOW - 4000).toUTCString(), NOW)).toBe(0);
  });

  it("ignores absent or invalid values", () => {
    expect(parseRetryAfter(null, NOW)).toBeNull();
    expect(parseRetryAfter("soon", NOW)).toBeNull();
    expect(parseRetryAfter("-1", NOW)).toBeNull();
  });
});

describe("fetchWithRetry", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Runs `fetchWithRetry` and records when (in fake ms) each attempt happened. */
  function run(answers: Array<Response | Error>, p: RetryPolicy = policy()) {
    const times: number[] = [];
    const start = Date.now();
    const send = vi.fn(async () => {
      times.push(Date.now() - start);
      const next = answers.shift();
      if (next === undefined) throw new Error("unexpected extra attempt");
      if (next instanceof Error) throw next;
      return next;
    });
    const result = fetchWithRetry(send, p);
    return { send, times, result };
  }

  it("returns a successful answer at once", async () => {
    const { send, result } = run([status(200)]);
    expect((await result).status).toBe(200);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("retries 5xx on the 0.5 s, 1 s, 2 s schedule", async () => {
    const { times, result } = run([status(503), status(500), status(502), status(200)]);
    await vi.runAllTimersAsync();
    expect((await result).status).toBe(200);
    expect(times).toEqual([0, 500, 1500, 3500]);
  });

  it("gives up after three retries and returns the last answer", async () => {
    const { send, result } = run([status(503), status(503), status(503), status(504)]);
    await vi.runAllTimersAsync();
    expect((await result).status).toBe(504);
    expect(send).toHaveBeenCalledTimes(4);
  });

  it("retries network failures, then reports the backend as unavailable", async () => {
    const failure = new TypeError("Failed to fetch");
    const { send, result } = run([failure, failure, failure, failure]);
    const settled = result.catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const error = await settled;
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(String(error)).toContain("Failed to fetch");
    expect(send).toHaveBeenCalledTimes(4);
  });

  it("recovers when the network comes back", async () => {
    const { result } = run([new TypeError("Failed to fetch"), status(200)]);
    await vi.runAllTimersAsync();
    expect((await result).status).toBe(200);
  });

  it("honours Retry-After on 429", async () => {
    const { times, result } = run([status(429, { "Retry-After": "3" }), status(200)]);
    await vi.runAllTimersAsync();
    expect((await result).status).toBe(200);
    expect(times).toEqual([0, 3000]);
  });

  it("honours a Retry-After date", async () => {
    const date = new Date(Date.now() + 2000).toUTCString();
    const { times, result } = run([status(503, { "Retry-After": date }), status(200)], policy({ now: Date.now }));
    await vi.runAllTimersAsync();
    await result;
    expect(times[1]).toBeGreaterThanOrEqual(1000);
    expect(times[1]).toBeLessThanOrEqual(2000);
  });

  it("does not wait for a Retry-After beyond the limit", async () => {
    const { send, result } = run([status(429, { "Retry-After": "3600" })]);
    expect((await result).status).toBe(429);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it.each([400, 401, 403, 404, 422])("does not retry %i", async (code) => {
    const { send, result } = run([status(code)]);
    expect((await result).status).toBe(code);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("stops waiting when the request is aborted", async () => {
    const controller = new AbortController();
    const send = vi.fn(async () => status(503));
    const result = fetchWithRetry(send, policy(), controller.signal).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await vi.runAllTimersAsync();
    expect(await result).toBeInstanceOf(DOMException);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("does not retry an aborted request", async () => {
    const controller = new AbortController();
    controller.abort();
    const send = vi.fn(async () => {
      throw new DOMException("aborted", "AbortError");
    });
    await expect(fetchWithRetry(send, policy(), controller.signal)).rejects.toBeInstanceOf(DOMException);
    expect(send).toHaveBeenCalledTimes(1);
  });
});
