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
    pub greeting: String,
    pub placeholder: String,
    pub prompts: Vec<Prompt>,
    pub theme: RuntimeTheme,
    /// The widget's other strings in the page's language (close, retry, loading, responding,
    /// offline, unreachable, session, script, unknown): only those that differ from the
    /// widget's built-in English, and the key is left out when none does.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub strings: BTreeMap<&'static str, String>,
}

/// ChatKit theme inputs (ChatKit runs in an iframe and cannot read the site's CSS).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeTheme {
    pub accent: String,
    pub accent_dark: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub font_family: Option<String>,
    pub radius: String,
}

impl RuntimeConfig {
    /// The runtime config of pages of one locale (`locale` is one of `config.locales`).
    pub fn new(
        config: &Resolved,
        locale: &LocaleText,
        panel_url: String,
        theme: RuntimeTheme,
    ) -> Self {
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
            greeting: locale.strings.greeting.clone(),
            placeholder: locale.strings.placeholder.clone(),
            prompts: locale.prompts.clone(),
            theme,
            strings: locale.strings.messages_differing_from_english(),
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
        RuntimeConfig::new(
            &resolved,
            resolved.locale_for(lang).1,
            "/chatkit/panel.1a2b3c4d.js".into(),
            RuntimeTheme {
                accent: "#2e8555".into(),
                accent_dark: "#25c2a0".into(),
                font_family: Some("system-ui, sans-serif".into()),
                radius: "round".into(),
            },
        )
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
            "greeting",
            "placeholder",
            "prompts",
            "theme",
        ];
        expected.sort_unstable();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        assert_eq!(keys_sorted, expected);
        assert_eq!(value["v"], 1);
        assert_eq!(value["backendUrl"], "http://localhost:8000");
        assert_eq!(value["theme"]["accentDark"], "#25c2a0");
        assert_eq!(value["theme"]["radius"], "round");
        // English pages carry no `strings`.
        assert!(value.get("strings").is_none());
        assert_eq!(value["title"], crate::i18n::english().title.as_str());
    }

    #[test]
    fn other_languages_carry_their_strings() {
        let value: serde_json::Value =
            serde_json::from_str(&sample_for(Some("ur")).to_script_json()).unwrap();
        let ur = &crate::i18n::built_in()["ur"];
        assert_eq!(value["title"], ur.title.as_str());
        assert_eq!(value["greeting"], ur.greeting.as_str());
        assert_eq!(value["placeholder"], ur.placeholder.as_str());
        let strings = value["strings"].as_object().unwrap();
        let mut keys: Vec<&str> = strings.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut expected = crate::i18n::MESSAGE_KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert!(strings.values().all(serde_json::Value::is_string));
        assert_eq!(strings["retry"], ur.retry.as_str());
    }

    #[test]
    fn strings_holds_only_what_differs_from_english() {
        let loaded = config::parse(
            "[locales.en-gb]\nloading = \"Loading, please wait…\"\n",
            None,
        )
        .unwrap();
        let resolved = config::resolve(&loaded, "dev").unwrap();
        let c = RuntimeConfig::new(
            &resolved,
            resolved.locale_for(Some("en-GB")).1,
            "/p.js".into(),
            sample().theme,
        );
        let value: serde_json::Value = serde_json::from_str(&c.to_script_json()).unwrap();
        assert_eq!(
            value["strings"],
            serde_json::json!({"loading": "Loading, please wait…"})
        );
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
