import { describe, expect, it } from "vitest";
import { parseConfig, parseLoaderConfig, type RuntimeConfig, validateConfig, validateParts } from "./config";
import { FULL_THEME, SAMPLE_CONFIG_TEXT as pageText, samplePage, sampleSite } from "./testing/fixtures";

/** The sample config's two parts combined, as the panel checks them. */
const sample = (): Record<string, unknown> => ({ ...sampleSite(), ...samplePage() });
const sampleText = JSON.stringify(sample());
const page = (): Record<string, unknown> => samplePage();

function withTheme(patch: Record<string, unknown>): Record<string, unknown> {
  const config = sample();
  config.theme = { ...FULL_THEME, ...patch };
  return config;
}

describe("parseConfig", () => {
  it("accepts the sample config and keeps every field", () => {
    const result = parseConfig(sampleText);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const config: RuntimeConfig = result.config;
    expect(config.backendUrl).toBe("https://chat.example.edu");
    expect(config.prompts).toHaveLength(2);
    // No [theme] key set: the CLI writes no theme, and every field is read from the page.
    expect(config.theme).toEqual({});
    expect(config.greeting).toBe("Ask me anything about this chapter.");
    // The sample's placeholder is the built-in one: the CLI leaves it out.
    expect(config.placeholder).toBeUndefined();
  });

  it("accepts the example from docs/architecture.md", () => {
    const text = JSON.stringify({
      v: 2,
      env: "dev",
      backendUrl: "http://localhost:8000",
      sessionPath: "/api/chatkit/session",
      chatPath: "/chatkit",
      domainKey: "local-dev",
      scriptUrl: "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js",
      panelUrl: "/chatkit/panel.1a2b3c4d.js",
      siteUrl: "/chatkit/site.5e6f7a8b.js",
      title: "Textbook assistant",
      greeting: "Ask me anything about this chapter.",
      placeholder: "Ask a question…",
      prompts: [{ label: "Summarise this page", prompt: "Summarise this page" }],
      theme: { accent: "#2e8555", accentDark: "#25c2a0", radius: "round" },
    });
    expect(parseConfig(text)).toMatchObject({ ok: true });
  });

  it("rejects text that is not JSON", () => {
    expect(parseConfig("{v:1")).toEqual({ ok: false, error: "JSON" });
  });

  it.each([
    ["a non-object", [], "(not an object)"],
    ["another version", { ...sample(), v: 1 }, "v"],
    ["a missing version", { ...sample(), v: undefined }, "v"],
    ["a missing title", { ...sample(), title: undefined }, "title"],
    ["a missing site URL", { ...sample(), siteUrl: undefined }, "siteUrl"],
    ["a numeric domain key", { ...sample(), domainKey: 7 }, "domainKey"],
    ["a backend URL with a trailing slash", { ...sample(), backendUrl: "https://chat.example.edu/" }, "backendUrl"],
    ["a backend URL that is not http(s)", { ...sample(), backendUrl: "javascript:alert(1)" }, "backendUrl"],
    ["a relative session path", { ...sample(), sessionPath: "api/session" }, "sessionPath"],
    ["a relative chat path", { ...sample(), chatPath: "chatkit" }, "chatPath"],
    ["prompts that are not a list", { ...sample(), prompts: {} }, "prompts"],
    ["a prompt without a label", { ...sample(), prompts: [{ prompt: "x" }] }, "prompts"],
    ["a null theme", { ...sample(), theme: null }, "theme"],
    ["a theme that is a string", { ...sample(), theme: "#2e8555" }, "theme"],
    ["a null accent", withTheme({ accent: null }), "theme.accent"],
    ["a null radius", withTheme({ radius: null }), "theme.radius"],
    ["a named accent color", withTheme({ accent: "green" }), "theme.accent"],
    ["a short dark accent", withTheme({ accentDark: "#fff" }), "theme.accentDark"],
    ["an unknown radius", withTheme({ radius: "square" }), "theme.radius"],
    ["a numeric font family", withTheme({ fontFamily: 12 }), "theme.fontFamily"],
    ["strings that are not an object", { ...sample(), strings: "Fermer" }, "strings"],
    ["strings as a list", { ...sample(), strings: ["Fermer"] }, "strings"],
    ["strings: null", { ...sample(), strings: null }, "strings"],
    ["a numeric string", { ...sample(), strings: { close: "Fermer", retry: 1 } }, "strings.retry"],
    ["a null string", { ...sample(), strings: { unknown: null } }, "strings.unknown"],
    ["a numeric greeting", { ...sample(), greeting: 1 }, "greeting"],
    ["a null placeholder", { ...sample(), placeholder: null }, "placeholder"],
    ["a numeric locale", { ...sample(), locale: 7 }, "locale"],
  ])("rejects %s", (_name, value, field) => {
    expect(validateConfig(value)).toEqual({ ok: false, error: field });
  });

  it("allows the font family to be absent", () => {
    expect(validateConfig(withTheme({ fontFamily: undefined })).ok).toBe(true);
  });

  it.each([
    ["no theme key", { ...sample(), theme: undefined }, {}],
    ["an empty theme", { ...sample(), theme: {} }, {}],
    ["only the light accent", { ...sample(), theme: { accent: "#f97316" } }, { accent: "#f97316" }],
    ["only the dark accent and the radius", withTheme({ accent: undefined, fontFamily: undefined }), { accentDark: "#25c2a0", radius: "round" }],
  ])("takes the theme fields as optional overrides: %s", (_name, value, theme) => {
    const result = validateConfig(JSON.parse(JSON.stringify(value)));
    expect(result).toEqual({ ok: true, config: expect.objectContaining({ theme }) });
  });

  it("accepts strings with any subset of the known keys, and ignores unknown keys", () => {
    expect(validateConfig({ ...sample(), strings: {} }).ok).toBe(true);
    const strings = { close: "Fermer", offline: "Hors ligne", future: 3 };
    const result = validateConfig({ ...sample(), strings });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config.strings?.close).toBe("Fermer");
  });
});

describe("optional keys", () => {
  it("allows greeting and placeholder to be absent (the built-in translation's), and takes a locale", () => {
    const { greeting: _g, placeholder: _p, ...rest } = sample();
    const result = validateConfig({ ...rest, locale: "ur" });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.config.locale).toBe("ur");
  });
});

describe("parseLoaderConfig (what the loader checks before the first open)", () => {
  it("accepts the sample config", () => {
    expect(parseLoaderConfig(pageText)).toEqual(samplePage());
  });

  it.each([
    ["text that is not JSON", "{v:1", "JSON"],
    ["no config at all", "", "JSON"],
    ["a non-object", "[]", "v"],
    ["a number", "7", "v"],
    ["null", "null", "v"],
    ["the version before the site module", JSON.stringify({ ...sample(), v: 1 }), "v"],
    ["a missing title", JSON.stringify({ ...page(), title: undefined }), "title"],
    ["a numeric panel URL", JSON.stringify({ ...page(), panelUrl: 1 }), "panelUrl"],
    ["a missing site URL", JSON.stringify({ ...page(), siteUrl: undefined }), "siteUrl"],
    ["no strings (the loader has no English of its own)", JSON.stringify({ ...page(), strings: undefined }), "strings.retry"],
    ["strings that are not an object", JSON.stringify({ ...page(), strings: "x" }), "strings.retry"],
    ["a numeric Retry", JSON.stringify({ ...page(), strings: { ...samplePage().strings, retry: 1 } }), "strings.retry"],
    ["a null offline message", JSON.stringify({ ...page(), strings: { ...samplePage().strings, offline: null } }), "strings.offline"],
    ["a missing unreachable message", JSON.stringify({ ...page(), strings: { ...samplePage().strings, unreachable: undefined } }), "strings.unreachable"],
  ])("rejects %s", (_name, text, field) => {
    expect(parseLoaderConfig(text)).toBe(field);
  });

  it("leaves the rest to the panel module's full check", () => {
    const text = JSON.stringify({ ...sample(), theme: null, strings: { ...samplePage().strings, close: 1 } });
    expect(typeof parseLoaderConfig(text)).toBe("object");
    expect(parseConfig(text)).toEqual({ ok: false, error: "theme" });
  });
});

describe("validateParts (the page config and the site module's config, checked together)", () => {
  it("combines the sample's two parts into the whole config", () => {
    const result = validateParts(samplePage(), sampleSite());
    expect(result).toEqual({ ok: true, config: { ...sampleSite(), ...samplePage(), theme: {} } });
  });

  it("unites the strings of both parts, the page's winning, and leaves strings out when neither has any", () => {
    const result = validateParts(
      { ...samplePage(), strings: { retry: "Réessayer", offline: "Hors ligne." } },
      { ...sampleSite(), locale: "fr", strings: { close: "Fermer", retry: "Encore" } },
    );
    expect(result.ok && result.config.strings).toEqual({ close: "Fermer", retry: "Réessayer", offline: "Hors ligne." });
    expect(result.ok && result.config.locale).toBe("fr");
    const { strings: _loader, ...bare } = samplePage();
    const plain = validateParts(bare, sampleSite());
    expect(plain.ok && "strings" in plain.config).toBe(false);
  });

  it.each([
    ["a site module without a default export", samplePage(), undefined, "site"],
    ["a site config that is a list", samplePage(), [], "site"],
    ["a page config that is not an object", null, sampleSite(), "(not an object)"],
    ["site strings that are not an object", samplePage(), { ...sampleSite(), strings: "x" }, "strings"],
    ["page strings as a list", { ...samplePage(), strings: [] }, sampleSite(), "strings"],
    ["a site config without the backend", samplePage(), { ...sampleSite(), backendUrl: undefined }, "backendUrl"],
    ["a bad theme in the site config", samplePage(), { ...sampleSite(), theme: { radius: "square" } }, "theme.radius"],
    ["a numeric string in the site config", samplePage(), { ...sampleSite(), strings: { close: 1 } }, "strings.close"],
  ])("rejects %s", (_name, pageValue, siteValue, field) => {
    expect(validateParts(pageValue, siteValue)).toEqual({ ok: false, error: field });
  });

  it("takes the page's title over one in the site config", () => {
    const result = validateParts(samplePage(), { ...sampleSite(), title: "Other" });
    expect(result.ok && result.config.title).toBe("Textbook assistant");
  });
});
