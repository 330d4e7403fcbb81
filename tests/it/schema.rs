//! The `--format json` report and its published schema, `docs/report.schema.json`. Every report
//! the other tests produce is checked against it by the harness (`harness::report`); these tests
//! show that each kind the report's types can hold is in the schema, and that drift fails it.

use std::path::{Path, PathBuf};

use chatkit_inject::csp;
use chatkit_inject::inject::SkipReason;
use chatkit_inject::report::{
    CspBlocked, Failure, LeftFile, PageError, Report, Stale, WarningKind,
};
use chatkit_inject::settings::{Action, RunSettings};

use crate::harness::{self, copy_fixture, run_in};

fn settings(action: Action) -> RunSettings {
    RunSettings {
        build_dir: PathBuf::from("build"),
        out_dir: None,
        action,
        dry_run: false,
        force: false,
        base_url: None,
        jobs: None,
        config: None,
        progress: false,
        ci: false,
        corpus: None,
    }
}

/// Every warning kind, in declaration order. The match has no catch-all arm, so a new kind does
/// not compile until it is chained in here (and so reaches the schema test).
fn every_warning_kind() -> Vec<WarningKind> {
    use WarningKind::*;
    let next = |kind: Option<WarningKind>| match kind {
        None => Some(NotDocusaurus),
        Some(NotDocusaurus) => Some(BaseUrlUnknown),
        Some(BaseUrlUnknown) => Some(DevProfileInCi),
        Some(DevProfileInCi) => Some(ExcludeMatchesNothing),
        Some(ExcludeMatchesNothing) => Some(LinkOutsideBuild),
        Some(LinkOutsideBuild) => Some(BrokenLink),
        Some(BrokenLink) => Some(OtherHtml),
        Some(OtherHtml) => Some(Precompressed),
        Some(Precompressed) => Some(ServiceWorker),
        Some(ServiceWorker) => Some(Untranslated),
        Some(Untranslated) => Some(ForeignMarker),
        Some(ForeignMarker) => Some(AssetsNotWritten),
        Some(AssetsNotWritten) => Some(AssetsKept),
        Some(AssetsKept) => Some(WriteNotUndone),
        Some(WriteNotUndone) => Some(ChangedSinceInterrupted),
        Some(ChangedSinceInterrupted) => Some(RunInProgress),
        Some(RunInProgress) => Some(Interrupted),
        Some(Interrupted) => Some(Leftovers),
        Some(Leftovers) => None,
    };
    std::iter::successors(next(None), |k| next(Some(*k))).collect()
}

/// A report holding one of every failure kind, stale kind, skip reason and warning kind.
fn report_with_every_kind(action: Action) -> serde_json::Value {
    let mut report = Report::new(&settings(action), Path::new("build"));
    let message = || "why".to_string();
    for error in [
        PageError::Read { message: message() },
        PageError::Write { message: message() },
        PageError::List { message: message() },
        PageError::Parse { message: message() },
        PageError::Dead { message: message() },
        PageError::Unreadable { message: message() },
        PageError::Interrupted { message: message() },
    ] {
        report
            .failures
            .push(Failure::new(Path::new("build/a.html"), error));
    }
    let path = || "build/a.html".to_string();
    report.outdated = vec![
        Stale::Page { path: path() },
        Stale::Asset { path: path() },
        Stale::Interrupted {
            path: path(),
            file: LeftFile::Page,
        },
        Stale::Interrupted {
            path: path(),
            file: LeftFile::Temporary,
        },
    ];
    for reason in [
        SkipReason::OptedOut,
        SkipReason::Excluded,
        SkipReason::Redirect,
        SkipReason::Symlink,
        SkipReason::Empty,
    ] {
        report.pages.skipped.insert(reason, 1);
    }
    for kind in every_warning_kind() {
        report.warn(kind, message());
    }
    report.csp_blocked.push(CspBlocked {
        path: path(),
        blocked: vec![csp::Blocked {
            directive: "script-src".into(),
            missing: "'self'".into(),
            purpose: "the widget's loader",
        }],
        message: message(),
    });
    serde_json::from_str(&report.to_json()).expect("the report is JSON")
}

#[test]
fn every_kind_the_report_can_hold_is_in_the_schema() {
    for action in [Action::Inject, Action::Check, Action::Strip] {
        let report = report_with_every_kind(action);
        assert_eq!(harness::schema_errors(&report), Vec::<String>::new());
    }
}

/// The schema lists exactly the warning kinds the report can hold: none missing, none stale.
#[test]
fn the_schema_lists_exactly_the_warning_kinds() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let text = std::fs::read_to_string(&path).expect("read the schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    let mut listed: Vec<&str> = schema["$defs"]["warning"]["properties"]["kind"]["enum"]
        .as_array()
        .expect("warning kinds")
        .iter()
        .filter_map(|k| k.as_str())
        .collect();
    listed.sort_unstable();
    let report = report_with_every_kind(Action::Inject);
    let mut held: Vec<&str> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["kind"].as_str())
        .collect();
    held.sort_unstable();
    assert_eq!(listed, held);
}

/// A change to a report that the schema must refuse.
type Drift = fn(&mut serde_json::Value);

#[test]
fn a_report_that_drifts_from_the_schema_fails_it() {
    // A site never injected: every page and widget file is out of date.
    let (tmp, _build) = copy_fixture("site-flat");
    let run = run_in(
        tmp.path(),
        &["build", "--check", "--format", "json"],
        tmp.path(),
    );
    let real = harness::report(&run.raw_stdout);
    assert!(real["outdated"].as_array().is_some_and(|o| !o.is_empty()));

    let drifts: [(&str, Drift); 12] = [
        ("a new key", |r| r["pagesRewritten"] = 3.into()),
        ("a snake_case key", |r| {
            let v = r["dryRun"].take();
            r.as_object_mut().expect("object").remove("dryRun");
            r["dry_run"] = v;
        }),
        ("a warning as one string", |r| {
            r["warnings"] = serde_json::json!(["build: does not look like a Docusaurus build"])
        }),
        (
            "an unknown warning kind",
            |r| r["warnings"] = serde_json::json!([{"kind": "not docusaurus", "message": "why"}]),
        ),
        ("a missing key", |r| {
            r.as_object_mut().expect("object").remove("warnings");
        }),
        ("a mode as display text", |r| r["mode"] = "--check".into()),
        ("a skip reason as display text", |r| {
            r["pages"]["skipped"]["redirect stub"] = 1.into()
        }),
        ("an unknown stale kind", |r| {
            r["outdated"][0]["kind"] = "pages".into()
        }),
        (
            "a failure as one string",
            |r| r["failures"] = serde_json::json!([{"path": "a.html", "error": "cannot read"}]),
        ),
        (
            "an accent the CLI claims to have read",
            |r| r["accent"] = serde_json::json!({"color": "#000000", "dark": "#000000"}),
        ),
        ("a theme key in kebab-case", |r| {
            r["theme"]["fromPage"] = serde_json::json!(["accent-dark"])
        }),
        ("an override that is not #rrggbb", |r| {
            r["theme"]["overrides"] = serde_json::json!({"accent": "orange"})
        }),
    ];
    for (what, drift) in drifts {
        let mut report = real.clone();
        drift(&mut report);
        assert!(
            !harness::schema_errors(&report).is_empty(),
            "{what}: the schema accepted {report:#}"
        );
    }
}

/// A doctor report with one check of each status, built from the CLI's own types.
fn doctor_report_with_every_status() -> serde_json::Value {
    use chatkit_inject::doctor::{Check, Report as DoctorReport};
    let checks = vec![
        Check::pass("backend", "answers"),
        Check::warn("session", "no expires_at", "send expires_at"),
        Check::fail("cors", "origin not allowed", "allow the site's origin"),
        Check::skip("chatkit", "no token"),
        Check::pass("domain-key", "set"),
        Check::pass("script", "answers"),
    ];
    let report = DoctorReport::new("prod", "https://chat.example.edu", None, checks);
    serde_json::to_value(&report).expect("serialize the doctor report")
}

#[test]
fn a_doctor_report_of_every_status_matches_its_schema() {
    let report = doctor_report_with_every_status();
    assert_eq!(harness::doctor_schema_errors(&report), Vec::<String>::new());
}

#[test]
fn the_doctor_schema_rejects_drift() {
    let base = doctor_report_with_every_status();
    let mut drifted = Vec::new();
    let mut unknown_key = base.clone();
    unknown_key["exit_code"] = 1.into();
    drifted.push(("a snake_case key", unknown_key));
    let mut failure_without_fix = base.clone();
    failure_without_fix["checks"][2]
        .as_object_mut()
        .expect("a check")
        .remove("fix");
    drifted.push(("a failure without its fix", failure_without_fix));
    let mut status_label = base.clone();
    status_label["checks"][0]["status"] = "ok".into();
    drifted.push(("the text format's label as status", status_label));
    let mut reordered = base.clone();
    reordered["checks"]
        .as_array_mut()
        .expect("checks")
        .swap(0, 1);
    drifted.push(("checks out of order", reordered));
    for (what, report) in drifted {
        assert!(
            !harness::doctor_schema_errors(&report).is_empty(),
            "the doctor schema accepts {what}"
        );
    }
}
