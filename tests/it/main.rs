//! Integration tests, one binary with a shared harness (see `harness.rs`).
//!
//! - `pages`: one snapshot per fixture page, showing where the dev and prod injections land.
//! - `properties`: over every fixture page: inject twice == inject once, strip(inject(p)) == p,
//!   a different profile replaces, chunked input gives the same bytes, and a page processed as a run
//!   does gives the same result streamed or read into memory.
//! - `cli`: whole runs of the binary (exit code, stdout, stderr) on copies of the fixture sites.
//! - `config_files`: the shipped example config, and config errors as the user sees them.
//! - `corpus`: `--corpus FILE`: the fixture site's corpus equals the reference backend's, and the
//!   corpus's order, dry run, --out, skipped pages, write errors and config key.
//! - `contract`: the widget's test samples have the runtime-config and CSS-context shapes the CLI writes.
//! - `locales`: per-page language, exclude globs under locale folders, accent source, CI warning.
//! - `theme`: colors read from the fixture builds' CSS, overrides, the rendered widget CSS.
//! - `reliability`: killed runs, file-system cases, concurrent runs, mutated pages (docs/reliability.md).
//! - `schema`: every `--format json` report conforms to `docs/report.schema.json` (the harness checks
//!   each one a test produces); every kind the report types can hold is in it; drift fails it.
//! - `usage`: `--help` snapshot, and the README's usage block matches it.
//! - `doctor`: `chatkit-inject doctor` against a fake backend on 127.0.0.1, one failure mode at a time.

mod cli;
mod config_files;
mod contract;
mod corpus;
mod doctor;
mod harness;
mod locales;
mod pages;
mod properties;
mod reliability;
mod schema;
mod theme;
mod usage;
