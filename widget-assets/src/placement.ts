/**
 * Keeps the toggle clear of what a site already has in its corner: when a
 * visible `position: fixed` or `sticky` element that is not ours covers the
 * spot where the toggle sits, the toggle (and the panel above it) is lifted
 * above that element through the CSS variable `--cki-lift` on <html>, which the
 * stylesheet adds to their bottom offset. The corner itself (right, left, RTL)
 * is the stylesheet's: this module reads the toggle's box.
 *
 * Checked after load, after the site hydrates or changes its DOM (at most once
 * per animation frame, and once more a second later, when an element that came
 * in with a fade or slide has arrived) and on resize. No scroll listener, no
 * polling. Small on purpose: it ships on every page.
 */

export const LIFT = "--cki-lift";
/** Space left between the site's element and the lifted toggle, in px. */
export const GAP = 8;

/**
 * The lift (px) that puts the toggle above every visible fixed or sticky
 * element (not ours) found at a few points of its box, looking again at the
 * lifted spot (a few rounds). Elements taller than half the viewport (columns,
 * overlays) cannot be cleared and are ignored; so is a lift past half the
 * viewport (the toggle then stays in its corner, on top). The toggle's box is
 * read where it is now (lifted by the current `--cki-lift`), so measuring never
 * moves it.
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
      for (const fy of [0.15, 0.85])
        for (const hit of doc.elementsFromPoint(box.left + fx * box.width, bottom - lift - fy * box.height))
          for (let node: Element | null = hit; node && node !== doc.body; node = node.parentElement) {
            const style = getComputedStyle(node);
            if (/fixed|sticky/.test(style.position)) {
              const outer = node.getBoundingClientRect();
              // The element at this point may stick out of its fixed container (or be it).
              const top = Math.min(outer.top, hit.getBoundingClientRect().top);
              if (node !== panel && !node.contains(toggle) && style.opacity !== "0" && outer.height <= max)
                next = Math.max(next, bottom - top + GAP);
              break;
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
  observer.observe(doc.body, { childList: true, subtree: true });
  return () => {
    observer.disconnect();
    removeEventListener("load", settled);
    removeEventListener("resize", schedule);
    clearTimeout(timer);
  };
}
