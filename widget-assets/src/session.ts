/**
 * The ChatKit session: a `{client_secret, expires_at}` pair issued by the
 * backend's session endpoint, cached in memory and in sessionStorage so the
 * next page load keeps the same reader (and so the same threads). Expired or
 * refused secrets are refreshed by sending the old one as `existing`. A secret
 * issued without `expires_at` is used until the backend refuses it.
 */

import { BackendUnavailableError, SessionRefusedError } from "./errors";
import { DEFAULT_POLICY, fetchWithRetry, type RetryPolicy } from "./retry";
import { type KeyValueStore, readItem, SESSION_KEY, writeItem } from "./storage";

export interface ClientSecret {
  clientSecret: string;
  /** Unix seconds; null when the backend named no expiry (the secret is then used until refused). */
  expiresAt: number | null;
}

export interface SessionOptions {
  /** Absolute URL of the session endpoint. */
  url: string;
  fetch: typeof fetch;
  store: KeyValueStore | null;
  policy?: RetryPolicy;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** A secret this close to its expiry (seconds) counts as expired. */
  skewSeconds?: number;
}

function isClientSecret(value: unknown): value is ClientSecret {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.clientSecret === "string" &&
    record.clientSecret !== "" &&
    (record.expiresAt === null || (typeof record.expiresAt === "number" && Number.isFinite(record.expiresAt)))
  );
}

function loadStored(store: KeyValueStore | null): ClientSecret | null {
  const raw = readItem(store, SESSION_KEY);
  if (raw === null) return null;
  try {
    const value: unknown = JSON.parse(raw);
    return isClientSecret(value) ? value : null;
  } catch {
    return null;
  }
}

export class SessionClient {
  private current: ClientSecret | null;
  private pending: Promise<string> | null = null;
  private readonly now: () => number;
  private readonly skewSeconds: number;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
    this.skewSeconds = options.skewSeconds ?? 30;
    this.current = loadStored(options.store);
  }

  /** The cached secret, expired or not. */
  cached(): ClientSecret | null {
    return this.current;
  }

  isExpired(secret: ClientSecret): boolean {
    return secret.expiresAt !== null && secret.expiresAt - this.skewSeconds <= this.now() / 1000;
  }

  /**
   * A usable client secret. With `existing` null, a cached valid secret is
   * returned as is; otherwise (`existing` refused by the backend, or the cache
   * expired) a new one is requested, sending the old one as `existing` so the
   * reader keeps their identity. Concurrent calls share one request.
   */
  getClientSecret(existing: string | null): Promise<string> {
    if (this.pending) return this.pending;
    const current = this.current;
    if (current && !this.isExpired(current) && current.clientSecret !== existing) {
      return Promise.resolve(current.clientSecret);
    }
    const previous = existing ?? current?.clientSecret ?? null;
    const request = this.request(previous).finally(() => {
      this.pending = null;
    });
    this.pending = request;
    return request;
  }

  /** Marks the cached secret as expired: the next call refreshes it, sending it as `existing`. */
  invalidate(): void {
    if (this.current) this.current = { ...this.current, expiresAt: 0 };
  }

  /** Forgets the secret, in memory and in storage. */
  clear(): void {
    this.current = null;
    writeItem(this.options.store, SESSION_KEY, null);
  }

  private async request(existing: string | null): Promise<string> {
    const { url, fetch: send } = this.options;
    const body = JSON.stringify(existing === null ? {} : { existing });
    const response = await fetchWithRetry(
      () => send(url, { method: "POST", headers: { "Content-Type": "application/json" }, body }),
      this.options.policy ?? DEFAULT_POLICY,
    );
    if (response.status === 401 || response.status === 403) {
      this.clear();
      throw new SessionRefusedError(response.status);
    }
    if (!response.ok) {
      throw new BackendUnavailableError(`session endpoint answered HTTP ${response.status}`, response.status);
    }
    let payload: unknown;
    try {
      payload = await response.json();
    } catch {
      throw new BackendUnavailableError("session endpoint answered with invalid JSON");
    }
    const record = typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>) : {};
    // No `expires_at` (absent or null) is allowed: the 401 from the chat endpoint says when to refresh.
    const secret = { clientSecret: record.client_secret, expiresAt: record.expires_at ?? null };
    if (!isClientSecret(secret)) {
      throw new BackendUnavailableError("session endpoint answer lacks client_secret or has a bad expires_at");
    }
    this.current = secret;
    writeItem(this.options.store, SESSION_KEY, JSON.stringify(secret));
    return secret.clientSecret;
  }
}
