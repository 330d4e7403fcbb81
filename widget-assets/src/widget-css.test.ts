// The widget CSS every page loads, as the CLI renders it from templates/widget.css.j2: the golden
// files tests/golden/css/<name>.css, one for each named context of tests/golden/css-contexts.json
// (a chatkit.toml fragment; tests/it/contract.rs fails when the CLI renders anything else). And
// the panel's stylesheet (panel-css.ts), which the panel module applies on first open.
import { describe, expect, it } from "vitest";
import { PANEL_CSS } from "./panel-css";
import { CSS_CONTEXTS, goldenCss } from "./testing/fixtures";

/** tests/golden/chatkit.toml as it is: no `[theme]` key, the default corner, offsets and z-index. */
const css = goldenCss("default");

/** The declarations of the first rule whose selector list is exactly `selector`. */
function rule(selector: string, source = css): string {
  const at = source.startsWith(`${selector}{`) ? 0 : source.indexOf(`\n${selector}{`) + 1;
  if (at <= 0 && !source.startsWith(`${selector}{`)) throw new Error(`no rule ${selector}`);
  return source.slice(at + selector.length + 1, source.indexOf("}", at));
}
/** The body of `@media <query>{...}` (one level of nesting). */
function media(query: string, source = css): string {
  const at = source.indexOf(`@media ${query}{`);
  if (at < 0) throw new Error(`no @media ${query}`);
  const start = at + query.length + 8;
  let depth = 1;
  let i = start;
  for (; depth > 0; i++) depth += source[i] === "{" ? 1 : source[i] === "}" ? -1 : 0;
  return source.slice(start, i - 1);
}
const declarations = (body: string): Record<string, string> =>
  Object.fromEntries(
    body.split(";").map((d) => {
      const colon = d.indexOf(":");
      return [d.slice(0, colon), d.slice(colon + 1)];
    }),
  );

describe("widget.css (templates/widget.css.j2 as the CLI renders it)", () => {
  it("is balanced CSS with nothing left to substitute, in every context, and each context changes it", () => {
    expect(CSS_CONTEXTS).toContain("default");
    for (const name of CSS_CONTEXTS) {
      const out = goldenCss(name);
      expect(out, name).not.toMatch(/\{\{|\{%|\{#|[<>]/);
      expect(out.split("{").length, name).toBe(out.split("}").length);
      if (name !== "default") expect(out, name).not.toBe(css);
    }
  });

  it("takes colors from Infima, with Infima's stock blue as the fallback, and the font from the page", () => {
    expect(declarations(rule(":root"))["--cki-accent"]).toBe("var(--ifm-color-primary,#3578e5)");
    expect(declarations(rule("html[data-theme=dark]"))["--cki-accent"]).toBe("var(--ifm-color-primary,#3578e5)");
    // The toggle shows an icon only; the panel inherits <body>'s font (no font list on every page),
    // even with `[theme] font-family` set (the panel reads it from the site module).
    expect(css).not.toContain("font-family");
    expect(goldenCss("themed")).not.toContain("font-family");
    expect(goldenCss("themed")).not.toContain("Inter");
  });

  // The toggle's layer and the Ask button's (the panel module's) alike.
  const HIDE_LIGHT = "html:not([data-theme=dark]) #chatkit-inject-toggle a,html:not([data-theme=dark]) #chatkit-inject-ask a";
  const HIDE_DARK = "html[data-theme=dark] #chatkit-inject-toggle a,html[data-theme=dark] #chatkit-inject-ask a";

  it("uses both fixed accents as they are when the maintainer set both, the site's button colour hidden", () => {
    // Every [theme] key set.
    const fixed = goldenCss("themed");
    expect(declarations(rule(":root", fixed))["--cki-accent"]).toBe("#2e8555");
    expect(declarations(rule("html[data-theme=dark]", fixed))["--cki-accent"]).toBe("#25c2a0");
    expect(fixed).not.toContain("--ifm-color-primary");
    // Hidden in both modes: one rule, and no layer styles at all.
    expect(rule("#chatkit-inject-toggle a,#chatkit-inject-ask a", fixed)).toBe("display:none");
    expect(fixed).not.toContain("pointer-events");
    expect(declarations(rule("#chatkit-inject-toggle", fixed)).background).toBe("var(--cki-accent)");
  });

  it("fixes each mode on its own, as the panel does: the other mode still shows the page's colour", () => {
    // `[theme] accent` alone, then `accent-dark` alone.
    const light = goldenCss("accent-light");
    expect(declarations(rule(":root", light))["--cki-accent"]).toBe("#ea580c");
    expect(declarations(rule("html[data-theme=dark]", light))["--cki-accent"]).toBe("var(--ifm-color-primary,#3578e5)");
    expect(rule(HIDE_LIGHT, light)).toBe("display:none");
    expect(light).not.toContain(HIDE_DARK);
    expect(declarations(rule("#chatkit-inject-toggle a", light)).position).toBe("absolute");
    const dark = goldenCss("accent-dark");
    expect(declarations(rule(":root", dark))["--cki-accent"]).toBe("var(--ifm-color-primary,#3578e5)");
    expect(declarations(rule("html[data-theme=dark]", dark))["--cki-accent"]).toBe("#fdba74");
    expect(rule(HIDE_DARK, dark)).toBe("display:none");
    expect(dark).not.toContain(HIDE_LIGHT);
    expect(declarations(rule("#chatkit-inject-toggle a", dark)).position).toBe("absolute");
    // Unfixed: no rule hides the page's button layer.
    expect(css).not.toMatch(/ a\{display:none\}/);
  });

  it("paints the toggle with the site's primary button (the accent layer the loader puts in it), over the accent", () => {
    // loader.ts puts an empty <a class="button button--primary"> first in the toggle: the page's
    // own CSS gives it the background of the site's primary buttons, which is what the panel
    // reads for ChatKit. Spread over the whole toggle, under the icon, out of the pointer's way
    // (no hover colour of its own), with no border of its own. An id selector, so that a site's
    // own `.button` rules (a theme restyling Infima's buttons: `position: relative`, margins,
    // borders) cannot move it or shape it; only its background is the site's (its padding and
    // radius do not change an absolute box spread by `inset`, clipped to the circle).
    const layer = declarations(rule("#chatkit-inject-toggle a"));
    expect(layer).toEqual({
      position: "absolute",
      inset: "0",
      "place-self": "stretch",
      "z-index": "-1",
      margin: "0",
      border: "0",
      "pointer-events": "none",
    });
    // Clipped to the circle, whatever size a site's .button rules give it; where the page has no
    // button colour (transparent), the toggle's own background shows.
    const toggle = declarations(rule("#chatkit-inject-toggle"));
    expect(toggle).toMatchObject({ overflow: "hidden", "border-radius": "50%", border: "0", background: "var(--cki-accent)" });
    // An edge in forced colours mode (no border: the layer would not cover it).
    expect(toggle.outline).toBe("1px solid transparent");
  });

  it("stacks the toggle and the panel at the configured z-index, by default the top of the range", () => {
    const fixed = declarations(rule("#chatkit-inject-toggle,.chatkit-inject-panel"));
    expect(fixed.position).toBe("fixed");
    expect(fixed["z-index"]).toBe("2147483000");
    // `[widget] z-index = 300`.
    expect(declarations(rule("#chatkit-inject-toggle,.chatkit-inject-panel", goldenCss("z-index")))["z-index"]).toBe("300");
  });

  it("auto: bottom right, clear of the safe area, mirrored to the left on RTL pages", () => {
    const root = declarations(rule(":root"));
    expect(root["--cki-right"]).toBe("calc(16px + env(safe-area-inset-right))");
    expect(root["--cki-left"]).toBe("auto");
    expect(root["--cki-bottom"]).toBe("calc(16px + env(safe-area-inset-bottom) + var(--cki-lift))");
    const rtl = declarations(rule("html[dir=rtl]"));
    expect(rtl).toEqual({ "--cki-right": "auto", "--cki-left": "calc(16px + env(safe-area-inset-left))" });
    const fixed = declarations(rule("#chatkit-inject-toggle,.chatkit-inject-panel"));
    expect(fixed.right).toBe("var(--cki-right)");
    expect(fixed.left).toBe("var(--cki-left)");
  });

  it("keeps the configured offsets from the side and the bottom, on RTL pages too, and the panel within them", () => {
    // `[widget] offset-right = "24px"`, `offset-bottom = "5rem"`.
    const offsets = goldenCss("offsets");
    const root = declarations(rule(":root", offsets));
    expect(root["--cki-right"]).toBe("calc(24px + env(safe-area-inset-right))");
    expect(root["--cki-bottom"]).toBe("calc(5rem + env(safe-area-inset-bottom) + var(--cki-lift))");
    expect(root["--cki-off"]).toBe("24px");
    expect(declarations(rule("html[dir=rtl]", offsets))["--cki-left"]).toBe("calc(24px + env(safe-area-inset-left))");
  });

  it("bottom-right and bottom-left hold on RTL pages too", () => {
    const right = goldenCss("bottom-right");
    expect(right).not.toContain("html[dir=rtl]");
    expect(declarations(rule(":root", right))["--cki-right"]).toBe("calc(16px + env(safe-area-inset-right))");
    // `position = "bottom-left"` with `offset-right = "24px"`: the side offset moves to the left.
    const left = goldenCss("bottom-left");
    expect(left).not.toContain("html[dir=rtl]");
    const root = declarations(rule(":root", left));
    expect(root["--cki-right"]).toBe("auto");
    expect(root["--cki-left"]).toBe("calc(24px + env(safe-area-inset-left))");
  });

  it("lifts the toggle and the panel by --cki-lift (0px unless the placement script sets it)", () => {
    expect(declarations(rule(":root"))["--cki-lift"]).toBe("0px");
    expect(declarations(rule("#chatkit-inject-toggle")).bottom).toBe("var(--cki-bottom)");
    expect(declarations(rule(".chatkit-inject-panel")).bottom).toBe("calc(var(--cki-bottom) + var(--cki-size) + 12px)");
  });

  it("hides the elements `replaces` names, and nothing when it is empty", () => {
    expect(css).not.toContain("!important");
    const out = goldenCss("replaces");
    expect(rule("#old-bot,.chat-fab button,[data-widget='x']", out)).toBe("display:none!important");
  });

  it("places the panel above the toggle; the panel module's stylesheet does the rest", () => {
    expect(rule(".chatkit-inject-panel")).toBe("bottom:calc(var(--cki-bottom) + var(--cki-size) + 12px);max-width:400px");
    expect(css).not.toContain("chatkit-inject-header");
    expect(css).not.toContain("480px");
    // What the panel's stylesheet reads from here.
    expect(declarations(rule(":root"))["--cki-off"]).toBe("16px");
    for (const name of PANEL_CSS.match(/var\(--cki-[a-z-]+/g) ?? []) {
      const prop = name.slice(4);
      expect([prop, css.includes(`${prop}:`) || PANEL_CSS.includes(`${prop}:`)]).toEqual([prop, true]);
    }
  });

  it("keeps the error of a panel module that could not load readable, before the panel's stylesheet exists", () => {
    // A plain box on every page (the loader's one error); the panel module's stylesheet dresses it.
    const plain = declarations(rule(".chatkit-inject-error"));
    expect(plain).toMatchObject({ background: "#ffebec", color: "#4b1113", padding: "12px", margin: "12px" });
    expect(css).not.toContain(".chatkit-inject-error button");
    expect(rule(".chatkit-inject-error", PANEL_CSS)).toContain("border-inline-start:4px solid var(--ifm-color-danger,#fa383e)");
    expect(rule(".chatkit-inject-error button", PANEL_CSS)).toContain("background:var(--cki-accent)");
  });
});

describe("the panel's stylesheet (panel-css.ts)", () => {
  it("keeps the panel within 400x600 on larger screens, within the corner offset", () => {
    const panel = rule(".chatkit-inject-panel", PANEL_CSS);
    expect(panel).toMatch(/width:min\(400px,calc\(100vw - 2 \* var\(--cki-off\)\)\)/);
    expect(panel).toMatch(/height:min\(600px,/);
  });

  it("is a full-screen sheet on phones, above everything, with the page behind locked", () => {
    const css = PANEL_CSS;
    const phone = media("(max-width:480px)", css);
    const sheet = declarations(rule(".chatkit-inject-panel", phone));
    expect(sheet.inset).toBe("0");
    expect(sheet["z-index"]).toBe("2147483647");
    expect(sheet["border-radius"]).toBe("0");
    expect(sheet.padding).toBe(
      "env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left)",
    );
    const rest = `\n${phone.slice(phone.indexOf("}") + 1).replaceAll("}", "}\n")}`;
    expect(rule("html.chatkit-inject-open", rest)).toBe("overflow:hidden");
    // Docusaurus' Helmet rewrites <html class> when it hydrates and on navigation; :has() holds anyway.
    expect(rule("html:has(.chatkit-inject-panel:not([hidden]))", rest)).toBe("overflow:hidden");
    // The header (title and close button) never shrinks away.
    expect(declarations(rule(".chatkit-inject-header", css)).flex).toBe("none");
    expect(declarations(rule(".chatkit-inject-close", css)).flex).toBe("none");
  });

  it("follows the page's direction inside the panel", () => {
    expect(rule(".chatkit-inject-header", PANEL_CSS)).toContain("padding-inline-start:16px");
  });

  it("hides a closed panel even though it is a flex container", () => {
    expect(rule(".chatkit-inject-panel", PANEL_CSS)).toContain("display:flex");
    expect(rule(".chatkit-inject-panel[hidden]", PANEL_CSS)).toBe("display:none");
  });

  it("is balanced CSS, and respects reduced motion", () => {
    expect(PANEL_CSS.split("{").length).toBe(PANEL_CSS.split("}").length);
    expect(media("(prefers-reduced-motion:reduce)", PANEL_CSS)).toBe(".chatkit-inject-panel{animation:none}");
  });
});

describe("widget.css, continued", () => {
  it("shows focus, and hover without motion (nothing for reduced motion to stop)", () => {
    expect(css).toMatch(/#chatkit-inject-toggle:focus-visible,\.chatkit-inject-panel button:focus-visible\{outline:3px solid/);
    expect(rule("#chatkit-inject-toggle:hover")).toBe("filter:brightness(.9)");
    expect(declarations(rule("#chatkit-inject-toggle")).transition).toBe("filter .15s");
    // No motion of ours (`transform: none` undoes a site's, e.g. `button:hover{transform:…}`).
    expect(css.replaceAll("transform:none", "")).not.toMatch(/transform|animation|prefers-reduced-motion/);
  });

  it("lifts Docusaurus' back-to-top button above the toggle instead of covering it", () => {
    expect(rule("html .theme-back-to-top-button")).toBe("bottom:calc(var(--cki-bottom) + var(--cki-size) + 12px)");
  });

  it("steps aside while Docusaurus' search (DocSearch) is open: the toggle and the Ask button, not an open panel", () => {
    // DocSearch puts `DocSearch--active` on <body> while its modal is open (full screen on phones).
    expect(rule(".DocSearch--active #chatkit-inject-toggle,.DocSearch--active #chatkit-inject-ask")).toBe("display:none");
    expect(css).not.toMatch(/DocSearch--active[^{]*panel/);
  });
});
