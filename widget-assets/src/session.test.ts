import { describe, expect, it, vi } from "vitest";
import { BackendUnavailableError, SessionRefusedError } from "./errors";
import { DEFAULT_POLICY, type RetryPolicy } from "./retry";
import { SessionClient } from "./session";
import { SESSION_KEY } from "./storage";
import { fakeFetch, json, MemoryStore } from "./testing/fake-backend";

const URL_ = "http://localhost:8000/api/chatkit/session";
const NOW_S = 1_800_000_000;
const instant: RetryPolicy = { ...DEFAULT_POLICY, sleep: async () => undefined };

function client(routes: Parameters<typeof fakeFetch>[0], store = new MemoryStore(), nowS = NOW_S) {
  const backend = fakeFetch(routes);
  const session = new SessionClient({
    url: URL_,
    fetch: backend.fetch,
    store,
    policy: instant,
    now: () => nowS * 1000,
  });
  return { session, store, ...backend };
}

const issued = (secret: string, expiresAt = NOW_S + 600) => json({ client_secret: secret, expires_at: expiresAt });

describe("SessionClient", () => {
  it("creates a session with an empty body and caches it in storage", async () => {
    const { session, seen, store } = client({ "/api/chatkit/session": [issued("s1")] });
    expect(await session.getClientSecret(null)).toBe("s1");
    expect(seen).toHaveLength(1);
    expect(seen[0].method).toBe("POST");
    expect(seen[0].url).toBe(URL_);
    expect(seen[0].headers.get("Content-Type")).toBe("application/json");
    expect(JSON.parse(seen[0].body)).toEqual({});
    expect(JSON.parse(store.getItem(SESSION_KEY) ?? "null")).toEqual({ clientSecret: "s1", expiresAt: NOW_S + 600 });
  });

  it("reuses the cached secret without asking again", async () => {
    const { session, seen } = client({ "/api/chatkit/session": [issued("s1")] });
    await session.getClientSecret(null);
    expect(await session.getClientSecret(null)).toBe("s1");
    expect(seen).toHaveLength(1);
  });

  it("reuses a valid secret stored by an earlier page load", async () => {
    const store = new MemoryStore();
    store.setItem(SESSION_KEY, JSON.stringify({ clientSecret: "old", expiresAt: NOW_S + 100 }));
    const { session, seen } = client({}, store);
    expect(await session.getClientSecret(null)).toBe("old");
    expect(seen).toHaveLength(0);
  });

  it("refreshes an expired stored secret, sending it as existing", async () => {
    const store = new MemoryStore();
    store.setItem(SESSION_KEY, JSON.stringify({ clientSecret: "old", expiresAt: NOW_S - 5 }));
    const { session, seen } = client({ "/api/chatkit/session": [issued("new")] }, store);
    expect(await session.getClientSecret(null)).toBe("new");
    expect(JSON.parse(seen[0].body)).toEqual({ existing: "old" });
    expect(JSON.parse(store.getItem(SESSION_KEY) ?? "null").clientSecret).toBe("new");
  });

  it("treats a secret about to expire as expired", async () => {
    const store = new MemoryStore();
    store.setItem(SESSION_KEY, JSON.stringify({ clientSecret: "old", expiresAt: NOW_S + 10 }));
    const { session, seen } = client({ "/api/chatkit/session": [issued("new")] }, store);
    expect(await session.getClientSecret(null)).toBe("new");
    expect(seen).toHaveLength(1);
  });

  it("ignores a corrupt stored entry", async () => {
    const store = new MemoryStore();
    store.setItem(SESSION_KEY, "{not json");
    const { session, seen } = client({ "/api/chatkit/session": [issued("s1")] }, store);
    expect(await session.getClientSecret(null)).toBe("s1");
    expect(JSON.parse(seen[0].body)).toEqual({});
  });

  it("refreshes when asked with the current secret (the backend refused it)", async () => {
    const { session, seen } = client({ "/api/chatkit/session": [issued("s1"), issued("s2")] });
    const first = await session.getClientSecret(null);
    expect(await session.getClientSecret(first)).toBe("s2");
    expect(JSON.parse(seen[1].body)).toEqual({ existing: "s1" });
  });

  it("does not refresh again for a secret that was already replaced", async () => {
    const { session, seen } = client({ "/api/chatkit/session": [issued("s1"), issued("s2")] });
    await session.getClientSecret(null);
    await session.getClientSecret("s1");
    expect(await session.getClientSecret("s1")).toBe("s2");
    expect(seen).toHaveLength(2);
  });

  it("shares one request between concurrent callers", async () => {
    const { session, seen } = client({ "/api/chatkit/session": [issued("s1")] });
    const secrets = await Promise.all([session.getClientSecret(null), session.getClientSecret(null)]);
    expect(secrets).toEqual(["s1", "s1"]);
    expect(seen).toHaveLength(1);
  });

  it("invalidate() makes the next call refresh with existing", async () => {
    const { session, seen } = client({ "/api/chatkit/session": [issued("s1"), issued("s2")] });
    await session.getClientSecret(null);
    session.invalidate();
    expect(await session.getClientSecret(null)).toBe("s2");
    expect(JSON.parse(seen[1].body)).toEqual({ existing: "s1" });
  });

  it.each([401, 403])("reports %i as a refused session and forgets the secret", async (code) => {
    const store = new MemoryStore();
    store.setItem(SESSION_KEY, JSON.stringify({ clientSecret: "old", expiresAt: NOW_S - 5 }));
    const { session } = client({ "/api/chatkit/session": [json({ detail: "no" }, code)] }, store);
    const error = await session.getClientSecret(null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionRefusedError);
    expect((error as SessionRefusedError).status).toBe(code);
    expect(store.getItem(SESSION_KEY)).toBeNull();
    expect(session.cached()).toBeNull();
  });

  it("retries 5xx and then reports the backend as unavailable", async () => {
    const { session, seen } = client({
      "/api/chatkit/session": [json({}, 500), json({}, 502), json({}, 503), json({}, 503)],
    });
    await expect(session.getClientSecret(null)).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(seen).toHaveLength(4);
  });

  it("recovers from a transient failure", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { session } = client({ "/api/chatkit/session": [new TypeError("Failed to fetch"), issued("s1")] });
    expect(await session.getClientSecret(null)).toBe("s1");
  });

  it.each([
    ["no client_secret", json({ expires_at: NOW_S })],
    ["expires_at not a number", json({ client_secret: "s", expires_at: "soon" })],
    ["an empty secret", json({ client_secret: "", expires_at: NOW_S })],
    ["HTML", new Response("<html>", { status: 200 })],
  ])("rejects an answer with %s", async (_name, answer) => {
    const { session } = client({ "/api/chatkit/session": [answer] });
    await expect(session.getClientSecret(null)).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it.each([
    ["left out", json({ client_secret: "s1" })],
    ["null", json({ client_secret: "s1", expires_at: null })],
  ])("uses a secret whose expires_at is %s until it is refused, without asking again", async (_name, answer) => {
    const store = new MemoryStore();
    const { session, seen } = client({ "/api/chatkit/session": [answer, issued("s2")] }, store, NOW_S);
    expect(await session.getClientSecret(null)).toBe("s1");
    expect(JSON.parse(store.getItem(SESSION_KEY) ?? "null")).toEqual({ clientSecret: "s1", expiresAt: null });
    // However much later: no expiry known, so no refresh until the backend refuses the secret.
    const { session: nextYear, seen: nextYearSeen } = client({}, store, NOW_S + 365 * 86_400);
    expect(await nextYear.getClientSecret(null)).toBe("s1");
    expect(nextYearSeen).toHaveLength(0);
    expect(await session.getClientSecret(null)).toBe("s1");
    expect(seen).toHaveLength(1);
    expect(await session.getClientSecret("s1")).toBe("s2");
    expect(JSON.parse(seen[1].body)).toEqual({ existing: "s1" });
  });

  it("after a failure, the next call asks again", async () => {
    const { session } = client({ "/api/chatkit/session": [json({}, 403), issued("s2")] });
    await expect(session.getClientSecret(null)).rejects.toBeInstanceOf(SessionRefusedError);
    expect(await session.getClientSecret(null)).toBe("s2");
  });
});
