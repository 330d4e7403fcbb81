/**
 * "Ask about this": when the reader selects text in the page, a small button
 * appears under the selection; it opens the panel with the selection quoted in
 * ChatKit's composer. Kept to a few hundred bytes (gzip) so that it can ship with
 * the loader; today the panel module installs it on the first open (the eager
 * budget has no room left), so it is offered from then on, also on later pages
 * where the panel reopens. The quote travels to the panel as an attribute of the
 * panel element plus an event (see panel.tsx), which quotes it with
 * `setComposerValue` once ChatKit is ready.
 *
 * The button is a real <button> placed just before the toggle, so the keyboard
 * reaches it (Tab) after selecting; it hides when the selection goes, on print,
 * and after asking (the selection is then cleared).
 */

/** On the panel element: the text to quote, until the panel has put it in the composer. */
export const ASK_ATTR = "data-ask";
/** Dispatched on the panel element when a quote is waiting (the panel may already be open). */
export const ASK_EVENT = "chatkit-inject-ask";
export const ASK_ID = "chatkit-inject-ask";
/** Not translated yet (templates/strings.json has no key for it). */
export const ASK_LABEL = "Ask about this";

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
  button.textContent = label;
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
    const selection = doc.getSelection();
    text = selection?.rangeCount ? selection.toString().trim() : "";
    if (!text || target.panel.contains(selection!.anchorNode)) return show(false);
    const box = selection!.getRangeAt(0).getBoundingClientRect();
    style.top = `${box.bottom + scrollY + 6}px`;
    style.left = `${box.left + scrollX}px`;
    show(true);
  };
  doc.addEventListener("mouseup", () => setTimeout(check));
  doc.addEventListener("keyup", check);
  addEventListener("beforeprint", () => show(false));
  target.toggle.before(button);
}
