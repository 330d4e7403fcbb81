/**
 * The panel's strings: `config.strings`, `config.greeting` and
 * `config.placeholder` (what the page carries: the keys the maintainer
 * overrode, and those the loader needs before this module exists),
 * else the built-in translation named by `config.locale`, else English. The
 * built-in translations are templates/strings.json itself, bundled into the
 * panel module, so they cost the pages nothing before the first open.
 */

import TABLE from "../../templates/strings.json";
import type { RuntimeConfig } from "./config";
import type { StringKey } from "./strings";

type Table = Record<string, Record<string, string>>;
const table: Table = TABLE;

/** The built-in translation for `locale` (a tag of strings.json), or null. */
export function builtIn(locale: string | undefined): Record<string, string> | null {
  return locale !== undefined && Object.prototype.hasOwnProperty.call(table, locale) ? table[locale] : null;
}

/** The panel's text for `key` on this page (greeting and placeholder are top-level config keys). */
export function text(config: RuntimeConfig, key: StringKey | "greeting" | "placeholder"): string {
  const own = key === "greeting" || key === "placeholder" ? config[key] : config.strings?.[key];
  return own ?? builtIn(config.locale)?.[key] ?? table.en[key];
}
