// The panel's frame and stylesheet, built by the panel module on first open, and the panel's
// strings (config.strings, else the built-in translation named by config.locale, else English).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RuntimeConfig } from "./config";
import { applyPanelStyles, buildFrame, showOwnHeader } from "./frame";
import type { PanelContext } from "./panel-api";
import { PANEL_CSS } from "./panel-css";
import { builtIn, text } from "./panel-strings";
import { sampleConfig } from "./testing/fixtures";

const table = JSON.parse(readFileSync(resolve(__dirname, "../../templates/strings.json"), "utf8")) as Record<
  string,
  Record<string, string>
>;

let panel: HTMLElement;
beforeEach(() => {
  panel = document.createElement("div");
  panel.id = "chatkit-inject-panel";
  document.body.append(panel);
});
afterEach(() => {
  document.body.innerHTML = "";
  document.head.innerHTML = "";
});

const context = (config: RuntimeConfig = sampleConfig()): PanelContext & { close: ReturnType<typeof vi.fn> } => ({
  config,
  scriptTimeoutMs: 100,
  close: vi.fn(),
});

describe("frame", () => {
  it("builds the header (title, close button) and the body inside the panel element", () => {
    const body = buildFrame(panel, context());
    expect(panel.querySelector(".chatkit-inject-header .chatkit-inject-title")?.textContent).toBe("Textbook assistant");
    const close = panel.querySelector<HTMLButtonElement>(".chatkit-inject-header button.chatkit-inject-close");
    expect(close?.getAttribute("type")).toBe("button");
    expect(close?.getAttribute("aria-label")).toBe("Close");
    expect(close?.querySelector("svg[aria-hidden='true']")).not.toBeNull();
    expect(body.className).toBe("chatkit-inject-body");
    expect(body.parentElement).toBe(panel);
  });

  it("hides and shows its own header (title and close button) above the body; focus on the close button goes to the panel", () => {
    panel.tabIndex = -1;
    const body = buildFrame(panel, context());
    const header = panel.querySelector<HTMLElement>(".chatkit-inject-header")!;
    panel.querySelector<HTMLButtonElement>(".chatkit-inject-close")?.focus();
    showOwnHeader(body, false);
    expect(header.style.display).toBe("none");
    expect(document.activeElement).toBe(panel);
    showOwnHeader(body, true);
    expect(header.style.display).toBe("");
    // Focus elsewhere stays where it is.
    const outside = document.createElement("button");
    document.body.append(outside);
    outside.focus();
    showOwnHeader(body, false);
    expect(document.activeElement).toBe(outside);
  });

  it("replaces what the panel held (the loader's load error)", () => {
    panel.innerHTML = '<div id="chatkit-inject-error"></div>';
    buildFrame(panel, context());
    expect(panel.querySelector("#chatkit-inject-error")).toBeNull();
    expect(panel.children).toHaveLength(2);
  });

  it("closes through the loader's close() from its close button", () => {
    const ctx = context();
    buildFrame(panel, ctx);
    panel.querySelector<HTMLButtonElement>(".chatkit-inject-close")?.click();
    expect(ctx.close).toHaveBeenCalledTimes(1);
  });

  it("renders the title as text, never as markup", () => {
    buildFrame(panel, context({ ...sampleConfig(), title: "<img src=x onerror=alert(1)>" }));
    expect(document.querySelector("img")).toBeNull();
    expect(panel.querySelector(".chatkit-inject-title")?.textContent).toBe("<img src=x onerror=alert(1)>");
  });

  it("labels the close button in the page's language: its built-in translation, or the page's own string", () => {
    buildFrame(panel, context({ ...sampleConfig(), locale: "ur" }));
    expect(panel.querySelector(".chatkit-inject-close")?.getAttribute("aria-label")).toBe(table.ur.close);
    buildFrame(panel, context({ ...sampleConfig(), locale: "ur", strings: { close: "Fermer" } }));
    expect(panel.querySelector(".chatkit-inject-close")?.getAttribute("aria-label")).toBe("Fermer");
  });
});

describe("panel stylesheet", () => {
  it("is applied once per document, as a constructable stylesheet where there are some", () => {
    const doc = document.implementation.createHTMLDocument("t");
    const adopted: CSSStyleSheet[] = [];
    const replaceSync = vi.fn();
    class Sheet {
      replaceSync(css: string): void {
        replaceSync(css);
      }
    }
    Object.defineProperty(doc, "adoptedStyleSheets", {
      get: () => adopted,
      set: (v: CSSStyleSheet[]) => adopted.splice(0, adopted.length, ...v),
    });
    Object.defineProperty(doc, "defaultView", { value: { CSSStyleSheet: Sheet } });
    applyPanelStyles(doc);
    applyPanelStyles(doc);
    expect(adopted).toHaveLength(1);
    expect(replaceSync).toHaveBeenCalledWith(PANEL_CSS);
    expect(doc.querySelector("style")).toBeNull();
  });

  it("falls back to a <style> element where there are none, once", () => {
    const doc = document.implementation.createHTMLDocument("t");
    Object.defineProperty(doc, "defaultView", { value: {} });
    applyPanelStyles(doc);
    applyPanelStyles(doc);
    const styles = doc.querySelectorAll("style");
    expect(styles).toHaveLength(1);
    expect(styles[0].textContent).toBe(PANEL_CSS);
  });
});

describe("panel strings", () => {
  // Without the sample's English loader strings (an Urdu page carries Urdu ones).
  const { strings: _english, ...sample } = sampleConfig();
  const ur: RuntimeConfig = { ...sample, locale: "ur" };

  it("take the page's own strings first", () => {
    expect(text({ ...ur, strings: { loading: "Wait" } }, "loading")).toBe("Wait");
    expect(text(ur, "greeting")).toBe("Ask me anything about this chapter.");
  });

  it("else the built-in translation named by locale", () => {
    const { greeting: _g, placeholder: _p, ...rest } = ur;
    for (const key of ["loading", "responding", "session", "script", "unknown", "close", "retry"] as const)
      expect(text(ur, key)).toBe(table.ur[key]);
    expect(text(rest, "greeting")).toBe(table.ur.greeting);
    expect(text(rest, "placeholder")).toBe(table.ur.placeholder);
  });

  it("else English, also for a locale the panel does not know or that names no own property", () => {
    const { greeting: _g, ...rest } = sampleConfig();
    expect(text(rest, "greeting")).toBe(table.en.greeting);
    expect(text({ ...rest, locale: "xx" }, "loading")).toBe(table.en.loading);
    expect(text({ ...rest, locale: "__proto__" }, "unknown")).toBe(table.en.unknown);
    expect(builtIn("toString")).toBeNull();
    expect(builtIn(undefined)).toBeNull();
  });

  it("cover every built-in language of templates/strings.json", () => {
    for (const lang of Object.keys(table)) expect(builtIn(lang)).toEqual(table[lang]);
  });
});
