//! One source for each contract between the CLI and the widget: the golden files in
//! `tests/golden/` are what the CLI writes for `tests/golden/chatkit.toml` (the page config of an
//! English and of an Urdu page, the site module, the injected markup, the widget CSS for two
//! contexts), and the widget's own tests and size budget read those same files. A change on one side fails here (run with
//! `CHATKIT_INJECT_UPDATE_GOLDEN=1` to rewrite them, then read the diff) or in the widget's tests.
//! The CSS template's context is checked against the widget's sample
//! (`widget-assets/test/fixtures/css-context.json`).

use std::collections::BTreeSet;

use chatkit_inject::assets::{self, CssContext};

use crate::harness::{root, site_module_config, snippets_for, TWO_PROFILES};

fn widget_fixture(name: &str) -> serde_json::Value {
    let path = root().join("widget-assets/test/fixtures").join(name);
    let text = std::fs::read_to_string(&path).expect("widget fixture");
    serde_json::from_str(&text).expect("widget fixture is JSON")
}

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

/// The widget CSS as the CLI renders it, for the widget's sample context and for one with every
/// branch of the template taken the other way (both colour modes fixed, a chosen corner,
/// `replaces`): the widget's own renderer (`widget-assets/scripts/render-css.mjs`, used by its
/// tests and its budget) must give the same bytes (`src/widget-css.test.ts`).
#[test]
fn the_golden_css_is_what_the_cli_renders() {
    let sample: CssContext =
        serde_json::from_value(widget_fixture("css-context.json")).expect("CSS context");
    let mut themed = sample.clone();
    themed.accent = "#2e8555".into();
    themed.accent_dark = "#25c2a0".into();
    themed.accent_fixed = true;
    themed.accent_dark_fixed = true;
    themed.position = "bottom-left".into();
    themed.replaces = vec!["#old-bot".into(), ".chat-fab[data-x='a']".into()];
    let themed_json = serde_json::to_string_pretty(&themed).expect("JSON") + "\n";
    let results = [
        golden("widget.css", &assets::render_css(&sample).expect("renders")),
        golden("css-context.themed.json", &themed_json),
        golden(
            "widget.themed.css",
            &assets::render_css(&themed).expect("renders"),
        ),
    ];
    assert!(
        results.iter().all(|ok| *ok),
        "tests/golden/ is out of date (see above): run `CHATKIT_INJECT_UPDATE_GOLDEN=1 cargo test --test it golden` and read the diff"
    );
}

#[test]
fn the_widget_renders_its_css_with_the_context_the_cli_gives() {
    let sample = widget_fixture("css-context.json");
    // Every key the CLI provides, no other: CssContext denies unknown fields.
    let ctx: CssContext = serde_json::from_value(sample.clone()).expect("the CLI's CSS context");
    let cli_keys = keys(&serde_json::to_value(&ctx).expect("serialise"));
    assert_eq!(keys(&sample), cli_keys);
    assert_eq!(ctx.z_index, chatkit_inject::config::DEFAULT_Z_INDEX);
    assets::render_css(&ctx).expect("the template renders with the widget's sample");
}
