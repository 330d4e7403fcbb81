/**
 * Runtime config (v2), in two parts the CLI writes (docs/architecture.md,
 * "Runtime config"):
 *
 * - the page config: the JSON in `#chatkit-inject-config`, on every page, with
 *   only what the loader needs before the first open (the title, the strings
 *   of its load error, where the panel module and the site module are) and
 *   the page's built-in translation (`locale`, for the panel module);
 * - the site config: the default export of the site module (`site.{HASH}.js`
 *   beside the other assets, one per distinct content), imported on first open (or on
 *   intent) with the panel module: the backend, ChatKit's settings, the start
 *   screen, the theme overrides and the maintainer's strings.
 *
 * Validation happens in two steps, to keep what every page loads small: the
 * loader checks the version and the page config's fields
 * ({@link parseLoaderConfig}); the panel module checks the whole shape of both
 * parts together ({@link combineConfig}, {@link validateConfig}) before it does
 * anything, and turns the widget off (toggle and panel removed, a console
 * warning) when it is invalid. Anything malformed is rejected as a whole.
 */

import { type Strings, UI_STRING_KEYS } from "./strings";

export const CONFIG_ELEMENT_ID = "chatkit-inject-config";
/** The version of the runtime config (page config and site module together). */
export const VERSION = 2;

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

/**
 * The runtime config as the panel sees it: the page config and the site
 * config combined ({@link combineConfig}).
 */
export interface RuntimeConfig {
  v: 2;
  env: string;
  backendUrl: string;
  sessionPath: string;
  chatPath: string;
  domainKey: string;
  scriptUrl: string;
  /** Page config: the panel module (resolved against the page's base URL). */
  panelUrl: string;
  /** Page config: the site module, which holds the rest (resolved against the page's base URL). */
  siteUrl: string;
  /** Page config: the panel's title and the toggle's and panel's accessible name. */
  title: string;
  /** Absent when it is the built-in translation's (of `locale`, else English); see panel-strings.ts. */
  greeting?: string;
  /** As `greeting`. */
  placeholder?: string;
  prompts: Prompt[];
  /** Optional in the JSON; after validation always an object (`{}` when absent). */
  theme: ThemeConfig;
  /**
   * Page config: the built-in translation the CLI chose for the page (a tag
   * of templates/strings.json, e.g. "ur"); absent on English pages. The panel
   * module takes its strings from it; the loader does not read it.
   */
  locale?: string;
  /**
   * The strings of both parts, the page's winning: in the page config those
   * the loader shows before the panel module exists (retry, offline,
   * unreachable), always, in the page's language (the loader has no English
   * of its own); in the site config any key the maintainer overrode. Absent
   * keys come from `locale`'s built-in translation in the panel.
   */
  strings?: Strings;
}

/** The page config: what the loader reads before the first open (and `locale`, for the panel). */
export type LoaderConfig = Pick<RuntimeConfig, "v" | "panelUrl" | "siteUrl" | "title" | "locale"> & {
  /** Always all three (in the page's language, English included): the loader has no fallback. */
  strings: Required<Pick<Strings, (typeof LOADER_STRING_KEYS)[number]>>;
};

/** The site module's default export: the rest of the runtime config. */
export type SiteConfig = Omit<RuntimeConfig, keyof LoaderConfig | "theme"> & { theme?: ThemeConfig };

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
  "siteUrl",
  "title",
] as const;

const LOADER_KEYS = ["title", "panelUrl", "siteUrl"] as const;
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
 * The name of the first field that breaks the v2 shape, or null when the value
 * is a valid config. Terse on purpose: this code ships on every page.
 */
function problem(value: unknown): string | null {
  if (!isObject(value)) return "(not an object)";
  if (value.v !== VERSION) return "v";
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
 * Parses the config element's text as the loader does: the page config, or the
 * name of the first field that breaks the version and the fields the loader
 * reads ("JSON" for a syntax error). Terse on purpose: it ships on every page (a
 * value that is not an object has no `v`). The rest waits for {@link problem}.
 */
export function parseLoaderConfig(text: string): LoaderConfig | string {
  let value: Json | null;
  try {
    value = JSON.parse(text) as Json | null;
  } catch {
    return "JSON";
  }
  if (value?.v !== VERSION) return "v";
  for (const key of LOADER_KEYS) if (typeof value[key] !== "string") return key;
  // Indexing a non-object (a string, a number) gives undefined too: no separate object check.
  const strings = value.strings as Json | undefined;
  for (const key of LOADER_STRING_KEYS) if (typeof strings?.[key] !== "string") return "strings." + key;
  return value as LoaderConfig;
}

/**
 * Validates the runtime config of a page: its page config (as read from the
 * page) and its site config (the site module's default export) as one object
 * (see {@link validateConfig}), where the page's keys win and `strings` is the
 * union of both (the page's winning). A site config that is not an object is
 * rejected as "site".
 */
export function validateParts(page: unknown, site: unknown): ParseResult {
  if (!isObject(site)) return { ok: false, error: "site" };
  if (!isObject(page)) return { ok: false, error: "(not an object)" };
  const { strings: own, ...siteRest } = site;
  const { strings: loader, ...pageRest } = page;
  const combined: Json = { ...siteRest, ...pageRest };
  for (const strings of [own, loader]) if (strings !== undefined && !isObject(strings)) return { ok: false, error: "strings" };
  if (own !== undefined || loader !== undefined) combined.strings = { ...(own as Json), ...(loader as Json) };
  return validateConfig(combined);
}

/** Validates an already decoded JSON value against the v2 shape (page and site config combined). */
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
