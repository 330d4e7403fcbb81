/**
 * ChatKit's `theme` option. ChatKit renders in a cross-origin iframe that
 * cannot read the site's CSS, so the panel reads the site's look where the
 * reader sees it, in the page's computed styles, when the panel opens and
 * whenever the site switches between light and dark (`html[data-theme]`):
 *
 * - accent: the background of the site's primary button (a hidden
 *   `<a class="button button--primary">` probe: Infima paints it with
 *   `--ifm-color-primary`, and sites whose brand colour is set outside Infima
 *   paint it with theirs), else `--ifm-color-primary` itself;
 * - radius: `--ifm-global-radius`, mapped as the CLI maps it (0 → sharp,
 *   ≤ 4px → soft, ≤ 10px → round, else pill);
 * - font: the computed `font-family` of `<body>`.
 *
 * What the runtime config's `theme` holds (the maintainer's `[theme]` keys)
 * wins over what is read; what can be neither read nor found in the config is
 * left to ChatKit. The reading is thin on purpose; the colour conversion is
 * the pure, unit-tested `toHex` (color.ts).
 */

import type { SupportedLocale, ThemeOption } from "@openai/chatkit";
import { toHex } from "./color";
import type { Radius, ThemeConfig } from "./config";

export type ColorScheme = "light" | "dark";

export function readColorScheme(doc: Document = document): ColorScheme {
  return doc.documentElement.getAttribute("data-theme") === "dark" ? "dark" : "light";
}

/** What the page shows in its current colour scheme; absent fields could not be read. */
export interface PageTheme {
  accent?: string;
  radius?: Radius;
  fontFamily?: string;
}

/**
 * ChatKit's radius for a computed CSS length (`"6.4px"`, `"0px"`, `"50%"`), as the CLI
 * maps `--ifm-global-radius`; null when it is not a length.
 */
export function radiusFor(length: string): Radius | null {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(px|%)?$/.exec(length.trim());
  if (!m) return null;
  const n = Number(m[1]);
  if (n === 0) return "sharp";
  if (m[2] === "%") return "pill";
  if (!m[2]) return null;
  return n <= 4 ? "soft" : n <= 10 ? "round" : "pill";
}

/** The id of the loader's panel element (loader.ts), where the probes go. */
const PANEL_ID = "chatkit-inject-panel";

/**
 * Reads the page's accent, radius and font from its computed styles, through
 * probe elements put into the panel element (outside the site's own tree, so
 * the placement watcher ignores them) and removed before returning.
 */
export function readPageTheme(doc: Document = document): PageTheme {
  const win = doc.defaultView;
  if (!win) return {};
  const page: PageTheme = {};
  const host = doc.getElementById(PANEL_ID) ?? doc.body;
  const button = doc.createElement("a");
  button.className = "button button--primary";
  const probe = doc.createElement("span");
  const root = win.getComputedStyle(doc.documentElement);
  const has = (name: string): boolean => root.getPropertyValue(name).trim() !== "";
  if (has("--ifm-color-primary")) probe.style.setProperty("color", "var(--ifm-color-primary)");
  if (has("--ifm-global-radius")) probe.style.setProperty("border-top-left-radius", "var(--ifm-global-radius)");
  button.hidden = probe.hidden = true;
  host.append(button, probe);
  try {
    const accent =
      toHex(win.getComputedStyle(button).backgroundColor) ??
      (has("--ifm-color-primary") ? toHex(win.getComputedStyle(probe).color) : null);
    if (accent) page.accent = accent;
    const radius = has("--ifm-global-radius") ? radiusFor(win.getComputedStyle(probe).borderTopLeftRadius) : null;
    if (radius) page.radius = radius;
  } finally {
    button.remove();
    probe.remove();
  }
  const font = win.getComputedStyle(doc.body).fontFamily.trim();
  if (font) page.fontFamily = font;
  return page;
}

let last: { doc: Document; scheme: ColorScheme; page: PageTheme } | null = null;

/**
 * {@link readPageTheme}, read again only when the document or the colour
 * scheme changed since the last read: so once when the panel opens and once
 * per light/dark switch, however often the panel renders.
 */
export function currentPageTheme(scheme: ColorScheme, doc: Document = document): PageTheme {
  if (last?.doc !== doc || last.scheme !== scheme) last = { doc, scheme, page: readPageTheme(doc) };
  return last.page;
}

/**
 * ChatKit's theme for `scheme`: each of the config's `theme` fields (the
 * maintainer's overrides) when present, else what the page shows (read only
 * when something is missing), else nothing (ChatKit's own default).
 */
export function buildTheme(
  theme: ThemeConfig | undefined,
  scheme: ColorScheme,
  read: () => PageTheme = () => currentPageTheme(scheme),
): ThemeOption {
  const fixed = theme ?? {};
  const fixedAccent = scheme === "dark" ? fixed.accentDark : fixed.accent;
  const page = fixedAccent && fixed.radius && fixed.fontFamily ? {} : read();
  const accent = fixedAccent ?? page.accent;
  const radius = fixed.radius ?? page.radius;
  const fontFamily = fixed.fontFamily ?? page.fontFamily;
  const option: ThemeOption = { colorScheme: scheme };
  if (radius) option.radius = radius;
  if (accent) option.color = { accent: { primary: accent, level: 1 } };
  if (fontFamily) option.typography = { fontFamily };
  return option;
}

/** Calls `onChange` whenever the site switches between light and dark; returns the stop function. */
export function watchColorScheme(doc: Document, onChange: (scheme: ColorScheme) => void): () => void {
  let last = readColorScheme(doc);
  const observer = new MutationObserver(() => {
    const next = readColorScheme(doc);
    if (next !== last) {
      last = next;
      onChange(next);
    }
  });
  observer.observe(doc.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  return () => observer.disconnect();
}

// prettier-ignore
const LOCALES: readonly SupportedLocale[] = [
  "am", "ar", "bg-BG", "bn-BD", "bs-BA", "ca-ES", "cs-CZ", "da-DK", "de-DE", "el-GR", "es-419", "es-ES",
  "et-EE", "fi-FI", "fr-CA", "fr-FR", "gu-IN", "hi-IN", "hr-HR", "hu-HU", "hy-AM", "id-ID", "is-IS",
  "it-IT", "ja-JP", "ka-GE", "kk", "kn-IN", "ko-KR", "lt", "lv-LV", "mk-MK", "ml", "mn", "mr-IN", "ms-MY",
  "my-MM", "nb-NO", "nl-NL", "pa", "pl-PL", "pt-BR", "pt-PT", "ro-RO", "ru-RU", "sk-SK", "sl-SI", "so-SO",
  "sq-AL", "sr-RS", "sv-SE", "sw-TZ", "ta-IN", "te-IN", "th-TH", "tl", "tr-TR", "uk-UA", "ur", "vi-VN",
  "zh-CN", "zh-HK", "zh-TW", "bg", "bn", "bs", "ca", "cs", "da", "de", "el", "es", "et", "fi", "fr", "gu",
  "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka", "kn", "ko", "lv", "mk", "mr", "ms", "my", "nb",
  "nl", "pl", "pt", "ro", "ru", "sk", "sl", "so", "sq", "sr", "sv", "sw", "ta", "te", "th", "tr", "uk",
  "vi", "zh", "zh-Hant", "en",
];

/**
 * ChatKit's locale for a page's `<html lang>`: the exact tag when ChatKit
 * knows it, else its primary language, else undefined (ChatKit then uses the
 * browser's language).
 */
export function resolveLocale(lang: string): SupportedLocale | undefined {
  const wanted = lang.trim().toLowerCase();
  if (wanted === "") return undefined;
  const exact = LOCALES.find((l) => l.toLowerCase() === wanted);
  if (exact) return exact;
  const primary = wanted.split("-")[0];
  return LOCALES.find((l) => l === primary);
}
