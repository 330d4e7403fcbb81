// The CSS template (templates/widget.css.j2), rendered as the CLI renders it.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleCssContext } from "./testing/fixtures";

const TEMPLATE = readFileSync(resolve(__dirname, "../../templates/widget.css.j2"), "utf8");
const ALLOWED = ["accent", "accent_dark", "font_family", "offset_right", "offset_bottom", "z_index"];

function render(context: Record<string, string>): string {
  return TEMPLATE.replace(/\{\{ ([a-z_]+) \}\}/g, (_m, name: string) => {
    if (!(name in context)) throw new Error(`undefined: ${name}`);
    return context[name];
  });
}

const css = render(sampleCssContext());
/** The declarations of the first rule whose selector list is exactly `selector`. */
function rule(selector: string, source = css): string {
  const at = source.startsWith(`${selector}{`) ? 0 : source.indexOf(`\n${selector}{`) + 1;
  if (at <= 0 && !source.startsWith(selector)) throw new Error(`no rule ${selector}`);
  return source.slice(at + selector.length + 1, source.indexOf("}", at));
}

describe("widget.css.j2", () => {
  it("uses only plain {{ name }} substitutions from the CLI's context", () => {
    const names = [...TEMPLATE.matchAll(/\{\{(.*?)\}\}/g)].map((m) => m[1]);
    for (const name of names) expect(ALLOWED).toContain(name.trim());
    expect(names.every((n) => /^ [a-z_]+ $/.test(n))).toBe(true);
    expect(TEMPLATE).not.toMatch(/\{%|\{#/);
    expect(new Set(names.map((n) => n.trim()))).toEqual(new Set(ALLOWED));
  });

  it("renders to balanced CSS with nothing left to substitute", () => {
    expect(css).not.toContain("{{");
    expect(css.split("{").length).toBe(css.split("}").length);
    expect(css).not.toMatch(/[<>]/);
  });

  it("takes colors and fonts from Infima, with the rendered values as fallbacks", () => {
    expect(rule(":root")).toContain("var(--ifm-color-primary,#2e8555)");
    expect(rule("html[data-theme='dark']")).toContain("var(--ifm-color-primary,#25c2a0)");
    expect(css).toContain(`var(--ifm-font-family-base,${sampleCssContext().font_family})`);
  });

  it("places the toggle bottom right, clear of the safe area, above the navbar", () => {
    expect(rule(":root")).toContain("calc(16px + env(safe-area-inset-right,0px))");
    expect(rule(":root")).toContain("calc(16px + env(safe-area-inset-bottom,0px))");
    const fixed = rule(".chatkit-inject-toggle,.chatkit-inject-panel");
    expect(fixed).toContain("position:fixed");
    expect(fixed).toContain("z-index:300");
  });

  it("keeps the panel within 400x600 and nearly full screen on phones", () => {
    const panel = rule(".chatkit-inject-panel");
    expect(panel).toMatch(/width:min\(400px,/);
    expect(panel).toMatch(/height:min\(600px,/);
    expect(css).toMatch(/@media \(max-width:480px\)\{\.chatkit-inject-panel\{left:calc\(8px/);
    expect(css).toContain("env(safe-area-inset-top,0px)");
  });

  it("hides a closed panel even though it is a flex container", () => {
    expect(rule(".chatkit-inject-panel[hidden]")).toBe("display:none");
  });

  it("shows focus and respects reduced motion", () => {
    expect(css).toMatch(/\.chatkit-inject-toggle:focus-visible[^{]*\{outline:3px solid/);
    expect(css).toMatch(/@media \(prefers-reduced-motion:reduce\)\{[^}]*\{transition:none;animation:none\}/);
  });

  it("lifts Docusaurus' back-to-top button above the toggle instead of covering it", () => {
    expect(rule("html .theme-back-to-top-button")).toBe("bottom:calc(var(--cki-bottom) + var(--cki-size) + 12px)");
  });
});
