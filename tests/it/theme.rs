//! The theme a run writes: only the `[theme]` keys the maintainer set, in the runtime config and
//! in the widget CSS (each colour mode fixed on its own), and nothing read from the site's CSS
//! (the widget reads the page's computed styles where the reader sees them).

use std::fs;

use crate::harness;
use crate::harness::{copy_fixture, run_in, runtime_config};

/// What a run on a copy of `site` wrote.
struct Written {
    /// The report's `theme`.
    report: serde_json::Value,
    /// The widget CSS.
    css: String,
    /// The runtime config of the home page.
    config: serde_json::Value,
}

/// Run the CLI on a copy of `site` (after `edit` on its build directory) and return what it wrote.
fn written_with(site: &str, config: Option<&str>, edit: impl FnOnce(&std::path::Path)) -> Written {
    let (tmp, build) = copy_fixture(site);
    if let Some(text) = config {
        fs::write(tmp.path().join("chatkit.toml"), text).expect("config");
    }
    edit(&build);
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
    Written {
        report: report["theme"].clone(),
        css: fs::read_to_string(build.join(css_name)).expect("css"),
        config: runtime_config(&build.join("index.html")),
    }
}

fn written(site: &str, config: Option<&str>) -> Written {
    written_with(site, config, |_| {})
}

/// The declarations of the rule with exactly this selector, at the start of a line.
fn rule<'a>(css: &'a str, selector: &str) -> Option<&'a str> {
    css.lines()
        .find_map(|line| line.strip_prefix(selector)?.strip_prefix('{'))
        .map(|rest| rest.split('}').next().unwrap_or_default())
}

const HIDE_LIGHT: &str = "html:not([data-theme=dark]) #chatkit-inject-toggle a,html:not([data-theme=dark]) #chatkit-inject-ask a{display:none}";
const HIDE_DARK: &str = "html[data-theme=dark] #chatkit-inject-toggle a,html[data-theme=dark] #chatkit-inject-ask a{display:none}";

#[test]
fn with_no_theme_set_every_site_gets_the_same_css_and_no_theme_key() {
    let mut first = None;
    for site in ["site", "site-textbook", "site-legacy", "site-course"] {
        let w = written(site, None);
        assert!(w.config.get("theme").is_none(), "{site}: {:#}", w.config);
        assert_eq!(w.report["overrides"], serde_json::json!({}), "{site}");
        // Both modes follow the page: Infima's variable, with its stock blue for a page without
        // it, and the page's primary button spread over the toggle.
        let root = rule(&w.css, ":root").expect(":root");
        assert!(
            root.starts_with("--cki-accent:var(--ifm-color-primary,#3578e5);"),
            "{root}"
        );
        let dark = rule(&w.css, "html[data-theme=dark]").expect("dark");
        assert!(
            dark.starts_with("--cki-accent:var(--ifm-color-primary,#3578e5);"),
            "{dark}"
        );
        assert!(!w.css.contains(" a{display:none}"), "{site}: {}", w.css);
        // The site's CSS is not read: the widget CSS is the same on every site.
        match &first {
            None => first = Some(w.css),
            Some(css) => assert_eq!(&w.css, css, "{site}"),
        }
    }
    // And it is the golden default the widget's tests and the budget read (tests/golden/css/,
    // written by contract.rs): one copy of the expected CSS, not a snapshot beside it.
    let golden = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/css/default.css"),
    )
    .expect("tests/golden/css/default.css");
    assert_eq!(first.as_deref().map(str::trim_end), Some(golden.trim_end()));
}

#[test]
fn the_site_css_is_not_read() {
    // A primary colour, radius and font the old build-time reading would have taken (and one it
    // could not read) change nothing the CLI writes.
    let plain = written("site", None);
    let edited = written_with("site", None, |build| {
        let css_dir = build.join("assets/css");
        for entry in fs::read_dir(&css_dir)
            .expect("css dir")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "css") {
                let mut css = fs::read_to_string(&path).expect("css");
                css.push_str(
                    ":root{--ifm-color-primary:#123456;--ifm-global-radius:0;--ifm-font-family-base:Georgia}\
                     [data-theme=dark]{--ifm-color-primary:hsl(150 50% 40%)}",
                );
                fs::write(&path, css).expect("write css");
            }
        }
    });
    assert_eq!(edited.css, plain.css);
    assert!(edited.config.get("theme").is_none(), "{:#}", edited.config);
}

#[test]
fn every_key_set_is_written_as_it_is_and_only_those() {
    let w = written(
        "site-textbook",
        Some(
            "[theme]\naccent = \"#112233\"\naccent-dark = \"rgb(68 85 102)\"\nradius = \"2px\"\nfont-family = \"Georgia,  serif\"\n",
        ),
    );
    assert_eq!(
        w.config["theme"],
        serde_json::json!({
            "accent": "#112233",
            "accentDark": "#445566",
            "fontFamily": "Georgia, serif",
            "radius": "soft"
        })
    );
    assert_eq!(w.report["overrides"], w.config["theme"]);
    assert_eq!(w.report["fromPage"], serde_json::json!([]));
    let root = rule(&w.css, ":root").expect(":root");
    assert!(root.starts_with("--cki-accent:#112233;"), "{root}");
    let dark = rule(&w.css, "html[data-theme=dark]").expect("dark");
    assert!(dark.starts_with("--cki-accent:#445566;"), "{dark}");
    assert!(!w.css.contains("--ifm-color-primary"), "{}", w.css);
    // The page's button layer is hidden in both modes, so the maintainer's colours show.
    assert_eq!(
        rule(&w.css, "#chatkit-inject-toggle a,#chatkit-inject-ask a"),
        Some("display:none")
    );
    // The font reaches ChatKit through the runtime config; the widget's own chrome inherits the
    // page's font, so widget.css carries none.
    assert!(!w.css.contains("font-family"), "{}", w.css);

    // Radius or font alone: nothing about colours.
    let w = written("site", Some("[theme]\nradius = \"pill\"\n"));
    assert_eq!(w.config["theme"], serde_json::json!({"radius": "pill"}));
    assert_eq!(w.css, written("site", None).css);
}

#[test]
fn accent_alone_fixes_light_mode_and_dark_mode_follows_the_page() {
    // As the panel does (widget-assets/src/theme.ts): each key wins on its own.
    let w = written("site-course", Some("[theme]\naccent = \"#ea580c\"\n"));
    assert_eq!(w.config["theme"], serde_json::json!({"accent": "#ea580c"}));
    let root = rule(&w.css, ":root").expect(":root");
    assert!(root.starts_with("--cki-accent:#ea580c;"), "{root}");
    let dark = rule(&w.css, "html[data-theme=dark]").expect("dark");
    assert!(
        dark.starts_with("--cki-accent:var(--ifm-color-primary,#3578e5);"),
        "{dark}"
    );
    assert!(w.css.contains(HIDE_LIGHT), "{}", w.css);
    assert!(!w.css.contains(HIDE_DARK), "{}", w.css);
    assert!(
        w.css
            .contains("#chatkit-inject-toggle a{position:absolute;"),
        "dark mode still shows the page's button: {}",
        w.css
    );
}

#[test]
fn accent_dark_alone_fixes_dark_mode_and_light_mode_follows_the_page() {
    let w = written("site", Some("[theme]\naccent-dark = \"#ABC\"\n"));
    assert_eq!(
        w.config["theme"],
        serde_json::json!({"accentDark": "#aabbcc"})
    );
    assert_eq!(
        w.report["fromPage"],
        serde_json::json!(["accent", "fontFamily", "radius"])
    );
    let root = rule(&w.css, ":root").expect(":root");
    assert!(
        root.starts_with("--cki-accent:var(--ifm-color-primary,#3578e5);"),
        "{root}"
    );
    let dark = rule(&w.css, "html[data-theme=dark]").expect("dark");
    assert!(dark.starts_with("--cki-accent:#aabbcc;"), "{dark}");
    assert!(
        w.css.contains(HIDE_DARK) && !w.css.contains(HIDE_LIGHT),
        "{}",
        w.css
    );
}

#[test]
fn replaces_position_and_z_index_reach_the_written_css() {
    let default = written("site", None).css;
    assert!(default.contains("z-index:2147483000"), "{default}");
    assert!(!default.contains("display:none!important"));
    let css = written(
        "site",
        Some(
            "[widget]\nposition = \"bottom-left\"\nz-index = 1200\nreplaces = [\"#old-chat-button\", \".floating-bot\"]\n\n[theme]\naccent = \"#ff6600\"\n",
        ),
    )
    .css;
    assert!(
        css.contains("#old-chat-button,.floating-bot{display:none!important}"),
        "{css}"
    );
    assert!(css.contains("z-index:1200"), "{css}");
    assert!(!css.contains("z-index:2147483000"), "{css}");
    // A colour set in chatkit.toml is used as it is, not as a fallback of --ifm-color-primary.
    assert!(!css.contains("var(--ifm-color-primary,#ff6600)"), "{css}");
    assert!(css.contains("--cki-accent:#ff6600;"), "{css}");
}
