/**
 * The widget's own strings (besides title, greeting and placeholder, which are
 * top-level config keys). The CLI writes `config.strings` with the page's
 * language where it differs from English; each absent key falls back to the
 * built-in English here, which equals templates/strings.json "en" (a unit test
 * compares). One constant per string, so each bundle carries only the English
 * it uses.
 */

export const UI_STRING_KEYS = [
  "close",
  "retry",
  "loading",
  "responding",
  "offline",
  "unreachable",
  "session",
  "script",
  "unknown",
] as const;

export type StringKey = (typeof UI_STRING_KEYS)[number];
export type Strings = Partial<Record<StringKey, string>>;

export const CLOSE = "Close";
export const RETRY = "Retry";
export const LOADING = "Loading…";
export const RESPONDING = "The assistant is writing an answer…";
