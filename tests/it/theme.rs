//! The theme read from each fixture site's built CSS (Infima variables, layers, light/dark
//! selectors), `[theme]` overrides, and the widget CSS rendered from it.

use std::fs;

use crate::harness;
use crate::harness::{copy_fixture, run_in};

/// Run the CLI on a copy of `site` and return (theme JSON, rendered widget CSS).
fn theme_of(site: &str, config: Option<&str>) -> (serde_json::Value, String) {
    let (tmp, build) = copy_fixture(site);
    if let Some(text) = config {
        fs::write(tmp.path().join("chatkit.toml"), text).expect("config");
    }
    let run = run_in(tmp.path(), &["build", "--format", "json"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    let report = harness::report(&run.raw_stdout);
    let css_name = report["assets"]["written"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .find(|n| n.ends_with(".css"))
        })
        .expect("a css asset")
        .to_string();
    let css = fs::read_to_string(build.join(css_name)).expect("css");
    (report["theme"].clone(), css)
}

#[test]
fn classic_template_colors() {
    let (theme, css) = theme_of("site", None);
    assert_eq!(theme["accent"], "#2e8555");
    assert_eq!(theme["accentDark"], "#25c2a0");
    assert!(css.contains("#2e8555") && css.contains("#25c2a0"));
    insta::assert_json_snapshot!("theme_site", theme);
}

#[test]
fn site_with_changed_primary_color() {
    // site-textbook sets its colors on [data-theme='light'] / html[data-theme='dark'], a custom
    // font stack and a 2px radius, outside the Infima layer.
    let (theme, css) = theme_of("site-textbook", None);
    assert_eq!(theme["accent"], "#7c3aed");
    assert_eq!(theme["accentDark"], "#a78bfa");
    assert_eq!(theme["radius"], "soft");
    insta::assert_json_snapshot!("theme_site_textbook", theme);
    insta::assert_snapshot!("widget_css_site_textbook", css);
}

#[test]
fn config_overrides_win() {
    let (theme, css) = theme_of(
        "site-textbook",
        Some(
            "[theme]\naccent = \"#112233\"\nradius = \"pill\"\nfont-family = \"Georgia, serif\"\n",
        ),
    );
    assert_eq!(theme["accent"], "#112233");
    assert_eq!(
        theme["accentDark"], "#a78bfa",
        "unset keys still come from the site"
    );
    assert_eq!(theme["radius"], "pill");
    assert_eq!(theme["fontFamily"], "Georgia, serif");
    // The font reaches ChatKit through the runtime config; the widget's own chrome inherits the
    // page's font, so widget.css carries none.
    assert!(css.contains("#112233") && !css.contains("font-family"));
}

#[test]
fn legacy_webpack_build() {
    let (theme, _) = theme_of("site-legacy", None);
    assert_eq!(theme["accent"], "#2e8555");
    assert_eq!(theme["accentDark"], "#25c2a0");
}

#[test]
fn unusable_site_color_is_named_in_a_warning() {
    let (tmp, build) = copy_fixture("site");
    let css_dir = build.join("assets/css");
    let css_file = fs::read_dir(&css_dir)
        .expect("css dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "css"))
        .expect("a stylesheet");
    let mut css = fs::read_to_string(&css_file).expect("css");
    css.push_str(":root{--ifm-color-primary:hsl(150 50% 40%)}");
    fs::write(&css_file, css).expect("write css");
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(
        run.stderr
            .contains("warning: the site's --ifm-color-primary is \"hsl(150 50% 40%)\""),
        "{}",
        run.render()
    );
}

#[test]
fn replaces_position_and_z_index_reach_the_written_css() {
    let (_, default) = theme_of("site", None);
    assert!(default.contains("z-index:2147483000"), "{default}");
    assert!(!default.contains("display:none!important"));
    let (_, css) = theme_of(
        "site",
        Some(
            "[widget]\nposition = \"bottom-left\"\nz-index = 1200\nreplaces = [\"#old-chat-button\", \".floating-bot\"]\n\n[theme]\naccent = \"#ff6600\"\n",
        ),
    );
    assert!(
        css.contains("#old-chat-button,.floating-bot{display:none!important}"),
        "{css}"
    );
    assert!(css.contains("z-index:1200"), "{css}");
    assert!(!css.contains("z-index:2147483000"), "{css}");
    // A colour set in chatkit.toml is used as it is, not as a fallback of --ifm-color-primary.
    assert!(!css.contains("var(--ifm-color-primary,#ff6600)"), "{css}");
    assert!(css.contains("#ff6600"), "{css}");
}
