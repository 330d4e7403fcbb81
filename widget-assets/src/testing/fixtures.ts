/** Shared test data: the sample runtime config and CSS context under test/fixtures/. */

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CssValue } from "../../scripts/render-css.mjs";
import type { RuntimeConfig } from "../config";

const fixture = (name: string): string => readFileSync(resolve(__dirname, "../../test/fixtures", name), "utf8");

export const SAMPLE_CONFIG_TEXT = fixture("runtime-config.json");

export function sampleConfig(): RuntimeConfig {
  return JSON.parse(SAMPLE_CONFIG_TEXT) as RuntimeConfig;
}

export function sampleCssContext(): Record<string, CssValue> {
  return JSON.parse(fixture("css-context.json")) as Record<string, CssValue>;
}
