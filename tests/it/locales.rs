//! What a run does with the site's languages and what it tells the maintainer: each page's
//! runtime config in its own language, `[pages] exclude` under the locale folders, the theme
//! overrides it names, and the warning about a dev-profile run in CI.

use std::fs;
use std::path::Path;

use crate::harness;
use crate::harness::{copy_fixture, run_in, runtime_config, snapshot_tree};

fn json_report(cwd: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let run = run_in(cwd, &all, cwd);
    let report = harness::report(&run.raw_stdout);
    (run.code, report)
}

#[test]
fn each_page_gets_the_strings_of_its_language() {
    let (tmp, build) = copy_fixture("site");
    fs::write(
        tmp.path().join("chatkit.toml"),
        "[widget]\ngreeting = \"Ask about this chapter.\"\n\n[locales.fr]\nclose = \"Fermer le panneau\"\n",
    )
    .expect("config");
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());

    let en = runtime_config(&build.join("docs/intro/index.html"));
    assert_eq!(en["title"], "Ask the textbook");
    assert_eq!(en["greeting"], "Ask about this chapter.");
    // English pages carry the loader's three strings in English (the loader has none of its
    // own), and nothing else among the strings.
    assert_eq!(
        en["strings"],
        serde_json::json!({
            "offline": "You appear to be offline. Check your internet connection and try again.",
            "retry": "Retry",
            "unreachable": "The assistant can't be reached right now. Please try again in a moment."
        }),
        "{en}"
    );

    let fr = runtime_config(&build.join("fr/docs/intro/index.html"));
    assert_eq!(fr["title"], "Interroger le manuel");
    // [widget] greeting is set: it wins over the built-in translation...
    assert_eq!(fr["greeting"], "Ask about this chapter.");
    // The built-in French placeholder and the panel's other strings are in the panel module,
    // which `locale` points at; the page carries what the loader shows itself...
    assert_eq!(fr["locale"], "fr");
    assert!(fr.get("placeholder").is_none(), "{fr}");
    assert_eq!(fr["strings"]["retry"], "Réessayer");
    assert!(fr["strings"].get("loading").is_none(), "{fr}");
    // ...and [locales.fr] wins over both.
    assert_eq!(fr["strings"]["close"], "Fermer le panneau");

    // Strip gives every page back, whatever its language.
    let (tmp2, pristine) = copy_fixture("site");
    let strip = run_in(tmp.path(), &["build", "--strip"], tmp.path());
    assert_eq!(strip.code, 0, "{}", strip.render());
    assert!(snapshot_tree(&build) == snapshot_tree(&pristine));
    drop(tmp2);
}

#[test]
fn exclude_globs_apply_under_each_locale_folder() {
    let (tmp, build) = copy_fixture("site");
    fs::write(
        tmp.path().join("chatkit.toml"),
        "[pages]\nexclude = [\"blog/**\", \"fr/markdown-page/**\", \"private/**\"]\n",
    )
    .expect("config");
    let before = snapshot_tree(&build);
    let (code, report) = json_report(tmp.path(), &["build"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["localePrefixes"], serde_json::json!(["fr"]));
    let after: std::collections::BTreeMap<String, Vec<u8>> =
        snapshot_tree(&build).into_iter().collect();
    let mut fr_blog = 0;
    for (path, bytes) in &before {
        let excluded = path.starts_with("blog/")
            || path.starts_with("fr/blog/")
            || path.starts_with("fr/markdown-page/");
        if path.ends_with(".html") && excluded {
            assert!(Some(bytes) == after.get(path), "{path} was modified");
            fr_blog += usize::from(path.starts_with("fr/blog/"));
        }
    }
    assert!(fr_blog > 5, "only {fr_blog} French blog pages");
    // A glob that names a locale folder is about that locale only.
    assert_ne!(
        Some(
            &before
                .iter()
                .find(|(p, _)| p == "markdown-page/index.html")
                .expect("page")
                .1
        ),
        after.get("markdown-page/index.html"),
        "markdown-page/ (English) should be injected"
    );
    let warnings: Vec<&str> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["message"].as_str())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(report["warnings"][0]["kind"], "excludeMatchesNothing");
    assert!(
        warnings[0].contains("\"private/**\" matches no page") && warnings[0].contains("fr/"),
        "{warnings:?}"
    );
}

#[test]
fn a_dev_profile_run_in_ci_is_a_warning() {
    let (tmp, _build) = copy_fixture("site");
    let run = |ci: Option<&str>, env: &str| {
        let mut cmd = crate::harness::cli();
        cmd.current_dir(tmp.path())
            .args(["build", "--env", env, "--format", "json", "--dry-run"]);
        if let Some(v) = ci {
            cmd.env("CI", v);
        }
        let out = cmd.output().expect("run");
        let report = harness::report(&String::from_utf8_lossy(&out.stdout));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (report, stderr)
    };
    fs::write(
        tmp.path().join("chatkit.toml"),
        "[profiles.prod]\nbackend-url = \"https://chat.example.edu\"\ndomain-key = \"domain_pk_x\"\n",
    )
    .expect("config");
    let (report, stderr) = run(Some("true"), "dev");
    let warnings = report["warnings"].to_string();
    assert!(
        report["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w["kind"] == "devProfileInCi"),
        "{warnings}"
    );
    assert!(
        warnings.contains("CI is set and this run uses the dev profile")
            && warnings.contains("http://localhost:8000")
            && warnings.contains("--env prod"),
        "{warnings}"
    );
    assert!(stderr.contains("warning: CI is set"), "{stderr}");
    for (ci, env) in [
        (Some("true"), "prod"),
        (None, "dev"),
        (Some("false"), "dev"),
    ] {
        let (report, _) = run(ci, env);
        assert!(
            !report["warnings"].to_string().contains("CI is set"),
            "{ci:?} {env}: {}",
            report["warnings"]
        );
    }
}

#[test]
fn the_report_names_the_theme_overrides_and_leaves_the_rest_to_the_page() {
    let (tmp, build) = copy_fixture("site");
    let (_, report) = json_report(tmp.path(), &["build"]);
    // Nothing is read at build time: the report claims no colour.
    assert!(report.get("accent").is_none(), "{report:#}");
    assert_eq!(
        report["theme"],
        serde_json::json!({
            "overrides": {},
            "fromPage": ["accent", "accentDark", "fontFamily", "radius"]
        })
    );
    assert!(runtime_config(&build.join("index.html"))
        .get("theme")
        .is_none());
    let run = run_in(tmp.path(), &["build", "--dry-run"], tmp.path());
    assert!(
        run.stdout
            .contains("  theme     read from the page (accent, dark accent, font, radius)\n"),
        "{}",
        run.render()
    );

    // [theme] accent in chatkit.toml: that key only.
    fs::write(
        tmp.path().join("chatkit.toml"),
        "[theme]\naccent = \"#ff6600\"\n",
    )
    .expect("config");
    let (_, report) = json_report(tmp.path(), &["build"]);
    assert_eq!(
        report["theme"],
        serde_json::json!({
            "overrides": {"accent": "#ff6600"},
            "file": "chatkit.toml",
            "fromPage": ["accentDark", "fontFamily", "radius"]
        })
    );
    assert_eq!(
        runtime_config(&build.join("index.html"))["theme"],
        serde_json::json!({"accent": "#ff6600"})
    );
    let run = run_in(tmp.path(), &["build", "--dry-run"], tmp.path());
    assert!(
        run.stdout.contains(
            "  theme     accent #ff6600 from [theme] in chatkit.toml; read from the page (dark accent, font, radius)\n"
        ),
        "{}",
        run.render()
    );
}

#[test]
fn the_report_counts_pages_by_language_and_names_untranslated_ones() {
    let (tmp, build) = copy_fixture("site");
    let page = fs::read_to_string(build.join("docs/intro/index.html")).expect("page");
    let korean = page.replacen("<html lang=en", "<html lang=ko-KR", 1);
    assert_ne!(korean, page, "the fixture page starts with <html lang=en");
    fs::write(build.join("korean.html"), korean).expect("write");
    let (code, report) = json_report(tmp.path(), &["build"]);
    assert_eq!(code, 0, "{report:#}");
    let en = report["languages"]["en"].as_u64().expect("en count");
    let fr = report["languages"]["fr"].as_u64().expect("fr count");
    assert!(en > 10 && fr > 10, "{}", report["languages"]);
    assert_eq!(
        en + fr,
        report["pages"]["injected"].as_u64().expect("injected"),
        "every injected page is counted once"
    );
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("1 page(s) have <html lang=\\\"ko-kr\\\">")
            && warnings.contains("[locales.ko-kr]"),
        "{warnings}"
    );
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert!(
        run.stdout.contains(&format!("languages en {en}, fr {fr} ")),
        "{}",
        run.render()
    );
}

/// The customised textbook fixture (en + ur, right-to-left, a brand colour outside Infima, its
/// own chat button), run as its maintainer would: first with nothing configured, then retiring
/// the old button and setting the brand colour.
#[test]
fn a_customised_textbook_as_published() {
    let (tmp, build) = copy_fixture("site-course");
    let (code, report) = json_report(tmp.path(), &["build"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["localePrefixes"], serde_json::json!(["ur"]));
    assert!(
        report["languages"]["ur"].as_u64().is_some_and(|n| n > 0),
        "{}",
        report["languages"]
    );
    // Its orange lives in custom CSS only (its buttons, over Infima's stock blue): the CLI writes
    // no theme, so the widget takes the orange the reader sees from the page.
    assert_eq!(report["theme"]["overrides"], serde_json::json!({}));

    let ur = runtime_config(&build.join("ur/index.html"));
    assert_eq!(ur["title"], "کتاب سے پوچھیں");
    assert_eq!(ur["locale"], "ur");
    assert_eq!(ur["strings"]["retry"], "دوبارہ کوشش کریں");
    let en = runtime_config(&build.join("index.html"));
    assert_eq!(en["strings"]["retry"], "Retry");
    assert!(en.get("locale").is_none());
    assert!(en.get("theme").is_none() && ur.get("theme").is_none());

    fs::write(
        tmp.path().join("chatkit.toml"),
        "[widget]\nreplaces = [\".course-chat-button\"]\n\n[theme]\naccent = \"#ea580c\"\n",
    )
    .expect("config");
    let (code, report) = json_report(tmp.path(), &["build"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["theme"]["overrides"],
        serde_json::json!({"accent": "#ea580c"})
    );
    // Light mode is fixed; dark mode is still read from the page (its buttons), as the panel does.
    assert_eq!(
        runtime_config(&build.join("ur/index.html"))["theme"],
        serde_json::json!({"accent": "#ea580c"})
    );
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
    assert!(
        css.contains(".course-chat-button{display:none!important}"),
        "{css}"
    );
}

#[test]
fn a_handbook_with_its_brand_in_its_own_variable_leaves_it_to_the_page() {
    let (tmp, build) = copy_fixture("site-handbook");
    let (code, report) = json_report(tmp.path(), &["build"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["baseUrl"], "/handbook/");
    assert_eq!(report["localePrefixes"], serde_json::json!([]));
    assert!(report.get("accent").is_none(), "{report:#}");
    let en = runtime_config(&build.join("index.html"));
    assert!(en.get("theme").is_none(), "{en:#}");
    assert_eq!(en["title"], "Ask the textbook");
}
