//! One run over a build directory: walk it, decide each page's fate, rewrite pages in parallel,
//! write the assets, and gather everything into a [`Report`].
//!
//! One bad page is a result, not a reason to stop: it is recorded with its path, the rest of the
//! site is processed, and the exit code says so.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;

use crate::assets::{self, AssetSet, CssContext};
use crate::config::{self, Resolved};
use crate::csp;
use crate::fsx::{self, PathError};
use crate::inject::{self, Mode, SkipReason, Snippets, MARKER};
use crate::journal::{self, InPlace, Journal};
use crate::report::{
    Accent, AccentSource, CspBlocked, Failure, LeftFile, PageError, Report, Stale,
};
use crate::runtime_config::{RuntimeConfig, RuntimeTheme};
use crate::settings::{Action, RunSettings};
use crate::site;
use crate::theme;

/// A problem with the input that stops the run before any page is touched (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{}: no such directory (run `docusaurus build` first, or pass the build directory)", .0.display())]
    MissingDir(PathBuf),
    #[error("{}: not a directory (pass the folder `docusaurus build` wrote, e.g. build/)", .0.display())]
    NotADir(PathBuf),
    #[error("{}: no HTML pages found (is this the output of `docusaurus build`?)", .0.display())]
    NoPages(PathBuf),
    #[error("{}: --out must not be inside the build directory {}", out.display(), build.display())]
    OutInsideBuild { out: PathBuf, build: PathBuf },
    #[error("{}: another chatkit-inject run is working on this directory, on a folder inside it, or is reading it for --out; wait for it to finish", .0.display())]
    Locked(PathBuf),
    /// A run on `other`, which contains `dir`, holds it.
    #[error("{}: another chatkit-inject run is working on {}, which holds this directory; wait for it to finish", dir.display(), other.display())]
    LockedAbove { dir: PathBuf, other: PathBuf },
    #[error("{}: does not look like a site build (no generator tag, Docusaurus root or asset layout in its home page, 404 page or first pages); pass the folder `docusaurus build` wrote, or --force to inject anyway", .0.display())]
    NotASite(PathBuf),
    #[error("{}: more than {limit} pages, far more than a textbook (is this the folder `docusaurus build` wrote?); pass --force to inject anyway", dir.display())]
    TooManyPages { dir: PathBuf, limit: usize },
    #[error("--base-url {0:?}: expected a URL path such as / or /textbook/")]
    BadBaseUrl(String),
    #[error("{}: cannot render the widget CSS template: {message}", template.display())]
    Template { template: PathBuf, message: String },
    #[error(transparent)]
    Io(#[from] PathError),
}

/// What happened to one page.
#[derive(Debug)]
enum Outcome {
    Injected,
    Unchanged,
    Stripped,
    Skipped(SkipReason),
    /// `--check`: the page's injection is missing or stale.
    Outdated,
    Failed(PageError),
}

struct Page {
    /// Relative to the build directory.
    rel: PathBuf,
    is_symlink: bool,
}

/// Run. `Err` only for input errors; page failures are in the report.
pub fn run(settings: &RunSettings) -> Result<Report, RunError> {
    let started = Instant::now();
    let build_dir = &settings.build_dir;
    match fs::metadata(build_dir) {
        Err(_) => return Err(RunError::MissingDir(build_dir.clone())),
        Ok(m) if !m.is_dir() => return Err(RunError::NotADir(build_dir.clone())),
        Ok(_) => {}
    }
    let out_dir = settings
        .out_dir
        .as_ref()
        .filter(|o| !same_path(o, build_dir))
        .cloned();
    if let Some(out) = &out_dir {
        if is_inside(out, build_dir) {
            return Err(RunError::OutInsideBuild {
                out: out.clone(),
                build: build_dir.clone(),
            });
        }
    }
    let target = out_dir.clone().unwrap_or_else(|| build_dir.clone());
    let writes = !settings.dry_run && settings.action != Action::Check;

    // Two runs on overlapping trees at once would race on the same pages: the second one waits
    // for nobody and refuses. The locks are advisory locks on the directories themselves, so
    // nothing is left behind if the run is killed.
    let _lock = if writes {
        if out_dir.is_some() {
            fsx::create_dir_all(&target)?;
        }
        Some(TreeLock::new(
            &target,
            out_dir.is_some().then_some(build_dir.as_path()),
        )?)
    } else {
        None
    };

    let mut report = Report::new(settings, &target);
    // Pages a killed run left half-written are put back first, from its undo journal.
    let in_place = writes && out_dir.is_none();
    if in_place {
        let recovery = journal::recover(build_dir)?;
        report.pages_restored = recovery.restored.len();
        for page in recovery.mismatched {
            report.warn(format!(
                "{}: changed since an interrupted run wrote it; its undo journal record was not applied",
                page.display()
            ));
        }
    }
    // Pages an interrupted run may have left half-written, when this run does not restore them:
    // under --out they are not copied (the copy would carry the damage), they fail instead.
    let mut interrupted = std::collections::HashSet::new();
    if !in_place {
        let pending = journal::pending(build_dir)?;
        // An --out run holds the build directory for reading: no run can be writing it.
        let written_now =
            _lock.is_none() && matches!(lock_dir(build_dir), Err(RunError::Locked(_)));
        if !pending.is_empty() && written_now {
            // Not interrupted: a run is writing the directory right now.
            report.warn(format!(
                "{}: another chatkit-inject run is writing this directory right now; what this run saw is not final",
                build_dir.display()
            ));
        } else if !pending.is_empty() {
            report.warn(format!(
                "{}: an interrupted run left {} page(s) that may be half-written; run chatkit-inject on it (without --check, --dry-run or --out) to restore and finish them",
                build_dir.join(journal::DIR_NAME).display(),
                pending.len()
            ));
            if settings.action == Action::Check {
                for (_, record) in &pending {
                    report.outdated.push(Stale::Interrupted {
                        path: build_dir.join(&record.rel).display().to_string(),
                        file: LeftFile::Page,
                    });
                }
            }
            if out_dir.is_some() && writes {
                interrupted.extend(pending.into_iter().map(|(_, record)| record.rel));
            }
        }
    }
    // The pages are walked while they are processed, so memory does not grow with the site; a
    // short walk first finds the pages the site is probed on (and that there are pages at all).
    let first = first_pages(build_dir, site::PROBE_PAGES)?;
    if first.is_empty() {
        return Err(RunError::NoPages(build_dir.clone()));
    }
    let notes_at = report.warnings.len();
    let info = site::probe(build_dir, &first);
    // A folder that is not a site build (a home directory, a source tree) is refused before
    // anything is written: rewriting every HTML file in it would be a disaster to undo.
    if settings.action != Action::Strip && !settings.force {
        if !(info.docusaurus || info.generator.is_some() || info.base_url.is_some()) {
            return Err(RunError::NotASite(build_dir.clone()));
        }
        // A Docusaurus home or 404 page at the top settles it; any other folder is counted (a
        // listing, stopped at the limit), so the usual build pays nothing for this.
        let docusaurus_at_top = info.docusaurus
            && matches!(
                info.probe_page.as_deref().and_then(Path::to_str),
                Some("index.html" | "404.html")
            );
        if !docusaurus_at_top && more_pages_than(build_dir, MAX_SITE_PAGES) {
            return Err(RunError::TooManyPages {
                dir: build_dir.clone(),
                limit: MAX_SITE_PAGES,
            });
        }
    }
    if !info.docusaurus {
        report.warn(format!(
            "{}: does not look like a Docusaurus build (no Docusaurus generator tag or #__docusaurus root); injecting anyway",
            build_dir.display()
        ));
    }
    let base_url = match &settings.base_url {
        Some(b) => site::normalize_base_url(b).ok_or_else(|| RunError::BadBaseUrl(b.clone()))?,
        None => match &info.base_url {
            Some(b) => b.clone(),
            None => {
                report.warn(format!(
                    "{}: could not detect the site's baseUrl from its asset URLs; using / (pass --base-url to set it)",
                    build_dir.display()
                ));
                "/".to_string()
            }
        },
    };
    report.base_url = Some(base_url.clone());

    let plan = match (&settings.action, &settings.config) {
        (Action::Strip, _) | (_, None) => None,
        (_, Some(config)) => {
            let (snippets, set, theme, accent, warnings) =
                prepare(config, &info, &base_url, build_dir)?;
            for w in warnings {
                report.warn(w);
            }
            report.theme = Some(theme);
            report.accent = Some(accent);
            Some((snippets, set))
        }
    };

    if let (true, Some(config), false) = (
        settings.ci,
        &settings.config,
        settings.action == Action::Strip,
    ) {
        if config.env == config::DEFAULT_PROFILE && config::is_local_url(&config.backend_url) {
            report.warn(format!(
                "CI is set and this run uses the dev profile: the pages will call {}, which no reader can reach; publish with --env prod (a [profiles.prod] table in chatkit.toml)",
                config.backend_url
            ));
        }
    }
    let exclude = Excludes::new(settings.config.as_ref(), &info.locale_prefixes);
    report.locale_prefixes = info.locale_prefixes.clone();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs.unwrap_or(0))
        .build()
        .map_err(|e| {
            RunError::Io(PathError::new(
                build_dir,
                "cannot start worker threads",
                std::io::Error::other(e),
            ))
        })?;

    // New assets go in before the pages that load them (a killed run never leaves a page
    // pointing at a file that is not there); stale ones go once no page loads them.
    // From here on files are written: a failure is a row of the report (exit 1), never exit 2.
    if let (Action::Inject, Some((_, set))) = (settings.action, &plan) {
        match assets::write_current(&target, set, !writes) {
            Ok(changes) => report.assets = changes,
            Err(e) => {
                // No page is rewritten to load files that are not all there.
                report.failures.push(failure_of(e));
                report.warn(format!(
                    "{}: the widget files could not all be written, so no page was changed",
                    assets::asset_dir(&target).display()
                ));
                return Ok(finish(report, started));
            }
        }
    }

    let progress = progress_bar(settings.progress, || {
        count_files(build_dir, out_dir.is_some())
    });
    let csp_needs = settings.config.as_ref().map(|c| csp::Needs {
        chatkit_origin: csp::origin_of(&c.script_url),
        backend_origin: csp::origin_of(&c.backend_url),
    });
    let csp_blocked = Mutex::new(Vec::new());
    let page_journal = in_place.then(|| Journal::new(build_dir, pool.current_num_threads()));
    let ctx = PageCtx {
        journal: page_journal.as_ref(),
        interrupted: &interrupted,
        csp_needs: csp_needs.as_ref(),
        csp_blocked: &csp_blocked,
        build_dir,
        out_dir: out_dir.as_deref(),
        action: settings.action,
        writes,
        snippets: plan.as_ref().map(|(s, _)| s),
        exclude: &exclude,
    };

    let found = Mutex::new(Found::default());
    let tally = pool.install(|| {
        PageWalk::new(build_dir, &found, out_dir.is_some())
            .par_bridge()
            .fold(Tally::default, |mut tally, page| {
                let (outcome, widget) = process_page(&ctx, &page);
                if let Some(pb) = &progress {
                    pb.inc(1);
                }
                if widget.marked_other {
                    tally
                        .marked_other
                        .push(build_dir.join(&page.rel).display().to_string());
                }
                if let (Some(w), Some(snippets)) = (widget.widget, ctx.snippets) {
                    tally.add_language(snippets, w.lang.as_deref());
                }
                tally.add(build_dir, &page.rel, outcome);
                tally
            })
            .reduce(Tally::default, Tally::merge)
    });
    let found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    if let Some(j) = page_journal {
        for page in j.pinned() {
            report.warn(format!(
                "{}: a failed write could not be undone; the next run restores the page from the undo journal",
                page.display()
            ));
        }
        if let Err(e) = j.finish() {
            report.failures.push(failure_of(e));
        }
    }
    // A directory that could not be listed: the pages under it were not seen, so no widget
    // file is removed (those pages may load any of them).
    let walk_complete = found.error.is_none();
    if let Some(e) = found.error {
        report.failures.push(failure_of(e));
    }
    report.warnings.splice(notes_at..notes_at, found.notes);
    if found.other_html > 0 {
        report.warn(format!(
            "{}: {} .htm or .xhtml file(s) left as they are: only .html pages get the widget",
            build_dir.display(),
            found.other_html
        ));
    }
    // Temporary files a killed run left behind: never served, never kept. (Listed during the
    // walk, removed now: a file of this run that the walk saw has been renamed away since.)
    if in_place {
        for tmp in &found.leftovers {
            if fs::remove_file(tmp).is_ok() {
                report.leftovers_removed += 1;
            }
        }
    } else if out_dir.is_none()
        && !found.leftovers.is_empty()
        && !matches!(lock_dir(build_dir), Err(RunError::Locked(_)))
    {
        // --check and --dry-run write nothing: they name what the next run removes (unless a
        // run holds the directory right now, whose own temporary files these are).
        if settings.action == Action::Check {
            for tmp in &found.leftovers {
                report.outdated.push(Stale::Interrupted {
                    path: tmp.display().to_string(),
                    file: LeftFile::Temporary,
                });
            }
        } else {
            report.warn(format!(
                "{}: {} temporary file(s) left by an interrupted run; a run without --dry-run removes them",
                build_dir.display(),
                found.leftovers.len()
            ));
        }
    }

    // Under --out, everything that is not a page is copied as it is.
    if let Some(out) = &out_dir {
        if !settings.dry_run {
            let copy_failures: Vec<Failure> = pool.install(|| {
                found
                    .others
                    .par_iter()
                    .filter_map(|rel| {
                        let r = copy_other(build_dir, out, rel);
                        if let Some(pb) = &progress {
                            pb.inc(1);
                        }
                        r.err()
                            .map(|e| Failure::new(&build_dir.join(rel), PageError::io_at(&e)))
                    })
                    .collect()
            });
            report.failures.extend(copy_failures);
        }
        // Temporary files a killed --out run left in the output folder (this run holds its
        // lock, and its own have all been renamed or removed by now).
        if writes {
            report.leftovers_removed += remove_leftovers(out);
        }
    }
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }

    if settings.action != Action::Strip {
        let prefixes = &info.locale_prefixes;
        for pattern in exclude.unmatched() {
            let also = if prefixes.is_empty() {
                String::new()
            } else {
                format!(
                    ", nor under the site's locale folders ({})",
                    prefixes
                        .iter()
                        .map(|p| format!("{p}/"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            report.warn(format!(
                "[pages] exclude {pattern:?} matches no page{also}; globs are paths inside the build directory, e.g. \"blog/**\" or \"docs/private/**\""
            ));
        }
    }

    for (lang, n) in &tally.untranslated {
        report.warn(format!(
            "{n} page(s) have <html lang=\"{lang}\">, for which there is no translation: their widget speaks English; add a [locales.{lang}] table to chatkit.toml"
        ));
    }
    // Files derived from the pages that this tool does not rewrite go stale when pages change.
    if tally.counts.injected + tally.counts.stripped > 0 {
        if found.precompressed > 0 {
            report.warn(format!(
                "{}: {} precompressed page copies (.html.gz, .html.br) were left as they were and still hold the pages without this change; compress the pages again after chatkit-inject",
                build_dir.display(),
                found.precompressed
            ));
        }
        for sw in &found.service_workers {
            let precaches = fs::read(sw).is_ok_and(|js| {
                let js = js.to_ascii_lowercase();
                js.windows(8).any(|w| w == b"precache") && js.windows(5).any(|w| w == b".html")
            });
            if precaches {
                report.warn(format!(
                    "{}: a service worker that precaches pages by revision; its revisions are from before this run, so readers who installed it keep the old pages until it is generated again after chatkit-inject",
                    sw.display()
                ));
            }
        }
    }
    let mut marked_other = tally.marked_other;
    marked_other.sort();
    for page in marked_other {
        report.warn(format!(
            "{page}: holds an element with the {MARKER} attribute that this tool did not write; it was left as it is (remove the attribute if it is a leftover)"
        ));
    }
    report.languages = tally.languages;
    report.pages = tally.counts;
    report.failures.extend(tally.failures);
    report.outdated.extend(tally.outdated);
    // Assets go only when no page loads them: a page this run could not rewrite may still.
    let mut still_loaded = StillLoaded::read(&target, &tally.failed);
    still_loaded.unknown |= !walk_complete;
    let still_loaded = |name: &str| still_loaded.loads(name);

    let mut blocked = csp_blocked.into_inner().unwrap_or_default();
    blocked.sort_by(|a, b| a.0.cmp(&b.0));
    for (rel, why) in blocked {
        report.csp_blocked.push(CspBlocked {
            path: build_dir.join(rel).display().to_string(),
            message: csp::describe(&why),
            blocked: why,
        });
    }

    match (settings.action, &plan) {
        (Action::Strip, _) => match assets::remove_all(&target, !writes, &still_loaded) {
            Ok(changes) => report.assets = changes,
            Err(e) => report.failures.push(failure_of(e)),
        },
        (Action::Check, Some((_, set))) => {
            let (missing, _) = assets::check(&target, set);
            for m in missing {
                report.outdated.push(Stale::Asset {
                    path: target.join(m).display().to_string(),
                });
            }
        }
        (Action::Inject, Some((_, set))) => {
            if let Err(e) =
                assets::remove_stale(&target, set, !writes, &mut report.assets, &still_loaded)
            {
                report.failures.push(failure_of(e));
            }
        }
        _ => {}
    }

    if !report.assets.kept.is_empty() {
        report.warn(format!(
            "{}: kept {} because page(s) that failed may still load them; fix those pages and run again to remove them",
            assets::asset_dir(&target).display(),
            report.assets.kept.join(", ")
        ));
    }
    Ok(finish(report, started))
}

/// Remove this tool's temporary files under `dir`; returns how many went.
fn remove_leftovers(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file() && fsx::is_temp_file_name(&e.file_name().to_string_lossy())
        })
        .filter(|e| fs::remove_file(e.path()).is_ok())
        .count()
}

/// Sort the report's rows and count them.
fn finish(mut report: Report, started: Instant) -> Report {
    report.failures.sort_by(|a, b| a.path.cmp(&b.path));
    report.outdated.sort();
    report.pages.failed = report.failures.len();
    report.pages.outdated = report
        .outdated
        .iter()
        .filter(|o| matches!(o, Stale::Page { .. }))
        .count();
    report.elapsed = started.elapsed();
    report
}

/// A file error after writing began, as a row of the report.
fn failure_of(e: PathError) -> Failure {
    Failure::new(&e.path, PageError::io(&e))
}

/// The asset names the pages a run failed on still mention, as they are in the target tree.
struct StillLoaded {
    names: std::collections::BTreeSet<String>,
    /// A failed page could not be read: it may load anything.
    unknown: bool,
}

impl StillLoaded {
    fn read(target: &Path, failed: &[PathBuf]) -> Self {
        let mut loaded = StillLoaded {
            names: std::collections::BTreeSet::new(),
            unknown: false,
        };
        for rel in failed {
            match fs::read(target.join(rel)) {
                Ok(page) => loaded.names.extend(assets::names_in(&page)),
                // Under --out a failed page is not copied: nothing there loads anything.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => loaded.unknown = true,
            }
        }
        loaded
    }

    fn loads(&self, name: &str) -> bool {
        self.unknown || self.names.contains(name)
    }
}

/// The markup, the assets, the theme, where its accent came from, and any warnings about it.
type Prepared = (Snippets, AssetSet, RuntimeTheme, Accent, Vec<String>);

/// Render the CSS, hash the assets and build the markup for this run.
fn prepare(
    config: &Resolved,
    info: &site::SiteInfo,
    base_url: &str,
    build_dir: &Path,
) -> Result<Prepared, RunError> {
    let sheets: Vec<(&PathBuf, String)> = info
        .stylesheets
        .iter()
        .filter_map(|p| fs::read_to_string(p).ok().map(|text| (p, text)))
        .collect();
    let refs: Vec<&str> = sheets.iter().map(|(_, t)| t.as_str()).collect();
    let extracted = theme::extract(&refs);
    let (runtime_theme, warnings) = resolve_theme(&extracted, config);
    let source = if config.theme.accent.is_some() {
        AccentSource::Config {
            file: config.source.as_ref().map_or_else(
                || crate::cli::DEFAULT_CONFIG_FILE.to_string(),
                |p| p.display().to_string(),
            ),
        }
    } else if extracted.accent.is_some()
        && theme::normalize_color(extracted.accent.as_deref().unwrap_or_default()).is_some()
    {
        // The stylesheet that set it: the last one whose addition changed the value.
        let mut file = None;
        let mut value = None;
        for i in 0..refs.len() {
            let here = theme::extract(&refs[..=i]).accent;
            if here != value {
                file = Some(i);
                value = here;
            }
        }
        let file = file
            .and_then(|i| sheets.get(i))
            .map_or_else(String::new, |(p, _)| {
                p.strip_prefix(build_dir).unwrap_or(p).display().to_string()
            });
        AccentSource::SiteCss {
            file,
            variable: "--ifm-color-primary".into(),
        }
    } else {
        AccentSource::Default
    };
    let hint = (runtime_theme.accent == INFIMA_PRIMARY
        && !matches!(source, AccentSource::Config { .. }))
    .then(|| {
        format!("{INFIMA_PRIMARY} is Infima's stock blue: if the site's brand colour is set elsewhere (custom CSS that does not set --ifm-color-primary), set [theme] accent in chatkit.toml")
    });
    let accent = Accent {
        color: runtime_theme.accent.clone(),
        dark: runtime_theme.accent_dark.clone(),
        source,
        hint,
    };

    let css_ctx = CssContext {
        accent: runtime_theme.accent.clone(),
        accent_dark: runtime_theme.accent_dark.clone(),
        font_family: runtime_theme
            .font_family
            .clone()
            .unwrap_or_else(|| INFIMA_FONT_FAMILY.to_string()),
        offset_right: config.offset_right.clone(),
        offset_bottom: config.offset_bottom.clone(),
        z_index: config.z_index,
        accent_fixed: config.theme.accent.is_some() || config.theme.accent_dark.is_some(),
        position: config.position.as_str().to_string(),
        replaces: config.replaces.clone(),
    };
    let css = assets::render_css(&css_ctx).map_err(|e| RunError::Template {
        template: PathBuf::from("templates/widget.css.j2"),
        message: format!("{e:#}"),
    })?;
    let set = assets::build(css);
    let snippets = snippets(
        config,
        &runtime_theme,
        &AssetUrls {
            css: set.css.url(base_url),
            loader: set.loader.url(base_url),
            panel: set.panel.url(base_url),
        },
    );
    Ok((snippets, set, runtime_theme, accent, warnings))
}

/// Where a run's assets are served from.
#[derive(Debug, Clone)]
pub struct AssetUrls {
    pub css: String,
    pub loader: String,
    pub panel: String,
}

/// The markup of a run: one head link for every page, and one body snippet (runtime config and
/// loader) per locale, so each page carries the widget's strings in its own language only.
pub fn snippets(config: &Resolved, theme: &RuntimeTheme, urls: &AssetUrls) -> Snippets {
    let body = |tag: &str, locale| {
        let runtime = RuntimeConfig::new(config, tag, locale, urls.panel.clone(), theme.clone());
        format!(
            r#"<script type="application/json" id="chatkit-inject-config" {MARKER}>{}</script><script src="{}" defer {MARKER}></script>"#,
            runtime.to_script_json(),
            attr_escape(&urls.loader)
        )
    };
    let (english_tag, english) = config.locale_for(None);
    let mut snippets = Snippets::new(
        format!(
            r#"<link rel="stylesheet" href="{}" {MARKER}>"#,
            attr_escape(&urls.css)
        ),
        body(english_tag, english),
    );
    for (tag, locale) in &config.locales {
        if tag != crate::i18n::FALLBACK {
            snippets.localized.insert(tag.clone(), body(tag, locale));
        }
    }
    snippets
}

/// Infima's default primary color, used when the site's CSS says nothing.
const INFIMA_PRIMARY: &str = "#3578e5";
/// Infima's default font stack.
const INFIMA_FONT_FAMILY: &str =
    "system-ui, -apple-system, Segoe UI, Roboto, Ubuntu, Cantarell, Noto Sans, sans-serif";

/// `[theme]` overrides > values read from the built CSS > Infima defaults. A value the site
/// sets but the widget cannot use is named in a warning, never dropped silently.
fn resolve_theme(
    extracted: &theme::ExtractedTheme,
    config: &Resolved,
) -> (RuntimeTheme, Vec<String>) {
    let o = &config.theme;
    let mut warnings = Vec::new();
    let mut color = |override_: &Option<String>, found: &Option<String>, key: &str, css: &str| {
        if let Some(c) = override_ {
            return Some(c.clone());
        }
        let raw = found.as_deref()?;
        let normalized = theme::normalize_color(raw);
        if normalized.is_none() {
            warnings.push(format!(
                "the site's {css} is {raw:?}, which the widget cannot use (expected #rrggbb or rgb()); set [theme] {key} in chatkit.toml"
            ));
        }
        normalized
    };
    let accent = color(
        &o.accent,
        &extracted.accent,
        "accent",
        "--ifm-color-primary",
    )
    .unwrap_or_else(|| INFIMA_PRIMARY.to_string());
    // `[theme] accent` alone, on a site whose dark mode has no primary colour of its own (the
    // same as its light one, e.g. Infima's stock blue): the configured colour is the brand in
    // both modes, rather than the site's colour it was set to replace.
    let site_dark_is_own = extracted.accent_dark.is_some()
        && extracted.accent_dark.as_deref().map(theme::normalize_color)
            != extracted.accent.as_deref().map(theme::normalize_color);
    let dark_found = if o.accent.is_some() && !site_dark_is_own {
        None
    } else {
        extracted.accent_dark.clone()
    };
    let accent_dark = color(
        &o.accent_dark,
        &dark_found,
        "accent-dark",
        "dark --ifm-color-primary",
    )
    .unwrap_or_else(|| accent.clone());
    let font_family = o.font_family.clone().or_else(|| {
        let raw = extracted.font_family.as_deref()?;
        match config::check_font_family(raw) {
            Ok(f) => Some(f),
            Err(why) => {
                warnings.push(format!(
                    "the site's --ifm-font-family-base cannot be used by the widget ({why}); set [theme] font-family in chatkit.toml"
                ));
                None
            }
        }
    });
    let radius = o
        .radius
        .or_else(|| extracted.radius.as_deref().and_then(theme::chatkit_radius))
        .unwrap_or("round");
    (
        RuntimeTheme {
            accent,
            accent_dark,
            font_family,
            radius: radius.to_string(),
        },
        warnings,
    )
}

fn attr_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

struct PageCtx<'a> {
    /// The undo journal, when pages are rewritten in place.
    journal: Option<&'a Journal>,
    /// Pages an interrupted run may have left half-written (under `--out`: not copied).
    interrupted: &'a std::collections::HashSet<PathBuf>,
    /// What the widget loads, to check pages' Content-Security-Policy against.
    csp_needs: Option<&'a csp::Needs>,
    /// Pages whose CSP would block the widget, with the reason.
    csp_blocked: &'a Mutex<Vec<(PathBuf, Vec<csp::Blocked>)>>,
    build_dir: &'a Path,
    out_dir: Option<&'a Path>,
    action: Action,
    writes: bool,
    snippets: Option<&'a Snippets>,
    exclude: &'a Excludes,
}

/// What a page's rewrite noticed that the report sums up, beside its outcome.
#[derive(Default)]
struct PageNotes {
    /// The page carries the widget after this run, with this `<html lang>` as written (which
    /// chose the language of its runtime config).
    widget: Option<WithWidget>,
    /// The page holds an element marked like ours that is not ours (left as it is).
    marked_other: bool,
}

struct WithWidget {
    lang: Option<String>,
}

fn process_page(ctx: &PageCtx<'_>, page: &Page) -> (Outcome, PageNotes) {
    match process_page_inner(ctx, page) {
        Ok(o) => o,
        Err(e) => (Outcome::Failed(e), PageNotes::default()),
    }
}

fn process_page_inner(ctx: &PageCtx<'_>, page: &Page) -> Result<(Outcome, PageNotes), PageError> {
    let src = ctx.build_dir.join(&page.rel);
    if page.is_symlink {
        // A link to a page inside the tree is rewritten where the page lives; a link outside the
        // tree is not followed. Under --out the link is recreated as it is.
        if let (Some(out), true) = (ctx.out_dir, ctx.writes) {
            copy_symlink(&src, &out.join(&page.rel)).map_err(|e| PageError::io_at(&e))?;
        }
        return Ok((Outcome::Skipped(SkipReason::Symlink), PageNotes::default()));
    }
    if ctx.interrupted.contains(&page.rel) {
        return Err(PageError::Interrupted {
            message: format!(
                "an interrupted run may have left this page half-written; run chatkit-inject on {} first (it restores the page from {})",
                ctx.build_dir.display(),
                journal::DIR_NAME
            ),
        });
    }
    // One open serves the read and, when pages are rewritten in place, the write.
    let (mut file, writable) =
        open_page(&src, ctx.journal.is_some()).map_err(|e| PageError::read(&e))?;
    let meta = file.metadata().map_err(|e| PageError::read(&e))?;
    if meta.len() > STREAM_THRESHOLD {
        if let Some(done) = process_large_page(ctx, page, &src)? {
            return Ok(done);
        }
    }
    let mut input = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    std::io::Read::read_to_end(&mut file, &mut input).map_err(|e| PageError::read(&e))?;
    let excluded = ctx.exclude.is_match(&page.rel);
    let mut widget = PageNotes::default();

    let (output, outcome) = match (ctx.action, ctx.snippets) {
        (Action::Strip, _) | (_, None) => {
            let (out, facts) =
                inject::rewrite(&input, Mode::Strip).map_err(|e| PageError::rewrite(&e))?;
            let outcome = if facts.had_injection {
                Outcome::Stripped
            } else {
                Outcome::Unchanged
            };
            (out, outcome)
        }
        (action, Some(snippets)) => {
            if excluded {
                let (out, _) =
                    inject::rewrite(&input, Mode::Strip).map_err(|e| PageError::rewrite(&e))?;
                (out, Outcome::Skipped(SkipReason::Excluded))
            } else {
                let (out, skip, facts) = inject::apply(&input, Mode::Inject(snippets))
                    .map_err(|e| PageError::rewrite(&e))?;
                if skip.is_none() {
                    note_csp(ctx, &page.rel, &facts.csp);
                }
                widget.marked_other = facts.marked_other;
                if skip.is_none() {
                    widget.widget = Some(WithWidget { lang: facts.lang });
                }
                match skip {
                    Some(reason) => (out, Outcome::Skipped(reason)),
                    None if out == input => (out, Outcome::Unchanged),
                    None if action == Action::Check => (out, Outcome::Outdated),
                    None => (out, Outcome::Injected),
                }
            }
        }
    };

    if ctx.action == Action::Check {
        // A skipped page that still carries an old injection is out of date too.
        if matches!(outcome, Outcome::Skipped(_)) && output != input {
            return Ok((Outcome::Outdated, widget));
        }
        return Ok((outcome, widget));
    }
    if !ctx.writes {
        return Ok((outcome, widget));
    }
    match ctx.out_dir {
        Some(out) => {
            let dst = out.join(&page.rel);
            if let Some(parent) = dst.parent() {
                fsx::create_dir_all(parent).map_err(|e| PageError::io_at(&e))?;
            }
            fsx::write_atomic(&dst, &output, Some(meta.permissions()))
                .map_err(|e| PageError::io(&e))?;
        }
        None if output != input => {
            let done = match (ctx.journal, writable) {
                (Some(j), true) => j
                    .write_page(&file, &meta, &src, &page.rel, &input, &output)
                    .map_err(|e| PageError::io(&e))?,
                _ => InPlace::NotSuitable,
            };
            if let InPlace::NotSuitable = done {
                fsx::write_atomic(&src, &output, Some(meta.permissions()))
                    .map_err(|e| PageError::io(&e))?;
            }
        }
        None => {}
    }
    Ok((outcome, widget))
}

/// Open a page to read it and, if `for_writing` and allowed, to write it in place too (the
/// `bool`). A page that cannot be opened for writing is still read; it is then replaced by a
/// rename, which depends on its directory's permissions instead.
fn open_page(path: &Path, for_writing: bool) -> std::io::Result<(fs::File, bool)> {
    if for_writing {
        if let Ok(f) = fs::OpenOptions::new().read(true).write(true).open(path) {
            return Ok((f, true));
        }
    }
    Ok((fs::File::open(path)?, false))
}

/// Pages larger than this are streamed from disk to a temporary file instead of being held in
/// memory, so a 100 MB page costs no more memory than a small one.
const STREAM_THRESHOLD: u64 = 8 << 20;
/// Read size when streaming a large page.
const STREAM_CHUNK: usize = 64 << 10;

/// The large-page path: stream the page through the rewriter into a temporary file beside its
/// destination, comparing with the original on the way so an unchanged page is not replaced.
/// `Ok(None)` hands the page back to the in-memory path, which shares every check: the rare page
/// whose injection must be verified by reading it back (no `</body>`, an open `<select>`), or
/// that fails because the widget would be dead there.
fn process_large_page(
    ctx: &PageCtx<'_>,
    page: &Page,
    src: &Path,
) -> Result<Option<(Outcome, PageNotes)>, PageError> {
    let excluded = ctx.exclude.is_match(&page.rel);
    let mode = match (ctx.action, ctx.snippets) {
        (Action::Strip, _) | (_, None) => Mode::Strip,
        _ if excluded => Mode::Strip,
        (_, Some(snippets)) => Mode::Inject(snippets),
    };
    let dst = ctx
        .out_dir
        .map_or_else(|| src.to_path_buf(), |out| out.join(&page.rel));
    let keep_output = ctx.writes;
    let mut pass = stream_pass(src, &dst, mode, keep_output)?;
    if matches!(mode, Mode::Inject(_))
        && (pass.facts.needs_verification() || pass.facts.dead().is_some())
    {
        return Ok(None);
    }
    if let (Mode::Inject(_), None) = (mode, pass.facts.skip_reason()) {
        note_csp(ctx, &page.rel, &pass.facts.csp);
    }
    let widget = match (mode, pass.facts.skip_reason()) {
        (Mode::Inject(_), None) => PageNotes {
            widget: Some(WithWidget {
                lang: pass.facts.lang.clone(),
            }),
            marked_other: false,
        },
        _ => PageNotes::default(),
    };
    let mut outcome = match (mode, pass.facts.skip_reason()) {
        (Mode::Strip, _) if excluded => Outcome::Skipped(SkipReason::Excluded),
        (Mode::Strip, _) if pass.facts.had_injection => Outcome::Stripped,
        (Mode::Strip, _) => Outcome::Unchanged,
        (Mode::Inject(_), Some(reason)) => {
            // Left alone, except that an earlier injection is taken out again.
            pass = stream_pass(src, &dst, Mode::Strip, keep_output)?;
            Outcome::Skipped(reason)
        }
        (Mode::Inject(_), None) if pass.unchanged => Outcome::Unchanged,
        (Mode::Inject(_), None) => Outcome::Injected,
    };
    if ctx.action == Action::Check {
        if !pass.unchanged {
            outcome = Outcome::Outdated;
        }
        return Ok(Some((outcome, widget)));
    }
    if let Some(tmp) = pass.temp {
        if ctx.out_dir.is_some() || !pass.unchanged {
            let perms = fs::metadata(src).ok().map(|m| m.permissions());
            if let Some(p) = perms {
                tmp.as_file()
                    .set_permissions(p)
                    .map_err(|e| PageError::write("cannot set permissions", e))?;
            }
            tmp.persist(&dst)
                .map_err(|e| PageError::write("cannot replace", e.error))?;
        }
    }
    Ok(Some((outcome, widget)))
}

/// Note a page whose Content-Security-Policy would block the widget, for the report. Both page
/// paths (in memory and streamed) call it, so page size never changes what is checked.
fn note_csp(ctx: &PageCtx<'_>, rel: &Path, policies: &[String]) {
    let (false, Some(needs)) = (policies.is_empty(), ctx.csp_needs) else {
        return;
    };
    let blocked = csp::check(policies, needs);
    if !blocked.is_empty() {
        if let Ok(mut list) = ctx.csp_blocked.lock() {
            list.push((rel.to_path_buf(), blocked));
        }
    }
}

/// One streaming rewrite of a page.
struct StreamPass {
    facts: inject::PageFacts,
    /// The output equals the input, byte for byte.
    unchanged: bool,
    /// The output, when it was kept.
    temp: Option<tempfile::NamedTempFile>,
}

fn stream_pass(
    src: &Path,
    dst: &Path,
    mode: Mode<'_>,
    keep_output: bool,
) -> Result<StreamPass, PageError> {
    use std::io::{BufReader, BufWriter, Read, Write};

    let input = fs::File::open(src).map_err(|e| PageError::read(&e))?;
    let mut compare = BufReader::with_capacity(
        STREAM_CHUNK,
        fs::File::open(src).map_err(|e| PageError::read(&e))?,
    );
    let mut writer = if keep_output {
        let dir = dst.parent().unwrap_or(Path::new("."));
        fsx::create_dir_all(dir).map_err(|e| PageError::io_at(&e))?;
        let tmp = tempfile::Builder::new()
            .prefix(fsx::TEMP_PREFIX)
            .suffix(fsx::TEMP_SUFFIX)
            .tempfile_in(dir)
            .map_err(|e| PageError::write("cannot create a temporary file beside it", e))?;
        Some(BufWriter::with_capacity(STREAM_CHUNK, tmp))
    } else {
        None
    };
    let mut unchanged = true;
    let mut write_error: Option<std::io::Error> = None;
    let mut cmp_buf = vec![0u8; STREAM_CHUNK];
    let chunks = inject::ReadChunks::new(input, STREAM_CHUNK);
    let read_error = chunks.error.clone();
    let facts = inject::rewrite_chunks(chunks, mode, |out: &[u8]| {
        if let (Some(w), None) = (writer.as_mut(), write_error.as_ref()) {
            if let Err(e) = w.write_all(out) {
                write_error = Some(e);
            }
        }
        if unchanged {
            let mut rest = out;
            while !rest.is_empty() && unchanged {
                let n = rest.len().min(cmp_buf.len());
                match compare.read_exact(&mut cmp_buf[..n]) {
                    Ok(()) if cmp_buf[..n] == rest[..n] => rest = &rest[n..],
                    _ => unchanged = false,
                }
            }
        }
    })
    .map_err(|e| PageError::rewrite(&e))?;
    if let Some(e) = read_error.borrow_mut().take() {
        return Err(PageError::read(&e));
    }
    if let Some(e) = write_error {
        return Err(PageError::write("cannot write", e));
    }
    if unchanged {
        // The output was a prefix of the input; it is equal only if the input ends here too.
        unchanged = matches!(compare.read(&mut cmp_buf[..1]), Ok(0));
    }
    let temp = match writer {
        Some(w) => Some(
            w.into_inner()
                .map_err(|e| PageError::write("cannot write", e.error()))?,
        ),
        None => None,
    };
    Ok(StreamPass {
        facts,
        unchanged,
        temp,
    })
}

fn rel_slash(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The `[pages] exclude` globs, each also applied under every locale folder of the site (so
/// `blog/**` excludes `fr/blog/**` too), counting the pages each one matches.
struct Excludes {
    set: GlobSet,
    /// For each glob of `set`, the index of the pattern it was made from.
    owner: Vec<usize>,
    patterns: Vec<String>,
    hits: Vec<AtomicUsize>,
}

impl Excludes {
    fn new(config: Option<&Resolved>, locale_prefixes: &[String]) -> Self {
        let patterns = config.map(|c| c.exclude.clone()).unwrap_or_default();
        let mut builder = GlobSetBuilder::new();
        let mut owner = Vec::new();
        for (i, pattern) in patterns.iter().enumerate() {
            // A pattern that names a locale folder already is about that locale only.
            let localized = locale_prefixes
                .iter()
                .any(|l| pattern.starts_with(&format!("{l}/")));
            let under_locales = locale_prefixes
                .iter()
                .filter(|_| !localized)
                .map(|l| format!("{l}/{pattern}"));
            for g in std::iter::once(pattern.clone()).chain(under_locales) {
                // Validated when the config was resolved (and a folder name adds no syntax).
                if let Ok(glob) = Glob::new(&g) {
                    builder.add(glob);
                    owner.push(i);
                }
            }
        }
        Excludes {
            set: builder.build().unwrap_or_else(|_| GlobSet::empty()),
            owner,
            hits: patterns.iter().map(|_| AtomicUsize::new(0)).collect(),
            patterns,
        }
    }

    /// Does a `[pages] exclude` glob match this page (a path relative to the build directory)?
    fn is_match(&self, rel: &Path) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let matches = self.set.matches(rel_slash(rel));
        for m in &matches {
            if let Some(hit) = self.owner.get(*m).and_then(|i| self.hits.get(*i)) {
                hit.fetch_add(1, Ordering::Relaxed);
            }
        }
        !matches.is_empty()
    }

    /// The patterns that matched no page.
    fn unmatched(&self) -> impl Iterator<Item = &str> {
        self.patterns
            .iter()
            .zip(&self.hits)
            .filter(|(_, h)| h.load(Ordering::Relaxed) == 0)
            .map(|(p, _)| p.as_str())
    }
}

/// What the walk met besides pages, gathered while the pages are processed.
#[derive(Default)]
struct Found {
    /// Every file that is not a page, relative to the build directory (kept under `--out` only,
    /// where they are copied).
    others: Vec<PathBuf>,
    /// Pages that are links we do not follow, named for the report.
    notes: Vec<String>,
    /// Temporary files left by an interrupted run (absolute paths).
    leftovers: Vec<PathBuf>,
    /// Files with another HTML extension (`.htm`, `.xhtml`), which get no widget.
    other_html: usize,
    /// Precompressed copies of pages (`.html.gz`, `.html.br`), which this tool does not rewrite.
    precompressed: usize,
    /// Service worker scripts (`sw.js`, `service-worker.js`), which may precache the pages.
    service_workers: Vec<PathBuf>,
    /// A directory that could not be listed: the walk stops there.
    error: Option<PathError>,
}

/// What the walk makes of one directory entry.
enum Entry {
    Page(Page),
    Other(PathBuf),
    Leftover(PathBuf),
    Note(String),
    Skip,
}

/// The files of the build directory, in a fixed order (sorted by name within each directory),
/// without the undo journal.
fn walk_dir(build_dir: &Path) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> {
    walkdir::WalkDir::new(build_dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        // The undo journal of an interrupted run is ours, not the site's.
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == journal::DIR_NAME))
}

fn list_error(build_dir: &Path, e: walkdir::Error) -> PathError {
    // An unreadable subdirectory: named, and the run stops.
    let path = e
        .path()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| build_dir.to_path_buf());
    let io = e
        .into_io_error()
        .unwrap_or_else(|| std::io::Error::other("walk error"));
    PathError::new(&path, "cannot list", io)
}

fn classify(build_dir: &Path, root: &Path, entry: &walkdir::DirEntry) -> Entry {
    let Ok(rel) = entry.path().strip_prefix(build_dir) else {
        return Entry::Skip;
    };
    let ft = entry.file_type();
    if rel.as_os_str().is_empty() || ft.is_dir() {
        return Entry::Skip;
    }
    let name = entry.file_name().to_string_lossy();
    if fsx::is_temp_file_name(&name) {
        return Entry::Leftover(entry.path().to_path_buf());
    }
    let bytes = name.as_bytes();
    let is_html = bytes.len() > 5 && bytes[bytes.len() - 5..].eq_ignore_ascii_case(b".html");
    let page = |is_symlink| {
        Entry::Page(Page {
            rel: rel.to_path_buf(),
            is_symlink,
        })
    };
    if is_html && ft.is_symlink() {
        // A link to a page inside the tree: the page gets the widget where it lives. A link
        // that leaves the tree is not followed; a loop or a dangling link cannot be read.
        // Either way the link itself is left alone, and the last two are named (the page is
        // counted as skipped, the note says why).
        let shown = entry.path().display();
        match (fs::metadata(entry.path()), fs::canonicalize(entry.path())) {
            (Ok(meta), Ok(target)) if meta.is_file() => {
                if !target.starts_with(root) {
                    return Entry::Note(format!(
                        "{shown}: symbolic link to a page outside the build directory ({}); not followed, no widget",
                        target.display()
                    ));
                }
                page(true)
            }
            (Err(e), _) => Entry::Note(format!(
                "{shown}: symbolic link that cannot be followed ({e}); skipped"
            )),
            _ => Entry::Other(rel.to_path_buf()),
        }
    } else if is_html && ft.is_file() {
        page(false)
    } else {
        Entry::Other(rel.to_path_buf())
    }
}

/// The pages of the build directory, found as the workers ask for them.
struct PageWalk<'a> {
    build_dir: &'a Path,
    root: PathBuf,
    entries: Box<dyn Iterator<Item = walkdir::Result<walkdir::DirEntry>> + Send + 'a>,
    found: &'a Mutex<Found>,
    keep_others: bool,
}

impl<'a> PageWalk<'a> {
    fn new(build_dir: &'a Path, found: &'a Mutex<Found>, keep_others: bool) -> Self {
        PageWalk {
            build_dir,
            root: fs::canonicalize(build_dir).unwrap_or_else(|_| build_dir.to_path_buf()),
            entries: Box::new(walk_dir(build_dir)),
            found,
            keep_others,
        }
    }

    fn found(&self) -> std::sync::MutexGuard<'a, Found> {
        self.found.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Iterator for PageWalk<'_> {
    type Item = Page;

    fn next(&mut self) -> Option<Page> {
        loop {
            let entry = match self.entries.next()? {
                Ok(e) => e,
                Err(e) => {
                    let error = list_error(self.build_dir, e);
                    self.found().error.get_or_insert(error);
                    self.entries = Box::new(std::iter::empty());
                    return None;
                }
            };
            match classify(self.build_dir, &self.root, &entry) {
                Entry::Page(page) => return Some(page),
                Entry::Note(note) => {
                    self.found().notes.push(note);
                    // Counted as a skipped link, like one that is followed.
                    if let Ok(rel) = entry.path().strip_prefix(self.build_dir) {
                        return Some(Page {
                            rel: rel.to_path_buf(),
                            is_symlink: true,
                        });
                    }
                }
                Entry::Other(rel) => {
                    let name = entry.file_name();
                    let other_html = has_extension(name, ".htm") || has_extension(name, ".xhtml");
                    let precompressed =
                        has_extension(name, ".html.gz") || has_extension(name, ".html.br");
                    let service_worker = name == "sw.js" || name == "service-worker.js";
                    if other_html || precompressed || service_worker || self.keep_others {
                        let mut found = self.found();
                        found.other_html += usize::from(other_html);
                        found.precompressed += usize::from(precompressed);
                        if service_worker {
                            found.service_workers.push(entry.path().to_path_buf());
                        }
                        if self.keep_others {
                            found.others.push(rel);
                        }
                    }
                }
                Entry::Leftover(path) => self.found().leftovers.push(path),
                Entry::Skip => {}
            }
        }
    }
}

/// More pages than any textbook has: a folder with more is most likely not the site build.
pub const MAX_SITE_PAGES: usize = 20_000;

/// Does the build directory hold more than `limit` pages? (A listing only, stopped at `limit`.)
fn more_pages_than(build_dir: &Path, limit: usize) -> bool {
    walk_dir(build_dir)
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && has_extension(e.file_name(), ".html"))
        .take(limit + 1)
        .count()
        > limit
}

/// Does a file name end with `ext` (a dot and letters), in any letter case?
fn has_extension(name: &std::ffi::OsStr, ext: &str) -> bool {
    let name = name.as_encoded_bytes();
    name.len() > ext.len() && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext.as_bytes())
}

/// The first `n` pages of the build directory (to probe the site on), or the error listing it.
fn first_pages(build_dir: &Path, n: usize) -> Result<Vec<PathBuf>, RunError> {
    let root = fs::canonicalize(build_dir).unwrap_or_else(|_| build_dir.to_path_buf());
    let mut pages = Vec::new();
    for entry in walk_dir(build_dir) {
        let entry = entry.map_err(|e| RunError::Io(list_error(build_dir, e)))?;
        if let Entry::Page(page) = classify(build_dir, &root, &entry) {
            if !page.is_symlink {
                pages.push(page.rel);
                if pages.len() == n {
                    break;
                }
            }
        }
    }
    Ok(pages)
}

/// Files the progress bar counts: pages, and under `--out` everything else too.
fn count_files(build_dir: &Path, with_others: bool) -> usize {
    let root = PathBuf::new();
    walk_dir(build_dir)
        .filter_map(Result::ok)
        .filter(|e| match classify(build_dir, &root, e) {
            Entry::Page(_) | Entry::Note(_) => true,
            Entry::Other(_) => with_others,
            Entry::Leftover(_) | Entry::Skip => false,
        })
        .count()
}

/// What happened to the pages, summed over the workers.
#[derive(Default)]
struct Tally {
    counts: crate::report::PageCounts,
    failures: Vec<Failure>,
    outdated: Vec<Stale>,
    /// Pages carrying the widget, by the locale of their strings.
    languages: BTreeMap<String, usize>,
    /// Pages whose `<html lang>` (normalised) is not English and matched no locale, so they got
    /// the English strings.
    untranslated: BTreeMap<String, usize>,
    /// Pages holding an element marked like ours that is not ours (left untouched).
    marked_other: Vec<String>,
    /// Pages that failed, relative to the build directory: they may still load assets that
    /// would otherwise be removed.
    failed: Vec<PathBuf>,
}

impl Tally {
    fn add_language(&mut self, snippets: &Snippets, lang: Option<&str>) {
        match snippets.locale_of(lang) {
            Some(tag) => *self.languages.entry(tag.to_string()).or_default() += 1,
            None => {
                *self
                    .languages
                    .entry(crate::i18n::FALLBACK.to_string())
                    .or_default() += 1;
                let tag = lang.map(crate::i18n::normalize_tag).unwrap_or_default();
                if !tag.is_empty() && crate::i18n::primary(&tag) != crate::i18n::FALLBACK {
                    *self.untranslated.entry(tag).or_default() += 1;
                }
            }
        }
    }

    fn add(&mut self, build_dir: &Path, rel: &Path, outcome: Outcome) {
        let c = &mut self.counts;
        match outcome {
            Outcome::Injected => c.injected += 1,
            Outcome::Unchanged => c.unchanged += 1,
            Outcome::Stripped => c.stripped += 1,
            Outcome::Skipped(reason) => {
                *c.skipped.entry(reason).or_default() += 1;
            }
            Outcome::Outdated => self.outdated.push(Stale::Page {
                path: build_dir.join(rel).display().to_string(),
            }),
            Outcome::Failed(error) => {
                self.failed.push(rel.to_path_buf());
                self.failures
                    .push(Failure::new(&build_dir.join(rel), error));
            }
        }
        c.total += 1;
    }

    fn merge(mut self, other: Tally) -> Tally {
        let (a, b) = (&mut self.counts, other.counts);
        a.total += b.total;
        a.injected += b.injected;
        a.unchanged += b.unchanged;
        a.stripped += b.stripped;
        for (reason, n) in b.skipped {
            *a.skipped.entry(reason).or_default() += n;
        }
        self.failures.extend(other.failures);
        self.failed.extend(other.failed);
        self.outdated.extend(other.outdated);
        for (k, n) in other.languages {
            *self.languages.entry(k).or_default() += n;
        }
        for (k, n) in other.untranslated {
            *self.untranslated.entry(k).or_default() += n;
        }
        self.marked_other.extend(other.marked_other);
        self
    }
}

fn copy_other(build_dir: &Path, out: &Path, rel: &Path) -> Result<(), PathError> {
    let src = build_dir.join(rel);
    let dst = out.join(rel);
    if let Some(parent) = dst.parent() {
        fsx::create_dir_all(parent)?;
    }
    let meta = fs::symlink_metadata(&src).map_err(|e| PathError::new(&src, "cannot read", e))?;
    if meta.file_type().is_symlink() {
        return copy_symlink(&src, &dst);
    }
    fsx::copy(&src, &dst)
}

fn copy_symlink(src: &Path, dst: &Path) -> Result<(), PathError> {
    let target = fs::read_link(src).map_err(|e| PathError::new(src, "cannot read link", e))?;
    if let Some(parent) = dst.parent() {
        fsx::create_dir_all(parent)?;
    }
    let _ = fs::remove_file(dst);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&target, dst)
            .map_err(|e| PathError::new(dst, "cannot create link", e))
    }
    #[cfg(not(unix))]
    {
        let _ = target;
        fsx::copy(src, dst)
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn is_inside(child: &Path, parent: &Path) -> bool {
    let parent = fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    // The child may not exist yet: canonicalise its nearest existing ancestor.
    let mut probe = child.to_path_buf();
    let mut tail = Vec::new();
    while !probe.exists() {
        match (probe.file_name().map(|n| n.to_os_string()), probe.parent()) {
            (Some(name), Some(p)) => {
                tail.push(name);
                probe = p.to_path_buf();
            }
            _ => break,
        }
    }
    let mut resolved = fs::canonicalize(&probe).unwrap_or(probe);
    for name in tail.into_iter().rev() {
        resolved.push(name);
    }
    resolved.starts_with(&parent)
}

/// The locks a writing run holds: exclusive on the directory it writes, shared on each directory
/// above it (a run on an ancestor takes that one exclusively, so either run refuses the other),
/// and under `--out` shared on the build directory it reads and the directories above that (a
/// run writing any of them refuses, and is refused).
struct TreeLock {
    _held: Vec<fs::File>,
}

impl TreeLock {
    fn new(target: &Path, reads: Option<&Path>) -> Result<TreeLock, RunError> {
        let absolute = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let target = absolute(target);
        let mut held = vec![lock_dir(&target)?];
        let mut seen = vec![target.clone()];
        let reads = reads.map(absolute);
        // Each directory to hold shared, with the directory of this run it holds.
        let above_target = target.ancestors().skip(1).map(|d| (d, &target));
        let read_tree = reads
            .iter()
            .flat_map(|r| r.ancestors().map(move |d| (d, r)));
        for (dir, below) in above_target.chain(read_tree) {
            if seen.iter().any(|s| s == dir) {
                continue;
            }
            seen.push(dir.to_path_buf());
            let Ok(file) = fs::File::open(dir) else {
                // A directory that cannot be opened cannot be locked by another run either.
                continue;
            };
            match file.try_lock_shared() {
                Ok(()) => held.push(file),
                // The build directory itself, which this --out run reads, is being written.
                Err(fs::TryLockError::WouldBlock) if dir == below.as_path() => {
                    return Err(RunError::Locked(dir.to_path_buf()));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(RunError::LockedAbove {
                        dir: below.clone(),
                        other: dir.to_path_buf(),
                    });
                }
                Err(fs::TryLockError::Error(_)) => {}
            }
        }
        Ok(TreeLock { _held: held })
    }
}

fn lock_dir(dir: &Path) -> Result<fs::File, RunError> {
    let file = fs::File::open(dir).map_err(|e| PathError::new(dir, "cannot open", e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(RunError::Locked(dir.to_path_buf())),
        Err(fs::TryLockError::Error(e)) => Err(RunError::Io(PathError::new(dir, "cannot lock", e))),
    }
}

fn progress_bar(enabled: bool, total: impl FnOnce() -> usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return None;
    }
    let total = total();
    if total < 500 {
        return None;
    }
    let pb = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
    {
        pb.set_style(style);
    }
    Some(pb)
}
