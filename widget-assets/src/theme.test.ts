import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  buildTheme,
  currentPageTheme,
  radiusFor,
  readColorScheme,
  readPageTheme,
  resolveLocale,
  watchColorScheme,
} from "./theme";
import { FULL_THEME } from "./testing/fixtures";

afterEach(() => document.documentElement.removeAttribute("data-theme"));

describe("buildTheme", () => {
  const theme = FULL_THEME;
  const nothingRead = () => ({});
  const orange = () => ({ accent: "#f97316", radius: "soft" as const, fontFamily: "Inter, sans-serif" });

  it("uses the config's light accent in light mode, without reading the page when the config says everything", () => {
    const read = vi.fn(orange);
    expect(buildTheme(theme, "light", read)).toEqual({
      colorScheme: "light",
      radius: "round",
      color: { accent: { primary: "#2e8555", level: 1 } },
      typography: { fontFamily: theme.fontFamily },
    });
    expect(read).not.toHaveBeenCalled();
  });

  it("uses the config's dark accent in dark mode", () => {
    const dark = buildTheme(theme, "dark", orange);
    expect(dark.colorScheme).toBe("dark");
    expect(dark.color?.accent?.primary).toBe("#25c2a0");
  });

  it("takes what the page shows for every field the config leaves out", () => {
    expect(buildTheme({}, "dark", orange)).toEqual({
      colorScheme: "dark",
      radius: "soft",
      color: { accent: { primary: "#f97316", level: 1 } },
      typography: { fontFamily: "Inter, sans-serif" },
    });
    expect(buildTheme(undefined, "light", orange).color?.accent?.primary).toBe("#f97316");
  });

  it("lets each config field win on its own (a maintainer's override)", () => {
    const lightOnly = { accent: "#000000" };
    expect(buildTheme(lightOnly, "light", orange)).toMatchObject({ color: { accent: { primary: "#000000" } }, radius: "soft" });
    expect(buildTheme(lightOnly, "dark", orange)).toMatchObject({ color: { accent: { primary: "#f97316" } } });
    expect(buildTheme({ radius: "pill" }, "light", orange)).toMatchObject({ radius: "pill" });
    expect(buildTheme({ fontFamily: "Georgia" }, "light", orange).typography).toEqual({ fontFamily: "Georgia" });
  });

  it("leaves to ChatKit what neither the config nor the page gives", () => {
    expect(buildTheme({ accent: "#000000", accentDark: "#ffffff", radius: "sharp" }, "light", nothingRead)).toEqual({
      colorScheme: "light",
      radius: "sharp",
      color: { accent: { primary: "#000000", level: 1 } },
    });
    expect(buildTheme({}, "dark", nothingRead)).toEqual({ colorScheme: "dark" });
  });
});

describe("radiusFor (computed --ifm-global-radius, mapped as the CLI maps it)", () => {
  it.each([
    ["0px", "sharp"],
    ["0", "sharp"],
    ["2px", "soft"],
    ["4px", "soft"],
    ["4.5px", "round"],
    ["6.4px", "round"],
    ["10px", "round"],
    ["10.1px", "pill"],
    ["9999px", "pill"],
    ["50%", "pill"],
    ["0%", "sharp"],
    ["", null],
    ["0.4rem", null],
    ["calc(2px)", null],
    ["-2px", null],
  ])("%s → %s", (length, radius) => {
    expect(radiusFor(length)).toBe(radius);
  });
});

describe("reading the page", () => {
  let sheet: HTMLStyleElement;
  beforeEach(() => {
    sheet = document.createElement("style");
    document.head.append(sheet);
  });
  afterEach(() => {
    sheet.remove();
    document.body.replaceChildren();
  });

  it("takes the accent from the site's primary button and the font from <body>, and leaves no probe behind", () => {
    // A brand colour outside Infima (as fixtures/site-course): the button is orange while
    // --ifm-color-primary stays Infima's blue.
    sheet.textContent =
      ":root{--ifm-color-primary:#3578e5}.button--primary{background-color:hsl(24.6 95% 53.1%)}body{font-family:Inter, sans-serif}";
    const panel = document.createElement("div");
    panel.id = "chatkit-inject-panel";
    document.body.append(panel);
    expect(readPageTheme(document)).toEqual({ accent: "#f97316", fontFamily: "Inter, sans-serif" });
    expect(panel.childNodes).toHaveLength(0);
    expect(document.body.childNodes).toHaveLength(1);
  });

  it("reads nothing from a page without styles", () => {
    expect(readPageTheme(document)).toEqual({});
    expect(document.body.childNodes).toHaveLength(0);
  });

  it("falls back to --ifm-color-primary as the browser resolves it, and reads --ifm-global-radius", () => {
    // jsdom resolves neither var() nor lengths: stand in for the browser's computed values.
    sheet.textContent = ":root{--ifm-color-primary:var(--brand);--ifm-global-radius:0.4rem}";
    const real = window.getComputedStyle.bind(window);
    vi.spyOn(window, "getComputedStyle").mockImplementation((element: Element) => {
      const style = real(element);
      const probe = element as HTMLElement;
      if (probe.style?.getPropertyValue("color") === "var(--ifm-color-primary)")
        return { ...style, color: "oklch(0.7049 0.1867 47.6)", borderTopLeftRadius: "6.4px" } as CSSStyleDeclaration;
      return style;
    });
    expect(readPageTheme(document)).toMatchObject({ accent: "#f97316", radius: "round" });
  });

  it("reads again only when the colour scheme changes", () => {
    sheet.textContent = ".button--primary{background-color:#f97316}";
    currentPageTheme("dark"); // whatever an earlier read left, the next light read is fresh
    const light = currentPageTheme("light");
    expect(light.accent).toBe("#f97316");
    sheet.textContent = ".button--primary{background-color:#25c2a0}";
    expect(currentPageTheme("light")).toBe(light);
    expect(currentPageTheme("dark").accent).toBe("#25c2a0");
    sheet.textContent = ".button--primary{background-color:#f97316}";
    expect(currentPageTheme("light").accent).toBe("#f97316");
  });
});

describe("color scheme", () => {
  it("reads html[data-theme]", () => {
    expect(readColorScheme(document)).toBe("light");
    document.documentElement.setAttribute("data-theme", "dark");
    expect(readColorScheme(document)).toBe("dark");
    document.documentElement.setAttribute("data-theme", "sepia");
    expect(readColorScheme(document)).toBe("light");
  });

  it("reports each switch once and stops when asked", async () => {
    const seen = vi.fn();
    const stop = watchColorScheme(document, seen);
    const flush = () => new Promise((r) => setTimeout(r, 0));
    document.documentElement.setAttribute("data-theme", "dark");
    await flush();
    document.documentElement.setAttribute("data-theme", "dark");
    document.documentElement.setAttribute("class", "unrelated");
    await flush();
    document.documentElement.setAttribute("data-theme", "light");
    await flush();
    expect(seen.mock.calls).toEqual([["dark"], ["light"]]);
    stop();
    document.documentElement.setAttribute("data-theme", "dark");
    await flush();
    expect(seen).toHaveBeenCalledTimes(2);
    document.documentElement.removeAttribute("class");
  });
});

describe("resolveLocale", () => {
  it.each([
    ["en", "en"],
    ["de", "de"],
    ["pt-BR", "pt-BR"],
    ["pt-br", "pt-BR"],
    ["fr-BE", "fr"],
    ["zh-Hant", "zh-Hant"],
    ["xx", undefined],
    ["", undefined],
  ])("%s → %s", (lang, locale) => {
    expect(resolveLocale(lang)).toBe(locale);
  });
});
