/**
 * Shared test data: the sample runtime config, as the CLI writes it for
 * tests/golden/chatkit.toml (its page config and its site module, the golden
 * files tests/it/contract.rs holds the CLI to), and the CSS context under
 * test/fixtures/.
 */

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CssValue } from "../../scripts/render-css.mjs";
import type { LoaderConfig, RuntimeConfig, SiteConfig, ThemeConfig } from "../config";

const fixture = (name: string): string => readFileSync(resolve(__dirname, "../../test/fixtures", name), "utf8");
const golden = (name: string): string => readFileSync(resolve(__dirname, "../../../tests/golden", name), "utf8").trimEnd();

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

export function sampleCssContext(): Record<string, CssValue> {
  return JSON.parse(fixture("css-context.json")) as Record<string, CssValue>;
}
