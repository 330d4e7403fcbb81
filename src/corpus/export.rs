//! The corpus as a run writes it: where it may go, then its records sorted and written once
//! the pages are done, summed up in the report.

use std::path::{Path, PathBuf};

use super::PageRecords;
use crate::lock;
use crate::report::{CorpusSummary, Failure, PageError, Report};
use crate::settings::RunError;

/// Under `--out` the build directory is left untouched: the corpus does not go into it.
pub fn check_destination(
    corpus: Option<&PathBuf>,
    build_dir: &Path,
    out_dir: Option<&PathBuf>,
) -> Result<(), RunError> {
    match (corpus, out_dir) {
        (Some(corpus), Some(_)) if lock::is_inside(corpus, build_dir) => {
            Err(RunError::CorpusInsideBuild {
                corpus: corpus.clone(),
                build: build_dir.to_path_buf(),
            })
        }
        _ => Ok(()),
    }
}

/// Sort the pages' records and write them to `path` (atomically; not under `--dry-run`). A
/// failed write is a row of the report naming the file. `target` is the folder the site is
/// deployed from.
pub fn finish(
    path: &Path,
    pages: Vec<PageRecords>,
    dry_run: bool,
    target: &Path,
    report: &mut Report,
) -> CorpusSummary {
    let page_count = pages.len();
    let records = super::sort(pages);
    let written = !dry_run
        && match super::write(path, &records) {
            Ok(()) => true,
            Err(e) => {
                report
                    .failures
                    .push(Failure::new(&e.path, PageError::io(&e)));
                false
            }
        };
    CorpusSummary {
        path: path.display().to_string(),
        records: records.len(),
        pages: page_count,
        written,
        in_site: lock::is_inside(path, target),
    }
}
