//! Shared helpers: fixture paths, copies of fixture sites in temp dirs, running the binary, and
//! the insta filters that hide temp paths, hashes and timings.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use chatkit_inject::config::{self, Loaded};
use chatkit_inject::inject::AssetUrls;
use chatkit_inject::inject::Snippets;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("fixtures")
}

/// Every `.html` file under `fixtures/` (the sites and the edge pages), sorted.
pub fn all_fixture_pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = walkdir::WalkDir::new(fixtures())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "html")
                && !p
                    .components()
                    .any(|c| c.as_os_str() == "source" || c.as_os_str() == "node_modules")
        })
        .collect();
    pages.sort();
    pages
}

/// A copy of a fixture directory in a fresh temp dir; returns (guard, path of the copy).
pub fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dst = tmp.path().join("build");
    copy_dir(&fixtures().join(name), &dst);
    (tmp, dst)
}

pub fn copy_dir(src: &Path, dst: &Path) {
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.expect("walk fixture");
        let rel = entry.path().strip_prefix(src).expect("prefix");
        let target = dst.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Read every file under `dir` into a sorted list of (relative path, bytes).
pub fn snapshot_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect();
    files.sort();
    files
}

/// The binary under test.
pub fn cli() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chatkit-inject"));
    cmd.env_remove("RUST_BACKTRACE");
    // A run in CI warns about the dev profile; the tests choose when they are "in CI".
    cmd.env_remove("CI");
    cmd
}

/// Output of a run, as one text for a snapshot.
pub struct RunOutput {
    pub code: i32,
    /// stdout as printed (unfiltered), e.g. to parse `--format json`.
    pub raw_stdout: String,
    pub stdout: String,
    pub stderr: String,
}

impl RunOutput {
    pub fn render(&self) -> String {
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run the binary in `cwd` and replace `temp` (the temp dir) with `[TEMP]` in its output.
pub fn run_in(cwd: &Path, args: &[&str], temp: &Path) -> RunOutput {
    let out = cli()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run chatkit-inject");
    let clean = |b: &[u8]| {
        let s = String::from_utf8_lossy(b).into_owned();
        let s = s.replace(&temp.display().to_string(), "[TEMP]");
        filter_text(&s)
    };
    let raw_stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if args.contains(&"json") {
        // Every report a test produces is held to its published schema. Doctor prints none
        // when it exits 2 (a usage or config error).
        if args.first() == Some(&"doctor") {
            if !raw_stdout.is_empty() {
                doctor_report(&raw_stdout);
            }
        } else {
            report(&raw_stdout);
        }
    }
    RunOutput {
        code: out.status.code().unwrap_or(-1),
        raw_stdout,
        stdout: clean(&out.stdout),
        stderr: clean(&out.stderr),
    }
}

/// Compile the JSON Schema `docs/<name>`.
fn compile_schema(name: &str) -> jsonschema::Validator {
    let path = root().join("docs").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read docs/{name}: {e}"));
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft202012::new(&schema).expect("the schema is a valid JSON Schema")
}

/// The JSON report schema, `docs/report.schema.json`, compiled once.
fn report_schema() -> &'static jsonschema::Validator {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| compile_schema("report.schema.json"))
}

/// The doctor report schema, `docs/doctor.schema.json`, compiled once.
fn doctor_schema() -> &'static jsonschema::Validator {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| compile_schema("doctor.schema.json"))
}

/// A schema's complaints about a JSON value, one per line (empty when it conforms).
fn errors_against(schema: &jsonschema::Validator, value: &serde_json::Value) -> Vec<String> {
    schema
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Parse `stdout` as one JSON object and check it against `schema` (`docs/<file>`); panics,
/// naming every difference, when it does not conform.
fn conforming(stdout: &str, schema: &jsonschema::Validator, file: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(stdout).expect("stdout is one JSON object");
    let errors = errors_against(schema, &value);
    assert!(
        errors.is_empty(),
        "the output does not match docs/{file}:\n{}\n{stdout}",
        errors.join("\n")
    );
    value
}

/// The run report schema's complaints about a JSON value.
pub fn schema_errors(report: &serde_json::Value) -> Vec<String> {
    errors_against(report_schema(), report)
}

/// The doctor schema's complaints about a JSON value.
pub fn doctor_schema_errors(report: &serde_json::Value) -> Vec<String> {
    errors_against(doctor_schema(), report)
}

/// Parse a `--format json` run report, held to `docs/report.schema.json`.
pub fn report(stdout: &str) -> serde_json::Value {
    conforming(stdout, report_schema(), "report.schema.json")
}

/// The `kind` of each of a report's warnings, in order.
pub fn warning_kinds(report: &serde_json::Value) -> Vec<&str> {
    report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["kind"].as_str().expect("a warning kind"))
        .collect()
}

/// Parse `doctor --format json` output, held to `docs/doctor.schema.json`.
pub fn doctor_report(stdout: &str) -> serde_json::Value {
    conforming(stdout, doctor_schema(), "doctor.schema.json")
}

/// Hide what changes from run to run or build to build: asset hashes, timings, the version.
pub fn filter_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // `.0123abcd.` in an asset name → `.[hash].`
        if bytes[i] == b'.'
            && i + 10 <= bytes.len()
            && bytes[i + 9] == b'.'
            && bytes[i + 1..i + 9]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        {
            out.push_str(".[hash].");
            i += 10;
            continue;
        }
        let ch = s[i..].chars().next().expect("char boundary");
        out.push(ch);
        i += ch.len_utf8();
    }
    let out = regex_lite_replace_time(&out);
    out.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}

/// `time      0.03s` → `time      [TIME]`, `"elapsedMs": 12` → `"elapsedMs": [MS]`.
fn regex_lite_replace_time(s: &str) -> String {
    s.lines()
        .map(|l| {
            if let Some(idx) = l.find("time      ") {
                format!("{}time      [TIME]", &l[..idx])
            } else if let Some(idx) = l.find("\"elapsedMs\": ") {
                let rest = &l[idx + 13..];
                let tail: String = rest.chars().skip_while(|c| c.is_ascii_digit()).collect();
                format!("{}\"elapsedMs\": [MS]{tail}", &l[..idx])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if s.ends_with('\n') { "\n" } else { "" }
}

/// The page config the CLI wrote into `page`.
pub fn page_config(page: &Path) -> serde_json::Value {
    let html = std::fs::read_to_string(page).expect("read page");
    let start = html
        .find("id=\"chatkit-inject-config\" data-chatkit-inject>")
        .expect("config element")
        + "id=\"chatkit-inject-config\" data-chatkit-inject>".len();
    let end = start + html[start..].find("</script>").expect("end");
    serde_json::from_str(&html[start..end]).expect("config JSON")
}

/// The object a site module (`export default {…};`) exports.
pub fn site_module_config(module: &str) -> serde_json::Value {
    let object = module
        .strip_prefix("export default ")
        .and_then(|m| m.strip_suffix(';'))
        .expect("export default {…};");
    serde_json::from_str(object).expect("site config JSON")
}

/// The runtime config of `page` as the widget sees it: its page config and the site module it
/// names (found in the `chatkit/` folder of the build directory holding the page), combined with
/// the page's keys winning and `strings` united.
pub fn runtime_config(page: &Path) -> serde_json::Value {
    let own = page_config(page);
    let url = own["siteUrl"].as_str().expect("siteUrl");
    let name = url.rsplit('/').next().expect("file name");
    let module = page
        .ancestors()
        .map(|dir| dir.join("chatkit").join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("{url} is not in the build of {}", page.display()));
    let mut combined =
        site_module_config(&std::fs::read_to_string(module).expect("read site module"));
    let object = combined.as_object_mut().expect("site object");
    for (key, value) in own.as_object().expect("page object") {
        match (key.as_str(), object.get_mut(key)) {
            ("strings", Some(serde_json::Value::Object(strings))) => {
                strings.extend(value.as_object().expect("strings").clone());
            }
            _ => {
                object.insert(key.clone(), value.clone());
            }
        }
    }
    combined
}

/// Snippets as the CLI would build them for `env` from `config_text`, with fixed asset names.
pub fn snippets_for(config_text: &str, env: &str) -> Snippets {
    let loaded: Loaded =
        config::parse(config_text, Some(Path::new("chatkit.toml"))).expect("config parses");
    let resolved = config::resolve(&loaded, env).expect("config resolves");
    chatkit_inject::inject::snippets(
        &resolved,
        &AssetUrls {
            css: "/chatkit/widget.00000000.css".into(),
            loader: "/chatkit/loader.00000000.js".into(),
            panel: "/chatkit/panel.00000000.js".into(),
            dir: "/chatkit/".into(),
        },
    )
}

/// A config with both profiles, used by the page tests.
pub const TWO_PROFILES: &str = r#"
[widget]
title = "Textbook assistant"
greeting = "Ask me anything about this chapter."

[profiles.prod]
backend-url = "https://chat.example.edu"
domain-key = "domain_pk_test"
"#;
