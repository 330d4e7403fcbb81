import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ScriptLoadError } from "./errors";
import { loadElementScript } from "./script";

const URL_ = "https://cdn.example.test/chatkit.js";
const scripts = () => [...document.head.querySelectorAll("script")];

beforeEach(() => {
  vi.useFakeTimers();
  document.head.innerHTML = "";
});
afterEach(() => vi.useRealTimers());

// One jsdom per test file: `openai-chatkit` is undefined until the last test defines it.
describe("loadElementScript", () => {
  it("adds one async classic script for the URL", () => {
    void loadElementScript(document, URL_, 1000).catch(() => undefined);
    expect(scripts()).toHaveLength(1);
    expect(scripts()[0].src).toBe(URL_);
    expect(scripts()[0].async).toBe(true);
    expect(scripts()[0].type).toBe("");
  });

  it("fails as blocked when the script errors, and removes it", async () => {
    const result = loadElementScript(document, URL_, 1000).catch((e: unknown) => e);
    scripts()[0].dispatchEvent(new Event("error"));
    const error = await result;
    expect(error).toBeInstanceOf(ScriptLoadError);
    expect((error as ScriptLoadError).reason).toBe("blocked");
    expect(scripts()).toHaveLength(0);
  });

  it("fails as timed out when the element is not defined in time", async () => {
    const result = loadElementScript(document, URL_, 1000).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    expect(scripts()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const error = await result;
    expect((error as ScriptLoadError).reason).toBe("timeout");
    expect(scripts()).toHaveLength(0);
  });

  it("resolves once the element is defined, then without loading again", async () => {
    const result = loadElementScript(document, URL_, 1000);
    customElements.define("openai-chatkit", class extends HTMLElement {});
    await expect(result).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(2000);
    document.head.innerHTML = "";
    await expect(loadElementScript(document, URL_, 1000)).resolves.toBeUndefined();
    expect(scripts()).toHaveLength(0);
  });
});
