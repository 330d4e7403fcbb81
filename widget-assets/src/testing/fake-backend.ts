/** A scripted stand-in for `fetch` that records every request it sees. */

import { vi } from "vitest";

export interface Seen {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

export type Answer = Response | Error | ((request: Seen) => Response | Error);

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** `fetch` answering from per-URL-suffix queues; an unexpected request fails the test. */
export function fakeFetch(routes: Record<string, Answer[]>) {
  const seen: Seen[] = [];
  const impl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const record: Seen = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: request.method === "GET" ? "" : await request.text(),
    };
    seen.push(record);
    const route = Object.keys(routes).find((suffix) => record.url.endsWith(suffix));
    const answer = route === undefined ? undefined : routes[route].shift();
    if (answer === undefined) throw new Error(`unexpected request ${record.method} ${record.url}`);
    const result = typeof answer === "function" ? answer(record) : answer;
    if (!(result instanceof Response)) throw result;
    return result;
  };
  const mock = vi.fn(impl);
  return { fetch: mock as unknown as typeof fetch, seen, mock };
}

export class MemoryStore {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}
