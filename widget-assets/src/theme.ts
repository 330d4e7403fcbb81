/**
 * ChatKit's `theme` option. ChatKit renders in a cross-origin iframe that
 * cannot read the site's CSS, so its theme is built from the values the CLI
 * extracted from the build and from the site's current `html[data-theme]`.
 */

import type { SupportedLocale, ThemeOption } from "@openai/chatkit";
import type { ThemeConfig } from "./config";

export type ColorScheme = "light" | "dark";

export function readColorScheme(doc: Document = document): ColorScheme {
  return doc.documentElement.getAttribute("data-theme") === "dark" ? "dark" : "light";
}

export function buildTheme(theme: ThemeConfig, scheme: ColorScheme): ThemeOption {
  const option: ThemeOption = {
    colorScheme: scheme,
    radius: theme.radius,
    color: { accent: { primary: scheme === "dark" ? theme.accentDark : theme.accent, level: 1 } },
  };
  if (theme.fontFamily) option.typography = { fontFamily: theme.fontFamily };
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
