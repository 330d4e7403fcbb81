//! Other runs, past and present.
//!
//! Which trees a run holds: two runs on overlapping trees at once would race on the same pages,
//! so a writing run locks the directory it writes (exclusively), the directories above it and,
//! under `--out`, the build directory it reads (shared). The second run waits for nobody and
//! refuses (exit 2). The locks are advisory locks on the directories themselves, so nothing is
//! left behind if the run is killed.
//!
//! What a killed run left: pages half-written, put back from its undo journal (see `journal`)
//! or named.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::fsx::PathError;
use crate::journal;
use crate::report::{LeftFile, Report, Stale, WarningKind};
use crate::settings::{Action, RunError, RunSettings};

/// Is a run writing `dir` right now (it holds the directory's lock)?
pub fn is_held(dir: &Path) -> bool {
    matches!(lock_dir(dir), Err(RunError::Locked(_)))
}

/// Do two paths name the same directory?
pub fn same_path(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Is `child` (which may not exist yet) inside `parent`?
pub fn is_inside(child: &Path, parent: &Path) -> bool {
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
pub struct TreeLock {
    _held: Vec<fs::File>,
}

impl TreeLock {
    /// Lock `target` to write it, and under `--out` the build directory it `reads`.
    pub fn new(target: &Path, reads: Option<&Path>) -> Result<TreeLock, RunError> {
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

/// Lock one directory exclusively.
fn lock_dir(dir: &Path) -> Result<fs::File, RunError> {
    let file = fs::File::open(dir).map_err(|e| PathError::new(dir, "cannot open", e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(RunError::Locked(dir.to_path_buf())),
        Err(fs::TryLockError::Error(e)) => Err(RunError::Io(PathError::new(dir, "cannot lock", e))),
    }
}

/// Pages a killed run left half-written: put back from its undo journal when this run rewrites
/// pages in place; otherwise named (and under `--out`, returned: they are not copied, they
/// fail, as the copy would carry the damage). `holds`: this run holds a lock on the tree.
pub fn interrupted_pages(
    settings: &RunSettings,
    in_place: bool,
    holds: bool,
    report: &mut Report,
) -> Result<HashSet<PathBuf>, PathError> {
    let build_dir = &settings.build_dir;
    if in_place {
        let recovery = journal::recover(build_dir)?;
        report.pages_restored = recovery.restored.len();
        for page in recovery.mismatched {
            report.warn(WarningKind::ChangedSinceInterrupted, format!(
                "{}: changed since an interrupted run wrote it; its undo journal record was not applied",
                page.display()
            ));
        }
        return Ok(HashSet::new());
    }
    let pending = journal::pending(build_dir)?;
    if pending.is_empty() {
        return Ok(HashSet::new());
    }
    // An --out run holds the build directory for reading: no run can be writing it.
    if !holds && is_held(build_dir) {
        // Not interrupted: a run is writing the directory right now.
        report.warn(WarningKind::RunInProgress, format!(
            "{}: another chatkit-inject run is writing this directory right now; what this run saw is not final",
            build_dir.display()
        ));
        return Ok(HashSet::new());
    }
    report.warn(WarningKind::Interrupted, format!(
        "{}: an interrupted run left {} page(s) that may be half-written; run chatkit-inject on it (without --check, --dry-run or --out) to restore and finish them",
        build_dir.join(journal::DIR_NAME).display(),
        pending.len()
    ));
    if settings.action == Action::Check {
        report
            .outdated
            .extend(pending.iter().map(|(_, record)| Stale::Interrupted {
                path: build_dir.join(&record.rel).display().to_string(),
                file: LeftFile::Page,
            }));
    }
    let out_writes = settings.out_dir.is_some() && holds;
    Ok(pending
        .into_iter()
        .filter(|_| out_writes)
        .map(|(_, record)| record.rel)
        .collect())
}
