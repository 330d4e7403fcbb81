//! Finding what is in a build directory: its pages, in a fixed order and as the workers ask for
//! them (so memory does not grow with the site), and the other files whose kind matters to a run
//! (leftovers of a killed run, other HTML extensions, precompressed copies of pages, service
//! workers, everything to copy under `--out`).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::config::Resolved;
use crate::fsx::{self, PathError};
use crate::journal;
use crate::lock;
use crate::report::{LeftFile, Report, Stale, Warning, WarningKind};
use crate::settings::{Action, RunError, RunSettings};
use crate::site::SiteInfo;

/// More pages than any textbook has: a folder with more is most likely not the site build.
pub const MAX_SITE_PAGES: usize = 20_000;

/// A page of the build directory.
#[derive(Debug, Clone)]
pub struct Page {
    /// Relative to the build directory.
    pub rel: PathBuf,
    pub is_symlink: bool,
}

/// What the walk makes of one directory entry.
#[derive(Debug)]
pub enum Entry {
    Page(Page),
    /// A page that is a link this tool does not follow, and why (it counts as a skipped link).
    UnfollowedLink(Page, Warning),
    /// Any other file, relative to the build directory, with its kind.
    Other(PathBuf, SideFile),
    /// A temporary file left by an interrupted run (absolute path).
    Leftover(PathBuf),
    /// A directory that could not be listed: the walk stops there.
    Error(PathError),
}

/// The kinds of files besides pages that a run has something to say about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideFile {
    /// Another HTML extension (`.htm`, `.xhtml`): no widget.
    OtherHtml,
    /// A precompressed copy of a page (`.html.gz`, `.html.br`), which this tool does not rewrite.
    Precompressed,
    /// A service worker script (`sw.js`, `service-worker.js`), which may precache the pages.
    ServiceWorker,
    /// Anything else (copied as it is under `--out`).
    Plain,
}

/// What the walk met besides pages, gathered while the pages are processed (one per worker,
/// merged at the end).
#[derive(Debug, Default)]
pub struct Found {
    /// Every file that is not a page, relative to the build directory (kept under `--out` only,
    /// where they are copied).
    pub others: Vec<PathBuf>,
    /// Pages that are links we do not follow, named for the report.
    pub notes: Vec<Warning>,
    /// Temporary files left by an interrupted run (absolute paths).
    pub leftovers: Vec<PathBuf>,
    /// Files with another HTML extension (`.htm`, `.xhtml`), which get no widget.
    pub other_html: usize,
    /// Precompressed copies of pages (`.html.gz`, `.html.br`).
    pub precompressed: usize,
    /// Service worker scripts.
    pub service_workers: Vec<PathBuf>,
    /// A directory that could not be listed: the walk stopped there.
    pub error: Option<PathError>,
}

impl Found {
    /// Note an entry that is not a page to process. `keep_others`: keep every other file (to
    /// copy under `--out`).
    pub fn add(&mut self, build_dir: &Path, entry: Entry, keep_others: bool) {
        match entry {
            Entry::Page(_) => {}
            Entry::UnfollowedLink(_, note) => self.notes.push(note),
            Entry::Other(rel, kind) => {
                match kind {
                    SideFile::OtherHtml => self.other_html += 1,
                    SideFile::Precompressed => self.precompressed += 1,
                    SideFile::ServiceWorker => self.service_workers.push(build_dir.join(&rel)),
                    SideFile::Plain => {}
                }
                if keep_others {
                    self.others.push(rel);
                }
            }
            Entry::Leftover(path) => self.leftovers.push(path),
            Entry::Error(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    pub fn merge(mut self, other: Found) -> Found {
        self.others.extend(other.others);
        self.notes.extend(other.notes);
        self.leftovers.extend(other.leftovers);
        self.other_html += other.other_html;
        self.precompressed += other.precompressed;
        self.service_workers.extend(other.service_workers);
        if self.error.is_none() {
            self.error = other.error;
        }
        self
    }

    /// Put the lists in a fixed order (the workers met them in any order).
    pub fn sort(&mut self) {
        self.notes.sort_by(|a, b| a.message.cmp(&b.message));
        self.leftovers.sort();
        self.service_workers.sort();
    }
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

/// What a directory entry is; `None` for directories (and the build directory itself).
fn classify(build_dir: &Path, root: &Path, entry: &walkdir::DirEntry) -> Option<Entry> {
    let rel = entry.path().strip_prefix(build_dir).ok()?;
    let ft = entry.file_type();
    if rel.as_os_str().is_empty() || ft.is_dir() {
        return None;
    }
    let name = entry.file_name();
    if fsx::is_temp_file_name(&name.to_string_lossy()) {
        return Some(Entry::Leftover(entry.path().to_path_buf()));
    }
    let is_html = has_extension(name, ".html");
    let page = |is_symlink| Page {
        rel: rel.to_path_buf(),
        is_symlink,
    };
    Some(if is_html && ft.is_symlink() {
        // A link to a page inside the tree: the page gets the widget where it lives. A link
        // that leaves the tree is not followed; a loop or a dangling link cannot be read.
        // Either way the link itself is left alone, and the last two are named (the page is
        // counted as skipped, the note says why).
        let shown = entry.path().display();
        match (fs::metadata(entry.path()), fs::canonicalize(entry.path())) {
            (Ok(meta), Ok(target)) if meta.is_file() => {
                if !target.starts_with(root) {
                    return Some(Entry::UnfollowedLink(
                        page(true),
                        Warning::new(WarningKind::LinkOutsideBuild, format!(
                            "{shown}: symbolic link to a page outside the build directory ({}); not followed, no widget",
                            target.display()
                        )),
                    ));
                }
                Entry::Page(page(true))
            }
            (Err(e), _) => Entry::UnfollowedLink(
                page(true),
                Warning::new(
                    WarningKind::BrokenLink,
                    format!("{shown}: symbolic link that cannot be followed ({e}); skipped"),
                ),
            ),
            _ => Entry::Other(rel.to_path_buf(), SideFile::Plain),
        }
    } else if is_html && ft.is_file() {
        Entry::Page(page(false))
    } else {
        let kind = if has_extension(name, ".htm") || has_extension(name, ".xhtml") {
            SideFile::OtherHtml
        } else if has_extension(name, ".html.gz") || has_extension(name, ".html.br") {
            SideFile::Precompressed
        } else if name == "sw.js" || name == "service-worker.js" {
            SideFile::ServiceWorker
        } else {
            SideFile::Plain
        };
        Entry::Other(rel.to_path_buf(), kind)
    })
}

/// The entries of the build directory, found as the workers ask for them. A directory that
/// cannot be listed ends the walk with [`Entry::Error`].
pub struct PageWalk<'a> {
    build_dir: &'a Path,
    root: PathBuf,
    entries: Box<dyn Iterator<Item = walkdir::Result<walkdir::DirEntry>> + Send + 'a>,
}

impl<'a> PageWalk<'a> {
    pub fn new(build_dir: &'a Path) -> Self {
        PageWalk {
            build_dir,
            root: fs::canonicalize(build_dir).unwrap_or_else(|_| build_dir.to_path_buf()),
            entries: Box::new(walk_dir(build_dir)),
        }
    }
}

impl Iterator for PageWalk<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        loop {
            match self.entries.next()? {
                Ok(e) => {
                    if let Some(entry) = classify(self.build_dir, &self.root, &e) {
                        return Some(entry);
                    }
                }
                Err(e) => {
                    self.entries = Box::new(std::iter::empty());
                    return Some(Entry::Error(list_error(self.build_dir, e)));
                }
            }
        }
    }
}

/// Does the build directory hold more than `limit` pages? (A listing only, stopped at `limit`.)
pub fn more_pages_than(build_dir: &Path, limit: usize) -> bool {
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
pub fn first_pages(build_dir: &Path, n: usize) -> Result<Vec<PathBuf>, PathError> {
    let mut pages = Vec::new();
    for entry in PageWalk::new(build_dir) {
        match entry {
            Entry::Page(page) if !page.is_symlink => {
                pages.push(page.rel);
                if pages.len() == n {
                    break;
                }
            }
            Entry::Error(e) => return Err(e),
            _ => {}
        }
    }
    Ok(pages)
}

/// Files the progress bar counts: pages, and under `--out` everything else too.
pub fn count_files(build_dir: &Path, with_others: bool) -> usize {
    let root = PathBuf::new();
    walk_dir(build_dir)
        .filter_map(Result::ok)
        .filter(|e| match classify(build_dir, &root, e) {
            Some(Entry::Page(_) | Entry::UnfollowedLink(..)) => true,
            Some(Entry::Other(..)) => with_others,
            _ => false,
        })
        .count()
}

/// Remove this tool's temporary files under `dir`; returns how many went.
pub fn remove_leftovers(dir: &Path) -> usize {
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

fn rel_slash(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The `[pages] exclude` globs, each also applied under every locale folder of the site (so
/// `blog/**` excludes `fr/blog/**` too), counting the pages each one matches.
pub struct Excludes {
    set: GlobSet,
    /// For each glob of `set`, the index of the pattern it was made from.
    owner: Vec<usize>,
    patterns: Vec<String>,
    hits: Vec<AtomicUsize>,
}

impl Excludes {
    pub fn new(config: Option<&Resolved>, locale_prefixes: &[String]) -> Self {
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
    pub fn is_match(&self, rel: &Path) -> bool {
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
    pub fn unmatched(&self) -> impl Iterator<Item = &str> {
        self.patterns
            .iter()
            .zip(&self.hits)
            .filter(|(_, h)| h.load(Ordering::Relaxed) == 0)
            .map(|(p, _)| p.as_str())
    }
}

impl Excludes {
    /// A warning for each pattern that matched no page.
    pub fn warnings(&self, locale_prefixes: &[String]) -> Vec<Warning> {
        let also = if locale_prefixes.is_empty() {
            String::new()
        } else {
            format!(
                ", nor under the site's locale folders ({})",
                locale_prefixes
                    .iter()
                    .map(|p| format!("{p}/"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        self.unmatched()
            .map(|pattern| Warning::new(WarningKind::ExcludeMatchesNothing, format!(
                "[pages] exclude {pattern:?} matches no page{also}; globs are paths inside the build directory, e.g. \"blog/**\" or \"docs/private/**\""
            )))
            .collect()
    }
}

impl Found {
    /// Files with another HTML extension, which got no widget.
    pub fn other_html_warning(&self, build_dir: &Path) -> Option<Warning> {
        (self.other_html > 0).then(|| {
            Warning::new(
                WarningKind::OtherHtml,
                format!(
                "{}: {} .htm or .xhtml file(s) left as they are: only .html pages get the widget",
                build_dir.display(),
                self.other_html
            ),
            )
        })
    }

    /// Files derived from the pages that this tool does not rewrite, which go stale when pages
    /// change: precompressed copies, and service workers that precache pages by revision.
    pub fn derived_files_warnings(&self, build_dir: &Path) -> Vec<Warning> {
        let mut warnings = Vec::new();
        if self.precompressed > 0 {
            warnings.push(Warning::new(WarningKind::Precompressed, format!(
                "{}: {} precompressed page copies (.html.gz, .html.br) were left as they were and still hold the pages without this change; compress the pages again after chatkit-inject",
                build_dir.display(),
                self.precompressed
            )));
        }
        for sw in &self.service_workers {
            let precaches = fs::read(sw).is_ok_and(|js| {
                let js = js.to_ascii_lowercase();
                js.windows(8).any(|w| w == b"precache") && js.windows(5).any(|w| w == b".html")
            });
            if precaches {
                warnings.push(Warning::new(WarningKind::ServiceWorker, format!(
                    "{}: a service worker that precaches pages by revision; its revisions are from before this run, so readers who installed it keep the old pages until it is generated again after chatkit-inject",
                    sw.display()
                )));
            }
        }
        warnings
    }
}

/// A folder that is not a site build (a home directory, a source tree) is refused before
/// anything is written: rewriting every HTML file in it would be a disaster to undo.
pub fn refuse_other_folders(settings: &RunSettings, info: &SiteInfo) -> Result<(), RunError> {
    let build_dir = &settings.build_dir;
    if settings.action == Action::Strip || settings.force {
        return Ok(());
    }
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
        let (dir, limit) = (build_dir.clone(), MAX_SITE_PAGES);
        return Err(RunError::TooManyPages { dir, limit });
    }
    Ok(())
}

/// A progress bar on stderr for a long run (when it is a terminal), counting `total` files.
pub fn progress_bar(
    enabled: bool,
    total: impl FnOnce() -> usize,
) -> Option<indicatif::ProgressBar> {
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

impl Found {
    /// Temporary files a killed run left behind: never served, never kept. A run that rewrites
    /// pages in place removes them (listed during the walk, removed now: a file of this run that
    /// the walk saw has been renamed away since); `--check` and `--dry-run` name them.
    pub fn settle_leftovers(
        &self,
        settings: &RunSettings,
        in_place: bool,
        in_build_dir: bool,
        report: &mut Report,
    ) {
        let build_dir = &settings.build_dir;
        if in_place {
            report.leftovers_removed = self
                .leftovers
                .iter()
                .filter(|t| fs::remove_file(t).is_ok())
                .count();
        } else if in_build_dir && !self.leftovers.is_empty() && !lock::is_held(build_dir) {
            // Unless a run holds the directory right now, whose own temporary files these are.
            if settings.action == Action::Check {
                report
                    .outdated
                    .extend(self.leftovers.iter().map(|tmp| Stale::Interrupted {
                        path: tmp.display().to_string(),
                        file: LeftFile::Temporary,
                    }));
            } else {
                report.warn(WarningKind::Leftovers, format!(
                    "{}: {} temporary file(s) left by an interrupted run; a run without --dry-run removes them",
                    build_dir.display(),
                    self.leftovers.len()
                ));
            }
        }
    }
}
