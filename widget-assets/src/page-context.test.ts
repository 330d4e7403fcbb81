import { describe, expect, it } from "vitest";
import { encodePageContext, readPageContext } from "./page-context";

describe("page context", () => {
  it("reads the path, title and language of the current page", () => {
    window.history.pushState({}, "", "/docs/intro?x=1#part");
    document.title = "Intro | Textbook";
    document.documentElement.lang = "en";
    expect(readPageContext()).toEqual({ path: "/docs/intro", title: "Intro | Textbook", lang: "en" });
    window.history.pushState({}, "", "/docs/next");
    document.title = "Next";
    expect(readPageContext()).toMatchObject({ path: "/docs/next", title: "Next" });
  });

  it("encodes as ASCII-only JSON that decodes to the same values", () => {
    const context = { path: "/docs/caf%C3%A9", title: "Café — ∑ 😀 \"quoted\" \u2028", lang: "fr" };
    const header = encodePageContext(context);
    expect(header).toMatch(/^[\x20-\x7e]*$/);
    expect(header).toContain("\\u00e9");
    expect(header).toContain("\\ud83d\\ude00");
    expect(JSON.parse(header)).toEqual(context);
  });

  it("is a valid header value", () => {
    const header = encodePageContext({ path: "/", title: "line\nbreak\ttab", lang: "" });
    expect(() => new Headers({ "X-ChatKit-Page": header })).not.toThrow();
    expect(new Headers({ "X-ChatKit-Page": header }).get("X-ChatKit-Page")).toBe(header);
  });

  it("keeps exactly the three fields, in order", () => {
    expect(encodePageContext({ path: "/a", title: "A", lang: "en" })).toBe('{"path":"/a","title":"A","lang":"en"}');
  });
});
