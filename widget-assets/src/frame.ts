/**
 * The panel's frame, built by the panel module on first open inside the empty
 * panel element the loader made: the stylesheet (see panel-css.ts), a header
 * with the title and the close button, and the body ChatKit renders into.
 *
 * The header is the panel's own only while ChatKit cannot show its UI (loading,
 * the ChatKit script or the session failing, ChatKit not ready): once ChatKit is
 * ready its own header shows the title and the close action, and this one hides
 * ({@link showOwnHeader}), so a reader sees one title and one close control.
 */

import type { PanelContext } from "./panel-api";
import { PANEL_CSS } from "./panel-css";
import { text } from "./panel-strings";

const ICON_CLOSE =
  '<svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M6 6l12 12M18 6L6 18"/></svg>';

/** Marks the <style> fallback, so the stylesheet is added once per document. */
const STYLE_ID = "chatkit-inject-panel-css";
const adopted = new WeakSet<Document>();

/**
 * Applies the panel's stylesheet to `doc` once: a constructable stylesheet
 * where the browser has them (Chromium 73+, Firefox 101+, Safari 16.4+), else a
 * <style> element.
 */
export function applyPanelStyles(doc: Document): void {
  if (adopted.has(doc) || doc.getElementById(STYLE_ID)) return;
  adopted.add(doc);
  const view = doc.defaultView as (Window & typeof globalThis) | null;
  if (view && "adoptedStyleSheets" in doc && typeof view.CSSStyleSheet?.prototype.replaceSync === "function") {
    try {
      const sheet = new view.CSSStyleSheet();
      sheet.replaceSync(PANEL_CSS);
      doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
      return;
    } catch {
      // Fall through to a <style> element.
    }
  }
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = PANEL_CSS;
  doc.head.append(style);
}

/**
 * Shows or hides the panel's own header (title and close button) above `body`.
 * Hiding it while it holds the focus hands the focus to the panel element, so it
 * stays in the dialog.
 */
export function showOwnHeader(body: HTMLElement, shown: boolean): void {
  const header = body.previousElementSibling;
  if (!(header instanceof HTMLElement) || !header.classList.contains("chatkit-inject-header")) return;
  // An inline style: the stylesheet's `display: flex` would win over the `hidden` attribute.
  header.style.display = shown ? "" : "none";
  if (!shown && header.contains(body.ownerDocument.activeElement)) body.parentElement?.focus();
}

/** Builds the frame in `panel` (replacing what it holds) and returns the body. */
export function buildFrame(panel: HTMLElement, context: PanelContext): HTMLElement {
  const doc = panel.ownerDocument;
  applyPanelStyles(doc);
  const make = (tag: string, className: string): HTMLElement => {
    const node = doc.createElement(tag);
    node.className = className;
    return node;
  };
  const header = make("div", "chatkit-inject-header");
  const title = make("span", "chatkit-inject-title");
  title.textContent = context.config.title;
  const close = make("button", "chatkit-inject-close");
  close.setAttribute("type", "button");
  close.setAttribute("aria-label", text(context.config, "close"));
  close.innerHTML = ICON_CLOSE;
  close.addEventListener("click", () => context.close());
  const body = make("div", "chatkit-inject-body");
  header.append(title, close);
  panel.replaceChildren(header, body);
  return body;
}
