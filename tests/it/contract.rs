//! The samples the widget's own tests run on (`widget-assets/test/fixtures/`) have the shapes
//! the CLI writes: the runtime config's keys, and the CSS template's context. A key added on one
//! side only fails here.

use std::collections::BTreeSet;

use chatkit_inject::assets::{self, CssContext};

use crate::harness::{root, snippets_for, TWO_PROFILES};

fn widget_fixture(name: &str) -> serde_json::Value {
    let path = root().join("widget-assets/test/fixtures").join(name);
    let text = std::fs::read_to_string(&path).expect("widget fixture");
    serde_json::from_str(&text).expect("widget fixture is JSON")
}

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

/// The runtime config the CLI writes on a page with `<html lang=lang>`.
fn cli_config(lang: Option<&str>) -> serde_json::Value {
    config_of(TWO_PROFILES, lang)
}

/// The runtime config the CLI writes with `config` (prod profile).
fn config_of(config: &str, lang: Option<&str>) -> serde_json::Value {
    let snippets = snippets_for(config, "prod");
    let body = snippets.body_for(lang);
    let start = body.find('{').expect("json start");
    let end = body.find("</script>").expect("json end");
    serde_json::from_str(&body[start..end]).expect("JSON")
}

#[test]
fn the_widget_tests_on_the_runtime_config_the_cli_writes() {
    let sample = widget_fixture("runtime-config.json");
    let english = cli_config(None);
    assert_eq!(keys(&sample), keys(&english), "top-level keys");
    // No `[theme]` key set: no `theme`, the widget reads the page.
    assert!(english.get("theme").is_none());
    // Every `[theme]` key set: the four optional keys the widget's ThemeConfig knows.
    let config = format!(
        "{TWO_PROFILES}\n[theme]\naccent = \"#2e8555\"\naccent-dark = \"#25c2a0\"\nfont-family = \"Inter, sans-serif\"\nradius = \"0.4rem\"\n"
    );
    let themed = config_of(&config, None);
    assert_eq!(
        themed["theme"],
        serde_json::json!({
            "accent": "#2e8555",
            "accentDark": "#25c2a0",
            "fontFamily": "Inter, sans-serif",
            "radius": "round"
        })
    );
    assert_eq!(sample["v"], english["v"]);
    // The sample's placeholder is the built-in one, which the CLI leaves to the panel module.
    assert!(sample.get("placeholder").is_none());
    // Other languages add only `locale` (the built-in translation) and `strings` (what the
    // loader shows before the panel module exists).
    let urdu = cli_config(Some("ur"));
    let mut with_strings = keys(&english);
    with_strings.insert("locale".into());
    with_strings.insert("strings".into());
    assert_eq!(keys(&urdu), with_strings);
    assert_eq!(urdu["locale"], "ur");
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
