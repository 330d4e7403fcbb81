/**
 * Runtime config (v1): the JSON the CLI writes into `#chatkit-inject-config`.
 * Parsed and validated here; anything malformed is rejected as a whole, so the
 * widget either runs with a complete config or not at all.
 *
 * Validation happens in two steps, to keep what every page loads small: the
 * loader checks the version and the fields it uses itself before the first open
 * ({@link parseLoaderConfig}); the panel module checks the whole shape
 * ({@link validateConfig}) before it does anything, and turns the widget off
 * (toggle and panel removed, a console warning) when the config is invalid.
 */

import { type Strings, UI_STRING_KEYS } from "./strings";

export const CONFIG_ELEMENT_ID = "chatkit-inject-config";

export type Radius = "pill" | "round" | "soft" | "sharp";

/**
 * The maintainer's `[theme]` overrides. Each field is optional: what is absent
 * is read from the page's computed styles when the panel opens (theme.ts).
 */
export interface ThemeConfig {
  accent?: string;
  accentDark?: string;
  fontFamily?: string;
  radius?: Radius;
}

export interface Prompt {
  label: string;
  prompt: string;
}

export interface RuntimeConfig {
  v: 1;
  env: string;
  backendUrl: string;
  sessionPath: string;
  chatPath: string;
  domainKey: string;
  scriptUrl: string;
  panelUrl: string;
  title: string;
  /** Absent when it is the built-in translation's (of `locale`, else English); see panel-strings.ts. */
  greeting?: string;
  /** As `greeting`. */
  placeholder?: string;
  prompts: Prompt[];
  /** Optional in the JSON; after validation always an object (`{}` when absent). */
  theme: ThemeConfig;
  /**
   * The built-in translation the CLI chose for the page (a tag of
   * templates/strings.json, e.g. "ur"); absent on English pages. The panel
   * module takes its strings from it.
   */
  locale?: string;
  /**
   * Strings the page carries itself: those the loader shows before the panel
   * module exists (retry, offline, unreachable) where they differ from English,
   * and any key the maintainer overrode. Absent keys come from `locale`'s
   * built-in translation in the panel, and from English in the loader.
   */
  strings?: Strings;
}

/** The fields the loader reads before the panel module exists. */
export type LoaderConfig = Pick<RuntimeConfig, "v" | "backendUrl" | "scriptUrl" | "panelUrl" | "title"> & {
  strings?: Pick<Strings, (typeof LOADER_STRING_KEYS)[number]>;
};

/** The result of parsing: a config, or the reason it was rejected. */
export type ParseResult = { ok: true; config: RuntimeConfig } | { ok: false; error: string };
// `error` names the offending field (e.g. "theme.accent", "v"), or "JSON" for a syntax error.

const RADII: readonly string[] = ["pill", "round", "soft", "sharp"];
const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
const STRING_KEYS = [
  "env",
  "backendUrl",
  "sessionPath",
  "chatPath",
  "domainKey",
  "scriptUrl",
  "panelUrl",
  "title",
] as const;

const LOADER_KEYS = ["backendUrl", "scriptUrl", "panelUrl", "title"] as const;
/** The strings the loader shows itself (the error when the panel module cannot be loaded). */
export const LOADER_STRING_KEYS = ["retry", "offline", "unreachable"] as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPrompt(value: unknown): value is Prompt {
  return isObject(value) && typeof value.label === "string" && typeof value.prompt === "string";
}

/**
 * The name of the first field that breaks the v1 shape, or null when the value
 * is a valid config. Terse on purpose: this code ships on every page.
 */
function problem(value: unknown): string | null {
  if (!isObject(value)) return "(not an object)";
  if (value.v !== 1) return "v";
  for (const key of STRING_KEYS) if (typeof value[key] !== "string") return key;
  for (const key of ["greeting", "placeholder", "locale"]) if (value[key] !== undefined && typeof value[key] !== "string") return key;
  const backendUrl = value.backendUrl as string;
  if (!/^https?:\/\/[^/]/.test(backendUrl) || backendUrl.endsWith("/")) return "backendUrl";
  for (const key of ["sessionPath", "chatPath"]) if (!(value[key] as string).startsWith("/")) return key;
  if (!Array.isArray(value.prompts) || !value.prompts.every(isPrompt)) return "prompts";
  const theme = value.theme === undefined ? {} : value.theme;
  if (!isObject(theme)) return "theme";
  for (const key of ["accent", "accentDark"]) {
    const color = theme[key];
    if (color !== undefined && (typeof color !== "string" || !HEX_COLOR.test(color))) return "theme." + key;
  }
  if (theme.radius !== undefined && (typeof theme.radius !== "string" || !RADII.includes(theme.radius)))
    return "theme.radius";
  if (theme.fontFamily !== undefined && typeof theme.fontFamily !== "string") return "theme.fontFamily";
  const strings = value.strings;
  if (strings === undefined) return null;
  if (!isObject(strings)) return "strings";
  // Unknown keys are ignored (a newer CLI may know more strings).
  for (const key of UI_STRING_KEYS) if (strings[key] !== undefined && typeof strings[key] !== "string") return "strings." + key;
  return null;
}

/**
 * The loader's check: the version and the fields the loader reads, or null.
 * Terse on purpose: it ships on every page (a value that is not an object has
 * no `v`). The rest waits for {@link problem}.
 */
function loaderProblem(value: Json | null): string | null {
  if (value?.v !== 1) return "v";
  for (const key of LOADER_KEYS) if (typeof value[key] !== "string") return key;
  const strings = value.strings as Json | undefined;
  if (strings === undefined) return null;
  if (!isObject(strings)) return "strings";
  for (const key of LOADER_STRING_KEYS) if (strings[key] !== undefined && typeof strings[key] !== "string") return "strings." + key;
  return null;
}

/** Parses the config element's text as the loader does (see {@link loaderProblem}). */
export function parseLoaderConfig(text: string): { ok: true; config: LoaderConfig } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: "JSON" };
  }
  const error = loaderProblem(value as Json | null);
  return error === null ? { ok: true, config: value as LoaderConfig } : { ok: false, error };
}

/** Validates an already decoded JSON value against the v1 shape. */
export function validateConfig(value: unknown): ParseResult {
  const error = problem(value);
  if (error !== null) return { ok: false, error };
  const config = value as RuntimeConfig;
  return { ok: true, config: { ...config, theme: config.theme ?? {} } };
}

/** Parses the JSON text of the config element. */
export function parseConfig(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: "JSON" };
  }
  return validateConfig(value);
}
