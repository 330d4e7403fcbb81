/**
 * "Ask about this": when the reader selects the page's own text, a small button
 * appears under the selection; it opens the panel with the selection quoted in
 * ChatKit's composer. It is offered from the start: the loader listens for the
 * reader's first selection of the page's own text ({@link pageSelection}, the one
 * part of this module in the loader), then imports the panel module, which
 * installs the button through {@link AskModule} (or on the first open, if that
 * came first). The quote travels to the panel as an attribute of the panel
 * element plus an event (see panel.tsx), which quotes it with `setComposerValue`
 * once ChatKit is ready.
 *
 * The button is a real <button> placed just before the toggle, so the keyboard
 * reaches it (Tab) after selecting; it hides when the selection goes, on print,
 * and after asking (the selection is then cleared). It is not offered for text
 * that is not the page's own: the widget's, a form field's or an editor's, the
 * navbar's.
 */

/** On the panel element: the text to quote, until the panel has put it in the composer. */
export const ASK_ATTR = "data-ask";
/** Dispatched on the panel element when a quote is waiting (the panel may already be open). */
export const ASK_EVENT = "chatkit-inject-ask";
export const ASK_ID = "chatkit-inject-ask";

/** Form fields and editors: text selected there is the reader's own, not the page's. */
const FIELDS = "input,textarea,[contenteditable]";
/** Where selected text is not the page's own: the widget, the navbar, fields and editors. */
const NOT_PAGE_TEXT = `#chatkit-inject-panel,.navbar,${FIELDS}`;

/**
 * The selected text, trimmed, when it is the page's own text; else "". A selection
 * inside a text field shows in the page's selection in Chromium, anchored on the
 * field's parent: the focused field tells it apart.
 */
export function pageSelection(doc: Document): string {
  const selection = doc.getSelection();
  const text = selection?.toString().trim();
  const anchor = selection?.anchorNode;
  const at = anchor instanceof Element ? anchor : anchor?.parentElement;
  return text && !at?.closest(NOT_PAGE_TEXT) && !doc.activeElement?.closest(FIELDS) ? text : "";
}

/** What the panel module exports for the loader's first selection (see loader.ts). */
export interface AskModule {
  /**
   * Offers the button from now on (once per page), for the selection already there too;
   * `config` is the runtime config's two parts as the loader has them (panel-api.ts, RawConfig).
   */
  offerAsk(target: SelectionTarget, config: { config: unknown; site: unknown }): void;
}

export interface SelectionTarget {
  toggle: HTMLElement;
  panel: HTMLElement;
  setOpen(open: boolean): unknown;
}

export function offerSelection(doc: Document, target: SelectionTarget, label: string): void {
  const button = doc.createElement("button");
  const style = button.style;
  const show = (visible: boolean): void => void (style.display = visible ? "" : "none");
  let text = "";
  button.id = ASK_ID;
  button.type = "button";
  // The toggle's accent layer (loader.ts): an empty `a.button.button--primary` the page paints
  // like its own primary buttons, spread under the label by the panel's stylesheet.
  button.innerHTML = '<a class="button button--primary"></a>';
  button.append(label);
  style.cssText = "position:absolute;z-index:2147483646;display:none";
  button.onclick = () => {
    const { panel } = target;
    panel.setAttribute(ASK_ATTR, text);
    // Also hides the button (the keyup of Enter or the mouseup checks again).
    doc.getSelection()?.removeAllRanges();
    target.setOpen(true);
    panel.dispatchEvent(new Event(ASK_EVENT));
  };
  const check = (): void => {
    text = pageSelection(doc);
    if (!text) return show(false);
    const box = doc.getSelection()!.getRangeAt(0).getBoundingClientRect();
    show(true);
    // Placed against the document, then moved by however far it landed from that spot: the
    // page's body may be positioned and offset (a theme making room for its own bar), which
    // makes it the button's containing block. Kept 8 px inside the window's width, so a
    // selection at the end of a line on a phone does not push it off screen (and the page
    // sideways).
    style.top = `${box.bottom + scrollY + 6}px`;
    style.left = `${box.left + scrollX}px`;
    const at = button.getBoundingClientRect();
    const left = Math.max(8, Math.min(box.left, (doc.documentElement.clientWidth || innerWidth) - at.width - 8));
    style.top = `${parseFloat(style.top) + box.bottom + 6 - at.top}px`;
    style.left = `${parseFloat(style.left) + left - at.left}px`;
  };
  doc.addEventListener("mouseup", () => setTimeout(check));
  doc.addEventListener("keyup", check);
  addEventListener("beforeprint", () => show(false));
  target.toggle.before(button);
  // Installed while the reader's first selection may already be there.
  check();
}
