//! The runtime config: the JSON object the widget reads from
//! `<script type="application/json" id="chatkit-inject-config">`, and the escaping that keeps it
//! inert inside that element.
//!
//! The shape is a contract with `widget-assets/src/config.ts` (see docs/architecture.md); both
//! sides test it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{LocaleText, Prompt, Resolved};

/// Version of the runtime config shape. The widget refuses any other.
pub const VERSION: u32 = 1;

/// The runtime config, serialised with camelCase keys.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeConfig {
    pub v: u32,
    pub env: String,
    pub backend_url: String,
    pub session_path: String,
    pub chat_path: String,
    pub domain_key: String,
    pub script_url: String,
    pub panel_url: String,
    pub title: String,
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
    /// The built-in translation (a key of `templates/strings.json`) the panel module takes its
    /// strings from on this page; left out for English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<&'static str>,
    /// The widget's other strings (close, retry, loading, responding, offline, unreachable,
    /// session, script, unknown) that the page must carry itself: those the loader shows before
    /// the panel module exists (retry, offline, unreachable) where they differ from English,
    /// and any that differs from the built-in translation (a maintainer's change); the key is
    /// left out when there is none. See [`crate::i18n::Strings::page_messages`].
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

impl RuntimeConfig {
    /// The runtime config of pages of one locale (`tag` and `locale` are an entry of
    /// `config.locales`).
    pub fn new(config: &Resolved, tag: &str, locale: &LocaleText, panel_url: String) -> Self {
        let (base_tag, base) = crate::i18n::built_in_for(tag);
        let unless_built_in =
            |mine: &String, built_in: &String| (mine != built_in).then(|| mine.clone());
        RuntimeConfig {
            v: VERSION,
            env: config.env.clone(),
            backend_url: config.backend_url.clone(),
            session_path: config.session_path.clone(),
            chat_path: config.chat_path.clone(),
            domain_key: config.domain_key.clone(),
            script_url: config.script_url.clone(),
            panel_url,
            title: locale.strings.title.clone(),
            greeting: unless_built_in(&locale.strings.greeting, &base.greeting),
            placeholder: unless_built_in(&locale.strings.placeholder, &base.placeholder),
            prompts: locale.prompts.clone(),
            theme: RuntimeTheme::from_config(config),
            locale: (base_tag != crate::i18n::FALLBACK).then_some(base_tag),
            strings: locale.strings.page_messages(base),
        }
    }

    /// The JSON text to put inside the `<script>` element: escaped, ASCII only.
    pub fn to_script_json(&self) -> String {
        // Serialising plain structs of strings and numbers cannot fail.
        let json = serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"));
        escape_for_script(&json)
    }
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

    fn sample() -> RuntimeConfig {
        sample_for(None)
    }

    fn sample_for(lang: Option<&str>) -> RuntimeConfig {
        let resolved = config::resolve(&Loaded::default(), "dev").unwrap();
        let (tag, text) = resolved.locale_for(lang);
        RuntimeConfig::new(&resolved, tag, text, "/chatkit/panel.1a2b3c4d.js".into())
    }

    #[test]
    fn shape_matches_the_contract() {
        let value: serde_json::Value = serde_json::from_str(&sample().to_script_json()).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "v",
            "env",
            "backendUrl",
            "sessionPath",
            "chatPath",
            "domainKey",
            "scriptUrl",
            "panelUrl",
            "title",
            "prompts",
        ];
        expected.sort_unstable();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        assert_eq!(keys_sorted, expected);
        assert_eq!(value["v"], 1);
        assert_eq!(value["backendUrl"], "http://localhost:8000");
        // No `[theme]` key set: no `theme`, the widget reads the page.
        assert!(value.get("theme").is_none());
        // English pages carry no `strings` and no `locale`, and the built-in greeting and
        // placeholder are left to the panel module.
        assert!(value.get("strings").is_none());
        assert!(value.get("locale").is_none());
        assert!(value.get("greeting").is_none());
        assert_eq!(value["title"], crate::i18n::english().title.as_str());
        let mut c = sample();
        c.greeting = Some("Ask about this chapter.".into());
        c.placeholder = Some("Your question".into());
        let value: serde_json::Value = serde_json::from_str(&c.to_script_json()).unwrap();
        assert_eq!(value["greeting"], "Ask about this chapter.");
        assert_eq!(value["placeholder"], "Your question");
    }

    #[test]
    fn theme_holds_only_the_keys_the_maintainer_set() {
        let theme_of = |text: &str| {
            let resolved = config::resolve(&config::parse(text, None).unwrap(), "dev").unwrap();
            let (tag, locale) = resolved.locale_for(None);
            let c = RuntimeConfig::new(&resolved, tag, locale, "/p.js".into());
            let value: serde_json::Value = serde_json::from_str(&c.to_script_json()).unwrap();
            value.get("theme").cloned()
        };
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
    }

    #[test]
    fn other_languages_name_their_translation_and_carry_what_the_loader_shows() {
        let value: serde_json::Value =
            serde_json::from_str(&sample_for(Some("ur")).to_script_json()).unwrap();
        let ur = &crate::i18n::built_in()["ur"];
        assert_eq!(value["locale"], "ur");
        assert_eq!(value["title"], ur.title.as_str());
        // The panel module has the built-in greeting and placeholder.
        assert!(value.get("greeting").is_none());
        assert!(value.get("placeholder").is_none());
        let strings = value["strings"].as_object().unwrap();
        let mut keys: Vec<&str> = strings.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected = crate::i18n::LOADER_KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(strings["retry"], ur.retry.as_str());
        assert_eq!(strings["offline"], ur.offline.as_str());
        assert_eq!(strings["unreachable"], ur.unreachable.as_str());
        // A regional tag uses its language's translation.
        let value: serde_json::Value =
            serde_json::from_str(&sample_for(Some("pt-BR")).to_script_json()).unwrap();
        assert_eq!(value["locale"], "pt");
    }

    #[test]
    fn strings_holds_only_what_differs_from_english() {
        let loaded = config::parse(
            "[locales.en-gb]\nloading = \"Loading, please wait…\"\n",
            None,
        )
        .unwrap();
        let resolved = config::resolve(&loaded, "dev").unwrap();
        let (tag, text) = resolved.locale_for(Some("en-GB"));
        let c = RuntimeConfig::new(&resolved, tag, text, "/p.js".into());
        let value: serde_json::Value = serde_json::from_str(&c.to_script_json()).unwrap();
        assert_eq!(
            value["strings"],
            serde_json::json!({"loading": "Loading, please wait…"})
        );
        assert!(value.get("locale").is_none());
        // A maintainer's change on a translated page travels too, beside the loader's strings.
        let loaded = config::parse("[locales.fr]\nloading = \"Patientez…\"\n", None).unwrap();
        let resolved = config::resolve(&loaded, "dev").unwrap();
        let (tag, text) = resolved.locale_for(Some("fr"));
        let c = RuntimeConfig::new(&resolved, tag, text, "/p.js".into());
        let value: serde_json::Value = serde_json::from_str(&c.to_script_json()).unwrap();
        assert_eq!(value["locale"], "fr");
        let strings = value["strings"].as_object().unwrap();
        assert_eq!(strings["loading"], "Patientez…");
        assert_eq!(strings.len(), 1 + crate::i18n::LOADER_KEYS.len());
    }

    #[test]
    fn hostile_strings_cannot_close_the_script_and_round_trip() {
        let mut c = sample();
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
