/**
 * The loader: the only code that runs on every page. It reads the runtime
 * config, renders the toggle button and an empty, hidden panel element (so the
 * toggle's aria-controls names a real element), keeps the toggle clear of the
 * site's fixed elements, and fetches nothing until the reader opens the panel;
 * pointer or keyboard intent on the toggle may prefetch. The page carries only
 * the page config (config.ts); the rest of the runtime config is the site
 * module's. The first open imports the panel module and the site module in
 * parallel, and preloads the ChatKit script (whose URL the site module holds)
 * as soon as the site module is there; intent imports both too (the panel
 * module runs, nothing is mounted), and the site module tells where the backend
 * is, to connect to it early. A site module or panel module that cannot be
 * loaded shows the same load error with Retry. The panel module builds the
 * panel's frame (header, title, close button, body) and brings its own
 * stylesheet. Escape closes from here, so it works even when the panel module
 * could not be loaded (the panel then holds only the load error). The reader's
 * first selection of the page's own text is intent too: the panel module, once
 * imported, offers "Ask about this" (selection.ts, AskModule).
 */

import { CONFIG_ELEMENT_ID, type LoaderConfig, parseLoaderConfig, type SiteConfig } from "./config";
import type { PanelModule } from "./panel-api";
import { watchPlacement } from "./placement";
import { type AskModule, pageSelection } from "./selection";
import { type KeyValueStore, OPEN_KEY, readItem, writeItem } from "./storage";

export const TOGGLE_ID = "chatkit-inject-toggle";
export const PANEL_ID = "chatkit-inject-panel";
export const ERROR_ID = "chatkit-inject-error";
/** On <html> while the panel is open; at phone widths the stylesheet stops the page scrolling. */
export const OPEN_CLASS = "chatkit-inject-open";

export interface LoaderEnv {
  doc: Document;
  store: KeyValueStore | null;
  /** `import(url)`: the panel module and the site module. */
  importModule: (url: string) => Promise<unknown>;
}

export interface Loader {
  toggle: HTMLButtonElement;
  panel: HTMLElement;
  setOpen(open: boolean, moveFocus?: boolean): void;
  /** Settles once the panel module is mounted (or failed to load). */
  ready(): Promise<void>;
}

/**
 * The toggle and the empty, hidden panel, as markup: shorter than building them node by node, and
 * nothing in it comes from the config (the title is set as an attribute value afterwards). The
 * toggle's content is first an empty `<a class="button button--primary">`, the element the panel
 * probes for ChatKit's accent (theme.ts): the browser paints it with the site's primary button
 * background, in light and dark, and widget.css spreads it over the toggle (or hides it when the
 * maintainer set `[theme] accent`), so the toggle shows the panel's accent with no script reading
 * styles, no observer and no colour change after load. Then the icon: a closed path (no line
 * caps), its size, fill and stroke set by widget.css from an id selector rather than as
 * attributes, which any site rule (`svg{fill:currentColor}`) would override. Attributes unquoted
 * where HTML allows: this ships on every page.
 */
export const WIDGET_HTML =
  `<button type=button id=${TOGGLE_ID} class=${TOGGLE_ID} aria-expanded=false aria-controls=${PANEL_ID}>` +
  '<a class="button button--primary"></a><svg aria-hidden=true viewBox="0 0 24 24"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>' +
  `</button><div id=${PANEL_ID} class=${PANEL_ID} role=dialog tabindex=-1 hidden></div>`;

/** The loader's own load error: the message and Retry are set as text afterwards. */
const ERROR_HTML = `<div id=${ERROR_ID} class=${ERROR_ID} role=alert><p></p><button type=button data-action=retry></button></div>`;

/**
 * The config from the page, its version and the loader's own fields checked,
 * or null (with a console warning) when absent or invalid. The panel module
 * checks the rest on first open.
 */
export function readConfig(doc: Document): LoaderConfig | null {
  // No element reads as an empty text, reported as "bad config (JSON)".
  const config = parseLoaderConfig(doc.getElementById(CONFIG_ELEMENT_ID)?.textContent ?? "");
  if (typeof config === "string") {
    console.warn(`[chatkit-inject] bad config (${config}); widget off`);
    return null;
  }
  return config;
}

export function startLoader(env: LoaderEnv): Loader | null {
  const { doc, store, importModule } = env;
  if (doc.getElementById(TOGGLE_ID)) return null; // already running on this page
  const found = readConfig(doc);
  if (!found) return null;
  const config: LoaderConfig = found;
  const url = (value: string): URL => new URL(value, doc.baseURI);
  const panelUrl = url(config.panelUrl).href;
  const siteUrl = url(config.siteUrl).href;

  doc.body.insertAdjacentHTML("beforeend", WIDGET_HTML);
  const toggle = doc.getElementById(TOGGLE_ID) as HTMLButtonElement;
  const panel = toggle.nextSibling as HTMLElement;
  // Attributes, not ARIA reflection (toggle.ariaLabel): Firefox reflects only since 119.
  for (const node of [toggle, panel]) node.setAttribute("aria-label", config.title);
  watchPlacement(doc, toggle, panel);

  let open = false;
  let preloaded = false;
  let site: Promise<SiteConfig> | null = null;
  let loading: Promise<void> | null = null;

  /** A `<link>` in <head>, its attributes set before it is inserted (`as` decides what a preload fetches). */
  const link = (attrs: Partial<HTMLLinkElement>): HTMLLinkElement =>
    doc.head.appendChild(Object.assign(doc.createElement("link"), attrs));

  /**
   * The site module's config, imported once (again after a failure); once it is there, a
   * connection to the backend is opened.
   */
  const loadSite = (): Promise<SiteConfig> =>
    (site ??= importModule(siteUrl).then(
      (module) => {
        const value = (module as { default: SiteConfig }).default;
        try {
          link({ rel: "preconnect", href: url(value.backendUrl).origin, crossOrigin: "" });
        } catch {
          // No config, or its backend is not a URL: the panel module rejects the config.
        }
        return value;
      },
      (error: unknown) => {
        site = null;
        throw error;
      },
    ));

  /** Both modules, imported in parallel (the browser fetches each once). */
  const modules = (): Promise<[unknown, SiteConfig]> => Promise.all([importModule(panelUrl), loadSite()]);

  /**
   * On intent: both modules, imported (the panel module runs, nothing is mounted), so the site
   * module connects to the backend. Importing again is free: the browser keeps a loaded module.
   */
  const prefetch = (): unknown => modules().catch(() => undefined);

  /** The panel module or the site module could not be loaded: a message in the page's language, and Retry. */
  function showLoadError(error: unknown): void {
    console.error("[chatkit-inject]", error);
    const { strings } = config;
    panel.innerHTML = ERROR_HTML;
    const box = panel.firstChild as Element;
    const retry = box.lastChild as HTMLButtonElement;
    box.firstChild!.textContent = navigator.onLine === false ? strings.offline : strings.unreachable;
    retry.textContent = strings.retry;
    retry.onclick = () => {
      loading = null;
      void load();
    };
  }

  /**
   * The panel inserts the ChatKit <script>; preloading it as soon as the site module says where
   * it is fetches it in parallel with the panel module. Not while offline: Chromium keeps a
   * failed preload and hands it to the <script> that the Retry inserts once the reader is back
   * online. A preload that fails is dropped for the same reason.
   */
  function preload(value: SiteConfig | undefined): void {
    // A site module without a config: nothing to preload (the panel module rejects it).
    const href = value?.scriptUrl;
    if (href && !preloaded && navigator.onLine !== false) {
      preloaded = true;
      const node = link({ rel: "preload", as: "script", href });
      node.onerror = () => {
        node.remove();
        preloaded = false;
      };
    }
  }

  function load(): Promise<void> {
    if (!loading) {
      loadSite().then(preload, () => undefined);
      loading = modules()
        .then(([module, value]) => {
          panel.replaceChildren();
          // A module without mount() throws here, and is reported like a module that did not load.
          (module as PanelModule).mount(panel, { config, site: value, close });
        })
        .catch(showLoadError);
    }
    return loading;
  }

  function setOpen(next: boolean, moveFocus = true): void {
    open = next;
    panel.hidden = !next;
    toggle.setAttribute("aria-expanded", `${next}`);
    doc.documentElement.classList.toggle(OPEN_CLASS, next);
    writeItem(store, OPEN_KEY, next ? "1" : null);
    if (next) {
      void load();
      if (moveFocus) panel.focus();
    }
  }

  function close(): void {
    setOpen(false);
    toggle.focus();
  }

  // Handler properties: the elements are the loader's own (and the names are shorter). Escape
  // closes from the toggle or from inside the panel (keys pressed in ChatKit's iframe stay there).
  toggle.onclick = () => setOpen(!open);
  toggle.onpointerenter = toggle.onfocus = prefetch;
  toggle.onkeydown = panel.onkeydown = (event) => {
    if (event.key === "Escape" && open && !event.defaultPrevented) close();
  };

  // "Ask about this" from the start: once a selection of the page's own text has settled (200 ms
  // after the last change), the panel module offers its button for it and listens from then on. A
  // failed import listens again for the next selection.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onSelection = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (pageSelection(doc)) {
        doc.removeEventListener("selectionchange", onSelection);
        modules()
          .then(([module, value]) => (module as AskModule).offerAsk({ toggle, panel, setOpen }, { config, site: value }))
          .catch(() => doc.addEventListener("selectionchange", onSelection, { passive: true }));
      }
    }, 200);
  };
  doc.addEventListener("selectionchange", onSelection, { passive: true });

  if (readItem(store, OPEN_KEY) === "1") setOpen(true, false);

  return {
    toggle,
    panel,
    setOpen,
    ready: () => loading ?? Promise.resolve(),
  };
}
