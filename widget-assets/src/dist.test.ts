import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { JSDOM } from "jsdom";
import { describe, expect, it } from "vitest";
import { SAMPLE_MARKUP } from "./testing/fixtures";

/** The committed loader bundle, as pages load it (the widget suite checks it matches the sources). */
const LOADER = readFileSync(resolve(__dirname, "../dist/loader.js"), "utf8");

/** A page with the markup the CLI injects, the loader run in it as its classic script would be. */
function pageRunningLoader(): { window: JSDOM["window"]; added: string[] } {
  const dom = new JSDOM(`<!doctype html><html><head>${SAMPLE_MARKUP.split("\n")[0]}</head><body><main>page</main>${SAMPLE_MARKUP.split("\n")[1]}</body></html>`, {
    url: "http://localhost:3000/docs/intro",
    runScripts: "outside-only",
    pretendToBeVisual: true,
  });
  const before = new Set(Object.getOwnPropertyNames(dom.window));
  dom.window.eval(LOADER);
  // Elements with an id are named properties of the window too (the toggle and the panel): not
  // globals the script declared.
  const added = Object.getOwnPropertyNames(dom.window).filter((name) => !before.has(name) && !dom.window.document.getElementById(name));
  return { window: dom.window, added };
}

describe("dist/loader.js", () => {
  it("declares no global on the page (a page's own script could overwrite one the loader reads later)", () => {
    const { window, added } = pageRunningLoader();
    // It ran: the toggle is there.
    expect(window.document.getElementById("chatkit-inject-toggle")).not.toBeNull();
    expect(added).toEqual([]);
  });
});
