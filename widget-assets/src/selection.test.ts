import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ASK_ATTR, ASK_EVENT, ASK_ID, offerSelection, pageSelection } from "./selection";

let toggle: HTMLButtonElement;
let panel: HTMLElement;
let setOpen: ReturnType<typeof vi.fn<(open: boolean) => void>>;
let text: HTMLParagraphElement;
let offset: { top: number; left: number };

beforeEach(() => {
  document.body.innerHTML = "<main><p id=text>Photosynthesis turns light into sugar.</p></main>";
  text = document.getElementById("text") as HTMLParagraphElement;
  toggle = document.createElement("button");
  panel = document.createElement("div");
  panel.id = "chatkit-inject-panel";
  panel.hidden = true;
  panel.innerHTML = "<p id=inside>Inside the panel</p>";
  document.body.append(toggle, panel);
  setOpen = vi.fn<(open: boolean) => void>();
  // jsdom lays nothing out (Range has no getBoundingClientRect): a selection's box is given here,
  // and the button lands where its style puts it against the document, moved by `offset` (a
  // positioned body with a margin moves it so).
  Range.prototype.getBoundingClientRect = () => ({ left: 40, bottom: 120 }) as DOMRect;
  offset = { top: 0, left: 0 };
  vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockImplementation(function (this: HTMLElement) {
    return {
      top: (parseFloat(this.style.top) || 0) - window.scrollY + offset.top,
      left: (parseFloat(this.style.left) || 0) - window.scrollX + offset.left,
      width: 100,
    } as DOMRect;
  });
  offerSelection(document, { toggle, panel, setOpen }, "Ask about this");
});
afterEach(() => {
  delete (Range.prototype as Partial<Range>).getBoundingClientRect;
  document.getSelection()?.removeAllRanges();
  document.body.innerHTML = "";
});

const button = () => document.getElementById(ASK_ID) as HTMLButtonElement;
const visible = () => button().style.display !== "none";

function select(node: Node): void {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = document.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

describe("Ask about this", () => {
  it("is a labelled button just before the toggle, hidden while nothing is selected", () => {
    expect(button().tagName).toBe("BUTTON");
    expect(button().type).toBe("button");
    expect(button().textContent).toBe("Ask about this");
    // First the accent layer, as in the toggle: empty, no href (nothing a keyboard or a screen
    // reader reaches), painted by the page like its primary buttons.
    expect(button().firstElementChild?.matches("a.button.button--primary:empty:not([href])")).toBe(true);
    expect(button().childElementCount).toBe(1);
    expect(button().nextElementSibling).toBe(toggle);
    expect(visible()).toBe(false);
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "Shift" }));
    expect(visible()).toBe(false);
  });

  it("shows under a selection made with the keyboard, and hides when the selection goes", () => {
    select(text);
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
    expect(visible()).toBe(true);
    expect(button().style.top).toBe(`${120 + window.scrollY + 6}px`);
    expect(button().style.left).toBe(`${40 + window.scrollX}px`);
    document.getSelection()?.removeAllRanges();
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
    expect(visible()).toBe(false);
  });

  it("lands just under the selection when the page's body is positioned and offset (its containing block)", () => {
    offset = { top: 24, left: 8 };
    select(text);
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
    expect(visible()).toBe(true);
    const box = button().getBoundingClientRect();
    expect(box.top).toBe(120 + 6);
    expect(box.left).toBe(40);
    expect(button().style.top).toBe(`${120 + window.scrollY + 6 - 24}px`);
  });

  it("stays 8 px inside the window for a selection at the end of a line (a phone's narrow screen)", () => {
    // jsdom's window is 1024 px wide; the button (as mocked) 100 px.
    Range.prototype.getBoundingClientRect = () => ({ left: window.innerWidth - 20, bottom: 120 }) as DOMRect;
    select(text);
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
    expect(button().getBoundingClientRect().left).toBe(window.innerWidth - 100 - 8);
    Range.prototype.getBoundingClientRect = () => ({ left: -30, bottom: 120 }) as DOMRect;
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
    expect(button().getBoundingClientRect().left).toBe(8);
  });

  it("shows after a mouse selection (once the selection has settled)", async () => {
    select(text);
    document.dispatchEvent(new MouseEvent("mouseup"));
    expect(visible()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(visible()).toBe(true);
  });

  it("is not offered for text selected inside the panel", () => {
    select(document.getElementById("inside") as HTMLElement);
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
    expect(visible()).toBe(false);
  });

  it("a click opens the panel with the selection waiting on it, then hides", () => {
    const asked = vi.fn();
    panel.addEventListener(ASK_EVENT, () => asked(panel.getAttribute(ASK_ATTR)));
    select(text);
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
    button().click();
    expect(setOpen).toHaveBeenCalledWith(true);
    expect(panel.getAttribute(ASK_ATTR)).toBe("Photosynthesis turns light into sugar.");
    expect(asked).toHaveBeenCalledWith("Photosynthesis turns light into sugar.");
    expect(document.getSelection()?.toString()).toBe("");
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "Enter" }));
    expect(visible()).toBe(false);
  });

  it("offers a selection made before it was installed at once", () => {
    document.getElementById(ASK_ID)?.remove();
    select(text);
    offerSelection(document, { toggle, panel, setOpen }, "Ask about this");
    expect(visible()).toBe(true);
  });

  it("is not offered for text that is not the page's own: a field, an editor, the navbar", () => {
    document.body.insertAdjacentHTML(
      "afterbegin",
      '<nav class="navbar"><a id="nav" href="/">Docs</a></nav><div id="editor" contenteditable>Draft</div><input id="field" value="typed text"><textarea id="area">notes</textarea>',
    );
    for (const id of ["nav", "editor"]) {
      select(document.getElementById(id) as HTMLElement);
      document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
      expect([id, visible()]).toEqual([id, false]);
    }
    // Text selected in a field: Chromium reports it in the page's selection, anchored on the
    // field's parent; the focused field tells it apart.
    for (const id of ["field", "area"]) {
      const field = document.getElementById(id) as HTMLInputElement;
      field.focus();
      select(text);
      expect([id, pageSelection(document)]).toEqual([id, ""]);
      document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
      expect([id, visible()]).toEqual([id, false]);
      field.blur();
    }
    select(text);
    expect(pageSelection(document)).toBe("Photosynthesis turns light into sugar.");
  });

  it("hides before printing", () => {
    select(text);
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "ArrowRight" }));
    expect(visible()).toBe(true);
    window.dispatchEvent(new Event("beforeprint"));
    expect(visible()).toBe(false);
  });
});
