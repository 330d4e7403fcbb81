//! Whole runs of the binary on copies of the fixture sites: exit codes, reports, and what ends
//! up on disk.

use std::fs;
use std::path::Path;

use crate::harness;
use crate::harness::{copy_fixture, fixtures, run_in, snapshot_tree};

fn page_count(dir: &Path) -> usize {
    snapshot_tree(dir)
        .iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .count()
}

#[test]
fn inject_then_check_then_touch_one_page() {
    let (tmp, build) = copy_fixture("site");
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    insta::assert_snapshot!("inject_site", run.render());

    let check = run_in(tmp.path(), &["build", "--check"], tmp.path());
    assert_eq!(check.code, 0, "{}", check.render());

    // Put one page back as the build wrote it: --check must now fail and name it.
    fs::copy(
        fixtures().join("site/docs/intro/index.html"),
        build.join("docs/intro/index.html"),
    )
    .expect("restore page");
    let check = run_in(tmp.path(), &["build", "--check"], tmp.path());
    assert_eq!(check.code, 1, "{}", check.render());
    assert!(
        check.stdout.contains("build/docs/intro/index.html"),
        "{}",
        check.render()
    );
    insta::assert_snapshot!("check_one_page_outdated", check.render());
}

#[test]
fn second_run_changes_no_byte() {
    let (tmp, build) = copy_fixture("site");
    assert_eq!(run_in(tmp.path(), &["build"], tmp.path()).code, 0);
    let after_first = snapshot_tree(&build);
    let second = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(second.code, 0, "{}", second.render());
    assert!(second.stdout.contains(" 0 injected"), "{}", second.render());
    assert!(
        after_first == snapshot_tree(&build),
        "second run changed files"
    );
}

#[test]
fn strip_restores_the_build_byte_for_byte() {
    let (tmp, build) = copy_fixture("site");
    let original = snapshot_tree(&build);
    assert_eq!(
        run_in(tmp.path(), &["build", "--env", "dev"], tmp.path()).code,
        0
    );
    assert!(original != snapshot_tree(&build));
    let strip = run_in(tmp.path(), &["build", "--strip"], tmp.path());
    assert_eq!(strip.code, 0, "{}", strip.render());
    insta::assert_snapshot!("strip_site", strip.render());
    let restored = snapshot_tree(&build);
    let changed: Vec<&String> = original
        .iter()
        .zip(restored.iter())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| &a.0)
        .collect();
    assert_eq!(
        original.len(),
        restored.len(),
        "file set differs after strip"
    );
    assert!(changed.is_empty(), "changed after strip: {changed:?}");
}

#[test]
fn profile_switch_replaces_the_injection() {
    let (tmp, build) = copy_fixture("site");
    fs::write(
        tmp.path().join("chatkit.toml"),
        "[profiles.prod]\nbackend-url = \"https://chat.example.edu\"\ndomain-key = \"domain_pk_test\"\n",
    )
    .expect("write config");
    assert_eq!(run_in(tmp.path(), &["build"], tmp.path()).code, 0);
    let prod = run_in(tmp.path(), &["build", "--env", "prod"], tmp.path());
    assert_eq!(prod.code, 0, "{}", prod.render());
    let home = fs::read_to_string(build.join("index.html")).expect("home");
    assert_eq!(home.matches("chatkit-inject-config").count(), 1);
    assert_eq!(
        harness::runtime_config(&build.join("index.html"))["backendUrl"],
        "https://chat.example.edu"
    );
    assert!(!home.contains("localhost:8000"));
    // Only the current assets are left: the stylesheet, the loader, the panel module and the
    // one site module (the same for every language).
    let assets: Vec<_> = fs::read_dir(build.join("chatkit"))
        .expect("assets")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(assets.len(), 4, "{assets:?}");
}

#[test]
fn out_leaves_the_build_untouched() {
    let (tmp, build) = copy_fixture("site");
    let original = snapshot_tree(&build);
    let run = run_in(tmp.path(), &["build", "--out", "public"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(
        original == snapshot_tree(&build),
        "--out modified the build directory"
    );
    let out = tmp.path().join("public");
    assert_eq!(page_count(&out), page_count(&build));
    assert!(out.join("chatkit").is_dir());
    let check = run_in(tmp.path(), &["public", "--check"], tmp.path());
    assert_eq!(check.code, 0, "{}", check.render());
    let inside = run_in(tmp.path(), &["build", "--out", "build/sub"], tmp.path());
    assert_eq!(inside.code, 2, "{}", inside.render());
}

#[test]
fn dry_run_writes_nothing() {
    let (tmp, build) = copy_fixture("site");
    let original = snapshot_tree(&build);
    let run = run_in(tmp.path(), &["build", "--dry-run"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(run.stdout.contains("would be injected"), "{}", run.render());
    assert!(original == snapshot_tree(&build), "--dry-run wrote files");
}

#[test]
fn json_report() {
    let (tmp, _build) = copy_fixture("site");
    let run = run_in(tmp.path(), &["build", "--format", "json"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    let v: serde_json::Value = harness::report(&run.raw_stdout);
    assert_eq!(v["mode"], "inject");
    assert_eq!(v["pages"]["failed"], 0);
    assert!(v["pages"]["injected"].as_u64().unwrap_or(0) > 5);
    insta::assert_snapshot!("json_report", run.render());
}

#[test]
fn base_url_is_detected_from_the_build() {
    let (tmp, build) = copy_fixture("site-textbook");
    let run = run_in(tmp.path(), &["build", "-v"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    let home = fs::read_to_string(build.join("index.html")).expect("home");
    assert!(
        home.contains("href=\"/textbook/chatkit/widget."),
        "link not under baseUrl"
    );
    assert!(
        home.contains("src=\"/textbook/chatkit/loader."),
        "loader not under baseUrl"
    );
    assert!(
        home.contains("\"panelUrl\":\"/textbook/chatkit/panel."),
        "panelUrl not under baseUrl"
    );
    assert!(
        home.contains("\"siteUrl\":\"/textbook/chatkit/site."),
        "siteUrl not under baseUrl"
    );
    // Override wins.
    let run = run_in(
        tmp.path(),
        &["build", "--base-url", "/elsewhere/"],
        tmp.path(),
    );
    assert_eq!(run.code, 0, "{}", run.render());
    let home = fs::read_to_string(build.join("index.html")).expect("home");
    assert!(home.contains("href=\"/elsewhere/chatkit/widget."));
    assert_eq!(home.matches("chatkit-inject-config").count(), 1);
}

#[test]
fn a_bad_page_is_reported_and_the_run_goes_on() {
    let (tmp, build) = copy_fixture("site");
    // lol_html refuses this (a parsing ambiguity it will not guess about).
    fs::write(
        build.join("broken.html"),
        "<select><xmp><script>\"use strict\";</script></select>",
    )
    .expect("write");
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 1, "{}", run.render());
    assert!(run.stderr.contains("build/broken.html"), "{}", run.render());
    assert!(fs::read_to_string(build.join("index.html"))
        .expect("home")
        .contains("chatkit-inject-config"));
    insta::assert_snapshot!("one_bad_page", run.render());
}

#[test]
fn input_errors_exit_2_with_one_clear_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = tmp.path();
    fs::write(t.join("file.txt"), "x").expect("write");
    fs::create_dir(t.join("empty")).expect("mkdir");
    let mut all = String::new();
    for args in [
        vec!["missing"],
        vec!["file.txt"],
        vec!["empty"],
        vec!["empty", "--env", "prod"],
        vec!["empty", "--config", "nope.toml"],
        vec!["--jobs", "0"],
        vec!["--check", "--strip"],
    ] {
        let run = run_in(t, &args, t);
        assert_eq!(run.code, 2, "{args:?}: {}", run.render());
        all.push_str(&format!(
            "$ chatkit-inject {}\n{}\n",
            args.join(" "),
            run.render()
        ));
    }
    insta::assert_snapshot!("input_errors", all);
}

/// A folder that does not look like a site build (no generator tag, no Docusaurus root or asset
/// layout) is refused before anything is written, unless --force; then it is injected with a
/// warning. Files with another HTML extension are named, not injected.
#[test]
fn a_folder_that_is_not_a_site_is_refused_unless_forced() {
    let tmp = tempfile::tempdir().expect("tmp");
    let build = tmp.path().join("build");
    fs::create_dir(&build).expect("mkdir");
    let page = "<html><head></head><body>hi</body></html>";
    fs::write(build.join("index.html"), page).expect("write");
    fs::write(build.join("notes.htm"), page).expect("write");
    fs::write(build.join("feed.XHTML"), page).expect("write");
    for args in [
        &["build"][..],
        &["build", "--dry-run"],
        &["build", "--check"],
    ] {
        let run = run_in(tmp.path(), args, tmp.path());
        assert_eq!(run.code, 2, "{args:?}: {}", run.render());
        assert!(
            run.stderr.contains("does not look like a site build")
                && run.stderr.contains("--force"),
            "{}",
            run.render()
        );
    }
    assert_eq!(fs::read_to_string(build.join("index.html")).unwrap(), page);
    assert!(!build.join("chatkit").exists());

    let run = run_in(tmp.path(), &["build", "--force"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(
        run.stderr.contains("does not look like a Docusaurus build"),
        "{}",
        run.render()
    );
    assert!(
        run.stderr
            .contains("2 .htm or .xhtml file(s) left as they are"),
        "{}",
        run.render()
    );
    assert!(fs::read_to_string(build.join("index.html"))
        .expect("page")
        .contains("chatkit-inject-config"));
    assert_eq!(fs::read_to_string(build.join("notes.htm")).unwrap(), page);
    // Another generator's build is a site: injected, with the Docusaurus warning.
    fs::write(
        build.join("index.html"),
        "<html><head><meta name=generator content=\"Hugo 0.120\"></head><body>hi</body></html>",
    )
    .unwrap();
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    // --strip only ever removes what this tool wrote: it needs no --force.
    let run = run_in(tmp.path(), &["build", "--strip"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
}

/// Far more pages than a textbook (the limit is 20,000) in a folder whose home page is not a
/// Docusaurus page: refused unless --force, nothing written. Pages are empty files, so the
/// forced run only counts them.
#[test]
#[ignore = "slow: `./test-all.sh rust` runs it (or `cargo test -- --include-ignored`)"]
fn far_more_pages_than_a_textbook_is_refused_unless_forced() {
    let tmp = tempfile::tempdir().expect("tmp");
    let build = tmp.path().join("build");
    fs::create_dir(&build).unwrap();
    fs::write(
        build.join("index.html"),
        "<html><head><meta name=generator content=\"Hugo 0.120\"></head><body>hi</body></html>",
    )
    .unwrap();
    for d in 0..21 {
        let dir = build.join(format!("{d:02}"));
        fs::create_dir_all(&dir).unwrap();
        for i in 0..1000 {
            fs::write(dir.join(format!("{i}.html")), "").unwrap();
        }
    }
    let run = run_in(tmp.path(), &["build", "--dry-run"], tmp.path());
    assert_eq!(run.code, 2, "{}", run.render());
    assert!(
        run.stderr
            .contains("more than 20000 pages, far more than a textbook"),
        "{}",
        run.render()
    );
    assert!(!build.join("chatkit").exists());
    let run = run_in(tmp.path(), &["build", "--dry-run", "--force"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    // A Docusaurus build is not counted: its own home page says what it is.
    fs::copy(fixtures().join("site/index.html"), build.join("index.html")).unwrap();
    let run = run_in(tmp.path(), &["build", "--dry-run"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
}

#[test]
fn leftover_temporary_files_are_removed() {
    let (tmp, build) = copy_fixture("site");
    let leftover = build.join("docs/.chatkit-inject-abc123.tmp");
    fs::write(&leftover, "half a page").expect("write");
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(!leftover.exists());
    assert!(
        run.stdout.contains("1 temporary file(s)"),
        "{}",
        run.render()
    );
}

#[test]
fn excluded_and_opted_out_pages_are_left_alone() {
    let (tmp, build) = copy_fixture("site");
    fs::copy(
        fixtures().join("edge/opted-out.html"),
        build.join("opted-out.html"),
    )
    .expect("copy");
    fs::copy(
        fixtures().join("edge/redirect.html"),
        build.join("redirect.html"),
    )
    .expect("copy");
    fs::write(
        tmp.path().join("chatkit.toml"),
        "[pages]\nexclude = [\"blog/**\"]\n",
    )
    .expect("config");
    let before = snapshot_tree(&build);
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    let after: std::collections::BTreeMap<String, Vec<u8>> =
        snapshot_tree(&build).into_iter().collect();
    let mut checked = 0;
    for (path, a) in &before {
        if path.starts_with("blog/") || path == "opted-out.html" || path == "redirect.html" {
            assert!(Some(a) == after.get(path), "{path} was modified");
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} pages checked");
    assert!(run.stdout.contains("opted out"), "{}", run.render());
    assert!(run.stdout.contains("redirect stub"), "{}", run.render());
    assert!(run.stdout.contains("excluded"), "{}", run.render());
}

#[test]
fn csp_that_blocks_the_widget_is_reported_and_fails_check() {
    let (tmp, build) = copy_fixture("site");
    fs::copy(fixtures().join("edge/csp.html"), build.join("csp.html")).expect("copy");
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(
        run.stderr
            .contains("warning: build/csp.html: Content-Security-Policy would block the widget"),
        "{}",
        run.render()
    );
    let check = run_in(tmp.path(), &["build", "--check"], tmp.path());
    assert_eq!(check.code, 1, "{}", check.render());
    insta::assert_snapshot!("check_csp", check.render());
    // A policy that allows what the widget needs passes.
    let page = fs::read_to_string(build.join("csp.html")).expect("page").replace(
        "default-src 'self'; script-src 'self'",
        "default-src 'self'; script-src 'self' https://cdn.platform.openai.com; frame-src https://cdn.platform.openai.com; connect-src 'self' http://localhost:8000",
    );
    fs::write(build.join("csp.html"), page).expect("write");
    let check = run_in(tmp.path(), &["build", "--check"], tmp.path());
    assert_eq!(check.code, 0, "{}", check.render());
}

#[test]
fn second_concurrent_run_is_refused() {
    let (tmp, build) = copy_fixture("site");
    // Hold the directory lock as a running chatkit-inject would.
    let dir = fs::File::open(&build).expect("open dir");
    dir.try_lock().expect("lock");
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 2, "{}", run.render());
    assert!(
        run.stderr
            .contains("another chatkit-inject run is working on this directory"),
        "{}",
        run.render()
    );
    dir.unlock().expect("unlock");
    assert_eq!(run_in(tmp.path(), &["build"], tmp.path()).code, 0);
}

#[test]
#[ignore = "slow: `./test-all.sh rust` runs it (or `cargo test -- --include-ignored`)"]
fn large_pages_are_streamed_with_the_same_result() {
    // Over the 8 MiB streaming threshold: the page goes through the rewriter from disk to a
    // temporary file; the result must be what the in-memory path gives.
    let (tmp, build) = copy_fixture("site");
    let page = fs::read_to_string(fixtures().join("site/docs/intro/index.html")).expect("page");
    let cut = page.find("</body>").expect("body end");
    let filler = "<p>Streaming é ü 😀 through lol_html, chunk after chunk.</p>\n".repeat(150_000);
    let big = format!("{}{}{}", &page[..cut], filler, &page[cut..]);
    assert!(big.len() > 9 << 20);
    fs::write(build.join("big.html"), &big).expect("write");
    let small_copy = build.join("small.html");
    fs::write(&small_copy, &page).expect("write");

    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    let injected = fs::read_to_string(build.join("big.html")).expect("big");
    let small = fs::read_to_string(&small_copy).expect("small");
    // The same snippets, at the same place relative to </body>.
    let snippet_of = |s: &str| {
        let start = s
            .find("<script type=\"application/json\" id=\"chatkit-inject-config\"")
            .expect("config");
        let end = s.find("</body>").expect("body end");
        s[start..end].to_string()
    };
    assert_eq!(snippet_of(&injected), snippet_of(&small));
    assert_eq!(injected.len(), big.len() + (small.len() - page.len()));
    let again = run_in(tmp.path(), &["build"], tmp.path());
    assert!(again.stdout.contains(" 0 injected"), "{}", again.render());
    assert_eq!(
        run_in(tmp.path(), &["build", "--check"], tmp.path()).code,
        0
    );
    assert_eq!(
        run_in(tmp.path(), &["build", "--strip"], tmp.path()).code,
        0
    );
    assert!(
        fs::read_to_string(build.join("big.html")).expect("big") == big,
        "strip did not restore the large page"
    );
    let leftovers = snapshot_tree(&build)
        .into_iter()
        .filter(|(p, _)| p.contains(".chatkit-inject-"))
        .count();
    assert_eq!(leftovers, 0);
}

/// A page of the site's own that carries the marker attribute keeps every byte through inject,
/// a second inject and --strip; the run names it in a warning; a script shaped like ours that
/// would take the page's text with it fails that page (exit 1) and leaves it as it was.
#[test]
fn marked_elements_that_are_not_ours_keep_the_readers_text() {
    let (tmp, build) = copy_fixture("site-flat");
    let own = build.join("docs/intro.html");
    let html = fs::read_to_string(&own).unwrap();
    let marked = html.replacen(
        "<article>",
        "<article><div data-chatkit-inject><p>reader text</p></div><p data-chatkit-inject>",
        1,
    );
    assert_ne!(marked, html, "the fixture page has an <article>");
    fs::write(&own, &marked).unwrap();
    let broken = build.join("docs/broken.html");
    let broken_html = "<html><body><p>keep</p><script src=/chatkit/loader.1.js defer data-chatkit-inject><p>reader text</p></body></html>";
    fs::write(&broken, broken_html).unwrap();

    let run = run_in(tmp.path(), &["build", "--format", "json"], tmp.path());
    assert_eq!(run.code, 1, "{}", run.render());
    let report = harness::report(&run.raw_stdout);
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("intro.html") && warnings.contains("did not write"),
        "{warnings}"
    );
    assert_eq!(harness::warning_kinds(&report), ["foreignMarker"]);
    let failures = report["failures"].to_string();
    assert!(failures.contains("broken.html"), "{failures}");
    assert_eq!(fs::read_to_string(&broken).unwrap(), broken_html);

    let injected = fs::read_to_string(&own).unwrap();
    assert!(injected
        .contains("<div data-chatkit-inject><p>reader text</p></div><p data-chatkit-inject>"));
    assert_eq!(injected.matches("chatkit-inject-config").count(), 1);
    run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(fs::read_to_string(&own).unwrap(), injected, "second run");
    run_in(tmp.path(), &["build", "--strip"], tmp.path());
    assert_eq!(fs::read_to_string(&own).unwrap(), marked, "--strip");
}

/// Pages where the widget would be dead (inside template content, an unclosed `<svg>`, a
/// frameset page, UTF-16, a `<base href>` on another host) or that no later run could read are
/// left byte for byte and reported as failed with the reason, never counted as injected; the
/// rest of the site is injected, and a second run and `--check` agree. A large page takes the
/// streamed path and gets the same verdict.
#[test]
fn pages_where_the_widget_would_never_run_fail_untouched() {
    let (tmp, build) = copy_fixture("site-flat");
    let site_pages = page_count(&build);
    let pages: [(&str, &[u8], &str); 7] = [
        (
            "docs/template.html",
            b"<html><head></head><body><template><p>x</body></html>",
            "<template>",
        ),
        (
            "docs/select-template.html",
            b"<html><head></head><body><p>x<select><template><option>a</body></html>",
            "<template>",
        ),
        (
            "docs/svg.html",
            b"<html><head></head><body><svg><g><path d=M0></body></html>",
            "<svg>",
        ),
        (
            "docs/frameset.html",
            b"<html><head></head><body><p>x</p><frameset></frameset></body></html>",
            "<frameset>",
        ),
        (
            "docs/utf16.html",
            b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00",
            "UTF-16LE",
        ),
        (
            "docs/base.html",
            b"<html><head><base href=\"https://cdn.example.com/\"></head><body>x</body></html>",
            "<base href",
        ),
        (
            "docs/kr.html",
            b"<html><head><meta charset=iso-2022-kr></head><body>x</body></html>",
            "iso-2022-kr",
        ),
    ];
    for (rel, bytes, _) in &pages {
        fs::write(build.join(rel), bytes).unwrap();
    }
    // Over the streaming threshold (8 MiB), with a template left open before </body>.
    let large = build.join("docs/large-template.html");
    let mut big = b"<html><head></head><body><template>".to_vec();
    big.resize(9 << 20, b'a');
    big.extend_from_slice(b"</body></html>");
    fs::write(&large, &big).unwrap();

    let run = run_in(tmp.path(), &["build", "--format", "json"], tmp.path());
    assert_eq!(run.code, 1, "{}", run.render());
    let report = harness::report(&run.raw_stdout);
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), pages.len() + 1, "{failures:?}");
    for (rel, bytes, why) in &pages {
        assert_eq!(
            &fs::read(build.join(rel)).unwrap(),
            bytes,
            "{rel} was written"
        );
        let row = failures
            .iter()
            .find(|f| f["path"].as_str().unwrap_or_default().ends_with(rel))
            .unwrap_or_else(|| panic!("{rel} not reported: {failures:?}"));
        assert_eq!(row["kind"], "dead", "{rel}: {row}");
        let error = row["message"].as_str().unwrap_or_default();
        assert!(
            error.contains("would never run") && error.contains(why),
            "{rel}: {error}"
        );
    }
    assert!(
        fs::read(&large).unwrap() == big,
        "the large page was written"
    );
    let counts = &report["pages"];
    assert_eq!(counts["failed"].as_u64(), Some(pages.len() as u64 + 1));
    assert_eq!(
        counts["injected"].as_u64(),
        Some(site_pages as u64 - 2),
        "every page but the two redirect stubs: {counts}"
    );

    // The pages that were injected can be read again: --check passes on them, and only the
    // failed pages fail it.
    let check = run_in(
        tmp.path(),
        &["build", "--check", "--format", "json"],
        tmp.path(),
    );
    let report = harness::report(&check.raw_stdout);
    assert_eq!(report["outdated"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        report["failures"].as_array().map(Vec::len),
        Some(pages.len() + 1)
    );
}

/// The widget files go only when no page loads them: `--strip` with one page it cannot strip
/// (exit 1) keeps the files that page loads and says why; once the page is fixed, the next
/// `--strip` removes them. A re-inject that changes the CSS and the site module keeps the old
/// ones while a failed page still loads them.
#[test]
fn assets_stay_while_a_failed_page_still_loads_them() {
    let (tmp, build) = copy_fixture("site-flat");
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    let asset_files = |build: &Path| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(build.join("chatkit"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let injected_assets = asset_files(&build);
    assert_eq!(injected_assets.len(), 4);
    // An injected page that also holds a script shaped like ours that is never closed: no run
    // can rewrite it, and it loads the current files.
    let stuck = build.join("docs/intro.html");
    let mut html = fs::read_to_string(&stuck).unwrap();
    html.push_str("<script src=/chatkit/loader.1.js defer data-chatkit-inject>");
    fs::write(&stuck, &html).unwrap();

    // A new accent changes the CSS and the site module: the old ones stay, since the failed page
    // loads them.
    fs::write(
        tmp.path().join("chatkit.toml"),
        "[theme]\naccent = \"#aa3300\"\n",
    )
    .unwrap();
    let run = run_in(tmp.path(), &["build", "--format", "json"], tmp.path());
    assert_eq!(run.code, 1, "{}", run.render());
    let report = harness::report(&run.raw_stdout);
    // The accent is in the CSS and in the site module: the old ones stay.
    let old = |prefix: &str| {
        injected_assets
            .iter()
            .find(|n| n.starts_with(prefix))
            .unwrap()
            .clone()
    };
    let (old_site, old_css) = (old("site."), old("widget."));
    assert_eq!(
        report["assets"]["kept"],
        serde_json::json!([format!("chatkit/{old_site}"), format!("chatkit/{old_css}")]),
        "{}",
        run.render()
    );
    assert!(build.join("chatkit").join(&old_css).exists());
    assert!(build.join("chatkit").join(&old_site).exists());
    assert!(report["warnings"]
        .to_string()
        .contains("may still load them"));
    assert!(harness::warning_kinds(&report).contains(&"assetsKept"));

    let run = run_in(tmp.path(), &["build", "--strip"], tmp.path());
    assert_eq!(run.code, 1, "{}", run.render());
    assert!(run.stderr.contains("docs/intro.html"), "{}", run.render());
    let kept = asset_files(&build);
    assert!(!kept.is_empty(), "--strip removed what a page still loads");
    for name in &kept {
        assert!(html.contains(name.as_str()), "{name} kept but not loaded");
    }
    assert_eq!(fs::read_to_string(&stuck).unwrap(), html);

    // Fixed by hand: the next --strip removes everything.
    fs::write(
        &stuck,
        html.replace(
            "<script src=/chatkit/loader.1.js defer data-chatkit-inject>",
            "",
        ),
    )
    .unwrap();
    let run = run_in(tmp.path(), &["build", "--strip"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(!build.join("chatkit").exists());
}

/// Temporary files a killed run left are named by `--check` (exit 1) and `--dry-run`, and
/// removed by the next run, in place or into the same `--out` folder.
#[test]
fn leftovers_of_a_killed_run_are_reported_and_removed_under_out_too() {
    let (tmp, build) = copy_fixture("site-flat");
    let run = run_in(tmp.path(), &["build", "--out", "public"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    let out = tmp.path().join("public");
    // What a --out run killed while streaming a large page leaves beside it.
    let in_out = out.join("docs/.chatkit-inject-k1ll3d.tmp");
    fs::write(&in_out, "half a page").unwrap();
    let check = run_in(
        tmp.path(),
        &["public", "--check", "--format", "json"],
        tmp.path(),
    );
    assert_eq!(check.code, 1, "{}", check.render());
    let report = harness::report(&check.raw_stdout);
    let left: Vec<&serde_json::Value> = report["outdated"]
        .as_array()
        .expect("outdated")
        .iter()
        .filter(|o| o["kind"] == "interrupted" && o["file"] == "temporary")
        .collect();
    assert_eq!(left.len(), 1, "{}", check.render());
    assert!(
        left[0]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with(".chatkit-inject-k1ll3d.tmp")),
        "{}",
        check.render()
    );
    let text = run_in(tmp.path(), &["public", "--check"], tmp.path());
    assert!(
        text.stdout
            .contains(".chatkit-inject-k1ll3d.tmp (temporary file left by an interrupted run)"),
        "{}",
        text.render()
    );
    assert!(
        text.stdout.contains(
            "check failed: 1 file(s) left by an interrupted run of public need chatkit-inject"
        ),
        "{}",
        text.render()
    );
    let dry = run_in(tmp.path(), &["public", "--dry-run"], tmp.path());
    assert!(
        dry.stderr
            .contains("1 temporary file(s) left by an interrupted run"),
        "{}",
        dry.render()
    );
    assert!(in_out.exists(), "--dry-run removed a file");

    let run = run_in(
        tmp.path(),
        &["build", "--out", "public", "--format", "json"],
        tmp.path(),
    );
    assert_eq!(run.code, 0, "{}", run.render());
    let report = harness::report(&run.raw_stdout);
    assert_eq!(report["leftoversRemoved"].as_u64(), Some(1));
    assert!(!in_out.exists());
    let check = run_in(tmp.path(), &["public", "--check"], tmp.path());
    assert_eq!(check.code, 0, "{}", check.render());
    assert!(build.join("index.html").exists());
}

/// A failure once writing has begun is a row of the report with exit 1, and the JSON report is
/// printed: here the widget files cannot be written (`chatkit` is a file), so no page changes.
#[test]
fn a_failure_after_writing_began_is_a_row_with_exit_1() {
    let (tmp, build) = copy_fixture("site-flat");
    fs::write(build.join("chatkit"), "the site's own file").unwrap();
    let before = snapshot_tree(&build);
    let run = run_in(tmp.path(), &["build", "--format", "json"], tmp.path());
    assert_eq!(run.code, 1, "{}", run.render());
    assert!(
        run.raw_stdout.starts_with('{'),
        "no JSON report: {}",
        run.render()
    );
    let report = harness::report(&run.raw_stdout);
    let failures = report["failures"].to_string();
    assert!(failures.contains("chatkit"), "{failures}");
    assert!(report["warnings"]
        .to_string()
        .contains("no page was changed"));
    assert!(harness::warning_kinds(&report).contains(&"assetsNotWritten"));
    assert!(before == snapshot_tree(&build), "a page changed");
}

/// Runs on overlapping trees refuse each other (exit 2, naming the other run's directory), as
/// runs on one directory do: a run on a folder above holds it exclusively, a run on a folder
/// inside holds the directories above it shared, and an `--out` run holds the tree it reads
/// shared. Nothing is written by a refused run.
#[test]
fn runs_on_overlapping_trees_refuse_each_other() {
    let (tmp, build) = copy_fixture("site-flat");
    let before = snapshot_tree(&build);
    let refused = |args: &[&str], why: &str| {
        let run = run_in(tmp.path(), args, tmp.path());
        assert_eq!(run.code, 2, "{args:?}: {}", run.render());
        assert!(run.stderr.contains(why), "{args:?}: {}", run.render());
    };
    // A run on the folder that holds the build directory.
    let parent = fs::File::open(tmp.path()).unwrap();
    parent.try_lock().unwrap();
    refused(
        &["build"],
        "is working on [TEMP], which holds this directory",
    );
    refused(
        &["build/docs"],
        "is working on [TEMP], which holds this directory",
    );
    parent.unlock().unwrap();
    // A run on the build directory, while a run on a folder of it is asked for, and the other way.
    let dir = fs::File::open(&build).unwrap();
    dir.try_lock().unwrap();
    refused(
        &["build/docs"],
        "is working on [TEMP]/build, which holds this directory",
    );
    // An --out run would read a tree that is being written.
    refused(
        &["build", "--out", "public"],
        "build: another chatkit-inject run is working on this directory",
    );
    dir.unlock().unwrap();
    // A run inside the build directory (or an --out run reading it) holds it shared.
    dir.try_lock_shared().unwrap();
    refused(
        &["build"],
        "on a folder inside it, or is reading it for --out",
    );
    // Reading it alongside is fine.
    let out = run_in(tmp.path(), &["build", "--out", "public"], tmp.path());
    assert_eq!(out.code, 0, "{}", out.render());
    dir.unlock().unwrap();
    assert!(before == snapshot_tree(&build), "a refused run wrote");
    // Nothing held any more: the run goes ahead.
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
}

/// The streamed path (pages over 8 MiB) checks the Content-Security-Policy like the in-memory
/// one: the same blocking page padded to 9 MiB is reported, and fails --check.
#[test]
fn a_large_page_gets_the_same_csp_check() {
    let (tmp, build) = copy_fixture("site-flat");
    let page = fs::read_to_string(fixtures().join("edge/csp.html")).expect("edge page");
    let padding = format!("<p>{}</p></body>", "a".repeat(9 << 20));
    let large = page.replacen("</body>", &padding, 1);
    assert!(large.len() > 9 << 20, "the edge page has a </body>");
    fs::write(build.join("csp-large.html"), &large).unwrap();
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(
        run.stderr
            .contains("build/csp-large.html: Content-Security-Policy would block the widget"),
        "{}",
        run.render()
    );
    let check = run_in(tmp.path(), &["build", "--check"], tmp.path());
    assert_eq!(check.code, 1, "{}", check.render());
    assert!(
        check.stderr.contains("csp-large.html"),
        "{}",
        check.render()
    );
}

/// Files derived from the pages (precompressed copies, a service worker's precache manifest)
/// are named when pages change, with what to do; a run that changes nothing says nothing.
#[test]
fn derived_files_that_go_stale_are_named() {
    let (tmp, build) = copy_fixture("site-flat");
    fs::write(build.join("index.html.gz"), b"\x1f\x8b old").unwrap();
    fs::write(build.join("docs/intro.html.br"), b"old").unwrap();
    fs::write(
        build.join("sw.js"),
        "self.__WB_MANIFEST=[];precacheAndRoute([{url:'/index.html',revision:'1a2b'}]);",
    )
    .unwrap();
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(
        run.stderr
            .contains("2 precompressed page copies (.html.gz, .html.br)"),
        "{}",
        run.render()
    );
    assert!(
        run.stderr
            .contains("sw.js: a service worker that precaches pages"),
        "{}",
        run.render()
    );
    let again = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(again.code, 0, "{}", again.render());
    assert!(
        !again.stderr.contains("precompressed"),
        "{}",
        again.render()
    );
}

/// `--check -q` prints nothing on stdout, but an outdated site still says why on stderr.
#[test]
fn quiet_check_on_an_outdated_site_says_why_on_stderr() {
    let (tmp, _build) = copy_fixture("site-flat");
    let check = run_in(tmp.path(), &["build", "--check", "-q"], tmp.path());
    assert_eq!(check.code, 1, "{}", check.render());
    assert_eq!(check.stdout, "", "{}", check.render());
    assert!(
        check.stderr.contains("error: check failed: ")
            && check.stderr.contains("need chatkit-inject")
            && check.stderr.contains("index.html"),
        "{}",
        check.render()
    );
    // Up to date: quiet is silent.
    run_in(tmp.path(), &["build"], tmp.path());
    let check = run_in(tmp.path(), &["build", "--check", "-q"], tmp.path());
    assert_eq!(check.code, 0, "{}", check.render());
    assert_eq!(
        check.render(),
        "exit code: 0\n----- stdout -----\n----- stderr -----\n"
    );
}

/// `--jobs 0` is refused in words: at least one page at a time.
#[test]
fn jobs_zero_asks_for_at_least_one() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let run = run_in(tmp.path(), &["build", "--jobs", "0"], tmp.path());
    assert_eq!(run.code, 2, "{}", run.render());
    assert!(run.stderr.contains("at least 1"), "{}", run.render());
    assert!(!run.stderr.contains("non-zero type"), "{}", run.render());
}
