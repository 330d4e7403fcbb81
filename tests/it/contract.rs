//! One source for each contract between the CLI and the widget: the golden files in
//! `tests/golden/` are what the CLI writes for `tests/golden/chatkit.toml` (the page config of an
//! English and of an Urdu page, the site module, the injected markup) and the widget CSS it
//! renders for each named context of `tests/golden/css-contexts.json` (`css/<name>.css`), and the
//! widget's own tests and size budget read those same files: the widget never renders the CSS
//! template itself. A change on one side fails here (run with `CHATKIT_INJECT_UPDATE_GOLDEN=1` to
//! rewrite them, then read the diff) or in the widget's tests.

use std::collections::BTreeSet;

use std::path::Path;

use chatkit_inject::config;

use crate::harness::{root, site_module_config, snippets_for, TWO_PROFILES};

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

/// The page config's JSON text and the site module's text the CLI writes for `config` (prod
/// profile) on a page with `<html lang=lang>`.
fn texts_of(config: &str, lang: Option<&str>) -> (String, String) {
    let snippets = snippets_for(config, "prod");
    let body = snippets.body_for(lang);
    let start = body.find('{').expect("json start");
    let end = body.find("</script>").expect("json end");
    let page = body[start..end].to_string();
    let value: serde_json::Value = serde_json::from_str(&page).expect("JSON");
    let url = value["siteUrl"].as_str().expect("siteUrl");
    let site = snippets
        .sites
        .iter()
        .find(|s| url.ends_with(&s.file_name()))
        .expect("the site module the page names");
    (page, String::from_utf8(site.bytes.clone()).expect("UTF-8"))
}

/// The page config and the site config the CLI writes with `config` (prod profile).
fn config_of(config: &str, lang: Option<&str>) -> (serde_json::Value, serde_json::Value) {
    let (page, site) = texts_of(config, lang);
    (
        serde_json::from_str(&page).expect("JSON"),
        site_module_config(&site),
    )
}

/// Compares `text` with the committed golden file `name`, or rewrites it when
/// `CHATKIT_INJECT_UPDATE_GOLDEN` is set. Returns whether it matched.
fn golden(name: &str, text: &str) -> bool {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("CHATKIT_INJECT_UPDATE_GOLDEN").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return true;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != text {
        eprintln!(
            "{} differs from what the CLI writes:\n--- committed\n{committed}\n--- the CLI\n{text}",
            path.display()
        );
    }
    committed == text
}

#[test]
fn the_golden_files_are_what_the_cli_writes() {
    let toml = std::fs::read_to_string(root().join("tests/golden/chatkit.toml")).expect("config");
    let snippets = snippets_for(&toml, "prod");
    let (page, site) = texts_of(&toml, None);
    let (urdu, urdu_site) = texts_of(&toml, Some("ur"));
    assert_eq!(
        urdu_site, site,
        "one site module for every built-in language"
    );
    // Each as the CLI writes it (escaped, in its key order), with a final newline.
    let results = [
        golden("page-config.json", &format!("{page}\n")),
        golden("page-config.ur.json", &format!("{urdu}\n")),
        golden("site.js", &format!("{site}\n")),
        golden(
            "markup.html",
            &format!("{}\n{}\n", snippets.head, snippets.body),
        ),
    ];
    assert!(
        results.iter().all(|ok| *ok),
        "tests/golden/ is out of date (see above): run `CHATKIT_INJECT_UPDATE_GOLDEN=1 cargo test --test it golden` and read the diff"
    );
}

#[test]
fn the_runtime_config_splits_as_the_widget_expects() {
    let (page, site) = config_of(TWO_PROFILES, None);
    // No `[theme]` key set: no `theme`, the widget reads the page.
    assert!(site.get("theme").is_none());
    // Every `[theme]` key set: the four optional keys the widget's ThemeConfig knows, in the
    // site module only.
    let config = format!(
        "{TWO_PROFILES}\n[theme]\naccent = \"#2e8555\"\naccent-dark = \"#25c2a0\"\nfont-family = \"Inter, sans-serif\"\nradius = \"0.4rem\"\n"
    );
    let (themed_page, themed) = config_of(&config, None);
    assert_eq!(
        themed["theme"],
        serde_json::json!({
            "accent": "#2e8555",
            "accentDark": "#25c2a0",
            "fontFamily": "Inter, sans-serif",
            "radius": "round"
        })
    );
    assert_eq!(keys(&themed_page), keys(&page));
    // Other languages add to the page only `locale` (the built-in translation) and `strings`
    // (what the loader shows before the panel module exists), and share the site module.
    let (urdu, urdu_site) = config_of(TWO_PROFILES, Some("ur"));
    let mut with_strings = keys(&page);
    with_strings.insert("locale".into());
    with_strings.insert("strings".into());
    assert_eq!(keys(&urdu), with_strings);
    assert_eq!(urdu["locale"], "ur");
    assert_eq!(urdu["siteUrl"], page["siteUrl"]);
    assert_eq!(urdu_site, site);
}

/// The named CSS contexts of `tests/golden/css-contexts.json`, each a fragment of `chatkit.toml`
/// (its tables merged into `tests/golden/chatkit.toml`, a key of the fragment winning).
fn css_contexts() -> Vec<(String, String)> {
    let path = root().join("tests/golden/css-contexts.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let contexts: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let base: toml::Table = std::fs::read_to_string(root().join("tests/golden/chatkit.toml"))
        .expect("config")
        .parse()
        .expect("tests/golden/chatkit.toml is TOML");
    contexts
        .into_iter()
        .map(|(name, fragment)| {
            // The name is a file name under tests/golden/css/; `default` is the config as it is.
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}: a context name is lowercase letters, digits and `-`: {name:?}",
                path.display()
            );
            if name == "default" {
                assert_eq!(
                    fragment,
                    serde_json::json!({}),
                    "{}: default",
                    path.display()
                );
            }
            let fragment: toml::Table = serde_json::from_value(fragment)
                .unwrap_or_else(|e| panic!("{}: {name}: {e}", path.display()));
            let mut config = base.clone();
            merge(&mut config, fragment);
            (name, toml::to_string(&config).expect("TOML"))
        })
        .collect()
}

/// Merges `from` into `into`: tables key by key, anything else replaced.
fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(old)), toml::Value::Table(new)) => merge(old, new),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// The widget CSS the CLI writes for `config` (prod profile): read, validated and resolved as a
/// run does, rendered by `widget::prepare`.
fn css_of(config: &str) -> String {
    let loaded = config::parse(config, Some(Path::new("chatkit.toml"))).expect("config parses");
    let resolved = config::resolve(&loaded, "prod").expect("config resolves");
    let widget = chatkit_inject::widget::prepare(&resolved, "/").expect("the CSS renders");
    String::from_utf8(widget.assets.css.bytes).expect("UTF-8")
}

/// The widget CSS is rendered by the CLI only: for each named context of
/// `tests/golden/css-contexts.json`, `tests/golden/css/<name>.css` is what the CLI writes, and
/// the widget's CSS tests (`src/widget-css.test.ts`) and its budget read those files.
#[test]
fn the_golden_css_is_what_the_cli_renders() {
    let dir = root().join("tests/golden/css");
    let contexts = css_contexts();
    assert!(contexts.iter().any(|(name, _)| name == "default"));
    let mut results = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for (name, config) in &contexts {
        let css = css_of(config);
        // A context that renders as another does tests nothing more: each must change the CSS.
        if let Some((same, _)) = seen.iter().find(|(_, other)| *other == css) {
            panic!("the CSS contexts {same} and {name} render the same CSS");
        }
        results.push(golden(&format!("css/{name}.css"), &css));
        seen.push((name.clone(), css));
    }
    // No file for a context that is gone (rewriting removes it).
    let names: BTreeSet<String> = contexts.iter().map(|(n, _)| format!("{n}.css")).collect();
    let files: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let mut stale: Vec<&String> = files.difference(&names).collect();
    if std::env::var_os("CHATKIT_INJECT_UPDATE_GOLDEN").is_some() {
        for name in stale.drain(..) {
            let path = dir.join(name);
            std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    assert!(
        stale.is_empty(),
        "{}: no context in tests/golden/css-contexts.json for {stale:?}",
        dir.display()
    );
    assert!(
        results.iter().all(|ok| *ok),
        "tests/golden/css/ is out of date (see above): run `CHATKIT_INJECT_UPDATE_GOLDEN=1 cargo test --test it golden` and read the diff"
    );
}
