//! What a run is asked to do, settled from the command line before any work starts: the
//! [`Action`] and the [`RunSettings`]. Everything else (the walk, the pages, the report) reads
//! these and nothing above it.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::{self, Resolved};
use crate::fsx::PathError;

/// What the run does to the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Add (or refresh) the widget.
    Inject,
    /// Write nothing; find pages whose injection is missing or stale.
    Check,
    /// Remove everything an earlier run added.
    Strip,
}

/// Everything a run needs, settled before any work starts.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub build_dir: PathBuf,
    pub out_dir: Option<PathBuf>,
    pub action: Action,
    pub dry_run: bool,
    /// Run on a folder that does not look like a site build.
    pub force: bool,
    pub base_url: Option<String>,
    pub jobs: Option<usize>,
    /// `None` for `--strip`, which needs no configuration.
    pub config: Option<Resolved>,
    /// Show a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// Running in CI (the `CI` environment variable is set): a dev-profile run is then most
    /// likely a mistake in the publishing step, and the report says so.
    pub ci: bool,
    /// `--corpus FILE` (or `[corpus] path`): write the book's text there as JSON Lines.
    pub corpus: Option<PathBuf>,
}

impl RunSettings {
    /// A run in CI with the built-in dev profile, whose pages would call a local backend: most
    /// likely a mistake in the publishing step.
    pub fn ci_warning(&self) -> Option<String> {
        let config = self.config.as_ref()?;
        let dev =
            config.env == config::DEFAULT_PROFILE && config::is_local_url(&config.backend_url);
        (self.ci && self.action != Action::Strip && dev).then(|| format!(
            "CI is set and this run uses the dev profile: the pages will call {}, which no reader can reach; publish with --env prod (a [profiles.prod] table in chatkit.toml)",
            config.backend_url
        ))
    }
}

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
    /// Another run holds this directory (or, under `--out`, is writing the one this run reads).
    #[error("{}: another chatkit-inject run is working on this directory, on a folder inside it, or is reading it for --out; wait for it to finish", .0.display())]
    Locked(PathBuf),
    /// A run on `other`, which contains `dir`, holds it.
    #[error("{}: another chatkit-inject run is working on {}, which holds this directory; wait for it to finish", dir.display(), other.display())]
    LockedAbove { dir: PathBuf, other: PathBuf },
    #[error("{}: does not look like a site build (no generator tag, Docusaurus root or asset layout in its home page, 404 page or first pages); pass the folder `docusaurus build` wrote, or --force to inject anyway", .0.display())]
    NotASite(PathBuf),
    #[error("{}: more than {limit} pages, far more than a textbook (is this the folder `docusaurus build` wrote?); pass --force to inject anyway", dir.display())]
    TooManyPages { dir: PathBuf, limit: usize },
    #[error("{}: --corpus must not be inside the build directory {} when writing to --out (which leaves the build directory untouched); put it under --out or elsewhere", corpus.display(), build.display())]
    CorpusInsideBuild { corpus: PathBuf, build: PathBuf },
    #[error("--base-url {0:?}: expected a URL path such as / or /textbook/")]
    BadBaseUrl(String),
    #[error("{}: cannot render the widget CSS template: {message}", template.display())]
    Template { template: PathBuf, message: String },
    #[error(transparent)]
    Io(#[from] PathError),
}
