import { describe, expect, it } from "vitest";
import { type KeyValueStore, readItem, sessionStore, writeItem } from "./storage";
import { MemoryStore } from "./testing/fake-backend";

const broken: KeyValueStore = {
  getItem: () => {
    throw new DOMException("denied", "SecurityError");
  },
  setItem: () => {
    throw new DOMException("full", "QuotaExceededError");
  },
  removeItem: () => {
    throw new DOMException("denied", "SecurityError");
  },
};

describe("storage", () => {
  it("writes, reads and removes", () => {
    const store = new MemoryStore();
    writeItem(store, "k", "v");
    expect(readItem(store, "k")).toBe("v");
    writeItem(store, "k", null);
    expect(readItem(store, "k")).toBeNull();
    expect(store.items.size).toBe(0);
  });

  it("tolerates a storage that throws", () => {
    expect(readItem(broken, "k")).toBeNull();
    expect(() => writeItem(broken, "k", "v")).not.toThrow();
    expect(() => writeItem(broken, "k", null)).not.toThrow();
  });

  it("tolerates no storage at all", () => {
    expect(readItem(null, "k")).toBeNull();
    expect(() => writeItem(null, "k", "v")).not.toThrow();
  });

  it("uses the page's sessionStorage", () => {
    const store = sessionStore();
    writeItem(store, "chatkit-inject:test", "1");
    expect(window.sessionStorage.getItem("chatkit-inject:test")).toBe("1");
    window.sessionStorage.removeItem("chatkit-inject:test");
  });
});
