//! The widget's own strings in the reader's language: the built-in translations
//! (`templates/strings.json`, shared with the widget, which falls back to its "en" entry), and
//! how a page's `<html lang>` picks a locale.
//!
//! A locale's site module names the built-in translation the widget should use (`locale`); the
//! panel module carries the built-in translations itself. The page carries only the strings the
//! loader shows before the panel module exists (where they differ from English), the site module
//! those the maintainer changed, so other languages, and the panel's own strings, cost nothing
//! per page.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// The locale of pages with no `lang`, or a `lang` no locale matches.
pub const FALLBACK: &str = "en";

/// The built-in translations, as shipped (the widget reads the same file at its build).
pub const STRINGS_JSON: &str = include_str!("../templates/strings.json");

/// Every string the widget shows, in one language.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strings {
    pub title: String,
    pub greeting: String,
    pub placeholder: String,
    pub close: String,
    /// The button offered under a selection of the page's text ("Ask about this").
    pub ask: String,
    pub retry: String,
    pub loading: String,
    pub responding: String,
    pub offline: String,
    pub unreachable: String,
    pub session: String,
    pub script: String,
    pub unknown: String,
    /// Too many requests (a 429 after the widget's retries): wait, then try again.
    pub busy: String,
    /// The message is longer than the backend accepts (413).
    pub long: String,
    /// The conversation holds as many items as the backend keeps (409 `thread_full`).
    pub full: String,
}

/// The keys of the runtime config's optional `strings` object (the strings that are not
/// top-level keys of the runtime config).
pub const MESSAGE_KEYS: [&str; 13] = [
    "close",
    "ask",
    "retry",
    "loading",
    "responding",
    "offline",
    "unreachable",
    "session",
    "script",
    "unknown",
    "busy",
    "long",
    "full",
];

/// The [`MESSAGE_KEYS`] the widget's loader shows itself, before the panel module (which holds
/// the built-in translations) exists: the message and the Retry button shown when the panel
/// module cannot be loaded. The loader's only fallback is English.
pub const LOADER_KEYS: [&str; 3] = ["retry", "offline", "unreachable"];

impl Strings {
    /// The string for one of [`MESSAGE_KEYS`] (or `title`, `greeting`, `placeholder`).
    pub fn get(&self, key: &str) -> Option<&str> {
        Some(match key {
            "title" => &self.title,
            "greeting" => &self.greeting,
            "placeholder" => &self.placeholder,
            "close" => &self.close,
            "ask" => &self.ask,
            "retry" => &self.retry,
            "loading" => &self.loading,
            "responding" => &self.responding,
            "offline" => &self.offline,
            "unreachable" => &self.unreachable,
            "session" => &self.session,
            "script" => &self.script,
            "unknown" => &self.unknown,
            "busy" => &self.busy,
            "long" => &self.long,
            "full" => &self.full,
            _ => return None,
        })
    }

    /// A mutable slot for `key`, as [`Strings::get`].
    pub fn get_mut(&mut self, key: &str) -> Option<&mut String> {
        Some(match key {
            "title" => &mut self.title,
            "greeting" => &mut self.greeting,
            "placeholder" => &mut self.placeholder,
            "close" => &mut self.close,
            "ask" => &mut self.ask,
            "retry" => &mut self.retry,
            "loading" => &mut self.loading,
            "responding" => &mut self.responding,
            "offline" => &mut self.offline,
            "unreachable" => &mut self.unreachable,
            "session" => &mut self.session,
            "script" => &mut self.script,
            "unknown" => &mut self.unknown,
            "busy" => &mut self.busy,
            "long" => &mut self.long,
            "full" => &mut self.full,
            _ => return None,
        })
    }

    /// What the page config carries as its `strings`: every one of [`LOADER_KEYS`], English
    /// included. The loader has no English of its own (it would be 75 B gzip on every page, the
    /// heaviest pages included, to save about as much on English pages only).
    pub fn loader_messages(&self) -> BTreeMap<&'static str, String> {
        LOADER_KEYS
            .iter()
            .filter_map(|&k| Some((k, self.get(k)?.to_string())))
            .collect()
    }

    /// What the site config carries as its `strings`, where `base` is the built-in translation
    /// the panel falls back to: every one of [`MESSAGE_KEYS`] whose value differs from `base` (a
    /// maintainer's change) and that the page config does not carry already
    /// ([`Strings::loader_messages`]). Empty for a built-in translation the maintainer did not
    /// change. The widget takes the page's and the site's together, so the panel sees every
    /// string that differs from `base`.
    pub fn site_messages(&self, base: &Strings) -> BTreeMap<&'static str, String> {
        let on_page = self.loader_messages();
        MESSAGE_KEYS
            .iter()
            .filter_map(|&k| {
                let mine = self.get(k)?;
                (Some(mine) != base.get(k) && !on_page.contains_key(k))
                    .then(|| (k, mine.to_string()))
            })
            .collect()
    }
}

static BUILT_IN: LazyLock<BTreeMap<String, Strings>> = LazyLock::new(|| {
    // The file is part of the binary, not user input; `built_in_strings_are_complete` proves it
    // parses, so this cannot fail in a released binary.
    serde_json::from_str(STRINGS_JSON).expect("templates/strings.json parses (see its unit test)")
});

/// The built-in translations by lowercase language tag.
pub fn built_in() -> &'static BTreeMap<String, Strings> {
    &BUILT_IN
}

/// The built-in English strings (the widget's own fallback).
pub fn english() -> &'static Strings {
    // `built_in_strings_are_complete` checks that "en" is there.
    BUILT_IN
        .get(FALLBACK)
        .expect("templates/strings.json has \"en\" (see its unit test)")
}

/// The built-in translation the widget uses on pages of locale `tag` (a normalised tag, as in
/// [`crate::config::Resolved::locales`]): `tag`'s own, else its primary subtag's, else English.
pub fn built_in_for(tag: &str) -> (&'static str, &'static Strings) {
    [tag, primary(tag)]
        .into_iter()
        .find_map(|t| BUILT_IN.get_key_value(t))
        .map_or((FALLBACK, english()), |(k, v)| (k.as_str(), v))
}

/// A language tag as used for matching: trimmed, lowercase, `_` read as `-`.
pub fn normalize_tag(tag: &str) -> String {
    tag.trim().to_ascii_lowercase().replace('_', "-")
}

/// The primary subtag of a normalised tag (`zh-hans` → `zh`).
pub fn primary(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

/// Is `tag` a plausible BCP 47 tag (letters, digits and `-`, subtags of 1 to 8 characters)?
pub fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 35
        && tag
            .split('-')
            .all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()))
        && tag
            .split('-')
            .next()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_alphabetic()))
}

/// The locale a page with `<html lang=lang>` gets, among `known` (normalised tags): the full tag,
/// else its primary subtag, else [`FALLBACK`].
pub fn choose<'a, K: AsRef<str>>(
    lang: Option<&str>,
    known: impl Fn(&str) -> Option<&'a K>,
) -> Option<&'a K> {
    let tag = normalize_tag(lang?);
    if tag.is_empty() {
        return None;
    }
    known(&tag).or_else(|| known(primary(&tag)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_strings_are_complete() {
        let raw: BTreeMap<String, BTreeMap<String, String>> =
            serde_json::from_str(STRINGS_JSON).unwrap();
        let en = &raw["en"];
        for (lang, strings) in &raw {
            let keys: Vec<&String> = strings.keys().collect();
            let expected: Vec<&String> = en.keys().collect();
            assert_eq!(keys, expected, "{lang} has other keys than en");
            assert!(
                strings.values().all(|v| !v.trim().is_empty()),
                "{lang} has an empty string"
            );
            assert_eq!(&normalize_tag(lang), lang, "{lang} is not a normalised tag");
        }
        for lang in ["en", "ar", "ur", "hi", "zh", "es", "fr", "de", "pt", "ja"] {
            assert!(built_in().contains_key(lang), "{lang} missing");
        }
        // Every key of the file is a field of `Strings`, and the other way round.
        let fields = ["title", "greeting", "placeholder"]
            .iter()
            .chain(MESSAGE_KEYS.iter());
        let mut fields: Vec<&str> = fields.copied().collect();
        fields.sort_unstable();
        let mut keys: Vec<&str> = en.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(fields, keys);
        for k in keys {
            assert_eq!(english().get(k), Some(en[k].as_str()));
        }
    }

    #[test]
    fn pages_carry_the_loaders_strings_and_site_modules_what_the_maintainer_changed() {
        assert_eq!(
            english()
                .loader_messages()
                .keys()
                .copied()
                .collect::<Vec<_>>(),
            ["offline", "retry", "unreachable"]
        );
        assert!(english().site_messages(english()).is_empty());
        // A built-in translation: the page carries what the loader shows before the panel
        // module exists; the site module nothing (the panel module has the translation).
        let fr = &built_in()["fr"];
        let page = fr.loader_messages();
        assert_eq!(page.keys().copied().collect::<Vec<_>>(), {
            let mut k = LOADER_KEYS.to_vec();
            k.sort_unstable();
            k
        });
        assert_eq!(page["retry"], "Réessayer");
        assert!(fr.site_messages(fr).is_empty());
        // A changed key goes into the site module; a loader key set back to English stays the
        // page's (which wins over the panel's translation).
        let mut changed = fr.clone();
        changed.loading = "Patientez…".into();
        changed.retry = english().retry.clone();
        assert_eq!(changed.loader_messages()["retry"], "Retry");
        let site = changed.site_messages(fr);
        assert_eq!(site.len(), 1);
        assert_eq!(site["loading"], "Patientez…");
        // A changed loader key that differs from English is the page's alone.
        let mut offline = fr.clone();
        offline.offline = "Pas de réseau.".into();
        assert_eq!(offline.loader_messages()["offline"], "Pas de réseau.");
        assert!(offline.site_messages(fr).is_empty());
        // A language with no built-in translation falls back to English: everything that differs.
        let mut ko = english().clone();
        ko.close = "닫기".into();
        let site = ko.site_messages(english());
        assert_eq!(site.len(), 1);
        assert_eq!(site["close"], "닫기");
        assert_eq!(ko.loader_messages()["offline"], english().offline);
    }

    #[test]
    fn the_built_in_translation_of_a_locale() {
        assert_eq!(built_in_for("fr").0, "fr");
        assert_eq!(built_in_for("pt-br").0, "pt");
        assert_eq!(built_in_for("en-gb").0, "en");
        assert_eq!(built_in_for("ko").0, "en");
        assert_eq!(built_in_for("ko").1, english());
    }

    #[test]
    fn choosing_a_locale() {
        let known = |t: &str| built_in().get_key_value(t).map(|(k, _)| k);
        let pick = |lang: Option<&str>| choose(lang, known).map(String::as_str);
        assert_eq!(pick(Some("fr")), Some("fr"));
        assert_eq!(pick(Some("zh-Hans")), Some("zh"));
        assert_eq!(pick(Some(" PT_br ")), Some("pt"));
        assert_eq!(pick(Some("xx")), None);
        assert_eq!(pick(Some("")), None);
        assert_eq!(pick(None), None);
    }

    #[test]
    fn tags_are_checked() {
        for ok in ["en", "zh-hans", "pt-br", "sr-latn-rs", "es-419"] {
            assert!(is_valid_tag(ok), "{ok}");
        }
        for bad in [
            "",
            "e n",
            "fr-",
            "-fr",
            "123",
            "fr/x",
            "averyveryverylongtag",
        ] {
            assert!(!is_valid_tag(bad), "{bad}");
        }
    }
}
