/**
 * Keeps the toggle clear of what a site already has in its corner: when a
 * visible `position: fixed` or `sticky` element that is not ours covers the
 * spot where the toggle sits, the toggle (and the panel above it) is lifted
 * above that element through the CSS variable `--cki-lift` on <html>, which the
 * stylesheet adds to their bottom offset. The corner itself (right, left, RTL)
 * is the stylesheet's: this module reads the toggle's box.
 *
 * Widgets that draw their button in a shadow root (web-component launchers,
 * "Ask AI" buttons) count too: open roots are searched like the page, and a
 * closed root's host, hit where its own box is not, is probed upwards.
 *
 * Checked after load, after the site hydrates or changes its DOM (at most once
 * per animation frame, and once more a second later, when an element that came
 * in with a fade or slide has arrived; the open shadow roots of <body>'s
 * children are watched too) and on resize. No scroll listener, no polling.
 * Small on purpose: it ships on every page.
 */

export const LIFT = "--cki-lift";
/** Space left between the site's element and the lifted toggle, in px. */
export const GAP = 8;

/** Step (px) of the upward probe of a closed shadow root's content. */
export const STEP = 8;

/**
 * The lift (px) that puts the toggle above every visible fixed or sticky
 * element (not ours) found at a few points of its box, in open shadow roots
 * too (walking up across their hosts), looking again at the lifted spot (a few
 * rounds). A custom element hit where its own box is not has something in a
 * closed shadow root there (a launcher): how high that reaches is probed
 * upwards along the same x, STEP by STEP (so the gap above it is GAP to
 * GAP + STEP), and the host counts as a fixed element with that top (unless
 * transparent); content reaching past half the viewport gives the lift up.
 * Elements taller than half the viewport (columns, overlays) cannot be cleared
 * and are ignored; so is a lift past half the viewport (the toggle then stays in its corner, on
 * top). The toggle's box is read where it is now (lifted by the current
 * `--cki-lift`), so measuring never moves it.
 */
export function computeLift(doc: Document, toggle: Element, panel: Element): number {
  const box = toggle.getBoundingClientRect();
  const max = innerHeight / 2;
  // The toggle's bottom edge with no lift.
  const bottom = box.bottom + (parseFloat(doc.documentElement.style.getPropertyValue(LIFT)) || 0);
  let lift = 0;
  for (let round = 0; round < 4 && box.height; round++) {
    let next = lift;
    for (const fx of [0.15, 0.5, 0.85])
      for (const fy of [0.15, 0.85]) {
        const x = box.left + fx * box.width;
        const y = bottom - lift - fy * box.height;
        // What is at (x, y), with what is in open shadow roots (a Set visits what is added while it
        // is read, once: each root is read once, nested ones too).
        const hits = new Set(doc.elementsFromPoint(x, y));
        for (const hit of hits) {
          hit.shadowRoot?.elementsFromPoint(x, y).forEach((el) => hits.add(el));
          let { top, bottom: end } = hit.getBoundingClientRect();
          // A closed root's host: how high its content reaches, up to the first y where the host is
          // not hit (the content's top is less than a STEP below); then it counts as a fixed element.
          const closed = !hit.shadowRoot && hit.localName.includes("-") && (y < top || y >= end);
          if (closed) for (top = y; top > y - max && (hit.getRootNode() as Document).elementsFromPoint(x, (top -= STEP)).includes(hit); );
          for (let node: Element | null = hit; node && node !== doc.body; node = node.parentElement || (node.parentNode as ShadowRoot).host) {
            const style = getComputedStyle(node);
            if (closed || /fixed|sticky/.test(style.position)) {
              const outer = node.getBoundingClientRect();
              // The element at this point may stick out of its fixed container (or be it); a closed
              // root's content is where it was probed, whatever its host's own box.
              if (node !== panel && !node.contains(toggle) && style.opacity !== "0" && outer.height <= max)
                next = Math.max(next, bottom - Math.min(closed ? top : outer.top, top) + GAP);
              break;
            }
          }
        }
      }
    if (next > max) return 0;
    if (next === lift) break;
    lift = next;
  }
  return lift;
}

/**
 * Places the toggle now and whenever the page may have changed around it; returns a stop function.
 * The page's own window is the global one (as `computeLift` reads it).
 */
export function watchPlacement(doc: Document, toggle: Element, panel: Element): () => void {
  const root = doc.documentElement.style;
  let queued = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const place = (): void => {
    queued = false;
    // A launcher may draw its button in its shadow root later, unseen by the observer on <body>.
    for (const child of doc.body.children) if (child.shadowRoot) observer.observe(child.shadowRoot, options);
    const lift = computeLift(doc, toggle, panel);
    const value = lift ? `${Math.ceil(lift)}px` : "";
    // Written only when it changes (a write would restart transitions that depend on it).
    if (root.getPropertyValue(LIFT) !== value) root.setProperty(LIFT, value);
  };
  const schedule = (): void => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(place);
    }
  };
  const settled = (): void => {
    schedule();
    clearTimeout(timer);
    timer = setTimeout(schedule, 1000);
  };
  schedule();
  addEventListener("load", settled);
  addEventListener("resize", schedule);
  // Our own panel's content (typing indicator, errors) moves nothing.
  const observer = new MutationObserver((records) => records.some((r) => !panel.contains(r.target)) && settled());
  const options = { childList: true, subtree: true };
  observer.observe(doc.body, options);
  return () => {
    observer.disconnect();
    removeEventListener("load", settled);
    removeEventListener("resize", schedule);
    clearTimeout(timer);
  };
}
