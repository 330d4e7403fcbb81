//! The runtime config (v2), in two parts:
//!
//! - the page config: the JSON object the widget's loader reads from
//!   `<script type="application/json" id="chatkit-inject-config">` on every page, with only what
//!   the closed toggle needs (its title, the strings of the load error, where the other parts
//!   are) and the page's built-in translation, so that every page stays small;
//! - the site config: the rest (backend, ChatKit's settings, start screen, theme overrides, the
//!   maintainer's strings), in a site module (`site.{HASH}.js`: `export default` and the JSON
//!   object; one per distinct content, so one for every language the maintainer did not give a
//!   `[locales.TAG]` of its own) that the loader imports on first open beside the panel module.
//!
//! Also the escaping that keeps the JSON inert inside the `<script>` element. The shape is a
//! contract with `widget-assets/src/config.ts` (see docs/architecture.md); both sides test it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{LocaleText, Prompt, Resolved};
use crate::i18n;

/// Version of the runtime config shape (both parts). The widget refuses any other.
pub const VERSION: u32 = 2;

/// The page config, serialised with camelCase keys.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PageConfig {
    pub v: u32,
    /// The toggle's and panel's accessible name, and the panel's title.
    pub title: String,
    /// The built-in translation (a key of `templates/strings.json`) the panel module takes its
    /// strings from on this page; left out for English. On the page rather than in the site
    /// module so that the site module is the same for every language the maintainer did not
    /// change (one file instead of one per language), for a few bytes on translated pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<&'static str>,
    /// The panel module's URL.
    pub panel_url: String,
    /// The URL of this locale's site module.
    pub site_url: String,
    /// The strings the loader shows before the panel module exists (retry, offline, unreachable),
    /// always all three: the loader has no fallback. See [`crate::i18n::Strings::loader_messages`].
    pub strings: BTreeMap<&'static str, String>,
}

/// The site config: the default export of a site module, serialised with camelCase keys.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SiteConfig {
    pub env: String,
    pub backend_url: String,
    pub session_path: String,
    pub chat_path: String,
    pub domain_key: String,
    pub script_url: String,
    /// Left out when it equals the built-in translation named by `locale` (English without it):
    /// the panel module holds the built-in translations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    /// As `greeting`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    pub prompts: Vec<Prompt>,
    /// The maintainer's `[theme]` keys, left out when none is set: the widget reads the rest
    /// from the page (`widget-assets/src/theme.ts`).
    #[serde(skip_serializing_if = "RuntimeTheme::is_empty")]
    pub theme: RuntimeTheme,
    /// The panel's strings that differ from the built-in translation (a maintainer's change) and
    /// that the page config does not carry; left out when there is none. See
    /// [`crate::i18n::Strings::site_messages`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub strings: BTreeMap<&'static str, String>,
}

/// The overrides of ChatKit's theme: exactly the keys set in `[theme]`. ChatKit runs in an
/// iframe that cannot read the site's CSS, so the widget reads each absent key from the page's
/// computed styles when the panel opens; a key present here wins over what it reads.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeTheme {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accent_dark: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub font_family: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub radius: Option<&'static str>,
}

impl RuntimeTheme {
    /// The `[theme]` keys of a config.
    pub fn from_config(config: &Resolved) -> Self {
        let t = &config.theme;
        RuntimeTheme {
            accent: t.accent.clone(),
            accent_dark: t.accent_dark.clone(),
            font_family: t.font_family.clone(),
            radius: t.radius,
        }
    }

    /// No key set: the runtime config leaves `theme` out.
    pub fn is_empty(&self) -> bool {
        *self == RuntimeTheme::default()
    }
}

impl SiteConfig {
    /// The site config of pages of one locale (`tag` and `locale` are an entry of
    /// `config.locales`).
    pub fn new(config: &Resolved, tag: &str, locale: &LocaleText) -> Self {
        let (_, base) = i18n::built_in_for(tag);
        let unless_built_in =
            |mine: &String, built_in: &String| (mine != built_in).then(|| mine.clone());
        SiteConfig {
            env: config.env.clone(),
            backend_url: config.backend_url.clone(),
            session_path: config.session_path.clone(),
            chat_path: config.chat_path.clone(),
            domain_key: config.domain_key.clone(),
            script_url: config.script_url.clone(),
            greeting: unless_built_in(&locale.strings.greeting, &base.greeting),
            placeholder: unless_built_in(&locale.strings.placeholder, &base.placeholder),
            prompts: locale.prompts.clone(),
            theme: RuntimeTheme::from_config(config),
            strings: locale.strings.site_messages(base),
        }
    }

    /// The site module's text: `export default` and the JSON object (escaped like the page
    /// config, so the module is ASCII whatever the server says its charset is).
    pub fn to_module(&self) -> String {
        format!("export default {};", to_json(self))
    }
}

impl PageConfig {
    /// The page config of pages of one locale (`tag` and `locale` are an entry of
    /// `config.locales`).
    pub fn new(tag: &str, locale: &LocaleText, panel_url: String, site_url: String) -> Self {
        let (base_tag, _) = i18n::built_in_for(tag);
        PageConfig {
            v: VERSION,
            title: locale.strings.title.clone(),
            locale: (base_tag != i18n::FALLBACK).then_some(base_tag),
            panel_url,
            site_url,
            strings: locale.strings.loader_messages(),
        }
    }

    /// The JSON text to put inside the `<script>` element: escaped, ASCII only.
    pub fn to_script_json(&self) -> String {
        to_json(self)
    }
}

/// `value` as escaped JSON text (see [`escape_for_script`]).
fn to_json(value: &impl Serialize) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    let json = serde_json::to_string(value).unwrap_or_else(|_| String::from("{}"));
    escape_for_script(&json)
}

/// Make JSON text safe inside `<script type="application/json">`: `<`, `>`, `&`, and every
/// non-ASCII character (U+2028 and U+2029 among them) become `\u` escapes. These characters can
/// only occur inside JSON strings, where the escape means the same thing, so the value is
/// unchanged for `JSON.parse` while the markup can never close the element or start a comment,
/// and the page's own encoding (even a legacy one) cannot garble it.
pub fn escape_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' | '>' | '&' => push_u_escape(&mut out, c as u32),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    push_u_escape(&mut out, u32::from(*unit));
                }
            }
        }
    }
    out
}

fn push_u_escape(out: &mut String, unit: u32) {
    use std::fmt::Write;
    // Writing into a String cannot fail.
    let _ = write!(out, "\\u{unit:04x}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Loaded};

    fn json(value: &impl Serialize) -> serde_json::Value {
        serde_json::from_str(&to_json(value)).unwrap()
    }

    /// The page config and the site config of pages with `<html lang=lang>`, for `text`.
    fn parts_of(text: &str, lang: Option<&str>) -> (serde_json::Value, serde_json::Value) {
        let resolved = config::resolve(&config::parse(text, None).unwrap(), "dev").unwrap();
        let (tag, locale) = resolved.locale_for(lang);
        let page = PageConfig::new(tag, locale, "/p.js".into(), "/s.js".into());
        (json(&page), json(&SiteConfig::new(&resolved, tag, locale)))
    }

    fn sample_for(lang: Option<&str>) -> (serde_json::Value, serde_json::Value) {
        parts_of("", lang)
    }

    fn keys(value: &serde_json::Value) -> Vec<&str> {
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn shape_matches_the_contract() {
        let resolved = config::resolve(&Loaded::default(), "dev").unwrap();
        let (tag, locale) = resolved.locale_for(None);
        let page = PageConfig::new(
            tag,
            locale,
            "/chatkit/panel.1a2b3c4d.js".into(),
            "/chatkit/site.5e6f7a8b.js".into(),
        );
        let value = json(&page);
        assert_eq!(
            keys(&value),
            ["panelUrl", "siteUrl", "strings", "title", "v"]
        );
        assert_eq!(value["v"], 2);
        assert_eq!(value["title"], crate::i18n::english().title.as_str());
        assert_eq!(value["siteUrl"], "/chatkit/site.5e6f7a8b.js");
        // English pages carry no `locale`, and the loader's three strings in English (the loader
        // has none of its own).
        assert!(value.get("locale").is_none());
        let en = crate::i18n::english();
        assert_eq!(
            value["strings"],
            serde_json::json!({"offline": en.offline, "retry": en.retry, "unreachable": en.unreachable})
        );

        let mut site = SiteConfig::new(&resolved, tag, locale);
        let value = json(&site);
        assert_eq!(
            keys(&value),
            [
                "backendUrl",
                "chatPath",
                "domainKey",
                "env",
                "prompts",
                "scriptUrl",
                "sessionPath"
            ]
        );
        assert_eq!(value["backendUrl"], "http://localhost:8000");
        // No `[theme]` key set: no `theme`, the widget reads the page. English: no `strings`, and
        // the built-in greeting and placeholder are left to the panel module.
        site.greeting = Some("Ask about this chapter.".into());
        site.placeholder = Some("Your question".into());
        let value = json(&site);
        assert_eq!(value["greeting"], "Ask about this chapter.");
        assert_eq!(value["placeholder"], "Your question");
        // The module is `export default` and the object.
        let module = site.to_module();
        let object = module
            .strip_prefix("export default ")
            .and_then(|m| m.strip_suffix(';'))
            .unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(object).unwrap(),
            value
        );
    }

    #[test]
    fn theme_holds_only_the_keys_the_maintainer_set() {
        let theme_of = |text: &str| parts_of(text, None).1.get("theme").cloned();
        assert_eq!(theme_of(""), None);
        assert_eq!(theme_of("[theme]\n"), None);
        assert_eq!(
            theme_of("[theme]\naccent = \"#F60\"\n"),
            Some(serde_json::json!({"accent": "#ff6600"}))
        );
        assert_eq!(
            theme_of("[theme]\naccent-dark = \"rgb(1 2 3)\"\nradius = \"0.4rem\"\n"),
            Some(serde_json::json!({"accentDark": "#010203", "radius": "round"}))
        );
        assert_eq!(
            theme_of(
                "[theme]\naccent = \"#112233\"\naccent-dark = \"#445566\"\nfont-family = \"Georgia, serif\"\nradius = \"pill\"\n"
            ),
            Some(serde_json::json!({
                "accent": "#112233",
                "accentDark": "#445566",
                "fontFamily": "Georgia, serif",
                "radius": "pill"
            }))
        );
        // Never on the page.
        let (page, _) = parts_of("[theme]\naccent = \"#F60\"\n", None);
        assert!(page.get("theme").is_none());
    }

    #[test]
    fn other_languages_name_their_translation_and_carry_what_the_loader_shows() {
        let (page, site) = sample_for(Some("ur"));
        let ur = &crate::i18n::built_in()["ur"];
        assert_eq!(page["locale"], "ur");
        assert_eq!(page["title"], ur.title.as_str());
        assert!(site.get("locale").is_none());
        // The same site config as English: one site module for both.
        assert_eq!(site, sample_for(None).1);
        // The panel module has the built-in greeting, placeholder and other strings.
        assert!(site.get("greeting").is_none());
        assert!(site.get("placeholder").is_none());
        assert!(site.get("strings").is_none());
        let strings = page["strings"].as_object().unwrap();
        let mut keys: Vec<&str> = strings.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected = crate::i18n::LOADER_KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(strings["retry"], ur.retry.as_str());
        assert_eq!(strings["offline"], ur.offline.as_str());
        assert_eq!(strings["unreachable"], ur.unreachable.as_str());
        // A regional tag uses its language's translation.
        assert_eq!(sample_for(Some("pt-BR")).0["locale"], "pt");
    }

    #[test]
    fn strings_hold_only_what_differs() {
        let (page, site) = parts_of(
            "[locales.en-gb]\nloading = \"Loading, please wait…\"\n",
            Some("en-GB"),
        );
        assert_eq!(
            site["strings"],
            serde_json::json!({"loading": "Loading, please wait…"})
        );
        assert!(page.get("locale").is_none());
        assert_eq!(
            page["strings"]["retry"],
            crate::i18n::english().retry.as_str()
        );
        // A maintainer's change on a translated page goes into the site module; the page keeps
        // the loader's strings.
        let (page, site) = parts_of("[locales.fr]\nloading = \"Patientez…\"\n", Some("fr"));
        assert_eq!(page["locale"], "fr");
        assert_eq!(
            site["strings"],
            serde_json::json!({"loading": "Patientez…"})
        );
        assert_eq!(
            page["strings"].as_object().unwrap().len(),
            crate::i18n::LOADER_KEYS.len()
        );
    }

    #[test]
    fn hostile_strings_cannot_close_the_script_and_round_trip() {
        let resolved = config::resolve(&Loaded::default(), "dev").unwrap();
        let (tag, locale) = resolved.locale_for(None);
        let mut c = PageConfig::new(tag, locale, "/p.js".into(), "/s.js".into());
        c.title =
            "</script><script>alert(1)</script> <!-- --> \"q\" 'a' & \u{2028}\u{2029} 😀 שלום"
                .into();
        let json = c.to_script_json();
        assert!(json.is_ascii());
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!json.contains(bad), "{bad:?} in {json}");
        }
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["title"], c.title.as_str());
    }
}
