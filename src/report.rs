//! The run report: counts, failures and warnings, printed as text for people or as one JSON
//! object for CI (`--format json`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::assets::AssetChanges;
use crate::csp;
use crate::exit_codes::ExitCode;
use crate::fsx::PathError;
use crate::inject::{RewriteError, SkipReason};
use crate::runtime_config::RuntimeTheme;
use crate::settings::{Action, RunSettings};

/// Per-page counts.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageCounts {
    pub total: usize,
    pub injected: usize,
    pub unchanged: usize,
    pub stripped: usize,
    /// By reason (`optedOut`, `excluded`, `redirect`, `symlink`, `empty`).
    pub skipped: BTreeMap<SkipReason, usize>,
    /// Rows of `failures` (pages, and files such as the widget's that could not be written).
    pub failed: usize,
    /// Pages whose injection is missing or stale (`--check`): the `page` rows of `outdated`.
    pub outdated: usize,
}

/// A page (or file) that could not be processed: its path, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    pub path: String,
    #[serde(flatten)]
    pub error: PageError,
}

impl Failure {
    pub fn new(path: &Path, error: PageError) -> Self {
        Failure {
            path: path.display().to_string(),
            error,
        }
    }
}

/// Why a page (or file) failed: a kind for programs, a message for people.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum PageError {
    /// It could not be read (or opened).
    Read { message: String },
    /// It could not be written (a temporary file, a rename, permissions, a directory, a link).
    Write { message: String },
    /// A directory could not be listed: the pages under it were not seen.
    List { message: String },
    /// lol_html could not parse the page, or there is no safe place for the widget in it.
    Parse { message: String },
    /// The widget would be present but never run (template content, foreign content, a
    /// frameset, an encoding that is not ASCII-compatible, a `<base href>` to another site).
    Dead { message: String },
    /// The page with the widget added could not be read back by this tool.
    Unreadable { message: String },
    /// An interrupted run may have left the page half-written (under `--out`: not copied).
    Interrupted { message: String },
}

impl PageError {
    /// A file error, by what was being done: listing, reading, or (anything else) writing;
    /// the message leaves out the path (the report prints it beside the message).
    pub fn io(e: &PathError) -> Self {
        Self::io_kind(e, format!("{}: {}", e.action, e.source))
    }

    /// A file error about another file than the row's (e.g. a page's copy under `--out`): the
    /// message names it.
    pub fn io_at(e: &PathError) -> Self {
        Self::io_kind(e, e.to_string())
    }

    fn io_kind(e: &PathError, message: String) -> Self {
        if e.action.starts_with("cannot list") {
            PageError::List { message }
        } else if e.action.starts_with("cannot read") || e.action == "cannot open" {
            PageError::Read { message }
        } else {
            PageError::Write { message }
        }
    }

    /// Reading the page failed.
    pub fn read(e: &std::io::Error) -> Self {
        PageError::Read {
            message: format!("cannot read: {e}"),
        }
    }

    /// Writing the page (or its temporary file) failed while doing `what`.
    pub fn write(what: &str, e: impl std::fmt::Display) -> Self {
        PageError::Write {
            message: format!("{what}: {e}"),
        }
    }

    /// The page's rewrite refused it.
    pub fn rewrite(e: &RewriteError) -> Self {
        let message = e.to_string();
        match e {
            RewriteError::Parse(_) => PageError::Parse { message },
            RewriteError::Dead(_) => PageError::Dead { message },
            RewriteError::Unreadable(_) => PageError::Unreadable { message },
        }
    }

    pub fn message(&self) -> &str {
        match self {
            PageError::Read { message }
            | PageError::Write { message }
            | PageError::List { message }
            | PageError::Parse { message }
            | PageError::Dead { message }
            | PageError::Unreadable { message }
            | PageError::Interrupted { message } => message,
        }
    }
}

impl From<RewriteError> for PageError {
    fn from(e: RewriteError) -> Self {
        Self::rewrite(&e)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Something `--check` found out of date.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Stale {
    /// A page whose injection is missing or not the current one.
    Page { path: String },
    /// A widget file the current injection loads that is missing.
    Asset { path: String },
    /// Something an interrupted run left: a page it may have left half-written, or one of its
    /// temporary files.
    Interrupted { path: String, file: LeftFile },
}

/// What an interrupted run left.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub enum LeftFile {
    /// A page it may have left half-written (its undo journal holds a record of it).
    Page,
    /// A temporary file beside a page.
    Temporary,
}

impl Stale {
    pub fn path(&self) -> &str {
        match self {
            Stale::Page { path } | Stale::Asset { path } | Stale::Interrupted { path, .. } => path,
        }
    }

    /// One line of the text report.
    pub fn describe(&self) -> String {
        match self {
            Stale::Page { path } => path.clone(),
            Stale::Asset { path } => format!("{path} (missing asset)"),
            Stale::Interrupted {
                path,
                file: LeftFile::Page,
            } => format!("{path} (interrupted write)"),
            Stale::Interrupted {
                path,
                file: LeftFile::Temporary,
            } => format!("{path} (temporary file left by an interrupted run)"),
        }
    }
}

/// A page whose Content-Security-Policy would block the widget.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CspBlocked {
    pub path: String,
    /// Each directive that blocks something the widget needs.
    pub blocked: Vec<csp::Blocked>,
    /// The same, as one line for people.
    pub message: String,
}

/// Something a run noticed that does not fail it: a kind for programs, a message for people
/// (the text output prints the message after `warning: `).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Warning {
    pub kind: WarningKind,
    pub message: String,
}

impl Warning {
    pub fn new(kind: WarningKind, message: String) -> Self {
        Warning { kind, message }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What a warning is about.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub enum WarningKind {
    /// The folder does not look like a Docusaurus build; it is injected anyway.
    NotDocusaurus,
    /// The site's baseUrl could not be detected; `/` is used.
    BaseUrlUnknown,
    /// `CI` is set and the run uses the built-in dev profile, whose backend no reader can reach.
    DevProfileInCi,
    /// A `[pages] exclude` glob matches no page.
    ExcludeMatchesNothing,
    /// A symbolic link to a page outside the build directory, not followed.
    LinkOutsideBuild,
    /// A symbolic link that cannot be followed (a loop, a dangling link).
    BrokenLink,
    /// `.htm` or `.xhtml` files, which get no widget.
    OtherHtml,
    /// Precompressed page copies (`.html.gz`, `.html.br`) still hold the pages as they were.
    Precompressed,
    /// A service worker precaches pages by revision, now stale.
    ServiceWorker,
    /// Pages whose `<html lang>` has no translation: their widget speaks English.
    Untranslated,
    /// A page holds an element with our marker attribute that this tool did not write.
    ForeignMarker,
    /// The widget files could not all be written, so no page was changed.
    AssetsNotWritten,
    /// Old widget files kept because pages that failed may still load them.
    AssetsKept,
    /// A failed page write could not be undone; the next run restores the page.
    WriteNotUndone,
    /// A page changed since an interrupted run wrote it: its undo record was not applied.
    ChangedSinceInterrupted,
    /// Another run is writing the directory right now: what this run saw is not final.
    RunInProgress,
    /// An interrupted run left pages that may be half-written (read-only runs and `--out`).
    Interrupted,
    /// Temporary files left by an interrupted run, not removed by this one.
    Leftovers,
}

/// The theme a run gives the widget: the `[theme]` keys the maintainer set, which win, and the
/// ones the widget reads from the page's computed styles instead (when the panel opens and on
/// every light/dark switch). The CLI itself reads no colour: it cannot know the page's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThemeReport {
    /// The `[theme]` keys set, as the runtime config carries them.
    pub overrides: RuntimeTheme,
    /// The config file they come from; absent when none is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The runtime config's theme keys the widget reads from the page (those not set).
    pub from_page: Vec<&'static str>,
}

/// Each theme key: its name in the runtime config and the JSON report, in `[theme]`, and for
/// people.
const THEME_KEYS: [(&str, &str, &str); 4] = [
    ("accent", "accent", "accent"),
    ("accentDark", "accent-dark", "dark accent"),
    ("fontFamily", "font-family", "font"),
    ("radius", "radius", "radius"),
];

fn theme_value<'a>(theme: &'a RuntimeTheme, key: &str) -> Option<&'a str> {
    match key {
        "accent" => theme.accent.as_deref(),
        "accentDark" => theme.accent_dark.as_deref(),
        "fontFamily" => theme.font_family.as_deref(),
        "radius" => theme.radius,
        _ => None,
    }
}

impl ThemeReport {
    pub fn new(overrides: RuntimeTheme, file: Option<String>) -> Self {
        let from_page = THEME_KEYS
            .iter()
            .filter(|(key, _, _)| theme_value(&overrides, key).is_none())
            .map(|(key, _, _)| *key)
            .collect();
        ThemeReport {
            overrides,
            file,
            from_page,
        }
    }

    /// One line for the summary.
    pub fn describe(&self) -> String {
        let mut set = Vec::new();
        let mut read = Vec::new();
        for (key, toml, words) in THEME_KEYS {
            match theme_value(&self.overrides, key) {
                Some(value) => set.push(format!("{toml} {value}")),
                None => read.push(words),
            }
        }
        let page = format!("read from the page ({})", read.join(", "));
        if set.is_empty() {
            return page;
        }
        let file = self.file.as_deref().unwrap_or("the config");
        let mut line = format!("{} from [theme] in {file}", set.join(", "));
        if !read.is_empty() {
            let _ = write!(line, "; {page}");
        }
        line
    }
}

#[cfg(test)]
mod theme_tests {
    use super::*;

    #[test]
    fn the_theme_line_names_what_is_set_and_what_the_widget_reads() {
        let none = ThemeReport::new(RuntimeTheme::default(), None);
        assert_eq!(
            none.from_page,
            ["accent", "accentDark", "fontFamily", "radius"]
        );
        assert_eq!(
            none.describe(),
            "read from the page (accent, dark accent, font, radius)"
        );
        let some = ThemeReport::new(
            RuntimeTheme {
                accent: Some("#ff6600".into()),
                radius: Some("pill"),
                ..RuntimeTheme::default()
            },
            Some("chatkit.toml".into()),
        );
        assert_eq!(some.from_page, ["accentDark", "fontFamily"]);
        assert_eq!(
            some.describe(),
            "accent #ff6600, radius pill from [theme] in chatkit.toml; read from the page (dark accent, font)"
        );
        let all = ThemeReport::new(
            RuntimeTheme {
                accent: Some("#112233".into()),
                accent_dark: Some("#445566".into()),
                font_family: Some("Georgia, serif".into()),
                radius: Some("soft"),
            },
            Some("site/chatkit.toml".into()),
        );
        assert!(all.from_page.is_empty());
        assert_eq!(
            all.describe(),
            "accent #112233, accent-dark #445566, font-family Georgia, serif, radius soft from [theme] in site/chatkit.toml"
        );
    }
}

/// The corpus a run wrote (`--corpus`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CorpusSummary {
    /// The JSON Lines file.
    pub path: String,
    /// Records (sections) in it.
    pub records: usize,
    /// Pages that gave records.
    pub pages: usize,
    /// It was written (not under `--dry-run`, and the write did not fail).
    pub written: bool,
    /// It is inside the folder the site is deployed from, so it is published with the site.
    pub in_site: bool,
}

/// Everything a run did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub tool_version: &'static str,
    pub mode: Action,
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_url: Option<String>,
    pub base_url: Option<String>,
    /// The directory written (the build directory, or `--out`).
    pub target: String,
    pub pages: PageCounts,
    pub failures: Vec<Failure>,
    /// What `--check` found out of date (pages, widget files, what an interrupted run left).
    pub outdated: Vec<Stale>,
    /// Pages whose Content-Security-Policy would block the widget (an error under `--check`).
    pub csp_blocked: Vec<CspBlocked>,
    pub assets: AssetChanges,
    /// The theme overrides and what the widget reads from the page (not for `--strip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme: Option<ThemeReport>,
    /// Pages that carry the widget, by the language of its strings (`en`, `fr`, `ur`).
    pub languages: BTreeMap<String, usize>,
    /// The site's locale folders (`fr`, `ur`): `[pages] exclude` globs apply under each too.
    pub locale_prefixes: Vec<String>,
    pub leftovers_removed: usize,
    /// Pages put back from the undo journal of an interrupted run before this one began.
    pub pages_restored: usize,
    /// The corpus (`--corpus`), if one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corpus: Option<CorpusSummary>,
    pub warnings: Vec<Warning>,
    #[serde(rename = "elapsedMs", serialize_with = "millis")]
    pub elapsed: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Report {
    pub fn new(settings: &RunSettings, target: &Path) -> Self {
        Report {
            tool_version: env!("CARGO_PKG_VERSION"),
            mode: settings.action,
            dry_run: settings.dry_run,
            env: settings.config.as_ref().map(|c| c.env.clone()),
            backend_url: settings.config.as_ref().map(|c| c.backend_url.clone()),
            base_url: None,
            target: target.display().to_string(),
            pages: PageCounts::default(),
            failures: Vec::new(),
            outdated: Vec::new(),
            csp_blocked: Vec::new(),
            assets: AssetChanges::default(),
            theme: None,
            languages: BTreeMap::new(),
            locale_prefixes: Vec::new(),
            leftovers_removed: 0,
            pages_restored: 0,
            corpus: None,
            warnings: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    pub fn warn(&mut self, kind: WarningKind, message: String) {
        self.warnings.push(Warning::new(kind, message));
    }

    /// 0 when all is well, 1 when a page failed or `--check` found work to do.
    pub fn exit_code(&self) -> ExitCode {
        let csp_fails = self.mode == Action::Check && !self.csp_blocked.is_empty();
        if self.failures.is_empty() && self.outdated.is_empty() && !csp_fails {
            ExitCode::Success
        } else {
            ExitCode::PagesFailed
        }
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }

    /// The first line of the summary: what the run did, or why `--check` failed.
    pub fn headline(&self) -> String {
        let p = &self.pages;
        let would = if self.dry_run { "would be " } else { "" };
        match self.mode {
            Action::Check
                if self.outdated.is_empty()
                    && self.failures.is_empty()
                    && self.csp_blocked.is_empty() =>
            {
                format!("check passed: every page of {} is up to date", self.target)
            }
            Action::Check => {
                let count =
                    |kind: fn(&Stale) -> bool| self.outdated.iter().filter(|o| kind(o)).count();
                let pages = count(|o| matches!(o, Stale::Page { .. }));
                let assets = count(|o| matches!(o, Stale::Asset { .. }));
                let left = count(|o| matches!(o, Stale::Interrupted { .. }));
                let mut parts = Vec::new();
                if pages > 0 || assets + left == 0 {
                    parts.push(format!("{pages} page(s)"));
                }
                if assets > 0 {
                    parts.push(format!("{assets} widget file(s)"));
                }
                if left > 0 {
                    parts.push(format!("{left} file(s) left by an interrupted run"));
                }
                let mut h = format!(
                    "check failed: {} of {} need chatkit-inject",
                    parts.join(", "),
                    self.target
                );
                if !self.csp_blocked.is_empty() {
                    let _ = write!(
                        h,
                        ", {} page(s) block the widget by CSP",
                        self.csp_blocked.len()
                    );
                }
                h
            }
            Action::Strip => format!(
                "{}{} page(s) {}stripped in {}",
                if self.dry_run { "dry run: " } else { "" },
                p.stripped,
                would,
                self.target
            ),
            Action::Inject => format!(
                "{}{} page(s) {}injected in {}",
                if self.dry_run { "dry run: " } else { "" },
                p.injected,
                would,
                self.target
            ),
        }
    }

    /// The report for people. `verbose` adds every asset name.
    pub fn to_text(&self, verbose: bool) -> String {
        let mut s = String::new();
        let p = &self.pages;
        let would = if self.dry_run { "would be " } else { "" };
        let headline = self.headline();
        let _ = writeln!(s, "chatkit-inject {}: {headline}", self.tool_version);
        if let (Some(env), Some(url)) = (&self.env, &self.backend_url) {
            let _ = writeln!(
                s,
                "  profile   {env} (backend {url}, baseUrl {})",
                self.base_url.as_deref().unwrap_or("/")
            );
        }
        let skipped: usize = p.skipped.values().sum();
        let _ = write!(
            s,
            "  pages     {} total: {} injected, {} unchanged, {} stripped, {} skipped",
            p.total, p.injected, p.unchanged, p.stripped, skipped
        );
        if skipped > 0 {
            let reasons: Vec<String> = p
                .skipped
                .iter()
                .map(|(k, v)| {
                    let k = k.label();
                    let plural = *v != 1
                        && (k.ends_with("stub") || k.ends_with("symlink") || k.ends_with("page"));
                    format!("{v} {k}{}", if plural { "s" } else { "" })
                })
                .collect();
            let _ = write!(s, " ({})", reasons.join(", "));
        }
        let _ = writeln!(s, ", {} failed", p.failed);
        if self.mode == Action::Check {
            let _ = writeln!(s, "  outdated  {}", self.outdated.len());
            for o in &self.outdated {
                let _ = writeln!(s, "    {}", o.describe());
            }
        }
        if !self.languages.is_empty() {
            let langs: Vec<String> = self
                .languages
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let _ = writeln!(
                s,
                "  languages {} (pages by the language of the widget)",
                langs.join(", ")
            );
        }
        if !self.locale_prefixes.is_empty() && self.mode != Action::Strip {
            let folders: Vec<String> = self
                .locale_prefixes
                .iter()
                .map(|p| format!("{p}/"))
                .collect();
            let _ = writeln!(
                s,
                "  locales   {} (the [pages] exclude globs apply under each too)",
                folders.join(", ")
            );
        }
        if let Some(theme) = &self.theme {
            let _ = writeln!(s, "  theme     {}", theme.describe());
        }
        if !self.csp_blocked.is_empty() {
            let _ = writeln!(
                s,
                "  csp       {} page(s) have a Content-Security-Policy that would block the widget (see stderr)",
                self.csp_blocked.len()
            );
        }
        let a = &self.assets;
        if self.mode == Action::Strip {
            let _ = writeln!(s, "  assets    {} {}removed", a.removed.len(), would);
        } else if self.mode != Action::Check {
            let _ = writeln!(
                s,
                "  assets    {} {}written, {} unchanged, {} stale {}removed",
                a.written.len(),
                would,
                a.unchanged.len(),
                a.removed.len(),
                would
            );
        }
        if verbose {
            for f in &a.written {
                let _ = writeln!(s, "    + {f}");
            }
            for f in &a.removed {
                let _ = writeln!(s, "    - {f}");
            }
        }
        if self.leftovers_removed > 0 {
            let _ = writeln!(
                s,
                "  cleaned   {} temporary file(s) left by an interrupted run",
                self.leftovers_removed
            );
        }
        if self.pages_restored > 0 {
            let _ = writeln!(
                s,
                "  restored  {} page(s) an interrupted run left half-written, from its undo journal",
                self.pages_restored
            );
        }
        if let Some(c) = &self.corpus {
            let verb = match (c.written, self.dry_run) {
                (true, _) => "written to",
                (false, true) => "would be written to",
                (false, false) => "not written to",
            };
            let _ = write!(
                s,
                "  corpus    {} record(s) from {} page(s) {verb} {}",
                c.records, c.pages, c.path
            );
            if c.in_site {
                let _ = write!(
                    s,
                    " (inside the site folder: it is published with the site)"
                );
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s, "  time      {:.2}s", self.elapsed.as_secs_f64());
        s
    }
}
