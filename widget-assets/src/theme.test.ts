import { afterEach, describe, expect, it, vi } from "vitest";
import { buildTheme, readColorScheme, resolveLocale, watchColorScheme } from "./theme";
import { sampleConfig } from "./testing/fixtures";

afterEach(() => document.documentElement.removeAttribute("data-theme"));

describe("buildTheme", () => {
  const theme = sampleConfig().theme;

  it("uses the light accent in light mode", () => {
    expect(buildTheme(theme, "light")).toEqual({
      colorScheme: "light",
      radius: "round",
      color: { accent: { primary: "#2e8555", level: 1 } },
      typography: { fontFamily: theme.fontFamily },
    });
  });

  it("uses the dark accent in dark mode", () => {
    const dark = buildTheme(theme, "dark");
    expect(dark.colorScheme).toBe("dark");
    expect(dark.color?.accent?.primary).toBe("#25c2a0");
  });

  it("leaves typography to ChatKit without a font family", () => {
    expect(buildTheme({ accent: "#000000", accentDark: "#ffffff", radius: "sharp" }, "light")).toEqual({
      colorScheme: "light",
      radius: "sharp",
      color: { accent: { primary: "#000000", level: 1 } },
    });
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
