/** Shared test data: the sample runtime config and CSS context under test/fixtures/. */

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CssValue } from "../../scripts/render-css.mjs";
import type { RuntimeConfig, ThemeConfig } from "../config";

const fixture = (name: string): string => readFileSync(resolve(__dirname, "../../test/fixtures", name), "utf8");

export const SAMPLE_CONFIG_TEXT = fixture("runtime-config.json");

export function sampleConfig(): RuntimeConfig {
  return JSON.parse(SAMPLE_CONFIG_TEXT) as RuntimeConfig;
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
