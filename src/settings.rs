//! What a run is asked to do, settled from the command line before any work starts: the
//! [`Action`] and the [`RunSettings`]. Everything else (the walk, the pages, the report) reads
//! these and nothing above it.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::Resolved;

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
}
