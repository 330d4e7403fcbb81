/**
 * Shared test data: the sample runtime config, as the CLI writes it for
 * tests/golden/chatkit.toml (its page config and its site module), and the
 * widget CSS the CLI renders for each named context of
 * tests/golden/css-contexts.json: the golden files tests/it/contract.rs holds
 * the CLI to.
 */

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { LoaderConfig, RuntimeConfig, SiteConfig, ThemeConfig } from "../config";

const goldenPath = (name: string): string => resolve(__dirname, "../../../tests/golden", name);
const golden = (name: string): string => readFileSync(goldenPath(name), "utf8").trimEnd();

/** The page config's JSON, as in `#chatkit-inject-config` on an English page. */
export const SAMPLE_CONFIG_TEXT = golden("page-config.json");
/** The page config's JSON on an Urdu page. */
export const SAMPLE_CONFIG_TEXT_UR = golden("page-config.ur.json");
/** The site module's text. */
export const SAMPLE_SITE_MODULE = golden("site.js");
/** The site config's JSON: the site module is `export default`, the object, and `;`. */
export const SAMPLE_SITE_TEXT = SAMPLE_SITE_MODULE.replace(/^export default /, "").replace(/;$/, "");
/** The markup the CLI injects (head, then body) for an English page. */
export const SAMPLE_MARKUP = golden("markup.html");

export function samplePage(): LoaderConfig {
  return JSON.parse(SAMPLE_CONFIG_TEXT) as LoaderConfig;
}

export function sampleSite(): SiteConfig {
  return JSON.parse(SAMPLE_SITE_TEXT) as SiteConfig;
}

/** The two parts combined, as the panel sees them (config.ts, validateParts); no `theme`. */
export function sampleConfig(): RuntimeConfig {
  return { ...sampleSite(), ...samplePage() } as RuntimeConfig;
}

/**
 * Every `[theme]` key a maintainer can set, as the CLI writes them into `theme` (the sample
 * config has none, as the CLI writes it when none is set).
 */
export const FULL_THEME: Required<ThemeConfig> = {
  accent: "#2e8555",
  accentDark: "#25c2a0",
  fontFamily: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
  radius: "round",
};

/** The sample config with every `[theme]` key set. */
export function themedConfig(): RuntimeConfig {
  return { ...sampleConfig(), theme: { ...FULL_THEME } };
}

/** The names of the CSS contexts (tests/golden/css-contexts.json: each a chatkit.toml fragment). */
export const CSS_CONTEXTS: readonly string[] = Object.keys(
  JSON.parse(readFileSync(goldenPath("css-contexts.json"), "utf8")) as Record<string, unknown>,
);

/**
 * The widget CSS the CLI writes for the CSS context `name` (tests/golden/css/<name>.css, byte for
 * byte): `default` is tests/golden/chatkit.toml as it is (no `[theme]`, the default corner).
 */
export function goldenCss(name: string): string {
  if (!CSS_CONTEXTS.includes(name)) throw new Error(`no CSS context ${name} in tests/golden/css-contexts.json`);
  return readFileSync(goldenPath(`css/${name}.css`), "utf8");
}
