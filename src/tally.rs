//! What a run's pages came to, summed over the workers: the counts and rows of the report, and
//! what the walk met besides pages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::corpus::PageRecords;
use crate::csp;
use crate::i18n;
use crate::inject::{Snippets, MARKER};
use crate::page::{Done, Outcome};
use crate::report::{CspBlocked, Failure, PageCounts, Report, Stale, WarningKind};
use crate::walk::{Found, Page};

/// The pages' results so far.
#[derive(Default)]
pub struct Tally {
    pub counts: PageCounts,
    pub failures: Vec<Failure>,
    pub outdated: Vec<Stale>,
    /// Pages carrying the widget, by the locale of their strings.
    pub languages: BTreeMap<String, usize>,
    /// Pages whose `<html lang>` (normalised) is not English and matched no locale, so they got
    /// the English strings.
    pub untranslated: BTreeMap<String, usize>,
    /// Pages holding an element marked like ours that is not ours (left untouched).
    pub marked_other: Vec<String>,
    /// Pages that failed, relative to the build directory: they may still load assets that
    /// would otherwise be removed.
    pub failed: Vec<PathBuf>,
    /// Pages whose Content-Security-Policy would block the widget.
    pub csp_blocked: Vec<CspBlocked>,
    /// What the walk met besides pages.
    pub found: Found,
    /// The pages' corpus records (`--corpus`), in no particular order.
    pub corpus: Vec<PageRecords>,
}

impl Tally {
    /// Count one page's result.
    pub fn add(
        &mut self,
        build_dir: &Path,
        snippets: Option<&Snippets>,
        page: &Page,
        mut done: Done,
    ) {
        if !done.corpus.is_empty() {
            self.corpus.push(PageRecords {
                rel: page.rel.to_string_lossy().into_owned(),
                records: std::mem::take(&mut done.corpus),
            });
        }
        let path = || build_dir.join(&page.rel).display().to_string();
        if done.marked_other {
            self.marked_other.push(path());
        }
        if let (Some(lang), Some(snippets)) = (&done.widget, snippets) {
            self.add_language(snippets, lang.as_deref());
        }
        if !done.csp_blocked.is_empty() {
            self.csp_blocked.push(CspBlocked {
                path: path(),
                message: csp::describe(&done.csp_blocked),
                blocked: done.csp_blocked,
            });
        }
        let c = &mut self.counts;
        match done.outcome {
            Outcome::Injected => c.injected += 1,
            Outcome::Unchanged => c.unchanged += 1,
            Outcome::Stripped => c.stripped += 1,
            Outcome::Skipped(reason) => *c.skipped.entry(reason).or_default() += 1,
            Outcome::Outdated => self.outdated.push(Stale::Page { path: path() }),
            Outcome::Failed(error) => {
                self.failed.push(page.rel.clone());
                self.failures
                    .push(Failure::new(&build_dir.join(&page.rel), error));
            }
        }
        c.total += 1;
    }

    fn add_language(&mut self, snippets: &Snippets, lang: Option<&str>) {
        match snippets.locale_of(lang) {
            Some(tag) => *self.languages.entry(tag.to_string()).or_default() += 1,
            None => {
                *self
                    .languages
                    .entry(i18n::FALLBACK.to_string())
                    .or_default() += 1;
                let tag = lang.map(i18n::normalize_tag).unwrap_or_default();
                if !tag.is_empty() && i18n::primary(&tag) != i18n::FALLBACK {
                    *self.untranslated.entry(tag).or_default() += 1;
                }
            }
        }
    }

    pub fn merge(mut self, other: Tally) -> Tally {
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
        self.csp_blocked.extend(other.csp_blocked);
        self.corpus.extend(other.corpus);
        self.found = self.found.merge(other.found);
        self
    }

    /// Put the pages' results into the report: warnings about languages without a translation
    /// and elements marked like ours (and, when pages changed, about the files `found` derived
    /// from them), then the counts and rows. Returns the pages that failed.
    pub fn into_report(self, report: &mut Report, found: &Found, build_dir: &Path) -> Vec<PathBuf> {
        for (lang, n) in &self.untranslated {
            report.warn(WarningKind::Untranslated, format!(
                "{n} page(s) have <html lang=\"{lang}\">, for which there is no translation: their widget speaks English; add a [locales.{lang}] table to chatkit.toml"
            ));
        }
        if self.counts.injected + self.counts.stripped > 0 {
            report
                .warnings
                .extend(found.derived_files_warnings(build_dir));
        }
        let mut marked_other = self.marked_other;
        marked_other.sort();
        for page in marked_other {
            report.warn(WarningKind::ForeignMarker, format!(
                "{page}: holds an element with the {MARKER} attribute that this tool did not write; it was left as it is (remove the attribute if it is a leftover)"
            ));
        }
        report.languages = self.languages;
        report.pages = self.counts;
        report.failures.extend(self.failures);
        report.outdated.extend(self.outdated);
        let mut blocked = self.csp_blocked;
        blocked.sort_by(|a, b| a.path.cmp(&b.path));
        report.csp_blocked.extend(blocked);
        self.failed
    }
}
