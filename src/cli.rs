//! The command line (clap derive; the doc comments are the help text) and its conversion into
//! plain [`RunSettings`] before any work starts.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, ConfigError, Loaded};
use crate::settings::{Action, RunSettings};

/// Inject an OpenAI ChatKit assistant into every page of a built Docusaurus site.
///
/// Run it after `docusaurus build`: every HTML page gets a floating chat button (bottom right,
/// mirrored on right-to-left pages) that opens a ChatKit panel, in the page's language, talking
/// to your backend. Pages are rewritten in place (or into --out), the widget files are written
/// to BUILD_DIR/chatkit/, and nothing else changes. Running it again replaces the earlier
/// injection; --strip removes it.
#[derive(Debug, Parser)]
#[command(
    name = "chatkit-inject",
    version,
    about,
    long_about,
    term_width = 100,
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    after_help = "Examples:\n  chatkit-inject build/                  inject with the dev profile (backend http://localhost:8000)\n  chatkit-inject build/ --env prod       inject with [profiles.prod] from chatkit.toml\n  chatkit-inject build/ --check          exit 1 if any page lacks the current injection\n  chatkit-inject build/ --strip          remove everything an earlier run added\n  chatkit-inject doctor --env prod       check the prod profile against its live backend\n\nExit codes: 0 all pages fine, 1 some pages failed or --check found pages out of date,\n2 usage, config or input-directory error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The folder `docusaurus build` wrote.
    #[arg(value_name = "BUILD_DIR", default_value = "build")]
    pub build_dir: PathBuf,

    /// Profile from the config: dev (built in), prod, or any [profiles.NAME].
    #[arg(long, value_name = "NAME", default_value = config::DEFAULT_PROFILE)]
    pub env: String,

    /// Config file [default: chatkit.toml in the current directory, if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Write the injected site to DIR and leave BUILD_DIR untouched.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Write nothing; exit 1 if any page lacks the current injection or has a stale one.
    #[arg(long, conflicts_with_all = ["strip", "dry_run", "out"])]
    pub check: bool,

    /// Remove everything an earlier run added (page markup and widget files).
    #[arg(long)]
    pub strip: bool,

    /// Also write the book's text to FILE as JSON Lines (one record per section), read in the
    /// same pass, for an assistant's retrieval [default: [corpus] path in the config].
    #[arg(long, value_name = "FILE", conflicts_with_all = ["check", "strip"])]
    pub corpus: Option<PathBuf>,

    /// Report what would change, write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// The site's baseUrl (e.g. /textbook/) [default: detected from the built pages].
    #[arg(long, value_name = "PATH")]
    pub base_url: Option<String>,

    /// Format of the run report on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,

    /// Pages rewritten at once [default: the number of CPU cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<NonZeroUsize>,

    /// Run on a folder that does not look like a site build (no generator tag or Docusaurus
    /// markers, or more than 20,000 pages), which is refused otherwise.
    #[arg(long)]
    pub force: bool,

    /// Print only errors.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also print the names of the assets written and removed.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Commands other than the injection itself.
#[derive(Debug, Subcommand)]
pub enum Command {
    Doctor(crate::doctor::DoctorArgs),
}

/// `--jobs`: a whole number, at least 1.
fn parse_jobs(value: &str) -> Result<NonZeroUsize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) => NonZeroUsize::new(n).ok_or_else(|| {
            "at least 1 page must be rewritten at once; leave --jobs out to use every CPU core"
                .to_string()
        }),
        Err(_) => Err("expected a whole number of pages rewritten at once, at least 1".to_string()),
    }
}

/// Format of the run report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Lines for people.
    Text,
    /// One JSON object, for CI.
    Json,
}

/// How to print, kept beside the run settings.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub format: Format,
    pub quiet: bool,
    pub verbose: bool,
}

/// Default config file, looked up in the current directory.
pub const DEFAULT_CONFIG_FILE: &str = "chatkit.toml";

impl Cli {
    /// Settle everything a run needs: load and check the config (unless stripping).
    pub fn into_settings(self) -> Result<(RunSettings, Output), ConfigError> {
        let action = if self.check {
            Action::Check
        } else if self.strip {
            Action::Strip
        } else {
            Action::Inject
        };
        let config = if action == Action::Strip {
            None
        } else {
            let loaded = match &self.config {
                Some(path) => config::load(path)?,
                None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                    config::load(Path::new(DEFAULT_CONFIG_FILE))?
                }
                None => Loaded::default(),
            };
            Some(config::resolve(&loaded, &self.env)?)
        };
        let corpus = match (action, self.corpus) {
            (Action::Inject, Some(path)) => Some(path),
            (Action::Inject, None) => config.as_ref().and_then(|c| c.corpus.clone()),
            _ => None,
        };
        let output = Output {
            format: self.format,
            quiet: self.quiet,
            verbose: self.verbose,
        };
        Ok((
            RunSettings {
                build_dir: self.build_dir,
                out_dir: self.out,
                action,
                dry_run: self.dry_run,
                force: self.force,
                base_url: self.base_url,
                jobs: self.jobs.map(NonZeroUsize::get),
                config,
                progress: !self.quiet && self.format == Format::Text,
                ci: running_in_ci(std::env::var_os("CI").as_deref()),
                corpus,
            },
            output,
        ))
    }
}

/// `CI` as CI services set it (`true`, `1`, or any value but an empty one, `0` or `false`).
pub fn running_in_ci(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| {
        let v = v.to_string_lossy();
        let v = v.trim();
        !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_documented_interface() {
        let cli = Cli::parse_from(["chatkit-inject"]);
        assert_eq!(cli.build_dir, PathBuf::from("build"));
        assert_eq!(cli.env, "dev");
        assert_eq!(cli.format, Format::Text);
        assert!(!cli.check && !cli.strip && !cli.dry_run);
    }

    #[test]
    fn check_conflicts_with_strip() {
        assert!(Cli::try_parse_from(["chatkit-inject", "--check", "--strip"]).is_err());
        assert!(Cli::try_parse_from(["chatkit-inject", "--jobs", "0"]).is_err());
    }

    #[test]
    fn ci_detection() {
        use std::ffi::OsStr;
        assert!(running_in_ci(Some(OsStr::new("true"))));
        assert!(running_in_ci(Some(OsStr::new("1"))));
        assert!(running_in_ci(Some(OsStr::new("woodpecker"))));
        assert!(!running_in_ci(Some(OsStr::new(""))));
        assert!(!running_in_ci(Some(OsStr::new("false"))));
        assert!(!running_in_ci(Some(OsStr::new("0"))));
        assert!(!running_in_ci(None));
    }
}
