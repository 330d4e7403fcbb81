/**
 * The widget's own strings (besides title, greeting and placeholder, which are
 * top-level config keys). The panel module takes them from `config.strings`,
 * else the built-in translation `config.locale` names (panel-strings.ts). The
 * loader, which has no translations, takes the few it shows (Retry and the
 * offline/unreachable messages) from `config.strings`, where the CLI writes
 * them when they differ from English, else the English here, which equals
 * templates/strings.json "en" (a unit test compares). One constant per string,
 * so the loader carries only the English it uses.
 */

export const UI_STRING_KEYS = [
  "close",
  "ask",
  "retry",
  "loading",
  "responding",
  "offline",
  "unreachable",
  "session",
  "script",
  "unknown",
  "busy",
  "long",
  "full",
] as const;

export type StringKey = (typeof UI_STRING_KEYS)[number];
export type Strings = Partial<Record<StringKey, string>>;

export const CLOSE = "Close";
export const ASK = "Ask about this";
export const RETRY = "Retry";
export const LOADING = "Loading…";
export const RESPONDING = "The assistant is writing an answer…";
