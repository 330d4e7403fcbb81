import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MountContext, MountPanel } from "./panel-api";
import { OPEN_CLASS, startLoader } from "./loader";
import { SCRIPT_TIMEOUT_MS } from "./panel";
import type { AskModule } from "./selection";
import { OPEN_KEY } from "./storage";
import { MemoryStore } from "./testing/fake-backend";
import {
  SAMPLE_CONFIG_TEXT,
  SAMPLE_CONFIG_TEXT_UR,
  SAMPLE_MARKUP,
  sampleConfig,
  samplePage,
  sampleSite,
} from "./testing/fixtures";
import { readPageTheme } from "./theme";
import { toHex } from "./color";

function installConfig(text: string, attrs: Record<string, string> = {}): void {
  const script = document.createElement("script");
  script.type = "application/json";
  script.id = "chatkit-inject-config";
  script.setAttribute("data-chatkit-inject", "");
  for (const [k, v] of Object.entries(attrs)) script.setAttribute(k, v);
  script.textContent = text;
  document.body.append(script);
}

/** The sample's module URLs, resolved against the test page's. */
const PANEL_URL = new URL(samplePage().panelUrl, "http://localhost:3000/").href;
const SITE_URL = new URL(samplePage().siteUrl, "http://localhost:3000/").href;

type Import = (url: string) => Promise<unknown>;

/** Starts a loader whose `import()` answers the site module's URL with `importSite`, any other with `importPanel`. */
function boot(options: { store?: MemoryStore; importPanel?: Import; importSite?: Import } = {}) {
  const store = options.store ?? new MemoryStore();
  const mount = vi.fn<MountPanel>((host) => {
    host.append(Object.assign(document.createElement("openai-chatkit"), { className: "chatkit-inject-chat" }));
    return { unmount: () => undefined };
  });
  const importPanel = vi.fn(options.importPanel ?? (async () => ({ mount })));
  const importSite = vi.fn(options.importSite ?? (async () => ({ default: sampleSite() })));
  const importModule = (url: string): Promise<unknown> => (url === SITE_URL ? importSite(url) : importPanel(url));
  const loader = startLoader({ doc: document, store, importModule });
  return { loader, store, mount, importPanel, importSite };
}

/** Elements that would make the browser fetch something. */
const fetchingElements = (): Element[] => [...document.querySelectorAll("link, script[src], iframe, img")];

const key = (k: string): void => {
  document.activeElement?.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
};

/** What each test's loader listens to on the document, removed after the test: a loader of an earlier test would answer a later test's events. */
const documentListeners: Array<[string, EventListenerOrEventListenerObject]> = [];
beforeEach(() => {
  const add = EventTarget.prototype.addEventListener;
  vi.spyOn(document, "addEventListener").mockImplementation(function (this: Document, type, listener, options) {
    if (listener) documentListeners.push([type, listener]);
    add.call(this, type, listener, options);
  });
  document.head.innerHTML = "";
  document.documentElement.className = "";
  document.documentElement.removeAttribute("style");
  document.body.innerHTML = '<div id="__docusaurus"><main>page</main></div>';
});
afterEach(() => {
  for (const [type, listener] of documentListeners.splice(0)) document.removeEventListener(type, listener);
  document.body.innerHTML = "";
});
// A selection change (clearing the body changes it) starts the loader's 200 ms debounce; one left
// pending after the last test would fire once the document is torn down. Let it fire first.
afterAll(() => new Promise<void>((done) => setTimeout(done, 250)));

describe("config", () => {
  it("does nothing without a config element", () => {
    expect(boot().loader).toBeNull();
    expect(document.getElementById("chatkit-inject-toggle")).toBeNull();
    expect(console.warn).toHaveBeenCalled();
  });

  it("does nothing, with a console warning, for another config version", () => {
    installConfig(JSON.stringify({ ...samplePage(), v: 1 }));
    expect(boot().loader).toBeNull();
    expect(document.getElementById("chatkit-inject-toggle")).toBeNull();
    expect(String(vi.mocked(console.warn).mock.calls[0][0])).toContain("(v)");
  });

  it("does nothing for a config that is not JSON", () => {
    installConfig("{oops");
    expect(boot().loader).toBeNull();
    expect(document.getElementById("chatkit-inject-panel")).toBeNull();
  });

  it("hands the panel module no script timeout: the panel's own 10 s applies", async () => {
    installConfig(SAMPLE_CONFIG_TEXT);
    const { loader, mount } = boot();
    loader?.setOpen(true);
    await loader?.ready();
    expect(mount.mock.calls[0][1]).not.toHaveProperty("scriptTimeoutMs");
    expect(SCRIPT_TIMEOUT_MS).toBe(10_000);
  });
});

describe("markup", () => {
  beforeEach(() => installConfig(SAMPLE_CONFIG_TEXT));

  it("renders the toggle and an empty hidden panel (the panel module builds its frame) outside #__docusaurus", () => {
    boot();
    const toggle = document.getElementById("chatkit-inject-toggle");
    const panel = document.getElementById("chatkit-inject-panel");
    expect(toggle?.tagName).toBe("BUTTON");
    expect(toggle?.getAttribute("type")).toBe("button");
    expect(toggle?.getAttribute("aria-label")).toBe("Textbook assistant");
    expect(toggle?.getAttribute("aria-expanded")).toBe("false");
    expect(toggle?.getAttribute("aria-controls")).toBe("chatkit-inject-panel");
    expect(toggle?.querySelector("svg[aria-hidden='true']")).not.toBeNull();
    expect(panel?.getAttribute("role")).toBe("dialog");
    expect(panel?.getAttribute("aria-label")).toBe("Textbook assistant");
    expect(panel?.hidden).toBe(true);
    expect(panel?.childElementCount).toBe(0);
    expect(toggle?.parentElement).toBe(document.body);
    expect(document.getElementById("__docusaurus")?.contains(toggle ?? null)).toBe(false);
  });

  it("puts the element the panel probes for ChatKit's accent under the icon, so the page paints the toggle with it", () => {
    // A brand colour outside Infima (as fixtures/site-course): buttons orange, --ifm-color-primary blue.
    const sheet = document.createElement("style");
    sheet.textContent = ":root{--ifm-color-primary:#3578e5}.button--primary{background-color:rgb(249, 115, 22)}";
    document.head.append(sheet);
    boot();
    const toggle = document.getElementById("chatkit-inject-toggle");
    const layer = toggle?.firstElementChild;
    // Empty and without href: no text, no link, nothing a keyboard or a screen reader reaches.
    expect(layer?.matches("a.button.button--primary:empty:not([href])")).toBe(true);
    expect(layer?.nextElementSibling?.matches("svg[aria-hidden='true']")).toBe(true);
    const shown = toHex(getComputedStyle(layer as Element).backgroundColor);
    expect(shown).toBe("#f97316");
    expect(readPageTheme(document).accent).toBe(shown);
  });

  it("uses the title as an attribute value, never as markup", () => {
    document.body.innerHTML = "";
    installConfig(JSON.stringify({ ...sampleConfig(), title: "<img src=x onerror=alert(1)>" }));
    boot();
    expect(document.querySelector("img")).toBeNull();
    expect(document.getElementById("chatkit-inject-toggle")?.getAttribute("aria-label")).toBe("<img src=x onerror=alert(1)>");
  });

  it("starts from the markup the CLI injects (tests/golden/markup.html)", async () => {
    document.body.innerHTML = '<div id="__docusaurus"><main>page</main></div>';
    // Scripts inserted as HTML do not run: the config element is data, the loader is this test's.
    document.body.insertAdjacentHTML("beforeend", SAMPLE_MARKUP.split("\n")[1]);
    const { loader, mount } = boot();
    expect(loader?.toggle.getAttribute("aria-label")).toBe(samplePage().title);
    loader?.setOpen(true);
    await loader?.ready();
    expect(mount.mock.calls[0][1].site).toEqual(sampleSite());
  });

  it("runs once even if the loader is included twice", () => {
    boot();
    expect(boot().loader).toBeNull();
    expect(document.querySelectorAll("#chatkit-inject-toggle")).toHaveLength(1);
  });
});

describe("lazy loading", () => {
  beforeEach(() => installConfig(SAMPLE_CONFIG_TEXT));

  it("fetches nothing before the first open", () => {
    const before = fetchingElements().length;
    const { importPanel, importSite } = boot();
    expect(importPanel).not.toHaveBeenCalled();
    expect(importSite).not.toHaveBeenCalled();
    expect(fetchingElements()).toHaveLength(before);
  });

  it("on intent, imports the panel module (mounting nothing) and the site module, which preconnects to its backend", async () => {
    const { loader, importPanel, importSite, mount } = boot();
    loader?.toggle.dispatchEvent(new Event("pointerenter"));
    loader?.toggle.dispatchEvent(new FocusEvent("focus"));
    await vi.waitFor(() => expect(document.head.querySelectorAll("link")).toHaveLength(1));
    const links = [...document.head.querySelectorAll("link")].map((l) => [l.rel, l.href]);
    expect(links).toEqual([["preconnect", "https://chat.example.edu/"]]);
    expect(importSite).toHaveBeenCalledTimes(1);
    expect(importSite).toHaveBeenCalledWith(SITE_URL);
    expect(importPanel).toHaveBeenCalledWith(PANEL_URL);
    expect(mount).not.toHaveBeenCalled();
    expect(loader?.panel.hidden).toBe(true);
    expect(loader?.panel.childElementCount).toBe(0);
    // Nothing of ChatKit's before the open: no script, no preload.
    expect(document.querySelector("script[src], link[rel=preload]")).toBeNull();
  });

  it("imports the panel module and the site module on first open, preloads the ChatKit script, and mounts the panel with both parts of the config", async () => {
    const { loader, importPanel, importSite, mount } = boot();
    loader?.toggle.click();
    await loader?.ready();
    expect(importPanel).toHaveBeenCalledWith(PANEL_URL);
    expect(importSite).toHaveBeenCalledWith(SITE_URL);
    expect(mount).toHaveBeenCalledTimes(1);
    const [host, context] = mount.mock.calls[0] as [HTMLElement, MountContext];
    expect(host.closest("#chatkit-inject-panel")).not.toBeNull();
    expect(context.config).toEqual(samplePage());
    expect(context.site).toEqual(sampleSite());
    expect(document.querySelector("#chatkit-inject-panel openai-chatkit")).not.toBeNull();
    const preload = document.head.querySelector("link[rel=preload]");
    expect(preload?.getAttribute("href")).toBe(sampleConfig().scriptUrl);
    // The backend's connection is opened on the way too.
    expect(document.head.querySelector("link[rel=preconnect]")?.getAttribute("href")).toBe("https://chat.example.edu");
  });

  it("imports the site module once for intent and the open, and preconnects once", async () => {
    const { loader, importSite } = boot();
    loader?.toggle.dispatchEvent(new FocusEvent("focus"));
    loader?.toggle.click();
    await loader?.ready();
    expect(importSite).toHaveBeenCalledTimes(1);
    expect(document.head.querySelectorAll("link[rel=preconnect]")).toHaveLength(1);
  });

  it("shows the same error with Retry when the site module fails to load, and recovers", async () => {
    let fail = true;
    const { loader, importSite, mount } = boot({
      importSite: async () => {
        if (fail) throw new TypeError("Failed to fetch dynamically imported module");
        return { default: sampleSite() };
      },
    });
    // A failed import on intent is tried again by the open.
    loader?.toggle.dispatchEvent(new FocusEvent("focus"));
    expect(importSite).toHaveBeenCalledTimes(1);
    // Once that import has failed (an import still on its way would be shared).
    await new Promise((resolve) => setTimeout(resolve, 0));
    loader?.setOpen(true);
    await loader?.ready();
    expect(importSite).toHaveBeenCalledTimes(2);
    const error = document.getElementById("chatkit-inject-error");
    expect(error?.getAttribute("role")).toBe("alert");
    expect(error?.textContent).toContain("can't be reached");
    expect(mount).not.toHaveBeenCalled();
    // Nothing to preload or connect to before the site module is there.
    expect(document.head.querySelector("link[rel=preload], link[rel=preconnect]")).toBeNull();
    fail = false;
    error?.querySelector<HTMLButtonElement>('button[data-action="retry"]')?.click();
    await loader?.ready();
    expect(importSite).toHaveBeenCalledTimes(3);
    expect(mount).toHaveBeenCalledTimes(1);
    expect(document.getElementById("chatkit-inject-error")).toBeNull();
  });

  it("keeps the panel mounted across close and reopen", async () => {
    const { loader, importPanel, mount } = boot();
    loader?.setOpen(true);
    await loader?.ready();
    loader?.setOpen(false);
    loader?.setOpen(true);
    await loader?.ready();
    expect(importPanel).toHaveBeenCalledTimes(1);
    expect(mount).toHaveBeenCalledTimes(1);
    expect(document.querySelectorAll("openai-chatkit")).toHaveLength(1);
  });

  it("shows an error with Retry when the panel module fails to load, and recovers", async () => {
    let fail = true;
    const mount = vi.fn<MountPanel>(() => ({ unmount: () => undefined }));
    const { loader, importPanel } = boot({
      importPanel: async () => {
        if (fail) throw new TypeError("Failed to fetch dynamically imported module");
        return { mount };
      },
    });
    loader?.setOpen(true);
    await loader?.ready();
    const error = document.getElementById("chatkit-inject-error");
    expect(error?.getAttribute("role")).toBe("alert");
    expect(error?.textContent).toContain("can't be reached");
    expect(error?.textContent).not.toContain("dynamically imported");
    fail = false;
    error?.querySelector<HTMLButtonElement>('button[data-action="retry"]')?.click();
    await loader?.ready();
    expect(importPanel).toHaveBeenCalledTimes(2);
    expect(mount).toHaveBeenCalledTimes(1);
    expect(document.getElementById("chatkit-inject-error")).toBeNull();
  });

  it("says so when the reader is offline", async () => {
    vi.spyOn(window.navigator, "onLine", "get").mockReturnValue(false);
    const { loader } = boot({ importPanel: async () => Promise.reject(new TypeError("Failed to fetch")) });
    loader?.setOpen(true);
    await loader?.ready();
    expect(document.getElementById("chatkit-inject-error")?.textContent).toContain("You appear to be offline.");
  });

  it("hands a site module without a default export to the panel module, which rejects the config; nothing preloaded", async () => {
    const { loader, mount } = boot({ importSite: async () => ({}) });
    loader?.setOpen(true);
    await loader?.ready();
    expect(mount).toHaveBeenCalledTimes(1);
    expect(mount.mock.calls[0][1].site).toBeUndefined();
    expect(document.head.querySelector("link[rel=preload], link[rel=preconnect]")).toBeNull();
  });

  it("treats a module without mount() as a load failure", async () => {
    const { loader } = boot({ importPanel: async () => ({}) });
    loader?.setOpen(true);
    await loader?.ready();
    expect(document.getElementById("chatkit-inject-error")).not.toBeNull();
  });
});

describe("Ask about this from the start (the first selection of page text)", () => {
  beforeEach(() => {
    installConfig(SAMPLE_CONFIG_TEXT);
    vi.useFakeTimers();
  });
  afterEach(() => {
    document.getSelection()?.removeAllRanges();
    vi.useRealTimers();
  });

  /** A panel module with both exports, as dist/panel.js has them. */
  function bootWithAsk(importPanel?: (url: string) => Promise<unknown>) {
    const offerAsk = vi.fn<AskModule["offerAsk"]>();
    const mount = vi.fn<MountPanel>(() => ({ unmount: () => undefined }));
    const booted = boot({ importPanel: importPanel ?? (async () => ({ mount, offerAsk })) });
    return { ...booted, offerAsk, mount };
  }

  /** Selects the contents of `node` (or nothing) and reports it the way the browser does. */
  function select(node: Node | null): void {
    const selection = document.getSelection()!;
    selection.removeAllRanges();
    if (node) {
      const range = document.createRange();
      range.selectNodeContents(node);
      selection.addRange(range);
    }
    document.dispatchEvent(new Event("selectionchange"));
  }

  const settle = async (ms = 200): Promise<void> => {
    await vi.advanceTimersByTimeAsync(ms);
  };

  it("once a selection of the page's own text settles, imports the panel module (not mounting it) and lets it offer the button", async () => {
    const { loader, importPanel, offerAsk, mount } = bootWithAsk();
    select(document.querySelector("main"));
    await settle(199);
    expect(importPanel).not.toHaveBeenCalled();
    await settle(1);
    expect(importPanel).toHaveBeenCalledWith(PANEL_URL);
    expect([...document.head.querySelectorAll("link")].map((l) => l.rel)).toEqual(["preconnect"]);
    expect(offerAsk).toHaveBeenCalledTimes(1);
    const [target, config] = offerAsk.mock.calls[0];
    // Both parts of the config, as the panel checks them.
    expect(config).toEqual({ config: samplePage(), site: sampleSite() });
    expect(target.toggle).toBe(loader?.toggle);
    expect(target.panel).toBe(loader?.panel);
    expect(mount).not.toHaveBeenCalled();
    expect(loader?.panel.hidden).toBe(true);
    // The button opens the panel through the loader: mounted then, once.
    target.setOpen(true);
    await loader?.ready();
    expect(loader?.panel.hidden).toBe(false);
    expect(mount).toHaveBeenCalledTimes(1);
    // Offered once: later selections are the panel module's.
    select(null);
    select(document.querySelector("main"));
    await settle();
    expect(importPanel).toHaveBeenCalledTimes(2); // the open's import, no other
    expect(offerAsk).toHaveBeenCalledTimes(1);
  });

  it("waits for the selection to settle: one import for a selection that grows", async () => {
    const { importPanel, offerAsk } = bootWithAsk();
    const main = document.querySelector("main")!;
    for (let i = 0; i < 5; i++) {
      select(main);
      await settle(150);
    }
    expect(importPanel).not.toHaveBeenCalled();
    await settle(50);
    expect(importPanel).toHaveBeenCalledTimes(1);
    expect(offerAsk).toHaveBeenCalledTimes(1);
  });

  it("fetches nothing for no selection, the navbar's text, a field's or the widget's", async () => {
    const { importPanel } = bootWithAsk();
    const navbar = Object.assign(document.createElement("nav"), { className: "navbar", textContent: "Textbook" });
    const field = Object.assign(document.createElement("textarea"), { value: "my own notes" });
    document.body.prepend(navbar, field);
    select(null);
    await settle();
    select(navbar);
    await settle();
    field.focus();
    field.select();
    select(field.parentElement);
    await settle();
    field.blur();
    const note = document.createElement("p");
    note.textContent = "the widget's text";
    document.getElementById("chatkit-inject-panel")?.append(note);
    select(note);
    await settle();
    expect(importPanel).not.toHaveBeenCalled();
    expect(document.head.querySelector("link")).toBeNull();
  });

  it("listens again after a failed import, and offers on the next selection", async () => {
    const offerAsk = vi.fn<AskModule["offerAsk"]>();
    let fail = true;
    const { importPanel } = bootWithAsk(async () => {
      if (fail) throw new TypeError("Failed to fetch dynamically imported module");
      return { mount: vi.fn(), offerAsk };
    });
    const main = document.querySelector("main")!;
    select(main);
    await settle();
    expect(importPanel).toHaveBeenCalledTimes(1);
    expect(offerAsk).not.toHaveBeenCalled();
    fail = false;
    select(main);
    await settle();
    expect(importPanel).toHaveBeenCalledTimes(2);
    expect(offerAsk).toHaveBeenCalledTimes(1);
  });
});

describe("open state and keyboard", () => {
  beforeEach(() => installConfig(SAMPLE_CONFIG_TEXT));

  it("toggles on click, reflecting the state in aria-expanded, hidden and sessionStorage", () => {
    const { loader, store } = boot();
    const toggle = loader?.toggle;
    toggle?.click();
    expect(toggle?.getAttribute("aria-expanded")).toBe("true");
    expect(loader?.panel.hidden).toBe(false);
    expect(store.getItem(OPEN_KEY)).toBe("1");
    toggle?.click();
    expect(toggle?.getAttribute("aria-expanded")).toBe("false");
    expect(loader?.panel.hidden).toBe(true);
    expect(store.getItem(OPEN_KEY)).toBeNull();
  });

  it("moves focus into the panel on open", () => {
    const { loader } = boot();
    loader?.toggle.focus();
    loader?.toggle.click();
    expect(loader?.panel.contains(document.activeElement)).toBe(true);
  });

  it("closes on Escape and returns focus to the toggle", () => {
    const { loader } = boot();
    loader?.toggle.click();
    key("Escape");
    expect(loader?.panel.hidden).toBe(true);
    expect(loader?.toggle.getAttribute("aria-expanded")).toBe("false");
    expect(document.activeElement).toBe(loader?.toggle);
  });

  it("ignores Escape meant for the page", () => {
    const { loader } = boot();
    loader?.toggle.click();
    const search = document.createElement("input");
    document.body.append(search);
    search.focus();
    key("Escape");
    expect(loader?.panel.hidden).toBe(false);
  });

  it("ignores other keys", () => {
    const { loader } = boot();
    loader?.toggle.click();
    key("Enter");
    key("a");
    expect(loader?.panel.hidden).toBe(false);
  });

  it("hands the panel module a close() (its close button's) that closes and returns focus to the toggle", async () => {
    const { loader, mount } = boot();
    loader?.toggle.click();
    await loader?.ready();
    mount.mock.calls[0][1].close();
    expect(loader?.panel.hidden).toBe(true);
    expect(loader?.toggle.getAttribute("aria-expanded")).toBe("false");
    expect(document.activeElement).toBe(loader?.toggle);
  });

  it("closes on Escape when the panel module could not be loaded, too", async () => {
    const { loader } = boot({ importPanel: async () => Promise.reject(new TypeError("Failed to fetch")) });
    loader?.toggle.click();
    await loader?.ready();
    document.querySelector<HTMLButtonElement>('#chatkit-inject-error button[data-action="retry"]')?.focus();
    key("Escape");
    expect(loader?.panel.hidden).toBe(true);
    expect(document.activeElement).toBe(loader?.toggle);
  });

  it("reopens after a page load when it was open, loading the panel without stealing focus", async () => {
    const store = new MemoryStore();
    store.setItem(OPEN_KEY, "1");
    const page = document.createElement("a");
    page.href = "#";
    document.body.prepend(page);
    page.focus();
    const { loader, importPanel } = boot({ store });
    expect(loader?.panel.hidden).toBe(false);
    expect(loader?.toggle.getAttribute("aria-expanded")).toBe("true");
    expect(document.activeElement).toBe(page);
    await loader?.ready();
    expect(importPanel).toHaveBeenCalledTimes(1);
  });

  it("stays closed after a page load when it was closed", () => {
    const { loader, importPanel } = boot();
    expect(loader?.panel.hidden).toBe(true);
    expect(importPanel).not.toHaveBeenCalled();
  });
});

describe("phone sheet", () => {
  beforeEach(() => installConfig(SAMPLE_CONFIG_TEXT));
  const locked = () => document.documentElement.classList.contains(OPEN_CLASS);

  it("marks <html> while open (the stylesheet stops page scroll at phone widths), and unmarks it on every close", async () => {
    document.documentElement.classList.add("plugin-docs");
    const { loader, mount } = boot();
    expect(locked()).toBe(false);
    loader?.toggle.click();
    expect(OPEN_CLASS).toBe("chatkit-inject-open");
    expect(locked()).toBe(true);
    await loader?.ready();
    mount.mock.calls[0][1].close(); // the panel's close button
    expect(locked()).toBe(false);
    expect(document.activeElement).toBe(loader?.toggle);
    loader?.toggle.click();
    key("Escape");
    expect(locked()).toBe(false);
    expect(document.activeElement).toBe(loader?.toggle);
    loader?.toggle.click();
    loader?.toggle.click();
    expect(locked()).toBe(false);
    expect(document.documentElement.classList.contains("plugin-docs")).toBe(true);
  });

  it("marks <html> when the panel reopens after a page load", () => {
    const store = new MemoryStore();
    store.setItem(OPEN_KEY, "1");
    boot({ store });
    expect(locked()).toBe(true);
  });
});

describe("strings", () => {
  const fr = { close: "Fermer", retry: "Réessayer", offline: "Vous êtes hors ligne.", unreachable: "Injoignable." };

  it("shows the load error of an Urdu page as the CLI writes it (tests/golden/page-config.ur.json)", async () => {
    installConfig(SAMPLE_CONFIG_TEXT_UR);
    const { strings } = JSON.parse(SAMPLE_CONFIG_TEXT_UR) as { strings: Record<string, string> };
    const { loader } = boot({ importSite: async () => Promise.reject(new TypeError("Failed to fetch")) });
    loader?.setOpen(true);
    await loader?.ready();
    const error = document.getElementById("chatkit-inject-error");
    expect(error?.querySelector("p")?.textContent).toBe(strings.unreachable);
    expect(error?.querySelector("button")?.textContent).toBe(strings.retry);
    expect(strings.retry).not.toBe("Retry");
  });

  it("shows the load error in the page's language", async () => {
    installConfig(JSON.stringify({ ...sampleConfig(), strings: fr }));
    const { loader } = boot({ importPanel: async () => Promise.reject(new TypeError("Failed to fetch")) });
    loader?.setOpen(true);
    await loader?.ready();
    const error = document.getElementById("chatkit-inject-error");
    expect(error?.querySelector("p")?.textContent).toBe("Injoignable.");
    expect(error?.querySelector("button")?.textContent).toBe("Réessayer");
  });

  it("uses the offline string when offline", async () => {
    vi.spyOn(window.navigator, "onLine", "get").mockReturnValue(false);
    installConfig(JSON.stringify({ ...sampleConfig(), strings: fr }));
    const { loader } = boot({ importPanel: async () => Promise.reject(new TypeError("Failed to fetch")) });
    loader?.setOpen(true);
    await loader?.ready();
    expect(document.getElementById("chatkit-inject-error")?.querySelector("p")?.textContent).toBe("Vous êtes hors ligne.");
  });

  it("shows the English of an English page as the CLI writes it (tests/golden/page-config.json): the loader has none of its own", async () => {
    installConfig(SAMPLE_CONFIG_TEXT);
    const { loader } = boot({ importPanel: async () => Promise.reject(new TypeError("Failed to fetch")) });
    loader?.setOpen(true);
    await loader?.ready();
    expect(document.getElementById("chatkit-inject-error")?.querySelector("button")?.textContent).toBe("Retry");
    expect(document.getElementById("chatkit-inject-error")?.textContent).toContain("can't be reached");
  });

  it("renders nothing when a string the loader shows is missing or of the wrong type", () => {
    installConfig(JSON.stringify({ ...sampleConfig(), strings: { ...fr, retry: 1 } }));
    expect(boot().loader).toBeNull();
    expect(String(vi.mocked(console.warn).mock.calls[0][0])).toContain("(strings.retry)");
    document.body.innerHTML = "";
    installConfig(JSON.stringify({ ...sampleConfig(), strings: { retry: "Réessayer", offline: "Hors ligne." } }));
    expect(boot().loader).toBeNull();
    expect(String(vi.mocked(console.warn).mock.calls[1][0])).toContain("(strings.unreachable)");
  });
  // The panel module checks the other keys (panel.test.tsx, "an invalid config turns the widget off").
});

describe("placement", () => {
  beforeEach(() => installConfig(SAMPLE_CONFIG_TEXT));

  it("lifts the toggle above a fixed element of the site in its corner, once the page changes", async () => {
    const fab = document.createElement("div");
    const frames: FrameRequestCallback[] = [];
    vi.spyOn(window, "requestAnimationFrame").mockImplementation((f) => frames.push(f));
    vi.spyOn(Element.prototype, "getBoundingClientRect").mockImplementation(function (this: Element) {
      // Loaders of earlier tests still watch the body; their toggles are detached and measure 0.
      if (this.id === "chatkit-inject-toggle" && this.isConnected) return new DOMRect(928, 700, 56, 56);
      if (this === fab) return new DOMRect(920, 690, 64, 100);
      return new DOMRect(0, 0, 0, 0);
    });
    const real = window.getComputedStyle.bind(window);
    vi.spyOn(window, "getComputedStyle").mockImplementation(
      (el: Element) => ({ ...real(el), position: el === fab ? "fixed" : "static", opacity: "1" }) as CSSStyleDeclaration,
    );
    document.elementsFromPoint = () => (fab.isConnected ? [fab, document.body] : [document.body]);
    boot();
    frames.splice(0).forEach((f) => f(0));
    expect(document.documentElement.style.getPropertyValue("--cki-lift")).toBe("");
    document.body.append(fab); // the site hydrates and adds its own chat button
    await new Promise((resolve) => setTimeout(resolve, 0));
    frames.splice(0).forEach((f) => f(0));
    expect(document.documentElement.style.getPropertyValue("--cki-lift")).toBe("74px"); // 756 - 690 + 8
  });
});
