//! `--corpus FILE`: the book's text as JSON Lines, written in the same run as the pages (#15).

use std::fs;
use std::path::Path;

use crate::harness::{copy_fixture, fixtures, root, run_in, snapshot_tree};

/// The reference corpus of `fixtures/site`, as `corpus/from_build.py` writes it.
fn reference() -> String {
    let path = root().join("examples/fastapi-backend/corpus/fixture-site.jsonl");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn urls(corpus: &str) -> Vec<String> {
    corpus
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["url"].as_str().expect("url").to_string()
        })
        .collect()
}

#[test]
fn the_fixture_site_corpus_equals_the_reference_record_for_record() {
    let (tmp, _build) = copy_fixture("site");
    let run = run_in(
        tmp.path(),
        &["build", "--corpus", "corpus.jsonl", "--format", "json"],
        tmp.path(),
    );
    assert_eq!(run.code, 0, "{}", run.render());
    let got = read(&tmp.path().join("corpus.jsonl"));
    let want = reference();
    for (n, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "record {n} differs");
    }
    assert_eq!(got.lines().count(), want.lines().count());
    assert_eq!(got, want);
    let report: serde_json::Value = serde_json::from_str(&run.raw_stdout).expect("json");
    assert_eq!(report["corpus"]["records"], want.lines().count());
    assert_eq!(report["corpus"]["written"], true);
    assert_eq!(report["corpus"]["inSite"], false);
}

#[test]
fn corpus_of_a_small_site() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let build = tmp.path().join("build");
    let site = fixtures().join("site");
    for rel in [
        "index.html",
        "docs/tutorial-basics/congratulations/index.html",
        "fr/docs/tutorial-basics/congratulations/index.html",
        "markdown-page/index.html",
        "blog/tags/index.html",
        "404.html",
    ] {
        let to = build.join(rel);
        fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        fs::copy(site.join(rel), &to).expect("copy");
    }
    let run = run_in(
        tmp.path(),
        &["build", "--corpus", "corpus.jsonl"],
        tmp.path(),
    );
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(
        run.stdout.contains("  corpus    "),
        "the summary names the corpus: {}",
        run.render()
    );
    insta::assert_snapshot!(read(&tmp.path().join("corpus.jsonl")));
}

#[test]
fn the_same_build_gives_the_same_bytes_with_any_number_of_jobs() {
    let (tmp, _) = copy_fixture("site-course");
    let (tmp2, _) = copy_fixture("site-course");
    let one = run_in(
        tmp.path(),
        &["build", "--jobs", "1", "--corpus", "c.jsonl"],
        tmp.path(),
    );
    let many = run_in(
        tmp2.path(),
        &["build", "--jobs", "8", "--corpus", "c.jsonl"],
        tmp2.path(),
    );
    assert_eq!(one.code, 0, "{}", one.render());
    assert_eq!(many.code, 0, "{}", many.render());
    let (a, b) = (
        read(&tmp.path().join("c.jsonl")),
        read(&tmp2.path().join("c.jsonl")),
    );
    assert!(a.lines().count() > 50, "{a}");
    assert!(a == b, "--jobs 1 and --jobs 8 wrote different corpora");
    // Sorted by the URL's page part, then position.
    let keys: Vec<(String, u64)> = a
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            let url = v["url"].as_str().expect("url");
            let page = url.split('#').next().unwrap_or(url).to_string();
            (page, v["position"].as_u64().expect("position"))
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn dry_run_writes_no_corpus_and_says_what_it_would_write() {
    let (tmp, build) = copy_fixture("site");
    let before = snapshot_tree(tmp.path());
    let run = run_in(
        tmp.path(),
        &[
            "build",
            "--dry-run",
            "--corpus",
            "c.jsonl",
            "--format",
            "json",
        ],
        tmp.path(),
    );
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(before == snapshot_tree(tmp.path()), "--dry-run wrote files");
    assert!(!tmp.path().join("c.jsonl").exists());
    let report: serde_json::Value = serde_json::from_str(&run.raw_stdout).expect("json");
    assert_eq!(report["corpus"]["written"], false);
    assert_eq!(report["corpus"]["records"], reference().lines().count());
    let text = run_in(
        tmp.path(),
        &["build", "--dry-run", "--corpus", "c.jsonl"],
        tmp.path(),
    );
    assert!(
        text.stdout
            .contains("record(s) from 28 page(s) would be written to c.jsonl"),
        "{}",
        text.render()
    );
    assert!(build.is_dir());
}

#[test]
fn out_writes_the_corpus_and_leaves_the_build_untouched() {
    let (tmp, build) = copy_fixture("site");
    let original = snapshot_tree(&build);
    let run = run_in(
        tmp.path(),
        &[
            "build",
            "--out",
            "public",
            "--corpus",
            "public/chatkit/corpus.jsonl",
        ],
        tmp.path(),
    );
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(
        original == snapshot_tree(&build),
        "--out modified the build"
    );
    assert_eq!(
        read(&tmp.path().join("public/chatkit/corpus.jsonl")),
        reference()
    );
    assert!(
        run.stdout.contains("inside the site folder"),
        "{}",
        run.render()
    );
    // Into the build directory, which --out leaves untouched: refused before any work.
    let inside = run_in(
        tmp.path(),
        &["build", "--out", "public", "--corpus", "build/c.jsonl"],
        tmp.path(),
    );
    assert_eq!(inside.code, 2, "{}", inside.render());
    assert!(
        inside.stderr.contains("build/c.jsonl"),
        "{}",
        inside.render()
    );
    assert!(original == snapshot_tree(&build));
}

#[test]
fn excluded_opted_out_and_redirect_pages_give_no_records() {
    let (tmp, build) = copy_fixture("site");
    // The opted-out copy of the intro page has the intro's canonical URL: its records would
    // show up twice.
    for name in ["opted-out.html", "redirect.html"] {
        fs::copy(fixtures().join("edge").join(name), build.join(name)).expect("copy");
    }
    fs::write(
        tmp.path().join("chatkit.toml"),
        "[pages]\nexclude = [\"blog/**\"]\n",
    )
    .expect("config");
    let run = run_in(tmp.path(), &["build", "--corpus", "c.jsonl"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    let got = read(&tmp.path().join("c.jsonl"));
    let want: String = reference()
        .lines()
        .filter(|l| !l.starts_with("{\"url\": \"/blog/") && !l.starts_with("{\"url\": \"/fr/blog/"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(urls(&got).iter().all(|u| !u.contains("/blog/")));
    assert_eq!(got, want);
}

#[test]
fn a_corpus_that_cannot_be_written_fails_naming_the_file() {
    let (tmp, _) = copy_fixture("site");
    fs::create_dir(tmp.path().join("taken")).expect("mkdir");
    let run = run_in(
        tmp.path(),
        &["build", "--corpus", "taken", "--format", "json"],
        tmp.path(),
    );
    assert_eq!(run.code, 1, "{}", run.render());
    let report: serde_json::Value = serde_json::from_str(&run.raw_stdout).expect("json");
    let failures = report["failures"].as_array().expect("failures");
    assert!(
        failures
            .iter()
            .any(|f| f["path"] == "taken" && f["kind"] == "write"),
        "{}",
        run.raw_stdout
    );
    assert_eq!(report["corpus"]["written"], false);
    // The pages were injected all the same.
    assert!(report["pages"]["injected"].as_u64().expect("count") > 0);
}

#[test]
fn the_config_path_is_relative_to_the_config_file_and_the_flag_wins() {
    let (tmp, _) = copy_fixture("site");
    let conf = tmp.path().join("conf");
    fs::create_dir(&conf).expect("mkdir");
    fs::write(
        conf.join("chatkit.toml"),
        "[corpus]\npath = \"out/c.jsonl\"\n",
    )
    .expect("config");
    let run = run_in(
        tmp.path(),
        &["build", "--config", "conf/chatkit.toml"],
        tmp.path(),
    );
    assert_eq!(run.code, 0, "{}", run.render());
    assert_eq!(read(&conf.join("out/c.jsonl")), reference());
    fs::remove_file(conf.join("out/c.jsonl")).expect("rm");
    let flag = run_in(
        tmp.path(),
        &[
            "build",
            "--config",
            "conf/chatkit.toml",
            "--corpus",
            "flag.jsonl",
        ],
        tmp.path(),
    );
    assert_eq!(flag.code, 0, "{}", flag.render());
    assert!(tmp.path().join("flag.jsonl").is_file());
    assert!(!conf.join("out/c.jsonl").exists());
    // --check writes nothing: the config's corpus is not written either.
    let check = run_in(
        tmp.path(),
        &["build", "--config", "conf/chatkit.toml", "--check"],
        tmp.path(),
    );
    assert_eq!(check.code, 0, "{}", check.render());
    assert!(!conf.join("out/c.jsonl").exists());
}

#[test]
fn check_and_strip_refuse_the_flag() {
    let (tmp, _) = copy_fixture("site");
    for mode in ["--check", "--strip"] {
        let run = run_in(
            tmp.path(),
            &["build", mode, "--corpus", "c.jsonl"],
            tmp.path(),
        );
        assert_eq!(run.code, 2, "{}", run.render());
        assert!(run.stderr.contains("--corpus"), "{}", run.render());
    }
}

#[test]
fn a_corpus_in_the_widget_folder_survives_later_runs_and_strip() {
    let (tmp, build) = copy_fixture("site");
    let corpus = build.join("chatkit/corpus.jsonl");
    let first = run_in(
        tmp.path(),
        &[
            "build",
            "--corpus",
            "build/chatkit/corpus.jsonl",
            "--format",
            "json",
        ],
        tmp.path(),
    );
    assert_eq!(first.code, 0, "{}", first.render());
    let report: serde_json::Value = serde_json::from_str(&first.raw_stdout).expect("json");
    assert_eq!(report["corpus"]["inSite"], true);
    // Another profile: other widget files, the old ones removed as stale.
    fs::write(
        tmp.path().join("chatkit.toml"),
        "[widget]\ntitle = \"Other\"\n",
    )
    .expect("config");
    let second = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(second.code, 0, "{}", second.render());
    assert!(
        second.stdout.contains("stale removed"),
        "{}",
        second.render()
    );
    assert_eq!(read(&corpus), reference());
    let strip = run_in(tmp.path(), &["build", "--strip"], tmp.path());
    assert_eq!(strip.code, 0, "{}", strip.render());
    assert_eq!(read(&corpus), reference(), "--strip leaves the corpus");
}
