// The widget's built-in English equals templates/strings.json "en", the one source the CLI
// translates from; and every key the CLI may send is one the widget knows.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_MESSAGES, type ErrorKind } from "./errors";
import { ASK, CLOSE, LOADING, RESPONDING, RETRY, type StringKey, UI_STRING_KEYS } from "./strings";

type Table = Record<string, Record<string, string>>;
const table = JSON.parse(readFileSync(resolve(__dirname, "../../templates/strings.json"), "utf8")) as Table;
const en = table.en;

const builtIn: Record<StringKey, string> = {
  close: CLOSE,
  ask: ASK,
  retry: RETRY,
  loading: LOADING,
  responding: RESPONDING,
  ...ERROR_MESSAGES,
};

describe("built-in strings", () => {
  it("equal templates/strings.json's English", () => {
    for (const key of UI_STRING_KEYS) expect([key, builtIn[key]]).toEqual([key, en[key]]);
  });

  it("cover every key of strings.json but the three top-level config keys", () => {
    const configKeys = ["title", "greeting", "placeholder"];
    expect(new Set([...UI_STRING_KEYS, ...configKeys])).toEqual(new Set(Object.keys(en)));
    // title, greeting and placeholder have no default in the widget: the config always carries them.
  });

  it("every error kind has a translatable string", () => {
    for (const kind of Object.keys(ERROR_MESSAGES) as ErrorKind[]) expect(UI_STRING_KEYS).toContain(kind);
  });

  it("every language of strings.json has every key, non-empty", () => {
    for (const [lang, strings] of Object.entries(table)) {
      expect([lang, Object.keys(strings).sort()]).toEqual([lang, Object.keys(en).sort()]);
      for (const value of Object.values(strings)) expect(value.trim()).not.toBe("");
    }
  });
});
