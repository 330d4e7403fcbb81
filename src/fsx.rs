//! Filesystem calls that name the path in their error, and the atomic file write.
//!
//! `write_atomic` writes a temporary file beside its destination and renames it over it, so a
//! run killed at any point leaves the file either old or new. Pages are normally rewritten in
//! place under the undo journal instead (`crate::journal`, much cheaper on common CI disks);
//! the rename is used for new files (assets, pages under `--out`), pages too large to hold in
//! memory, hard-linked pages and pages that cannot be opened for writing. Temporary files carry
//! a fixed prefix so the next run can remove any that a killed run left behind.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Prefix of every temporary file this tool creates next to a page.
pub const TEMP_PREFIX: &str = ".chatkit-inject-";
/// Suffix of every temporary file this tool creates next to a page.
pub const TEMP_SUFFIX: &str = ".tmp";

/// An I/O error together with the path it is about.
#[derive(Debug, thiserror::Error)]
#[error("{}: {action}: {source}", path.display())]
pub struct PathError {
    pub path: PathBuf,
    pub action: &'static str,
    #[source]
    pub source: io::Error,
}

impl PathError {
    pub fn new(path: &Path, action: &'static str, source: io::Error) -> Self {
        PathError {
            path: path.to_path_buf(),
            action,
            source,
        }
    }
}

pub fn read(path: &Path) -> Result<Vec<u8>, PathError> {
    fs::read(path).map_err(|e| PathError::new(path, "cannot read", e))
}

pub fn read_to_string(path: &Path) -> Result<String, PathError> {
    fs::read_to_string(path).map_err(|e| PathError::new(path, "cannot read", e))
}

pub fn create_dir_all(path: &Path) -> Result<(), PathError> {
    fs::create_dir_all(path).map_err(|e| PathError::new(path, "cannot create directory", e))
}

pub fn remove_file(path: &Path) -> Result<(), PathError> {
    fs::remove_file(path).map_err(|e| PathError::new(path, "cannot remove", e))
}

pub fn copy(from: &Path, to: &Path) -> Result<(), PathError> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| PathError::new(to, "cannot copy", e))
}

/// Is this file name one of our temporary files (possibly left behind by a killed run)?
pub fn is_temp_file_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

/// Replace `path` with `contents` atomically: write a temporary file in the same directory, give
/// it `permissions` (the old page's, so a web server can still read it), then rename it over
/// `path`. On any error the temporary file is removed and `path` is left as it was.
pub fn write_atomic(
    path: &Path,
    contents: &[u8],
    permissions: Option<fs::Permissions>,
) -> Result<(), PathError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(|e| PathError::new(path, "cannot create a temporary file beside", e))?;
    tmp.write_all(contents)
        .map_err(|e| PathError::new(path, "cannot write", e))?;
    if let Some(perms) = permissions.or_else(default_file_permissions) {
        tmp.as_file()
            .set_permissions(perms)
            .map_err(|e| PathError::new(path, "cannot set permissions of", e))?;
    }
    tmp.persist(path)
        .map_err(|e| PathError::new(path, "cannot replace", e.error))?;
    Ok(())
}

/// Permissions for a file we create from nothing (a new asset, a page under `--out`): rw-r--r--.
/// Elsewhere than Unix the temporary file's own permissions are kept.
fn default_file_permissions() -> Option<fs::Permissions> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_contents_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("index.html");
        fs::write(&page, b"old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&page, fs::Permissions::from_mode(0o640)).unwrap();
        }
        let perms = fs::metadata(&page).unwrap().permissions();
        write_atomic(&page, b"new", Some(perms.clone())).unwrap();
        assert_eq!(fs::read(&page).unwrap(), b"new");
        assert_eq!(fs::metadata(&page).unwrap().permissions(), perms);
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| is_temp_file_name(&e.file_name().to_string_lossy()))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }

    #[test]
    fn atomic_write_error_names_the_page() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("missing-dir").join("index.html");
        let err = write_atomic(&page, b"x", None).unwrap_err();
        assert!(err.to_string().contains("missing-dir"), "{err}");
    }

    #[test]
    fn temp_names_are_recognised() {
        assert!(is_temp_file_name(".chatkit-inject-abc123.tmp"));
        assert!(!is_temp_file_name("index.html"));
        assert!(!is_temp_file_name(".chatkit-inject-abc123"));
    }
}
