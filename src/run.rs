//! One run over a build directory, as the sequence that ties the parts together: check and lock
//! the directories, put back what a killed run left, probe the site, prepare the widget
//! ([`widget`]), write its files, process the pages as the walk finds them ([`walk`], [`page`]),
//! then sum them up ([`tally`]) and settle the widget files.
//!
//! One bad page is a result, not a reason to stop: it is recorded with its path, the rest of the
//! site is processed, and the exit code says so.

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::assets;
use crate::corpus;
use crate::csp;
use crate::fsx::{self, PathError};
use crate::journal::Journal;
use crate::lock::{self, TreeLock};
use crate::page::{self, Pages};
use crate::report::{Failure, PageError, Report, Stale, WarningKind};
use crate::settings::{Action, RunError, RunSettings};
use crate::site;
use crate::tally::Tally;
use crate::walk::{self, Entry, Excludes, PageWalk};
use crate::widget;

/// Run. `Err` only for input errors; page failures are in the report.
pub fn run(settings: &RunSettings) -> Result<Report, RunError> {
    let started = Instant::now();
    let build_dir = &settings.build_dir;
    match fs::metadata(build_dir) {
        Err(_) => return Err(RunError::MissingDir(build_dir.clone())),
        Ok(m) if !m.is_dir() => return Err(RunError::NotADir(build_dir.clone())),
        Ok(_) => {}
    }
    let out_dir = (settings.out_dir.as_ref()).filter(|o| !lock::same_path(o, build_dir));
    if let Some(out) = out_dir.filter(|out| lock::is_inside(out, build_dir)) {
        let (out, build) = (out.clone(), build_dir.clone());
        return Err(RunError::OutInsideBuild { out, build });
    }
    let target = out_dir.unwrap_or(build_dir).clone();
    corpus::export::check_destination(settings.corpus.as_ref(), build_dir, out_dir)?;
    let writes = !settings.dry_run && settings.action != Action::Check;
    let held = if writes {
        if out_dir.is_some() {
            fsx::create_dir_all(&target)?;
        }
        let reads = out_dir.is_some().then_some(build_dir.as_path());
        Some(TreeLock::new(&target, reads)?)
    } else {
        None
    };
    let in_place = writes && out_dir.is_none();
    let mut report = Report::new(settings, &target);
    let interrupted = lock::interrupted_pages(settings, in_place, held.is_some(), &mut report)?;

    // The pages are walked while they are processed, so memory does not grow with the site; a
    // short walk first finds the pages the site is probed on (and that there are pages at all).
    let first = walk::first_pages(build_dir, site::PROBE_PAGES)?;
    if first.is_empty() {
        return Err(RunError::NoPages(build_dir.clone()));
    }
    let notes_at = report.warnings.len();
    let info = site::probe(build_dir, &first);
    walk::refuse_other_folders(settings, &info)?;
    if !info.docusaurus {
        report.warn(WarningKind::NotDocusaurus, format!(
            "{}: does not look like a Docusaurus build (no Docusaurus generator tag or #__docusaurus root); injecting anyway",
            build_dir.display()
        ));
    }
    let base_url = match (&settings.base_url, &info.base_url) {
        (Some(b), _) => {
            site::normalize_base_url(b).ok_or_else(|| RunError::BadBaseUrl(b.clone()))?
        }
        (None, Some(b)) => b.clone(),
        (None, None) => {
            report.warn(WarningKind::BaseUrlUnknown, format!(
                "{}: could not detect the site's baseUrl from its asset URLs; using / (pass --base-url to set it)",
                build_dir.display()
            ));
            "/".to_string()
        }
    };
    report.base_url = Some(base_url.clone());
    let widget = match (settings.action, &settings.config) {
        (Action::Strip, _) | (_, None) => None,
        (_, Some(config)) => {
            let w = widget::prepare(config, &base_url).map_err(|e| RunError::Template {
                template: PathBuf::from("templates/widget.css.j2"),
                message: format!("{e:#}"),
            })?;
            report.theme = Some(w.theme.clone());
            Some(w)
        }
    };
    if let Some(message) = settings.ci_warning() {
        report.warn(WarningKind::DevProfileInCi, message);
    }
    let exclude = Excludes::new(settings.config.as_ref(), &info.locale_prefixes);
    report.locale_prefixes = info.locale_prefixes.clone();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs.unwrap_or(0))
        .build()
        .map_err(|e| {
            let io = std::io::Error::other(e);
            PathError::new(build_dir, "cannot start worker threads", io)
        })?;

    // New assets go in before the pages that load them (a killed run never leaves a page
    // pointing at a file that is not there); stale ones go once no page loads them.
    // From here on files are written: a failure is a row of the report (exit 1), never exit 2.
    if let (Action::Inject, Some(w)) = (settings.action, &widget) {
        match assets::write_current(&target, &w.assets, !writes) {
            Ok(changes) => report.assets = changes,
            Err(e) => {
                // No page is rewritten to load files that are not all there.
                report.failures.push(failure_of(&e));
                report.warn(
                    WarningKind::AssetsNotWritten,
                    format!(
                        "{}: the widget files could not all be written, so no page was changed",
                        assets::asset_dir(&target).display()
                    ),
                );
                return Ok(finish(report, started));
            }
        }
    }

    let progress = walk::progress_bar(settings.progress, || {
        walk::count_files(build_dir, out_dir.is_some())
    });
    let csp_needs = settings.config.as_ref().map(|c| csp::Needs {
        chatkit_origin: csp::origin_of(&c.script_url),
        backend_origin: csp::origin_of(&c.backend_url),
    });
    let page_journal = in_place.then(|| Journal::new(build_dir, pool.current_num_threads()));
    let snippets = widget.as_ref().map(|w| &w.snippets);
    let pages = Pages {
        build_dir,
        out_dir: out_dir.map(PathBuf::as_path),
        action: settings.action,
        writes,
        snippets,
        exclude: &exclude,
        journal: page_journal.as_ref(),
        interrupted: &interrupted,
        csp_needs: csp_needs.as_ref(),
        stream_above: page::STREAM_THRESHOLD,
        corpus_base_url: settings.corpus.as_ref().map(|_| base_url.as_str()),
    };
    let keep_others = out_dir.is_some();
    let mut tally = pool.install(|| {
        PageWalk::new(build_dir)
            .par_bridge()
            .fold(Tally::default, |mut tally, entry| {
                let page = match entry {
                    Entry::Page(page) => page,
                    Entry::UnfollowedLink(page, note) => {
                        tally.found.notes.push(note);
                        page
                    }
                    other => {
                        tally.found.add(build_dir, other, keep_others);
                        return tally;
                    }
                };
                let done = pages.process(&page);
                if let Some(pb) = &progress {
                    pb.inc(1);
                }
                tally.add(build_dir, snippets, &page, done);
                tally
            })
            .reduce(Tally::default, Tally::merge)
    });
    let mut found = std::mem::take(&mut tally.found);
    found.sort();
    if let Some(j) = page_journal {
        for page in j.pinned() {
            report.warn(WarningKind::WriteNotUndone, format!(
                "{}: a failed write could not be undone; the next run restores the page from the undo journal",
                page.display()
            ));
        }
        if let Err(e) = j.finish() {
            report.failures.push(failure_of(&e));
        }
    }
    // A directory that could not be listed: the pages under it were not seen, so no widget
    // file is removed (those pages may load any of them).
    let walk_complete = found.error.is_none();
    if let Some(e) = found.error.take() {
        report.failures.push(failure_of(&e));
    }
    report
        .warnings
        .splice(notes_at..notes_at, std::mem::take(&mut found.notes));
    report.warnings.extend(found.other_html_warning(build_dir));
    found.settle_leftovers(settings, in_place, out_dir.is_none(), &mut report);
    // Under --out, everything that is not a page is copied as it is.
    if let (Some(out), false) = (out_dir, settings.dry_run) {
        let copy_failures: Vec<Failure> = pool.install(|| {
            found
                .others
                .par_iter()
                .filter_map(|rel| {
                    let copied = page::copy_other(build_dir, out, rel);
                    if let Some(pb) = &progress {
                        pb.inc(1);
                    }
                    let at = build_dir.join(rel);
                    copied
                        .err()
                        .map(|e| Failure::new(&at, PageError::io_at(&e)))
                })
                .collect()
        });
        report.failures.extend(copy_failures);
    }
    // Temporary files a killed --out run left in the output folder (this run holds its lock,
    // and its own have all been renamed or removed by now).
    if let (Some(out), true) = (out_dir, writes) {
        report.leftovers_removed += walk::remove_leftovers(out);
    }
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    if settings.action != Action::Strip {
        report
            .warnings
            .extend(exclude.warnings(&info.locale_prefixes));
    }
    if let Some(path) = &settings.corpus {
        let pages = std::mem::take(&mut tally.corpus);
        let dry_run = settings.dry_run;
        let summary = corpus::export::finish(path, pages, dry_run, &target, &mut report);
        report.corpus = Some(summary);
    }
    let failed = tally.into_report(&mut report, &found, build_dir);

    // Assets go only when no page loads them: a page this run could not rewrite may still.
    let mut still_loaded = assets::StillLoaded::read(&target, &failed);
    still_loaded.unknown |= !walk_complete;
    let still_loaded = |name: &str| still_loaded.loads(name);
    match (settings.action, &widget) {
        (Action::Strip, _) => match assets::remove_all(&target, !writes, &still_loaded) {
            Ok(changes) => report.assets = changes,
            Err(e) => report.failures.push(failure_of(&e)),
        },
        (Action::Check, Some(w)) => {
            let (missing, _) = assets::check(&target, &w.assets);
            report
                .outdated
                .extend(missing.into_iter().map(|m| Stale::Asset {
                    path: target.join(m).display().to_string(),
                }));
        }
        (Action::Inject, Some(w)) => {
            let changes = &mut report.assets;
            if let Err(e) =
                assets::remove_stale(&target, &w.assets, !writes, changes, &still_loaded)
            {
                report.failures.push(failure_of(&e));
            }
        }
        _ => {}
    }
    if !report.assets.kept.is_empty() {
        report.warn(WarningKind::AssetsKept, format!(
            "{}: kept {} because page(s) that failed may still load them; fix those pages and run again to remove them",
            assets::asset_dir(&target).display(),
            report.assets.kept.join(", ")
        ));
    }
    Ok(finish(report, started))
}

/// Sort the report's rows and count them.
fn finish(mut report: Report, started: Instant) -> Report {
    report.failures.sort_by(|a, b| a.path.cmp(&b.path));
    report.outdated.sort();
    report.pages.failed = report.failures.len();
    let pages = report
        .outdated
        .iter()
        .filter(|o| matches!(o, Stale::Page { .. }));
    report.pages.outdated = pages.count();
    report.elapsed = started.elapsed();
    report
}

/// A file error after writing began, as a row of the report.
fn failure_of(e: &PathError) -> Failure {
    Failure::new(&e.path, PageError::io(e))
}
