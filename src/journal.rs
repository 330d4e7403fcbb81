//! In-place page writes made safe against a killed run by an undo journal.
//!
//! Replacing a page with a temporary file and a `rename` is atomic, but creating a file per page
//! and freeing the old page's blocks costs most of a run's time on common CI disks (ext4 mounted
//! with `discard`: about ten times the cost of the rewrite itself). So a page is rewritten in
//! place instead, and what the write destroys is saved first:
//!
//! 1. Each worker thread owns one journal file under [`DIR_NAME`] in the build directory. Before
//!    it touches a page it writes, at offset 0 of that file, one record: the page's path, the
//!    offset of the first byte that changes, the original bytes from there to the end, and a
//!    trailer that repeats the record's identity. The worker then overwrites the page from that
//!    offset on (and truncates it, when the new page is shorter).
//! 2. A worker handles one page at a time, so only its latest record can describe a page whose
//!    write did not finish: each record overwrites the previous one, and the journal stays the
//!    size of one page per worker. No file is created per page.
//! 3. A kill at any point leaves each page original, new, or half-written with a complete record
//!    in the journal (the record was written, by `write`, before the page was touched; the page
//!    cache keeps both even though the process died). A torn record (killed while writing it)
//!    has no valid trailer and its page was not touched yet.
//! 4. The next run that writes the directory restores every page that has a complete record
//!    (whether or not its write finished: an original page is correct either way) before doing
//!    anything else, then removes the journal. A run that ends normally removes its journal.
//!
//! A record is restored only if the page still looks like the one it was taken from: the bytes
//! before the changed offset hash the same and the length lies between the old and new lengths.
//! A page that was rebuilt since is left alone (and named in a warning).
//!
//! This protects against the process dying (SIGKILL, OOM killer, a cancelled CI job), not against
//! the machine losing power: like the rename it replaces, nothing is `fsync`ed.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::fsx::{self, PathError};

/// The journal directory, at the top of the build directory.
pub const DIR_NAME: &str = ".chatkit-inject-journal";
/// Suffix of a journal file.
const FILE_SUFFIX: &str = ".journal";
const MAGIC: &[u8; 8] = b"CKIJREC1";
const TRAILER_MAGIC: &[u8; 8] = b"CKIJEND1";

/// Why a page could not be written in place; the caller falls back to the atomic rename.
pub enum InPlace {
    /// Written.
    Done,
    /// Not a case for in-place writing (the page is a hard link, or cannot be opened for
    /// writing while its directory may still allow a rename).
    NotSuitable,
}

/// The journal of one run, shared by its workers.
pub struct Journal {
    dir: PathBuf,
    /// Random for each run, so a record can never be mistaken for one of an older run.
    run_id: [u8; 16],
    slots: Vec<Mutex<Option<Slot>>>,
    next_file: AtomicUsize,
    seq: AtomicU64,
    /// Pages whose write failed and could not be undone: their records must survive the run.
    pinned: Mutex<Vec<PathBuf>>,
}

struct Slot {
    path: PathBuf,
    file: fs::File,
}

/// A record read back from a journal file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The page, relative to the build directory.
    pub rel: PathBuf,
    /// The page's length before the write.
    pub orig_len: u64,
    /// The page's length after the write.
    pub new_len: u64,
    /// Offset of the first byte the write changes.
    pub offset: u64,
    /// FNV-1a hash of the bytes before `offset`.
    pub prefix_hash: u64,
    /// The original bytes from `offset` to the end.
    pub tail: Vec<u8>,
}

impl Record {
    /// The page as it was, given its current bytes, or `None` if these bytes cannot come from
    /// an interrupted write of this record (the page changed since).
    pub fn restore(&self, current: &[u8]) -> Option<Vec<u8>> {
        if !self.matches(current) {
            return None;
        }
        let mut page = current[..self.offset as usize].to_vec();
        page.extend_from_slice(&self.tail);
        Some(page)
    }

    fn matches(&self, current: &[u8]) -> bool {
        let len = current.len() as u64;
        let (lo, hi) = if self.orig_len <= self.new_len {
            (self.orig_len, self.new_len)
        } else {
            (self.new_len, self.orig_len)
        };
        len >= lo
            && len <= hi
            && self.offset <= len
            && fnv1a(&current[..self.offset as usize]) == self.prefix_hash
    }
}

/// What [`recover`] did.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Pages put back as they were before an interrupted write.
    pub restored: Vec<PathBuf>,
    /// Records whose page changed since (or is gone); those pages were left alone.
    pub mismatched: Vec<PathBuf>,
}

/// 64-bit FNV-1a: cheap, and enough to tell a page from a different one.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const STEP: usize = 64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + STEP <= n && a[i..i + STEP] == b[i..i + STEP] {
        i += STEP;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

fn random_id() -> [u8; 16] {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut id = [0u8; 16];
    for (i, chunk) in id.chunks_mut(8).enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u32(std::process::id());
        if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(t.as_nanos());
        }
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    id
}

#[cfg(unix)]
fn rel_bytes(rel: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    rel.as_os_str().as_bytes().to_vec()
}

#[cfg(unix)]
fn rel_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn rel_bytes(rel: &Path) -> Vec<u8> {
    rel.to_string_lossy().into_owned().into_bytes()
}

#[cfg(not(unix))]
fn rel_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// One record, ready to write at offset 0 of a journal file.
fn encode(
    run_id: &[u8; 16],
    seq: u64,
    rel: &Path,
    orig: &[u8],
    new_len: usize,
    offset: usize,
) -> Vec<u8> {
    let path = rel_bytes(rel);
    let tail = &orig[offset..];
    let mut rec = Vec::with_capacity(8 + 16 + 8 + 4 + path.len() + 40 + tail.len() + 40);
    rec.extend_from_slice(MAGIC);
    rec.extend_from_slice(run_id);
    rec.extend_from_slice(&seq.to_le_bytes());
    rec.extend_from_slice(&(path.len() as u32).to_le_bytes());
    rec.extend_from_slice(&path);
    rec.extend_from_slice(&(orig.len() as u64).to_le_bytes());
    rec.extend_from_slice(&(new_len as u64).to_le_bytes());
    rec.extend_from_slice(&(offset as u64).to_le_bytes());
    rec.extend_from_slice(&fnv1a(&orig[..offset]).to_le_bytes());
    rec.extend_from_slice(&(tail.len() as u64).to_le_bytes());
    rec.extend_from_slice(tail);
    let len = rec.len() as u64 + 40;
    rec.extend_from_slice(TRAILER_MAGIC);
    rec.extend_from_slice(run_id);
    rec.extend_from_slice(&seq.to_le_bytes());
    rec.extend_from_slice(&len.to_le_bytes());
    rec
}

/// The record at the start of a journal file's bytes, if it is complete.
pub fn decode(bytes: &[u8]) -> Option<Record> {
    struct Cursor<'a>(&'a [u8]);
    impl<'a> Cursor<'a> {
        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            if self.0.len() < n {
                return None;
            }
            let (head, rest) = self.0.split_at(n);
            self.0 = rest;
            Some(head)
        }
        fn u64(&mut self) -> Option<u64> {
            Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
        }
        fn u32(&mut self) -> Option<u32> {
            Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
        }
    }
    let mut c = Cursor(bytes);
    if c.take(8)? != MAGIC {
        return None;
    }
    let run_id = c.take(16)?;
    let seq = c.u64()?;
    let path_len = c.u32()? as usize;
    let rel = rel_from_bytes(c.take(path_len)?);
    let orig_len = c.u64()?;
    let new_len = c.u64()?;
    let offset = c.u64()?;
    let prefix_hash = c.u64()?;
    let tail_len = usize::try_from(c.u64()?).ok()?;
    let tail = c.take(tail_len)?.to_vec();
    let body_len = (bytes.len() - c.0.len()) as u64;
    if c.take(8)? != TRAILER_MAGIC || c.take(16)? != run_id || c.u64()? != seq {
        return None;
    }
    if c.u64()? != body_len + 40 || offset.checked_add(tail_len as u64) != Some(orig_len) {
        return None;
    }
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    Some(Record {
        rel,
        orig_len,
        new_len,
        offset,
        prefix_hash,
        tail,
    })
}

/// The complete records left in `build_dir`'s journal by an interrupted run, with the file
/// each came from.
pub fn pending(build_dir: &Path) -> Result<Vec<(PathBuf, Record)>, PathError> {
    let dir = build_dir.join(DIR_NAME);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(PathError::new(&dir, "cannot list the undo journal", e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| PathError::new(&dir, "cannot list the undo journal", e))?;
        files.push(entry.path());
    }
    files.sort();
    let mut records = Vec::new();
    for file in files {
        if !file.is_file() {
            continue;
        }
        let bytes = fsx::read(&file)?;
        if let Some(record) = decode(&bytes) {
            records.push((file, record));
        }
    }
    Ok(records)
}

/// Put back every page an interrupted run left with a journal record, then remove the journal.
pub fn recover(build_dir: &Path) -> Result<Recovery, PathError> {
    let dir = build_dir.join(DIR_NAME);
    if !dir.exists() {
        return Ok(Recovery::default());
    }
    let mut recovery = Recovery::default();
    for (_, record) in pending(build_dir)? {
        let page = build_dir.join(&record.rel);
        let current = match fs::read(&page) {
            Ok(b) => b,
            Err(_) => {
                recovery.mismatched.push(page);
                continue;
            }
        };
        if !record.matches(&current) {
            recovery.mismatched.push(page);
            continue;
        }
        if current[record.offset as usize..] != record.tail[..] {
            write_tail(&page, &record.tail, record.offset, record.orig_len)
                .map_err(|e| PathError::new(&page, "cannot restore (from the undo journal)", e))?;
        }
        recovery.restored.push(page);
    }
    fs::remove_dir_all(&dir)
        .map_err(|e| PathError::new(&dir, "cannot remove the undo journal", e))?;
    Ok(recovery)
}

/// Overwrite `page` from `offset` with `tail` and cut it to `len` bytes.
#[cfg(unix)]
fn write_tail(page: &Path, tail: &[u8], offset: u64, len: u64) -> io::Result<()> {
    let file = fs::OpenOptions::new().write(true).open(page)?;
    let now = file.metadata()?.len();
    write_tail_to(&file, tail, offset, now, len)
}

/// Write `tail` at `offset` of a file `now` bytes long, and cut it to `len` bytes if it was
/// longer than that.
#[cfg(unix)]
fn write_tail_to(file: &fs::File, tail: &[u8], offset: u64, now: u64, len: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(tail, offset)?;
    if now > len {
        file.set_len(len)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn write_tail(page: &Path, tail: &[u8], offset: u64, len: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let mut file = fs::OpenOptions::new().write(true).open(page)?;
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(tail)?;
    file.set_len(len)
}

impl Journal {
    /// A journal for a run over `build_dir` with up to `workers` threads. Nothing is created
    /// until the first page is written.
    pub fn new(build_dir: &Path, workers: usize) -> Journal {
        Journal {
            dir: build_dir.join(DIR_NAME),
            run_id: random_id(),
            slots: (0..workers.max(1)).map(|_| Mutex::new(None)).collect(),
            next_file: AtomicUsize::new(0),
            seq: AtomicU64::new(0),
            pinned: Mutex::new(Vec::new()),
        }
    }

    /// Replace the page at `path` (`rel` inside the build directory), open for writing as
    /// `file` with metadata `meta`, whose bytes are `orig`, with `new`, in place, journalled.
    #[cfg(unix)]
    pub fn write_page(
        &self,
        file: &fs::File,
        meta: &fs::Metadata,
        path: &Path,
        rel: &Path,
        orig: &[u8],
        new: &[u8],
    ) -> Result<InPlace, PathError> {
        use std::os::unix::fs::{FileExt, MetadataExt};

        // A hard link is one file under several names: rewriting it in place would change the
        // other names too, and two workers could meet on it. Those get the rename.
        if meta.nlink() > 1 || !meta.is_file() || meta.len() != orig.len() as u64 {
            return Ok(InPlace::NotSuitable);
        }
        let offset = common_prefix(orig, new);
        let index = rayon::current_thread_index().unwrap_or(0) % self.slots.len();
        let mut slot = self.slots[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() {
            // No journal (the top of the build directory is not writable, say): the page gets
            // the rename, which needs only its own directory.
            match self.open_slot() {
                Ok(s) => *slot = Some(s),
                Err(_) => return Ok(InPlace::NotSuitable),
            }
        }
        let Some(journal) = slot.as_ref() else {
            return Ok(InPlace::NotSuitable);
        };
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let record = encode(&self.run_id, seq, rel, orig, new.len(), offset);
        journal.file.write_all_at(&record, 0).map_err(|e| {
            PathError::new(path, "cannot save to the undo journal before writing", e)
        })?;

        #[cfg(debug_assertions)]
        crate::failpoint::torn_write(seq, file, &new[offset..], offset as u64);
        let (old_len, new_len) = (orig.len() as u64, new.len() as u64);
        if let Err(e) = write_tail_to(file, &new[offset..], offset as u64, old_len, new_len) {
            // Undo at once; the original bytes are still in memory. If even that fails the
            // record stays for the next run.
            let now = file.metadata().map_or(new_len.max(old_len), |m| m.len());
            if write_tail_to(file, &orig[offset..], offset as u64, now, old_len).is_err() {
                self.pin(&mut slot, path);
            }
            return Err(PathError::new(path, "cannot write", e));
        }
        #[cfg(debug_assertions)]
        crate::failpoint::page_written();
        Ok(InPlace::Done)
    }

    #[cfg(not(unix))]
    pub fn write_page(
        &self,
        _: &fs::File,
        _: &fs::Metadata,
        _: &Path,
        _: &Path,
        _: &[u8],
        _: &[u8],
    ) -> Result<InPlace, PathError> {
        Ok(InPlace::NotSuitable)
    }

    fn open_slot(&self) -> Result<Slot, PathError> {
        fsx::create_dir_all(&self.dir)?;
        let n = self.next_file.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!("{n}{FILE_SUFFIX}"));
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| PathError::new(&path, "cannot create the undo journal", e))?;
        Ok(Slot { path, file })
    }

    /// Keep the slot's record (it describes a page left half-written) and give the worker a new
    /// journal file next time.
    fn pin(&self, slot: &mut Option<Slot>, page: &Path) {
        *slot = None;
        if let Ok(mut p) = self.pinned.lock() {
            p.push(page.to_path_buf());
        }
    }

    /// Pages left half-written because a failed write could not be undone. Their records stay in
    /// the journal and the next run restores them.
    pub fn pinned(&self) -> Vec<PathBuf> {
        self.pinned.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// End of the run: remove the journal, unless it holds records still needed.
    pub fn finish(self) -> Result<(), PathError> {
        let pinned = self.pinned();
        let mut slots = Vec::new();
        for s in self.slots {
            if let Some(slot) = s
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
            {
                slots.push(slot);
            }
        }
        if !pinned.is_empty() {
            // Only the pinned records must survive: drop the files of the healthy slots.
            for slot in slots {
                drop(slot.file);
                let _ = fs::remove_file(&slot.path);
            }
            return Ok(());
        }
        drop(slots);
        match fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(PathError::new(
                &self.dir,
                "cannot remove the undo journal",
                e,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(dir: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, bytes).expect("write");
        p
    }

    fn write_in_place(journal: &Journal, path: &Path, orig: &[u8], new: &[u8]) -> InPlace {
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .expect("open");
        let meta = file.metadata().expect("metadata");
        journal
            .write_page(&file, &meta, path, Path::new("a.html"), orig, new)
            .expect("write")
    }

    const ORIG: &[u8] = b"<html><head><title>t</title></head><body><p>hello</p></body></html>";
    const NEW: &[u8] =
        b"<html><head><title>t</title><link data-x></head><body><p>hello</p><script data-x></script></body></html>";

    #[test]
    fn records_round_trip_and_torn_records_are_refused() {
        let rel = Path::new("docs/a b/index.html");
        let offset = common_prefix(ORIG, NEW);
        assert_eq!(&ORIG[..offset], b"<html><head><title>t</title><");
        let rec = encode(&[7; 16], 3, rel, ORIG, NEW.len(), offset);
        let got = decode(&rec).expect("complete record");
        assert_eq!(got.rel, rel);
        assert_eq!(got.offset as usize, offset);
        assert_eq!(got.tail, &ORIG[offset..]);
        assert_eq!(
            (got.orig_len, got.new_len),
            (ORIG.len() as u64, NEW.len() as u64)
        );
        // Every strict prefix is a torn write: refused.
        for cut in 0..rec.len() {
            assert!(
                decode(&rec[..cut]).is_none(),
                "a record cut at {cut} was accepted"
            );
        }
        // A new record torn over an older, longer one: the old trailer does not match.
        let old = encode(&[7; 16], 2, rel, NEW, ORIG.len(), 0);
        for cut in 8..rec.len() {
            let mut file = old.clone();
            file.resize(file.len().max(rec.len()), 0);
            file[..cut].copy_from_slice(&rec[..cut]);
            if let Some(r) = decode(&file) {
                // Only an untouched old record may still be read.
                assert_eq!(r.tail, NEW, "a torn record was accepted at {cut}");
            }
        }
        // A path that would leave the build directory is never trusted.
        let evil = encode(&[7; 16], 4, Path::new("../x.html"), ORIG, NEW.len(), offset);
        assert!(decode(&evil).is_none());
    }

    #[test]
    fn a_write_killed_halfway_is_restored_by_the_next_run() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = page(dir.path(), "docs/index.html", ORIG);
        let offset = common_prefix(ORIG, NEW);
        // What a run killed after writing the record and part of the page leaves.
        for written in [0, 1, 10, NEW.len() - offset] {
            fs::write(&path, ORIG).expect("write");
            let journal = dir.path().join(DIR_NAME);
            fs::create_dir_all(&journal).expect("mkdir");
            let rec = encode(
                &[1; 16],
                0,
                Path::new("docs/index.html"),
                ORIG,
                NEW.len(),
                offset,
            );
            fs::write(journal.join("0.journal"), &rec).expect("journal");
            let mut half = ORIG.to_vec();
            let end = offset + written;
            if end > half.len() {
                half.resize(end, 0);
            }
            half[offset..end].copy_from_slice(&NEW[offset..end]);
            fs::write(&path, &half).expect("half");

            let rec = recover(dir.path()).expect("recover");
            assert_eq!(rec.restored, vec![path.clone()], "written {written}");
            assert!(rec.mismatched.is_empty());
            assert_eq!(fs::read(&path).expect("read"), ORIG, "written {written}");
            assert!(!journal.exists(), "the journal stays after recovery");
        }
    }

    #[test]
    fn a_page_rebuilt_since_is_not_touched() {
        let dir = tempfile::tempdir().expect("tmp");
        let rebuilt = b"<html><head><title>other</title></head><body></body></html>";
        let path = page(dir.path(), "index.html", rebuilt);
        let journal = dir.path().join(DIR_NAME);
        fs::create_dir_all(&journal).expect("mkdir");
        let offset = common_prefix(ORIG, NEW);
        let rec = encode(
            &[1; 16],
            0,
            Path::new("index.html"),
            ORIG,
            NEW.len(),
            offset,
        );
        fs::write(journal.join("0.journal"), rec).expect("journal");
        let got = recover(dir.path()).expect("recover");
        assert_eq!(got.mismatched, vec![path.clone()]);
        assert!(got.restored.is_empty());
        assert_eq!(fs::read(&path).expect("read"), rebuilt);
    }

    #[test]
    fn in_place_writes_grow_and_shrink_pages_and_the_journal_goes_away() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = page(dir.path(), "a.html", ORIG);
        let journal = Journal::new(dir.path(), 2);
        assert!(matches!(
            write_in_place(&journal, &a, ORIG, NEW),
            InPlace::Done
        ));
        assert_eq!(fs::read(&a).expect("read"), NEW);
        // The last record is still there while the run goes on, and it undoes the write.
        let left = pending(dir.path()).expect("pending");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].1.restore(NEW).as_deref(), Some(ORIG));
        assert!(matches!(
            write_in_place(&journal, &a, NEW, ORIG),
            InPlace::Done
        ));
        assert_eq!(fs::read(&a).expect("read"), ORIG);
        journal.finish().expect("finish");
        assert!(!dir.path().join(DIR_NAME).exists());
    }

    #[cfg(unix)]
    #[test]
    fn hard_links_are_left_to_the_rename() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = page(dir.path(), "a.html", ORIG);
        fs::hard_link(&a, dir.path().join("b.html")).expect("link");
        let journal = Journal::new(dir.path(), 1);
        assert!(matches!(
            write_in_place(&journal, &a, ORIG, NEW),
            InPlace::NotSuitable
        ));
        assert_eq!(fs::read(&a).expect("read"), ORIG);
        journal.finish().expect("finish");
    }
}
