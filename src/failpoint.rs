//! Fault points for the crash tests, compiled into debug builds only (a release build has none
//! of this). `CHATKIT_INJECT_FAILPOINT` names one:
//!
//! - `torn-write:N`: the Nth in-place page write (counting from 1) stops halfway through its
//!   bytes and the process dies on the spot. A random SIGKILL almost never lands inside the few
//!   microseconds of a page write; this makes that case certain.
//! - `kill-after:N`: the process dies on the spot right after its Nth in-place page write is
//!   complete, wherever its other workers are, so a test kills a run in its middle without
//!   guessing when that is.
//! - `kill-streaming:BYTES`: the process dies on the spot once a streamed page's temporary file
//!   holds at least BYTES bytes.
//!
//! Dying is `std::process::abort`: like SIGKILL, no destructor runs and nothing is cleaned up.
//! Test-only: nothing else reads this variable, and it is not part of the tool's interface.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    TornWrite(u64),
    KillAfter(u64),
    KillStreaming(u64),
}

fn point() -> Option<Point> {
    static POINT: OnceLock<Option<Point>> = OnceLock::new();
    *POINT.get_or_init(|| {
        let spec = std::env::var("CHATKIT_INJECT_FAILPOINT").ok()?;
        let (name, n) = spec.split_once(':')?;
        let n = n.trim().parse().ok()?;
        match name {
            "torn-write" => Some(Point::TornWrite(n)),
            "kill-after" => Some(Point::KillAfter(n)),
            "kill-streaming" => Some(Point::KillStreaming(n)),
            _ => None,
        }
    })
}

/// Before the in-place write number `seq` (from 0) of `tail` at `offset` of `file`.
pub fn torn_write(seq: u64, file: &std::fs::File, tail: &[u8], offset: u64) {
    if point() != Some(Point::TornWrite(seq + 1)) {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let _ = file.write_all_at(&tail[..tail.len() / 2], offset);
    }
    #[cfg(not(unix))]
    let _ = (file, tail, offset);
    std::process::abort();
}

/// After an in-place page write is complete.
pub fn page_written() {
    static DONE: AtomicU64 = AtomicU64::new(0);
    if let Some(Point::KillAfter(n)) = point() {
        if DONE.fetch_add(1, Ordering::SeqCst) + 1 >= n {
            std::process::abort();
        }
    }
}

/// After a chunk went into the temporary file `w` of a streamed page.
pub fn streamed(w: &mut std::io::BufWriter<tempfile::NamedTempFile>) {
    if let Some(Point::KillStreaming(n)) = point() {
        let on_disk = w.get_ref().as_file().metadata().map_or(0, |m| m.len());
        if on_disk + w.buffer().len() as u64 >= n {
            let _ = w.flush();
            std::process::abort();
        }
    }
}
