/**
 * Keeps the toggle clear of what a site already has in its corner: when a
 * visible `position: fixed` or `sticky` element that is not ours covers the
 * spot where the toggle sits, the toggle (and the panel above it) is lifted
 * above that element through the CSS variable `--cki-lift` on <html>, which the
 * stylesheet adds to their bottom offset. The corner itself (right, left, RTL)
 * is the stylesheet's: this module reads the toggle's box.
 *
 * Checked after load, after the site hydrates or changes its DOM (at most once
 * per animation frame) and on resize. No scroll listener, no polling. Small on
 * purpose: it ships on every page.
 */

export const LIFT = "--cki-lift";
/** Space left between the site's element and the lifted toggle, in px. */
export const GAP = 8;

/**
 * The lift (px) that puts the toggle above every visible fixed or sticky
 * element (not ours) found at a few points of its box, looking again at the
 * lifted spot (a few rounds). Elements taller than half the viewport (columns,
 * overlays) cannot be cleared and are ignored; so is a lift past half the
 * viewport (the toggle then stays in its corner, on top). Call with no lift
 * applied.
 */
export function computeLift(doc: Document, toggle: Element, panel: Element): number {
  const box = toggle.getBoundingClientRect();
  const max = innerHeight / 2;
  let lift = 0;
  for (let round = 0; round < 4 && box.height; round++) {
    let next = lift;
    for (const fx of [0.15, 0.5, 0.85])
      for (const fy of [0.15, 0.85])
        for (const hit of doc.elementsFromPoint(box.left + fx * box.width, box.top - lift + fy * box.height))
          for (let node: Element | null = hit; node && node !== doc.body; node = node.parentElement) {
            const style = getComputedStyle(node);
            if (/fixed|sticky/.test(style.position)) {
              const outer = node.getBoundingClientRect();
              // The element at this point may stick out of its fixed container (or be it).
              const top = Math.min(outer.top, hit.getBoundingClientRect().top);
              if (node !== panel && !node.contains(toggle) && style.opacity !== "0" && outer.height <= max)
                next = Math.max(next, box.bottom - top + GAP);
              break;
            }
          }
    if (next > max) return 0;
    if (next === lift) break;
    lift = next;
  }
  return lift;
}

/** Places the toggle now and whenever the page may have changed around it. */
export function watchPlacement(doc: Document, toggle: Element, panel: Element): void {
  const win = doc.defaultView;
  if (!win) return;
  const root = doc.documentElement.style;
  let queued = false;
  const place = (): void => {
    queued = false;
    root.removeProperty(LIFT); // measure in the corner itself (same frame: nothing flickers)
    const lift = computeLift(doc, toggle, panel);
    if (lift) root.setProperty(LIFT, `${Math.ceil(lift)}px`);
  };
  const schedule = (): void => {
    if (!queued) {
      queued = true;
      win.requestAnimationFrame(place);
    }
  };
  schedule();
  win.addEventListener("load", schedule);
  win.addEventListener("resize", schedule);
  // Our own panel's content (typing indicator, errors) moves nothing.
  new win.MutationObserver((records) => records.some((r) => !panel.contains(r.target)) && schedule()).observe(
    doc.body,
    { childList: true, subtree: true },
  );
}
