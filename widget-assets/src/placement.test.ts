// Placement against a stub layout: jsdom has no layout, so elementsFromPoint,
// getBoundingClientRect and getComputedStyle come from a table of boxes.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { computeLift, GAP, LIFT, STEP, watchPlacement } from "./placement";

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  position?: string;
  opacity?: string;
}

// A 1000x800 viewport; the toggle is 56x56, 16 px from the bottom right corner.
const VIEW_H = 800;
const TOGGLE: Box = { x: 928, y: 728, w: 56, h: 56, position: "fixed" };
const boxes = new Map<Element, Box>();
let toggle: HTMLElement;
let panel: HTMLElement;

function place<T extends Element>(el: T, box: Box, parent: Element | ShadowRoot = document.body): T {
  boxes.set(el, box);
  if (!el.parentElement) parent.append(el);
  return el;
}
const div = (): HTMLElement => document.createElement("div");
const contains = (b: Box, x: number, y: number): boolean => x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h;
const rect = (b: Box | undefined): DOMRect => (b ? new DOMRect(b.x, b.y, b.w, b.h) : new DOMRect(0, 0, 0, 0));
const lift = (): number => computeLift(document, toggle, panel);
/** The lift that clears an element whose top is at `top`. */
const clear = (top: number): number => TOGGLE.y + TOGGLE.h - top + GAP;

beforeEach(() => {
  boxes.clear();
  document.body.innerHTML = "";
  document.documentElement.removeAttribute("style");
  vi.stubGlobal("innerHeight", VIEW_H);
  vi.spyOn(Element.prototype, "getBoundingClientRect").mockImplementation(function (this: Element) {
    const box = boxes.get(this);
    // The stylesheet lifts the toggle by --cki-lift.
    const lifted = parseFloat(document.documentElement.style.getPropertyValue(LIFT)) || 0;
    return rect(this === toggle && box ? { ...box, y: box.y - lifted } : box);
  });
  const real = window.getComputedStyle.bind(window);
  vi.spyOn(window, "getComputedStyle").mockImplementation((el: Element) => {
    const style = real(el);
    const box = boxes.get(el);
    return { ...style, position: box?.position ?? "static", opacity: box?.opacity ?? "1" } as CSSStyleDeclaration;
  });
  // Topmost first, as browsers answer: later in the table paints on top; then <body>, <html>.
  // A shadow root answers too: each element retargeted against it (DOM "retarget"), as Chromium
  // does: what is in its own tree or above it as itself, what is in a shadow tree it cannot see
  // into as that tree's host.
  const retarget = (el: Element, root: Document | ShadowRoot): Element => {
    const above: Node[] = [];
    for (let at: Node | undefined = root; at; at = (at as ShadowRoot).host?.getRootNode()) above.push(at);
    let node = el;
    while (node.getRootNode() instanceof ShadowRoot && !above.includes(node.getRootNode()))
      node = (node.getRootNode() as ShadowRoot).host;
    return node;
  };
  const stub = function (this: Document | ShadowRoot, x: number, y: number): Element[] {
    const hits = [...boxes].filter(([, b]) => contains(b, x, y)).map(([el]) => retarget(el, this));
    return [...new Set(hits.reverse()), document.body, document.documentElement];
  };
  document.elementsFromPoint = stub;
  ShadowRoot.prototype.elementsFromPoint = stub;
  toggle = place(document.createElement("button"), TOGGLE);
  panel = div();
  panel.hidden = true;
  document.body.append(panel);
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("computeLift", () => {
  it("stays in the corner when nothing is there", () => {
    place(div(), { x: 0, y: 0, w: 1000, h: 60, position: "fixed" }); // a navbar at the top
    place(div(), { x: 0, y: 60, w: 1000, h: 2000 }); // the page
    expect(lift()).toBe(0);
  });

  it("lifts above the site's own fixed chat button, whatever part of it is hit", () => {
    const fab = place(div(), { x: 920, y: 720, w: 64, h: 64, position: "fixed" });
    place(document.createElement("svg"), { x: 930, y: 730, w: 40, h: 40 }, fab);
    expect(lift()).toBe(clear(720));
  });

  it("counts sticky elements too, but not static or relative ones", () => {
    place(div(), { x: 900, y: 700, w: 100, h: 100, position: "relative" });
    expect(lift()).toBe(0);
    place(div(), { x: 0, y: 740, w: 1000, h: 60, position: "sticky" });
    expect(lift()).toBe(clear(740));
  });

  it("clears a child that sticks out of a zero-height fixed container", () => {
    const wrapper = place(div(), { x: 900, y: 784, w: 100, h: 0, position: "fixed" });
    place(document.createElement("button"), { x: 920, y: 700, w: 60, h: 60 }, wrapper);
    expect(lift()).toBe(clear(700));
  });

  it("ignores invisible elements", () => {
    place(div(), { x: 900, y: 700, w: 100, h: 100, position: "fixed", opacity: "0" });
    expect(lift()).toBe(0);
  });

  it("ignores columns and overlays taller than half the viewport", () => {
    place(div(), { x: 700, y: 60, w: 300, h: 740, position: "sticky" }); // a table of contents
    place(div(), { x: 0, y: 0, w: 1000, h: 800, position: "fixed" }); // a backdrop
    expect(lift()).toBe(0);
  });

  it("looks again at the lifted spot: a notice bar with a chat button above it", () => {
    place(div(), { x: 0, y: 740, w: 1000, h: 60, position: "fixed" });
    place(div(), { x: 900, y: 640, w: 90, h: 56, position: "fixed" });
    // Above the bar is 740-8-56 = 676..732: the button (640..696) is there, so up again.
    expect(lift()).toBe(clear(640));
  });

  it("is not fooled by its own panel, nor by what contains the toggle", () => {
    panel.hidden = false;
    place(panel, { x: 600, y: 100, w: 400, h: 612, position: "fixed" });
    const fab = place(div(), { x: 920, y: 700, w: 64, h: 64, position: "fixed" });
    expect(lift()).toBe(clear(700));
    fab.remove();
    boxes.delete(fab);
    boxes.set(document.body, { x: 0, y: 0, w: 1000, h: 800, position: "fixed" });
    const holder = place(div(), { x: 900, y: 700, w: 100, h: 100, position: "fixed" });
    holder.append(toggle);
    expect(lift()).toBe(0);
  });

  it("gives up (stays in the corner, on top) rather than climb past half the screen", () => {
    place(div(), { x: 0, y: 440, w: 1000, h: 360, position: "fixed" });
    place(div(), { x: 900, y: 372, w: 100, h: 60, position: "fixed" });
    expect(lift()).toBe(0);
  });

  it("settles after a few rounds of a staircase", () => {
    for (let i = 0; i < 10; i++) place(div(), { x: 900, y: 740 - i * 40, w: 100, h: 36, position: "fixed" });
    const result = lift();
    expect(result).toBeGreaterThan(0);
    expect(result).toBeLessThanOrEqual(VIEW_H / 2);
  });

  it("measures from where the toggle is now: the same answer when it is already lifted", () => {
    place(div(), { x: 920, y: 720, w: 64, h: 64, position: "fixed" });
    document.documentElement.style.setProperty(LIFT, `${clear(720)}px`);
    expect(lift()).toBe(clear(720));
    document.documentElement.style.setProperty(LIFT, "300px");
    expect(lift()).toBe(clear(720));
  });

  describe("shadow roots", () => {
    /** A launcher's host as widgets add it: a custom element at the end of <body>, static, no size. */
    const host = (mode: ShadowRootMode): [HTMLElement, ShadowRoot] => {
      const el = place(document.createElement("ask-ai-launcher"), { x: 0, y: 2400, w: 0, h: 0 });
      return [el, el.attachShadow({ mode })];
    };

    it("lifts above a fixed button in an open shadow root, whatever part of it is hit", () => {
      const [, root] = host("open");
      const wrapper = place(div(), { x: 900, y: 784, w: 100, h: 0, position: "fixed" }, root);
      const button = place(document.createElement("button"), { x: 916, y: 712, w: 64, h: 64 }, wrapper);
      place(document.createElement("svg"), { x: 930, y: 726, w: 36, h: 36 }, button);
      expect(lift()).toBe(clear(712));
    });

    it("walks up across the host when the host itself is the fixed element", () => {
      const el = place(document.createElement("chat-bubble"), { x: 900, y: 784, w: 100, h: 0, position: "fixed" });
      place(document.createElement("button"), { x: 920, y: 716, w: 60, h: 60 }, el.attachShadow({ mode: "open" }));
      expect(lift()).toBe(clear(716));
    });

    it("looks into nested open roots", () => {
      const [, outer] = host("open");
      const inner = place(document.createElement("kapa-button"), { x: 0, y: 0, w: 0, h: 0 }, outer);
      place(div(), { x: 910, y: 704, w: 80, h: 80, position: "fixed" }, inner.attachShadow({ mode: "open" }));
      expect(lift()).toBe(clear(704));
    });

    it("still ignores what is static, transparent or too tall in an open root", () => {
      const [, root] = host("open");
      place(div(), { x: 900, y: 700, w: 100, h: 100 }, root);
      place(div(), { x: 900, y: 700, w: 100, h: 100, position: "fixed", opacity: "0" }, root);
      place(div(), { x: 700, y: 0, w: 300, h: 800, position: "fixed" }, root);
      expect(lift()).toBe(0);
    });

    it("probes how high a closed root's content reaches: above it, by GAP to GAP + STEP", () => {
      const [el, root] = host("closed");
      expect(el.shadowRoot).toBeNull();
      place(div(), { x: 916, y: 720, w: 64, h: 64, position: "fixed" }, root);
      const result = lift();
      expect(result).toBeGreaterThan(clear(720));
      expect(result).toBeLessThanOrEqual(clear(720) + STEP);
    });

    it("probes from the lifted spot too: a closed launcher above a bottom bar", () => {
      place(div(), { x: 0, y: 740, w: 1000, h: 60, position: "fixed" });
      const [, root] = host("closed");
      // Above the bar is 740-8-56 = 676..732, where the launcher (640..704) is.
      place(div(), { x: 916, y: 640, w: 64, h: 64, position: "fixed" }, root);
      const result = lift();
      expect(result).toBeGreaterThan(clear(640));
      expect(result).toBeLessThanOrEqual(clear(640) + STEP);
    });

    it("ignores a closed root whose host is transparent", () => {
      const [el, root] = host("closed");
      boxes.set(el, { ...boxes.get(el)!, opacity: "0" });
      place(div(), { x: 916, y: 720, w: 64, h: 64, position: "fixed" }, root);
      expect(lift()).toBe(0);
    });

    it("gives up when a closed root's content reaches past half the viewport", () => {
      const [, root] = host("closed");
      place(div(), { x: 800, y: 200, w: 200, h: 600, position: "fixed" }, root);
      expect(lift()).toBe(0);
    });

    it("does not take a host hit inside its own box, or an element that is not a custom one, for a closed root", () => {
      // A static custom element in the page's flow, under the corner.
      const [el, root] = host("closed");
      boxes.set(el, { x: 0, y: 600, w: 1000, h: 400 });
      place(div(), { x: 0, y: 600, w: 1000, h: 400 }, root);
      expect(lift()).toBe(0);
      // Text overflowing a zero-height paragraph is hit as the paragraph, outside its box.
      const p = place(document.createElement("p"), { x: 0, y: 500, w: 1000, h: 0 });
      place(p.attachShadow({ mode: "closed" }).appendChild(div()), { x: 0, y: 500, w: 1000, h: 300 });
      expect(lift()).toBe(0);
    });
  });

  it("does nothing while the toggle is not rendered", () => {
    boxes.set(toggle, { x: 0, y: 0, w: 0, h: 0, position: "fixed" });
    place(div(), { x: 0, y: 0, w: 1000, h: 300, position: "fixed" });
    expect(lift()).toBe(0);
  });
});

describe("watchPlacement", () => {
  let frames: FrameRequestCallback[];
  const flush = (): void => {
    const run = frames;
    frames = [];
    for (const f of run) f(0);
  };
  const liftVar = (): string => document.documentElement.style.getPropertyValue(LIFT);
  const stops: Array<() => void> = [];
  const watch = (): void => void stops.push(watchPlacement(document, toggle, panel));
  afterEach(() => stops.splice(0).forEach((stop) => stop()));
  const mutations = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

  beforeEach(() => {
    frames = [];
    vi.spyOn(window, "requestAnimationFrame").mockImplementation((f) => frames.push(f));
  });

  it("places at once, then after DOM changes, one check per frame, and sets or clears --cki-lift", async () => {
    const check = vi.spyOn(document, "elementsFromPoint");
    watch();
    expect(frames).toHaveLength(1);
    flush();
    expect(liftVar()).toBe("");
    const calls = check.mock.calls.length;
    expect(calls).toBeGreaterThan(0);

    // The site hydrates and adds its own button: many mutations, one frame.
    const fab = place(div(), { x: 920, y: 720, w: 64, h: 64, position: "fixed" });
    document.body.append(div(), div());
    await mutations();
    expect(frames).toHaveLength(1);
    flush();
    expect(liftVar()).toBe(`${clear(720)}px`);

    fab.remove();
    boxes.delete(fab);
    await mutations();
    flush();
    expect(liftVar()).toBe("");
  });

  it("looks once more a second after a change, for an element that fades or slides in", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      watch();
      flush();
      const fab = place(div(), { x: 920, y: 720, w: 64, h: 64, position: "fixed", opacity: "0" });
      await mutations();
      flush();
      expect(liftVar()).toBe(""); // still transparent
      boxes.set(fab, { ...boxes.get(fab)!, opacity: "1" }); // faded in, no DOM change
      vi.advanceTimersByTime(999);
      expect(frames).toHaveLength(0);
      vi.advanceTimersByTime(1);
      flush();
      expect(liftVar()).toBe(`${clear(720)}px`);
      // Nothing changes: no write, no further timer.
      const write = vi.spyOn(document.documentElement.style, "setProperty");
      vi.advanceTimersByTime(5000);
      flush();
      expect(write).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it("sees a launcher that draws its button in its open shadow root later (no change in <body>)", async () => {
    watch();
    const el = place(document.createElement("ask-ai-launcher"), { x: 0, y: 2400, w: 0, h: 0 });
    const root = el.attachShadow({ mode: "open" });
    await mutations();
    flush(); // the host is in, empty
    expect(liftVar()).toBe("");
    place(div(), { x: 920, y: 720, w: 64, h: 64, position: "fixed" }, root);
    await mutations();
    expect(frames).toHaveLength(1);
    flush();
    expect(liftVar()).toBe(`${clear(720)}px`);
  });

  it("ignores changes inside its own panel, and checks again on resize and load", async () => {
    watch();
    flush();
    panel.append(div());
    await mutations();
    expect(frames).toHaveLength(0);
    window.dispatchEvent(new Event("resize"));
    expect(frames).toHaveLength(1);
    flush();
    window.dispatchEvent(new Event("load"));
    expect(frames).toHaveLength(1);
  });

  it("does not listen to scroll", () => {
    const listen = vi.spyOn(window, "addEventListener");
    const docListen = vi.spyOn(document, "addEventListener");
    watch();
    const events = [...listen.mock.calls, ...docListen.mock.calls].map((c) => c[0]);
    expect(events).not.toContain("scroll");
    expect(events.sort()).toEqual(["load", "resize"]);
  });

  it("stops: no observer, no listener, no timer left", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const stop = watchPlacement(document, toggle, panel);
      flush();
      document.body.append(div());
      await mutations();
      flush();
      stop();
      document.body.append(div());
      await mutations();
      window.dispatchEvent(new Event("resize"));
      window.dispatchEvent(new Event("load"));
      vi.advanceTimersByTime(2000);
      expect(frames).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
