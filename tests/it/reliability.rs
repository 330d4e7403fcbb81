//! Reliability: the CLI killed in the middle of a run (at page writes a fault point picks, and by
//! SIGKILL after random delays), file-system cases a real server throws at it (links, loops,
//! unwritable pages, a 100 MB page, a full disk), two runs at once on one directory, and a long
//! property test over mutated real pages. The killed-run and 100 MB tests are marked slow:
//! `./test-all.sh rust` runs them (`cargo test -- --include-ignored`).
//!
//! What each test proves and the figures measured are in `docs/reliability.md`. The random tests
//! use a fixed seed (7) and print it; set `RELIABILITY_SEED` to try another. Cases the machine cannot set up
//! (`chattr +i`, `mount -t tmpfs` need root and a willing file system) print a note and pass.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chatkit_inject::inject::{self, Mode, MARKER};
use chatkit_inject::journal;
use chatkit_inject::page::apply;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use crate::harness;
use crate::harness::{
    all_fixture_pages, cli, copy_dir, copy_fixture, fixtures, run_in, snapshot_tree, snippets_for,
    RunOutput, TWO_PROFILES,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A small deterministic generator (SplitMix64), so a failing round can be replayed by seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, n) (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The seed of the random tests: `RELIABILITY_SEED` if set, else a fixed one, so that a failure
/// in CI replays as it is (pick other seeds by hand to explore: `RELIABILITY_SEED=$RANDOM`).
const DEFAULT_SEED: u64 = 7;

fn seed() -> u64 {
    std::env::var("RELIABILITY_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

fn count(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

fn is_temp_name(name: &str) -> bool {
    name.starts_with(".chatkit-inject-") && name.ends_with(".tmp")
}

/// Every temporary file of ours under `dir`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| is_temp_name(&e.file_name().to_string_lossy()))
        .map(|e| e.into_path())
        .collect()
}

/// Every regular `.html` file under `dir`, by relative path.
fn pages_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    snapshot_tree(dir)
        .into_iter()
        .filter(|(rel, _)| rel.ends_with(".html"))
        .collect()
}

/// The classic fixture site plus copies of its pages under `copies/NN/` until it holds at
/// least `pages` pages. Deterministic, so two calls build the same tree.
fn big_site(dst: &Path, pages: usize) {
    let site = fixtures().join("site");
    copy_dir(&site, dst);
    let site_pages: Vec<(String, Vec<u8>)> = pages_of(&site).into_iter().collect();
    assert!(site_pages.len() > 20, "fixture site has too few pages");
    let mut total = site_pages.len();
    let mut k = 0;
    while total < pages {
        for (rel, bytes) in &site_pages {
            let target = dst.join("copies").join(format!("{k:02}")).join(rel);
            fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            fs::write(&target, bytes).expect("write page");
            total += 1;
        }
        k += 1;
    }
}

/// Run the binary with a deadline; a run that outlives it is killed and the test fails.
fn run_with_deadline(cwd: &Path, args: &[&str], deadline: Duration) -> RunOutput {
    let mut child = cli()
        .current_dir(cwd)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chatkit-inject");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chatkit-inject {args:?} still running after {deadline:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    RunOutput {
        code: out.status.code().unwrap_or(-1),
        raw_stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The fault points (`CHATKIT_INJECT_FAILPOINT`) are compiled into debug builds only; a release
/// build of the tests (`cargo test --release`) skips what needs them, saying so.
fn fault_points() -> bool {
    if !cfg!(debug_assertions) {
        println!("fault points are compiled into debug builds only: this part is skipped");
    }
    cfg!(debug_assertions)
}

/// How many bytes a run adds to a page that gets the widget (link + config + loader), read from
/// the site's home page before and after the run.
fn snippet_len(before_home: &[u8], after_home: &[u8]) -> usize {
    assert_eq!(count(after_home, MARKER), 3, "home page not injected");
    after_home.len() - before_home.len()
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The head and body snippets a run wrote, cut out of an injected page: the stylesheet link is
/// the first marked element, the config script and the loader come later, back to back.
fn snippets_in(injected: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let marker_end = format!("{MARKER}>");
    let link_end =
        find(injected, marker_end.as_bytes(), 0).expect("marked link") + marker_end.len();
    let link_start = injected[..link_end]
        .windows(5)
        .rposition(|w| w == b"<link")
        .expect("link start");
    let config = b"<script type=\"application/json\" id=\"chatkit-inject-config\"";
    let body_start = find(injected, config, link_end).expect("config script");
    let loader_end = format!("defer {MARKER}></script>");
    let body_end =
        find(injected, loader_end.as_bytes(), body_start).expect("loader") + loader_end.len();
    (
        injected[link_start..link_end].to_vec(),
        injected[body_start..body_end].to_vec(),
    )
}

/// Asserts the run output names `needle` (a path) somewhere a person would see it.
fn assert_names(run: &RunOutput, needle: &str) {
    assert!(
        run.stdout.contains(needle) || run.stderr.contains(needle),
        "the output does not name {needle}:\n{}",
        run.render()
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Crash safety

/// What one look at the tree after a kill found.
struct TreeState {
    injected: usize,
    temps: Vec<PathBuf>,
    /// Pages caught in the middle of their in-place write, each with the undo journal record
    /// that puts it back.
    half_written: usize,
}

/// Every page is its original or its injected form, byte for byte, or it was caught in the middle
/// of its in-place write and the undo journal holds a complete record that gives back exactly
/// one of the two (what the next run applies first); every asset present is whole.
fn check_tree(
    dir: &Path,
    originals: &BTreeMap<String, Vec<u8>>,
    injected: &BTreeMap<String, Vec<u8>>,
    assets: &BTreeMap<String, Vec<u8>>,
    context: &str,
) -> TreeState {
    let mut seen = 0;
    let mut n_injected = 0;
    let mut temps = Vec::new();
    let mut half_written = 0;
    let records: BTreeMap<String, journal::Record> = journal::pending(dir)
        .expect("read the undo journal")
        .into_iter()
        .map(|(_, r)| (r.rel.to_string_lossy().replace('\\', "/"), r))
        .collect();
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_temp_name(&name) {
            temps.push(entry.into_path());
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("prefix")
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = fs::read(entry.path()).expect("read");
        if let Some(orig) = originals.get(&rel) {
            seen += 1;
            let inj = &injected[&rel];
            if bytes == *inj {
                if inj != orig {
                    n_injected += 1;
                }
            } else if bytes != *orig {
                // The record gives back the page as it was before the write: its original
                // (an injection was interrupted) or its injected form (a strip was).
                let restored = records.get(&rel).and_then(|r| r.restore(&bytes));
                assert!(
                    restored.as_ref() == Some(orig) || restored.as_ref() == Some(inj),
                    "{context}: {rel} is neither its original ({} bytes) nor its injected form ({} bytes): {} bytes, {}",
                    orig.len(),
                    inj.len(),
                    bytes.len(),
                    if records.contains_key(&rel) {
                        "and its undo journal record does not give back either form"
                    } else {
                        "and the undo journal has no record of it"
                    }
                );
                half_written += 1;
            }
        } else if rel.starts_with("chatkit/") {
            assert!(
                assets.get(&rel) == Some(&bytes),
                "{context}: asset {rel} is not a whole asset of this version ({} bytes)",
                bytes.len()
            );
        }
    }
    assert_eq!(seen, originals.len(), "{context}: pages went missing");
    // The assets go in before the first page that loads them.
    if n_injected > 0 {
        for rel in assets.keys() {
            assert!(
                dir.join(rel).is_file(),
                "{context}: {n_injected} pages load the widget but {rel} is missing"
            );
        }
    }
    TreeState {
        injected: n_injected,
        temps,
        half_written,
    }
}

/// The injected form of every page of `work`, from a full run on a copy (`reference`), timed.
struct Expected {
    originals: BTreeMap<String, Vec<u8>>,
    injected: BTreeMap<String, Vec<u8>>,
    assets: BTreeMap<String, Vec<u8>>,
    /// Pages whose injected form differs from the original.
    injectable: usize,
    full_time: Duration,
}

fn expected_for(tmp: &Path, work: &Path, reference: &Path) -> Expected {
    copy_dir(work, reference);
    let name = reference.file_name().expect("name").to_string_lossy();
    let started = Instant::now();
    let full = run_in(tmp, &[&name, "--quiet"], tmp);
    let full_time = started.elapsed();
    assert_eq!(full.code, 0, "{}", full.render());
    let originals = pages_of(work);
    let injected = pages_of(reference);
    let assets: BTreeMap<String, Vec<u8>> = snapshot_tree(reference)
        .into_iter()
        .filter(|(rel, _)| rel.starts_with("chatkit/"))
        .collect();
    assert_eq!(assets.len(), 4, "assets: {:?}", assets.keys());
    let injectable = originals
        .iter()
        .filter(|(rel, b)| injected[*rel] != **b)
        .count();
    Expected {
        originals,
        injected,
        assets,
        injectable,
        full_time,
    }
}

/// How a round's run is killed.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// Right after its Nth in-place page write is complete (fault point `kill-after:N`, debug
    /// builds), wherever its other worker is: certain to land mid-run when N is below the pages
    /// left to write.
    AfterWrites(usize),
    /// Halfway through its Nth in-place page write (fault point `torn-write:N`): the page is
    /// left half-written, with its undo journal record, for the next run to restore.
    TornWrite(usize),
    /// Once the streamed page's temporary file holds this many bytes (fault point
    /// `kill-streaming:BYTES`).
    WhileStreaming(usize),
    /// SIGKILL after this delay: anywhere (startup, asset writes, the walk, a page write, after
    /// the end). Where it landed is counted, never asserted.
    After(Duration),
}

/// The workers of a killed run. A fault point kills the run at most one page write per other
/// worker away from the one it names, and the next run's recovery undoes at most one complete
/// write per worker (its last, whose record is still in the journal): so a run killed at write
/// N changed at least N - 2 * KILL_JOBS pages, and at most N + KILL_JOBS.
const KILL_JOBS: usize = 2;

#[derive(Default)]
struct KillStats {
    /// Rounds killed by a fault point; each is checked to have landed mid-run.
    fault_kills: usize,
    /// Rounds killed after a random delay, and how many of those landed mid-run (some pages
    /// changed by the run, some left to do).
    delay_kills: usize,
    delay_mid_run: usize,
    /// Runs that finished before their (delayed) kill came.
    finished: usize,
    strips: usize,
    temps_seen: usize,
    /// Pages found half-written after a kill (each restorable from the journal).
    half_written_seen: usize,
}

/// `rounds` times: start a run on `work` (inject, or strip with probability `strip_odds` and
/// whenever everything is injected), kill it as `pick` says (given the round and the pages the
/// run has left to change), and check every page is its original or its injected form.
#[allow(clippy::too_many_arguments)]
fn kill_rounds(
    tmp: &Path,
    work: &Path,
    exp: &Expected,
    rounds: usize,
    strip_odds: f64,
    rng: &mut Rng,
    seed: u64,
    pick: &dyn Fn(&mut Rng, usize, usize) -> Kill,
) -> KillStats {
    let mut stats = KillStats::default();
    let mut state = check_tree(
        work,
        &exp.originals,
        &exp.injected,
        &exp.assets,
        "before the first run",
    );
    let name = work.file_name().expect("name").to_string_lossy();
    let jobs = KILL_JOBS.to_string();
    for round in 0..rounds {
        // Strips undo the work, so the tree goes back towards its original without the test
        // touching it, and killed strips are covered too.
        let strip =
            state.injected == exp.injectable || (state.injected > 0 && rng.unit() < strip_odds);
        let mode: &[&str] = if strip { &["--strip"] } else { &[] };
        stats.strips += usize::from(strip);
        let left = if strip {
            state.injected
        } else {
            exp.injectable - state.injected
        };
        let kill = pick(rng, round, left);
        let mut cmd = cli();
        cmd.current_dir(tmp)
            .arg(&*name)
            .args(mode)
            .args(["--quiet", "--jobs", &jobs])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match kill {
            Kill::AfterWrites(n) => {
                cmd.env("CHATKIT_INJECT_FAILPOINT", format!("kill-after:{n}"));
            }
            Kill::TornWrite(n) => {
                cmd.env("CHATKIT_INJECT_FAILPOINT", format!("torn-write:{n}"));
            }
            Kill::WhileStreaming(bytes) => {
                cmd.env(
                    "CHATKIT_INJECT_FAILPOINT",
                    format!("kill-streaming:{bytes}"),
                );
            }
            Kill::After(_) => {}
        }
        let mut child = cmd.spawn().expect("start chatkit-inject");
        let killed = match kill {
            Kill::After(delay) => {
                std::thread::sleep(delay);
                let running = child.try_wait().expect("try_wait").is_none();
                if running {
                    child.kill().expect("SIGKILL");
                }
                running
            }
            _ => true,
        };
        let status = child.wait().expect("wait");
        let what = if strip { "strip" } else { "inject" };
        let context = format!("seed {seed} round {round} ({what}, {kill:?})");
        if killed {
            assert!(
                !status.success(),
                "{context}: the run finished: the fault point did not fire (a debug build has it)"
            );
        } else {
            assert!(status.success(), "{context}: run ended with {status}");
            stats.finished += 1;
        }
        let before = state.injected;
        state = check_tree(work, &exp.originals, &exp.injected, &exp.assets, &context);
        stats.temps_seen += state.temps.len();
        stats.half_written_seen += state.half_written;
        let moved = state.injected.abs_diff(before);
        let still_to_do = if strip {
            state.injected + state.half_written
        } else {
            exp.injectable - state.injected
        };
        // Pages the run itself changed: recovery at its start may first undo up to KILL_JOBS
        // pages the other way (the previous run's last writes).
        let progressed = if strip {
            before.saturating_sub(state.injected)
        } else {
            state.injected.saturating_sub(before)
        };
        let mid_run = killed && progressed > KILL_JOBS && still_to_do > 0;
        match kill {
            Kill::AfterWrites(n) | Kill::TornWrite(n) => {
                stats.fault_kills += 1;
                assert!(
                    moved + 2 * KILL_JOBS >= n && moved > 0 && still_to_do > 0,
                    "{context}: killed at page write {n}, yet {moved} pages changed and {still_to_do} are left"
                );
                if let Kill::TornWrite(_) = kill {
                    assert!(
                        state.half_written >= 1,
                        "{context}: the torn page is not half-written"
                    );
                }
            }
            Kill::WhileStreaming(bytes) => {
                stats.fault_kills += 1;
                let largest = state
                    .temps
                    .iter()
                    .filter_map(|t| fs::metadata(t).ok())
                    .map(|m| m.len())
                    .max();
                assert!(
                    largest >= Some(bytes as u64),
                    "{context}: no temporary file of at least {bytes} bytes left ({largest:?})"
                );
            }
            Kill::After(_) => {
                stats.delay_kills += 1;
                stats.delay_mid_run += usize::from(mid_run);
            }
        }
        println!(
            "  round {round:2}: {what:6} {kill:?} ({status}), {:4}/{} pages injected, {} half-written (journalled), {} temporary file(s){}",
            state.injected,
            exp.injectable,
            state.half_written,
            state.temps.len(),
            if mid_run { ", mid-run" } else { "" }
        );
    }
    stats
}

/// A full run finishes the job, removes what the last kill left behind, and leaves the tree
/// exactly as one uninterrupted run did; `--check` agrees.
fn finish_and_compare(tmp: &Path, work: &Path, reference: &Path, seed: u64) {
    let name = work.file_name().expect("name").to_string_lossy();
    let left = temp_files(work).len();
    let last = run_in(tmp, &[&name, "--format", "json"], tmp);
    assert_eq!(last.code, 0, "{}", last.render());
    let report = harness::report(&last.raw_stdout);
    assert_eq!(
        report["leftoversRemoved"].as_u64(),
        Some(left as u64),
        "{}",
        last.render()
    );
    assert!(temp_files(work).is_empty(), "temporary files remain");
    assert!(
        !work.join(journal::DIR_NAME).exists(),
        "the undo journal remains after a finished run"
    );
    assert!(
        snapshot_tree(work) == snapshot_tree(reference),
        "after the final run the tree differs from one run never interrupted (seed {seed})"
    );
    let check = run_in(tmp, &[&name, "--check"], tmp);
    assert_eq!(check.code, 0, "{}", check.render());
}

#[test]
#[ignore = "slow: `./test-all.sh rust` runs it (or `cargo test -- --include-ignored`)"]
fn killed_runs_leave_every_page_whole_and_a_rerun_finishes() {
    let seed = seed();
    println!("crash safety: seed {seed} (RELIABILITY_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let pages = env_usize("RELIABILITY_PAGES", 2000);
    let rounds = env_usize("RELIABILITY_ROUNDS", 15);

    let tmp = tempfile::tempdir().expect("tmp");
    let work = tmp.path().join("build");
    let reference = tmp.path().join("reference");
    big_site(&work, pages);
    let exp = expected_for(tmp.path(), &work, &reference);
    assert!(
        exp.originals.len() >= pages && exp.injectable * 10 >= exp.originals.len() * 9,
        "{} pages, only {} get the widget",
        exp.originals.len(),
        exp.injectable
    );
    println!(
        "crash safety: {} pages ({} injectable), full run {:.2}s",
        exp.originals.len(),
        exp.injectable,
        exp.full_time.as_secs_f64()
    );

    // Two rounds in three, a fault point kills the run right after, or halfway through, a
    // random page write, so the kill lands mid-run every time. The third: a SIGKILL after a
    // random share (5-75 %) of one full run, which may land anywhere, or after the run ended.
    let full_time = exp.full_time;
    let faults = fault_points();
    let pick = |rng: &mut Rng, round: usize, left: usize| {
        // Write N with 2 * KILL_JOBS < N <= left - KILL_JOBS: some pages change, some are left.
        let lowest = 2 * KILL_JOBS + 1;
        let n = |rng: &mut Rng| lowest + rng.below(left - KILL_JOBS - lowest + 1);
        match round % 3 {
            0 if faults && left > 3 * KILL_JOBS => Kill::AfterWrites(n(rng)),
            1 if faults && left > 3 * KILL_JOBS => Kill::TornWrite(n(rng)),
            _ => Kill::After(full_time.mul_f64(0.05 + 0.7 * rng.unit())),
        }
    };
    let stats = kill_rounds(tmp.path(), &work, &exp, rounds, 0.3, &mut rng, seed, &pick);
    println!(
        "crash safety: {rounds} rounds ({} strips): {} killed mid-run by a fault point, {} SIGKILLs after a random delay ({} of them mid-run, {} after the run finished), {} pages caught half-written (restored from the journal), {} temporary files seen after kills",
        stats.strips,
        stats.fault_kills,
        stats.delay_kills,
        stats.delay_mid_run,
        stats.finished,
        stats.half_written_seen,
        stats.temps_seen
    );
    assert!(
        stats.fault_kills > 0 || !faults,
        "no round was killed by the fault point (seed {seed}, {rounds} rounds)"
    );
    finish_and_compare(tmp.path(), &work, &reference, seed);
}

/// A page over the streaming threshold is written to its temporary file for a long time: kills
/// land mid-stream, leave the temporary file behind, and the page must still be whole.
#[test]
#[ignore = "slow: `./test-all.sh rust` runs it (or `cargo test -- --include-ignored`)"]
fn killed_while_streaming_a_large_page() {
    if !fault_points() {
        return;
    }
    let seed = seed();
    println!("streamed page: seed {seed}");
    let mut rng = Rng(seed);
    let (tmp, work) = copy_fixture("site");
    let size = env_usize("RELIABILITY_STREAM_PAGE_MB", 9) << 20;
    write_big_page(&work.join("docs/big.html"), size);
    let reference = tmp.path().join("reference");
    let exp = expected_for(tmp.path(), &work, &reference);
    println!(
        "streamed page: {} MiB page among {} pages, full run {:.2}s",
        size >> 20,
        exp.originals.len(),
        exp.full_time.as_secs_f64()
    );
    let rounds = env_usize("RELIABILITY_STREAM_ROUNDS", 3);
    // Every round is killed by a fault point once the page's temporary file holds a random
    // share (10-90 %) of it: always mid-stream.
    let pick = |rng: &mut Rng, _: usize, _: usize| {
        Kill::WhileStreaming(size / 10 + rng.below(size * 8 / 10))
    };
    let stats = kill_rounds(tmp.path(), &work, &exp, rounds, 0.5, &mut rng, seed, &pick);
    println!(
        "streamed page: {rounds} rounds killed mid-stream, {} temporary files seen after kills",
        stats.temps_seen
    );
    finish_and_compare(tmp.path(), &work, &reference, seed);
}

/// A kill inside a page's in-place write. A random SIGKILL almost never lands in the few
/// microseconds a page write takes, so a fault point of debug builds makes it certain:
/// `CHATKIT_INJECT_FAILPOINT=torn-write:N` stops the Nth page write halfway and aborts the
/// process. The page is then half-written with a complete undo journal record; `--check` and
/// `--dry-run` name it and leave it alone, `--out` refuses to copy it; the next run restores it
/// first and finishes the job.
#[test]
fn a_page_write_torn_halfway_is_restored_by_the_next_run() {
    if !fault_points() {
        return;
    }
    let (tmp, work) = copy_fixture("site");
    let reference = tmp.path().join("reference");
    let exp = expected_for(tmp.path(), &work, &reference);
    let stripped_ref = tmp.path().join("stripped");
    copy_dir(&work, &stripped_ref);
    for (round, (strip, n)) in [(false, 1), (false, 17), (true, 5), (false, 40), (true, 1)]
        .into_iter()
        .enumerate()
    {
        // Each round starts from the state its run has work to do on.
        fs::remove_dir_all(&work).expect("reset");
        copy_dir(if strip { &reference } else { &stripped_ref }, &work);
        let mode: &[&str] = if strip { &["--strip"] } else { &[] };
        let out = cli()
            .current_dir(tmp.path())
            .arg("build")
            .args(mode)
            .args(["--quiet", "--jobs", "2"])
            .env("CHATKIT_INJECT_FAILPOINT", format!("torn-write:{n}"))
            .output()
            .expect("run");
        assert!(
            !out.status.success(),
            "round {round}: the fault point did not fire ({} page writes expected)",
            n
        );
        let context = format!("round {round} (strip: {strip}, torn write {n})");
        let state = check_tree(&work, &exp.originals, &exp.injected, &exp.assets, &context);
        assert!(
            (1..=2).contains(&state.half_written),
            "{context}: expected the torn page (one per worker at most), found {} half-written",
            state.half_written
        );
        let before = snapshot_tree(&work);

        // Read-only modes see the interrupted write and change nothing.
        let check = run_in(tmp.path(), &["build", "--check"], tmp.path());
        assert_eq!(check.code, 1, "{context}: {}", check.render());
        assert_names(&check, "(interrupted write)");
        assert_names(&check, journal::DIR_NAME);
        let dry = run_in(tmp.path(), &["build", "--dry-run"], tmp.path());
        assert_eq!(dry.code, 0, "{context}: {}", dry.render());
        // A copy elsewhere must not carry a half-written page: those pages fail, uncopied.
        let copy = run_in(
            tmp.path(),
            &["build", "--out", "copy", "--quiet"],
            tmp.path(),
        );
        assert_eq!(copy.code, 1, "{context}: {}", copy.render());
        assert_names(
            &copy,
            "an interrupted run may have left this page half-written",
        );
        for (_, record) in journal::pending(&work).expect("journal") {
            let copied = tmp.path().join("copy").join(&record.rel);
            assert!(
                !copied.exists(),
                "{context}: {} was copied",
                copied.display()
            );
        }
        fs::remove_dir_all(tmp.path().join("copy")).expect("remove the copy");
        assert!(
            snapshot_tree(&work) == before,
            "{context}: a read-only run changed the tree"
        );

        // The next run restores the page, then does its own job.
        let next = run_in(
            tmp.path(),
            &[
                "build",
                if strip { "--strip" } else { "--quiet" },
                "--format",
                "json",
            ],
            tmp.path(),
        );
        assert_eq!(next.code, 0, "{context}: {}", next.render());
        let report = harness::report(&next.raw_stdout);
        assert!(
            report["pagesRestored"].as_u64().unwrap_or(0) >= state.half_written as u64,
            "{context}: {}",
            next.render()
        );
        assert!(
            !work.join(journal::DIR_NAME).exists(),
            "{context}: journal left"
        );
        let expected = if strip { &stripped_ref } else { &reference };
        let got: Vec<_> = snapshot_tree(&work)
            .into_iter()
            .filter(|(rel, _)| !(strip && rel.starts_with("chatkit/")))
            .collect();
        let want: Vec<_> = snapshot_tree(expected)
            .into_iter()
            .filter(|(rel, _)| !(strip && rel.starts_with("chatkit/")))
            .collect();
        assert!(
            got == want,
            "{context}: the tree differs from an uninterrupted run"
        );
    }
}

/// A journal seen while another run holds the directory's lock is that run's work in progress,
/// not an interrupted run: `--check` says so instead of calling the pages interrupted.
#[test]
fn a_journal_of_a_run_in_progress_is_not_called_interrupted() {
    if !fault_points() {
        return;
    }
    let (tmp, work) = copy_fixture("site");
    let torn = cli()
        .current_dir(tmp.path())
        .args(["build", "--quiet", "--jobs", "1"])
        .env("CHATKIT_INJECT_FAILPOINT", "torn-write:3")
        .output()
        .expect("run");
    assert!(!torn.status.success(), "the fault point did not fire");
    assert!(work.join(journal::DIR_NAME).is_dir());

    let dir = fs::File::open(&work).expect("open the build directory");
    dir.try_lock()
        .expect("lock it as a running chatkit-inject would");
    let busy = run_in(tmp.path(), &["build", "--check"], tmp.path());
    assert_names(
        &busy,
        "another chatkit-inject run is writing this directory right now",
    );
    assert!(
        !busy.stdout.contains("(interrupted write)")
            && !busy.stderr.contains("(interrupted write)"),
        "{}",
        busy.render()
    );
    dir.unlock().expect("unlock");
    let free = run_in(tmp.path(), &["build", "--check"], tmp.path());
    assert_names(&free, "(interrupted write)");
}

// ---------------------------------------------------------------------------------------------
// 2. File-system cases

#[cfg(unix)]
#[test]
fn symlink_to_a_page_inside_the_tree_is_rewritten_once_and_stays_a_link() {
    use std::os::unix::fs::symlink;
    let (tmp, build) = copy_fixture("site");
    symlink("docs/intro/index.html", build.join("alias.html")).expect("symlink");
    // A link to a folder of pages: its pages must not be processed a second time through it.
    symlink("docs", build.join("docs-alias")).expect("symlink dir");
    let target_before = fs::read(build.join("docs/intro/index.html")).expect("read");

    for pass in ["first", "second"] {
        let run = run_in(tmp.path(), &["build"], tmp.path());
        assert_eq!(run.code, 0, "{pass} run: {}", run.render());
        let meta = fs::symlink_metadata(build.join("alias.html")).expect("alias");
        assert!(
            meta.file_type().is_symlink(),
            "{pass} run: the link was replaced by a file"
        );
        assert_eq!(
            fs::read_link(build.join("alias.html")).expect("read_link"),
            PathBuf::from("docs/intro/index.html")
        );
        assert!(fs::symlink_metadata(build.join("docs-alias"))
            .expect("dir alias")
            .file_type()
            .is_symlink());
        let target = fs::read(build.join("docs/intro/index.html")).expect("read");
        assert_eq!(
            count(&target, "id=\"chatkit-inject-config\""),
            1,
            "{pass} run: target page"
        );
        assert_eq!(count(&target, MARKER), 3, "{pass} run: target page");
    }
    let run = run_in(tmp.path(), &["build", "--strip"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(fs::read(build.join("docs/intro/index.html")).expect("read") == target_before);
}

#[cfg(unix)]
#[test]
fn symlink_pointing_outside_the_tree_is_not_followed() {
    use std::os::unix::fs::symlink;
    let (tmp, build) = copy_fixture("site");
    let outside = tmp.path().join("outside.html");
    fs::copy(build.join("docs/intro/index.html"), &outside).expect("copy");
    let outside_before = fs::read(&outside).expect("read");
    symlink(&outside, build.join("external.html")).expect("symlink");
    symlink("../outside.html", build.join("external-relative.html")).expect("symlink");

    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(
        fs::read(&outside).expect("read") == outside_before,
        "a file outside the build directory was rewritten through a link"
    );
    for link in ["external.html", "external-relative.html"] {
        assert!(fs::symlink_metadata(build.join(link))
            .expect("link")
            .file_type()
            .is_symlink());
    }
    // The rest of the site got the widget.
    assert_eq!(
        count(
            &fs::read(build.join("index.html")).expect("home"),
            "id=\"chatkit-inject-config\""
        ),
        1
    );
}

#[cfg(unix)]
#[test]
fn symlink_outside_the_tree_is_named_in_the_report() {
    use std::os::unix::fs::symlink;
    let (tmp, build) = copy_fixture("site");
    let outside = tmp.path().join("outside.html");
    fs::copy(build.join("docs/intro/index.html"), &outside).expect("copy");
    symlink(&outside, build.join("external.html")).expect("symlink");
    let run = run_in(tmp.path(), &["build", "--format", "json"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert_names(&run, "external.html");
    let report = harness::report(&run.raw_stdout);
    assert_eq!(harness::warning_kinds(&report), ["linkOutsideBuild"]);
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_reported_and_does_not_hang() {
    use std::os::unix::fs::symlink;
    let (tmp, build) = copy_fixture("site");
    symlink("loop-b.html", build.join("loop-a.html")).expect("symlink");
    symlink("loop-a.html", build.join("loop-b.html")).expect("symlink");
    symlink("self.html", build.join("self.html")).expect("symlink");
    // A folder link back up the tree: a walk that followed it would never end.
    symlink("..", build.join("docs/up")).expect("symlink dir");

    let run = run_with_deadline(tmp.path(), &["build"], Duration::from_secs(60));
    assert!(run.code == 0 || run.code == 1, "{}", run.render());
    assert_eq!(
        count(
            &fs::read(build.join("index.html")).expect("home"),
            "id=\"chatkit-inject-config\""
        ),
        1,
        "the rest of the site was not injected"
    );
    for link in ["loop-a.html", "self.html"] {
        assert!(fs::symlink_metadata(build.join(link))
            .expect("link")
            .file_type()
            .is_symlink());
    }
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_named_in_the_report() {
    use std::os::unix::fs::symlink;
    let (tmp, build) = copy_fixture("site");
    symlink("loop-b.html", build.join("loop-a.html")).expect("symlink");
    symlink("loop-a.html", build.join("loop-b.html")).expect("symlink");
    let run = run_with_deadline(
        tmp.path(),
        &["build", "--format", "json"],
        Duration::from_secs(60),
    );
    assert_names(&run, "loop-a.html");
    assert_names(&run, "loop-b.html");
    let report = harness::report(&run.raw_stdout);
    assert_eq!(
        harness::warning_kinds(&report),
        ["brokenLink", "brokenLink"]
    );
}

#[test]
fn directory_named_like_a_page_is_not_a_page() {
    let (tmp, build) = copy_fixture("site");
    let dir = build.join("something.html");
    fs::create_dir(&dir).expect("mkdir");
    fs::copy(build.join("404.html"), dir.join("index.html")).expect("copy");
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert!(dir.is_dir());
    assert!(
        !run.stderr.contains("error"),
        "a directory was treated as a page: {}",
        run.render()
    );
    // A real page inside it is still a page.
    assert_eq!(
        count(
            &fs::read(dir.join("index.html")).expect("read"),
            "id=\"chatkit-inject-config\""
        ),
        1
    );
}

#[test]
fn empty_pages_stay_empty() {
    let (tmp, build) = copy_fixture("site");
    fs::write(build.join("empty.html"), b"").expect("write");
    fs::write(build.join("blank.html"), b" \n\t\r\n").expect("write");
    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    assert_eq!(fs::read(build.join("empty.html")).expect("read"), b"");
    assert_eq!(
        fs::read(build.join("blank.html")).expect("read"),
        b" \n\t\r\n"
    );
    assert!(run.stdout.contains("empty page"), "{}", run.render());
}

/// Non-UTF-8 and NUL-carrying pages get the widget and keep every other byte.
#[test]
fn non_utf8_and_nul_pages_keep_every_byte() {
    let (tmp, build) = copy_fixture("site");
    let home_before = fs::read(build.join("index.html")).expect("home");
    let fr_home_before = fs::read(build.join("fr/index.html")).expect("fr home");
    let mut cases = BTreeMap::new();
    for name in ["non-utf8.html", "nul-bytes.html"] {
        let page = fs::read(fixtures().join("edge").join(name)).expect("edge page");
        fs::write(build.join(name), &page).expect("write");
        cases.insert(name, page);
    }
    // NUL bytes inside an attribute and a comment, and lone continuation bytes, built here.
    let mut hand = b"<!doctype html><html><head><meta charset=\"utf-8\"><title>a\0b</title></head><body data-x=\"\0\xff\"><!-- \0 --><p>\xc3\x28 \xe2\x82 \0</p></body></html>".to_vec();
    hand.extend_from_slice(b"\n");
    fs::write(build.join("hand.html"), &hand).expect("write");
    cases.insert("hand.html", hand);
    assert!(
        std::str::from_utf8(&cases["non-utf8.html"]).is_err(),
        "fixture is UTF-8"
    );
    assert!(cases["nul-bytes.html"].contains(&0), "fixture has no NUL");

    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    let home = fs::read(build.join("index.html")).expect("home");
    let added = snippet_len(&home_before, &home);
    // The edge pages are French pages: they get the French runtime config.
    let fr_home = fs::read(build.join("fr/index.html")).expect("fr home");
    let added_fr = snippet_len(&fr_home_before, &fr_home);
    for (name, before) in &cases {
        let after = fs::read(build.join(name)).expect("read");
        assert_eq!(count(&after, "id=\"chatkit-inject-config\""), 1, "{name}");
        let french = find(before, b"<html lang=fr", 0).is_some();
        assert_eq!(
            after.len(),
            before.len() + if french { added_fr } else { added },
            "{name}: other bytes changed"
        );
        let (stripped, _) = inject::rewrite(&after, Mode::Strip).expect("strip");
        assert!(
            stripped == *before,
            "{name}: strip does not give the page back"
        );
        // Every byte of the original is there, in order, around the two snippets.
        let (head, body) = snippets_in(&after);
        let mut rest = after.clone();
        for snippet in [&head, &body] {
            let at = rest
                .windows(snippet.len())
                .position(|w| w == snippet.as_slice())
                .expect("snippet");
            rest.drain(at..at + snippet.len());
        }
        assert!(
            rest == *before,
            "{name}: bytes differ outside the injection"
        );
    }
}

/// `chattr +i` on some paths for the life of the guard (root can write through permission
/// bits, not through the immutable flag).
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(paths: &[PathBuf]) -> Option<Immutable> {
        let mut done = Immutable(Vec::new());
        for p in paths {
            let ok = Command::new("chattr")
                .arg("+i")
                .arg(p)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return None;
            }
            done.0.push(p.clone());
        }
        Some(done)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(p).status();
        }
    }
}

#[test]
fn pages_that_cannot_be_replaced_are_reported_and_the_run_goes_on() {
    let (tmp, build) = copy_fixture("site");
    let page = build.join("docs/intro/index.html");
    let locked_dir = build.join("blog/welcome");
    let page_in_dir = locked_dir.join("index.html");
    // A page over the streaming threshold is replaced by a temporary file and a rename, which
    // an unwritable directory refuses; smaller pages are rewritten in place, which it allows.
    let big_in_dir = locked_dir.join("big.html");
    write_big_page(&big_in_dir, 9 << 20);
    let page_before = fs::read(&page).expect("read");
    let big_before = fs::read(&big_in_dir).expect("read");
    let Some(_guard) = Immutable::set(&[page.clone(), locked_dir.clone()]) else {
        println!("note: chattr +i is not possible here (not root, or the file system has no immutable flag); unwritable page case skipped");
        return;
    };
    // With the flag set even root must fail to write, or the case proves nothing.
    if fs::OpenOptions::new().append(true).open(&page).is_ok() {
        println!(
            "note: the immutable flag does not stop writes here; unwritable page case skipped"
        );
        return;
    }

    let run = run_in(tmp.path(), &["build"], tmp.path());
    assert_eq!(run.code, 1, "{}", run.render());
    assert_names(&run, "build/docs/intro/index.html");
    assert_names(&run, "build/blog/welcome/big.html");
    assert!(
        fs::read(&page).expect("read") == page_before,
        "unwritable page changed"
    );
    assert!(
        fs::read(&big_in_dir).expect("read") == big_before,
        "page in an unwritable directory changed"
    );
    assert_eq!(
        count(
            &fs::read(&page_in_dir).expect("read"),
            "id=\"chatkit-inject-config\""
        ),
        1,
        "a page in an unwritable directory can still be rewritten in place"
    );
    assert!(
        temp_files(&build).is_empty(),
        "temporary files left: {:?}",
        temp_files(&build)
    );
    assert_eq!(
        count(
            &fs::read(build.join("index.html")).expect("home"),
            "id=\"chatkit-inject-config\""
        ),
        1,
        "the run did not go on"
    );
    let json = harness::report(
        &run_in(
            tmp.path(),
            &["build", "--format", "json", "--dry-run"],
            tmp.path(),
        )
        .raw_stdout,
    );
    assert_eq!(json["pages"]["failed"], 0, "a dry run needs no writes");
}

/// The top of the build directory cannot take the undo journal: pages are replaced with a
/// rename in their own (writable) directories instead, and the run succeeds.
#[test]
fn no_room_for_the_journal_falls_back_to_the_rename() {
    let (tmp, build) = copy_fixture("site");
    // Assets already in place, so that the run needs nothing new at the top.
    let prepared = run_in(tmp.path(), &["build", "--quiet"], tmp.path());
    assert_eq!(prepared.code, 0, "{}", prepared.render());
    let stripped = run_in(tmp.path(), &["build", "--strip", "--quiet"], tmp.path());
    assert_eq!(stripped.code, 0, "{}", stripped.render());
    let reference = tmp.path().join("reference");
    copy_dir(&build, &reference);
    let again = run_in(tmp.path(), &["reference", "--quiet"], tmp.path());
    assert_eq!(again.code, 0, "{}", again.render());
    copy_dir(&reference.join("chatkit"), &build.join("chatkit"));
    let home = build.join("index.html");
    let home_before = fs::read(&home).expect("read");
    let Some(_guard) = Immutable::set(std::slice::from_ref(&build)) else {
        println!("note: chattr +i is not possible here; no-room-for-the-journal case skipped");
        return;
    };
    if fs::create_dir(build.join("probe")).is_ok() {
        println!("note: the immutable flag does not stop directory writes here; case skipped");
        return;
    }

    let run = run_in(tmp.path(), &["build"], tmp.path());
    // A page at the top can be neither journalled nor renamed: named, left alone. Every page
    // below is injected by the rename, as an uninterrupted run would.
    assert_eq!(run.code, 1, "{}", run.render());
    assert_names(&run, "build/index.html");
    assert!(
        fs::read(&home).expect("read") == home_before,
        "the top page changed"
    );
    assert!(!build.join(journal::DIR_NAME).exists());
    let want: BTreeMap<String, Vec<u8>> = pages_of(&reference);
    for (rel, bytes) in pages_of(&build) {
        if rel.contains('/') {
            assert!(
                want.get(&rel) == Some(&bytes),
                "{rel} differs from an uninterrupted run"
            );
        }
    }
}

/// Peak resident set of a finished child, via `/usr/bin/time -v` (KiB), or polling
/// `/proc/PID/status` (VmHWM) when that is missing.
fn run_measuring_rss(cwd: &Path, args: &[&str]) -> (RunOutput, Option<u64>, Duration) {
    let time = Path::new("/usr/bin/time");
    let started = Instant::now();
    if time.exists() {
        let out = Command::new(time)
            .arg("-v")
            .arg(env!("CARGO_BIN_EXE_chatkit-inject"))
            .args(args)
            .current_dir(cwd)
            .output()
            .expect("run /usr/bin/time");
        let elapsed = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let rss = stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse().ok());
        let run = RunOutput {
            code: out.status.code().unwrap_or(-1),
            raw_stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        };
        return (run, rss, elapsed);
    }
    let mut child = cli()
        .current_dir(cwd)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = None;
    while child.try_wait().expect("wait").is_none() {
        if let Ok(s) = fs::read_to_string(&status_path) {
            let hwm = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak = peak.max(hwm);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    let out = child.wait_with_output().expect("output");
    let run = RunOutput {
        code: out.status.code().unwrap_or(-1),
        raw_stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (run, peak, elapsed)
}

/// A generated page of at least `size` bytes: Docusaurus-like markup, non-ASCII text, and the
/// text `</body>` where it is not the end of the body. Returns the bytes and where the head and
/// body snippets belong (the offsets of `</head>` and of the real `</body>`).
fn big_page(size: usize) -> (Vec<u8>, usize, usize) {
    let head = "<!DOCTYPE html><html lang=\"en\" dir=\"ltr\"><head><meta charset=\"UTF-8\"><title>Big page</title><link rel=\"stylesheet\" href=\"/assets/css/styles.css\"></head>";
    let open = "<body class=\"navigation-with-keyboard\"><div id=\"__docusaurus\"><main><article>";
    let tail = "</body></html>\n";
    let mut v = Vec::with_capacity(size + 4096);
    v.extend_from_slice(head.as_bytes());
    v.extend_from_slice(open.as_bytes());
    let mut n = 0u64;
    while v.len() < size {
        v.extend_from_slice(
            format!(
                "<h2 id=\"s{n}\">Section {n} — ünïcödé ✓</h2><p>Text with <code>&lt;/body&gt;</code>, <!-- </body> --> a comment and <a href=\"/docs/{n}\">a link</a>.</p>\n"
            )
            .as_bytes(),
        );
        n += 1;
    }
    v.extend_from_slice(b"</article></main></div>");
    let body_at = v.len();
    v.extend_from_slice(tail.as_bytes());
    (v, head.len() - "</head>".len(), body_at)
}

fn write_big_page(path: &Path, size: usize) -> (Vec<u8>, usize, usize) {
    let page = big_page(size);
    fs::write(path, &page.0).expect("write big page");
    page
}

#[test]
#[ignore = "slow: `./test-all.sh rust` runs it (or `cargo test -- --include-ignored`)"]
fn page_of_100_mb_is_injected_correctly_in_flat_memory() {
    let (tmp, build) = copy_fixture("site");
    let home_before = fs::read(build.join("index.html")).expect("home");
    let size = env_usize("RELIABILITY_BIG_PAGE_MB", 100) << 20;
    let path = build.join("big.html");
    let (original, head_at, body_at) = write_big_page(&path, size);

    let (run, rss, elapsed) = run_measuring_rss(tmp.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.render());
    println!(
        "big page: {} bytes, run {:.2}s, peak RSS {}",
        original.len(),
        elapsed.as_secs_f64(),
        rss.map(|k| format!("{} MiB", k / 1024))
            .unwrap_or_else(|| "not measurable here".into())
    );
    let home = fs::read(build.join("index.html")).expect("home");
    let (head_snip, body_snip) = snippets_in(&home);
    assert_eq!(
        snippet_len(&home_before, &home),
        head_snip.len() + body_snip.len()
    );

    // The expected bytes: the page with the two snippets spliced in at the known places.
    let after = fs::read(&path).expect("read");
    assert_eq!(
        after.len(),
        original.len() + head_snip.len() + body_snip.len(),
        "size"
    );
    let mut at = 0;
    for (label, part) in [
        ("the head", &original[..head_at]),
        ("the stylesheet link", &head_snip[..]),
        ("the body", &original[head_at..body_at]),
        ("the config and loader", &body_snip[..]),
        ("the end", &original[body_at..]),
    ] {
        assert!(
            after[at..at + part.len()] == *part,
            "big page differs in {label} (at byte {at})"
        );
        at += part.len();
    }
    // Streamed: the page is not held in memory. Holding it (input and output) would put the
    // peak above twice its size; the limit leaves room for the process and its threads.
    if let Some(kib) = rss {
        let limit_kib: u64 = 64 * 1024;
        assert!(
            2 * size as u64 <= limit_kib * 1024 || kib < limit_kib,
            "peak RSS {kib} KiB for a {} MiB page: the page is held in memory",
            size >> 20
        );
    }
}

/// A tmpfs mounted for the life of the guard.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

#[test]
fn full_disk_leaves_pages_whole_and_names_them() {
    let tmp = tempfile::tempdir().expect("tmp");
    let disk = tmp.path().join("disk");
    fs::create_dir(&disk).expect("mkdir");
    // Room for a streamed page (over the 8 MiB threshold) and its replacement once space is
    // freed again.
    let Some(_mount) = Tmpfs::mount(&disk, "32m") else {
        println!("note: cannot mount a tmpfs here (needs root and mount permission); disk-full case skipped");
        return;
    };
    // The pages, and the widget assets of this version already in place, so that only the page
    // writes need space.
    let site = fixtures().join("site");
    let staged = tmp.path().join("staged");
    let pages = [
        ("index.html", "index.html"),
        ("docs/intro/index.html", "docs/page.html"),
    ];
    for (from, to) in pages {
        let dst = staged.join(to);
        fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
        fs::copy(site.join(from), &dst).expect("copy");
    }
    let build = disk.join("build");
    copy_dir(&staged, &build);
    let prepared = run_in(tmp.path(), &["staged", "--quiet"], tmp.path());
    assert_eq!(prepared.code, 0, "{}", prepared.render());
    copy_dir(&staged.join("chatkit"), &build.join("chatkit"));
    write_big_page(&build.join("docs/big.html"), 9 << 20);
    let before = snapshot_tree(&build);

    // Fill the disk.
    let filler = disk.join("filler");
    {
        let mut f = fs::File::create(&filler).expect("filler");
        let block = vec![b'x'; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    if fs::write(disk.join("probe"), vec![b'x'; 8192]).is_ok() {
        println!("note: could not fill the tmpfs; disk-full case skipped");
        return;
    }
    let _ = fs::remove_file(disk.join("probe"));

    let run = run_with_deadline(tmp.path(), &["disk/build"], Duration::from_secs(60));
    assert_eq!(run.code, 1, "{}", run.render());
    assert_names(&run, "disk/build/index.html");
    assert_names(&run, "disk/build/docs/page.html");
    assert_names(&run, "disk/build/docs/big.html");
    assert!(
        run.stderr.contains("No space left on device") || run.stderr.contains("os error 28"),
        "the error does not say the disk is full:\n{}",
        run.render()
    );
    assert!(
        snapshot_tree(&build) == before,
        "a page changed on a full disk"
    );
    assert!(temp_files(&build).is_empty(), "temporary files left");

    fs::remove_file(&filler).expect("free space");
    let run = run_in(tmp.path(), &["disk/build"], tmp.path());
    assert_eq!(run.code, 0, "{}", run.render());
    for page in ["docs/page.html", "docs/big.html"] {
        assert_eq!(
            count(
                &fs::read(build.join(page)).expect("page"),
                "id=\"chatkit-inject-config\""
            ),
            1,
            "{page}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Two runs at once

#[test]
fn two_runs_at_once_never_double_an_injection() {
    let pages = env_usize("RELIABILITY_CONCURRENT_PAGES", 600);
    let tmp = tempfile::tempdir().expect("tmp");
    let work = tmp.path().join("build");
    big_site(&work, pages);
    let originals = pages_of(&work);
    fs::write(tmp.path().join("chatkit.toml"), TWO_PROFILES).expect("config");
    let mut expected = BTreeMap::new();
    for env in ["dev", "prod"] {
        let reference = tmp.path().join(format!("reference-{env}"));
        copy_dir(&work, &reference);
        let run = run_in(
            tmp.path(),
            &[&reference.display().to_string(), "--env", env, "--quiet"],
            tmp.path(),
        );
        assert_eq!(run.code, 0, "{}", run.render());
        expected.insert(env, pages_of(&reference));
    }

    // Round 1: the same run twice on a fresh tree. Round 2: dev and prod at once on it.
    for (round, envs) in [["dev", "dev"], ["dev", "prod"]].iter().enumerate() {
        let children: Vec<_> = envs
            .iter()
            .map(|env| {
                cli()
                    .current_dir(tmp.path())
                    .args(["build", "--env", env, "--quiet"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        let outs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().expect("wait"))
            .collect();
        let mut finished = Vec::new();
        for (env, out) in envs.iter().zip(&outs) {
            let stderr = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => finished.push(*env),
                Some(2) => assert!(
                    stderr.contains("another chatkit-inject run"),
                    "round {round}: exit 2 without the lock message: {stderr}"
                ),
                other => panic!("round {round}: {env} run ended with {other:?}: {stderr}"),
            }
        }
        assert!(!finished.is_empty(), "round {round}: both runs refused");
        println!(
            "two runs at once, round {round} ({envs:?}): {} finished, {} refused",
            finished.len(),
            2 - finished.len()
        );
        // Every page is entirely one profile's form (never both, never twice).
        let now = pages_of(&work);
        assert_eq!(now.len(), originals.len());
        let matches = |env: &str| now.iter().all(|(rel, b)| expected[env][rel] == *b);
        let winner = finished
            .iter()
            .copied()
            .find(|env| matches(env))
            .unwrap_or_else(|| {
                let bad = now
                    .iter()
                    .find(|(rel, b)| envs.iter().all(|env| expected[env][*rel] != **b))
                    .map(|(rel, b)| {
                        format!(
                            "{rel}: {} markers, {} configs",
                            count(b, MARKER),
                            count(b, "id=\"chatkit-inject-config\"")
                        )
                    });
                panic!("round {round}: the tree is not one run's result; first odd page: {bad:?}")
            });
        println!("  result: the {winner} injection on every page");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Mutated real pages

/// Fixture pages small enough to mutate quickly in a debug build.
fn seed_pages() -> Vec<Vec<u8>> {
    let mut pages: Vec<Vec<u8>> = all_fixture_pages()
        .iter()
        .map(|p| fs::read(p).expect("read"))
        .filter(|b| b.len() < 120_000)
        .collect();
    pages.extend(fuzz_regressions().into_iter().map(|(_, b)| b));
    pages
}

/// Inputs that once broke the rewrite, kept in `fuzz/regressions/` (see `fuzz/run.sh`).
fn fuzz_regressions() -> Vec<(PathBuf, Vec<u8>)> {
    let dir = crate::harness::root().join("fuzz/regressions");
    let mut found: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
                .map(|p| {
                    let b = fs::read(&p).expect("read regression");
                    (p, b)
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// The properties of the page rewrite, as `fuzz/fuzz_targets/rewrite.rs` checks them: for any
/// bytes no panic; when the injection succeeds it is idempotent, strip gives the page back (or,
/// for a page that already carried something like our markup, what strip alone gives), and a
/// page that gets the widget gets exactly one runtime config.
fn rewrite_properties(page: &[u8], snippets: &inject::Snippets) -> Result<(), String> {
    let Ok((once, skip, _)) = apply(page, Mode::Inject(snippets)) else {
        // A page lol_html refuses is an error the run reports for that page.
        return Ok(());
    };
    let (twice, _, _) = apply(&once, Mode::Inject(snippets))
        .map_err(|e| format!("inject(inject(page)) failed: {e}"))?;
    if once != twice {
        return Err("inject is not idempotent".into());
    }
    let (stripped, _, _) =
        apply(&once, Mode::Strip).map_err(|e| format!("strip(inject(page)) failed: {e}"))?;
    if let Ok((page_stripped, _, facts)) = apply(page, Mode::Strip) {
        if stripped != page_stripped {
            return Err("strip(inject(page)) != strip(page)".into());
        }
        // Without an earlier injection of ours, none of the page's bytes go, even inside
        // elements marked like ours: the injected page minus exactly the added markup is the page.
        if !facts.had_injection {
            if page_stripped != page {
                return Err("strip removed bytes it did not add".into());
            }
            if skip.is_none() {
                let body = snippets.body_for(facts.lang.as_deref());
                let rest = remove_once(
                    &remove_once(&once, snippets.head.as_bytes()),
                    body.as_bytes(),
                );
                if rest != page {
                    return Err("inject(page) minus the added markup != page".into());
                }
            }
        }
    }
    // Attribute names are case-insensitive: `data-chatkit-injecT` is a marker too.
    if page
        .to_ascii_lowercase()
        .windows(14)
        .any(|w| w == b"chatkit-inject")
    {
        return Ok(());
    }
    if stripped != page {
        return Err("strip(inject(page)) != page".into());
    }
    match skip {
        None if count(&once, "id=\"chatkit-inject-config\"") != 1 => {
            Err("not exactly one injection".into())
        }
        Some(_) if once != page => Err("a skipped page was modified".into()),
        _ => Ok(()),
    }
}

/// `haystack` without the first occurrence of `needle` (unchanged when there is none).
fn remove_once(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    match haystack.windows(needle.len()).position(|w| w == needle) {
        Some(i) => [&haystack[..i], &haystack[i + needle.len()..]].concat(),
        None => haystack.to_vec(),
    }
}

/// A page whose `<head>` holds an unclosed `<svg>` (a truncated or spliced page): the parser is
/// in SVG content there, where `<link>` is not a void element. Found by the mutation test.
#[test]
fn marked_link_in_svg_context_is_removed_alone() {
    let dev = snippets_for(TWO_PROFILES, "dev");
    let head_svg: &[u8] =
        b"<!doctype html><html><head><svg><title>x</title></head><body><p>keep me</p></body></html>";
    rewrite_properties(head_svg, &dev).expect("unclosed <svg> in <head>");
    // Strip alone: a marked link inside SVG content goes, and nothing after it.
    let page = br#"<html><head><title>t</title></head><body><svg><link rel="stylesheet" href="/chatkit/widget.00000000.css" data-chatkit-inject><p>keep me</p></body></html>"#;
    let (stripped, _) = inject::rewrite(page, Mode::Strip).expect("strip");
    assert_eq!(
        String::from_utf8_lossy(&stripped),
        "<html><head><title>t</title></head><body><svg><p>keep me</p></body></html>"
    );
}

/// Findings of the open-ended fuzzer (`FUZZ_SEED=0 FUZZ_RUNS=-1 fuzz/run.sh`), minimized (each
/// also in `fuzz/regressions/`). lol_html's view of which elements are open is not the
/// browser's around foreign content: here `<i>` ends the `<svg>` in a browser (a breakout tag),
/// and the first run appended the widget at the end; the second run, reading its own scripts
/// there with lol_html's full lexer, saw the `<svg>` still open and refused the page as dead
/// (inject was not idempotent). The rewrite now takes the browser's view of breakout tags.
/// Then, within 600 executions: `<script e=>` (a start tag ending right after `=`) is read by
/// lol_html's fast path as followed by markup, by its full lexer (and a browser) as followed
/// by script text; the first run put the widget before a `</body>` that is script text, the
/// second injected the config again. The rewrite now has lol_html lex such tags fully, and the
/// page, which ends inside that script, fails untouched.
#[test]
fn open_fuzz_findings_keep_the_rewrite_properties() {
    let dev = snippets_for(TWO_PROFILES, "dev");
    let page: &[u8] = b"<body><svg><i><script e=></body></script>";
    rewrite_properties(page, &dev).unwrap_or_else(|e| panic!("{e}"));
    // And the widget is really added (not a page refused, which the properties allow).
    let (once, skip, _) = apply(page, Mode::Inject(&dev)).expect("injects");
    assert!(skip.is_none() && once.len() > page.len());

    let page: &[u8] = b"<body><script e=></b></body>";
    rewrite_properties(page, &dev).unwrap_or_else(|e| panic!("{e}"));
    assert!(apply(page, Mode::Inject(&dev)).is_err());

    // After about 110,000 more executions: an `<html lang>` after `<body>` changed the page's
    // language after the body markup was chosen (English markup, a page counted as Urdu). The
    // language is now the one known before `<body>`.
    let page: &[u8] = b"<body>\0</body><html lang=ur>";
    rewrite_properties(page, &dev).unwrap_or_else(|e| panic!("{e}"));
    let (_, _, facts) = apply(page, Mode::Inject(&dev)).expect("injects");
    assert_eq!(facts.lang, None);
}

#[test]
fn fuzz_regressions_keep_the_rewrite_properties() {
    let dev = snippets_for(TWO_PROFILES, "dev");
    let regressions = fuzz_regressions();
    assert!(!regressions.is_empty(), "fuzz/regressions/ is empty");
    for (path, page) in regressions {
        if let Err(e) = rewrite_properties(&page, &dev) {
            panic!("{}: {e}", path.display());
        }
    }
}

/// Random edits that real pages suffer: cut short, spliced with another page, bytes flipped,
/// tags that matter dropped in.
#[derive(Debug, Clone)]
enum Edit {
    Cut {
        at: usize,
        keep_head: bool,
    },
    Splice {
        other: usize,
        at: usize,
        from: usize,
    },
    Flip {
        at: usize,
        byte: u8,
    },
    Insert {
        at: usize,
        text: &'static str,
    },
}

const INSERTS: &[&str] = &[
    "</body>",
    "<body>",
    "</head>",
    "<head>",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<template>",
    "<svg><title>",
    "<textarea>",
    "<plaintext>",
    "<meta name=\"chatkit-inject\" content=\"off\">",
    "<meta http-equiv=\"refresh\" content=\"0\">",
    "<link data-chatkit-inject>",
    "<p data-chatkit-inject>x</p>",
    "\0",
    "\u{2028}",
    "\u{feff}",
    "\u{fffd}",
    "\"",
    "<",
    "&",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<bool>()).prop_map(|(at, keep_head)| Edit::Cut { at, keep_head }),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(other, at, from)| Edit::Splice { other, at, from }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Flip { at, byte }),
        (any::<usize>(), proptest::sample::select(INSERTS))
            .prop_map(|(at, text)| Edit::Insert { at, text }),
    ]
}

fn apply_edit(page: &mut Vec<u8>, e: &Edit, pages: &[Vec<u8>]) {
    let at = |x: usize, len: usize| if len == 0 { 0 } else { x % (len + 1) };
    match *e {
        Edit::Cut { at: x, keep_head } => {
            let i = at(x, page.len());
            if keep_head {
                page.truncate(i);
            } else {
                page.drain(..i);
            }
        }
        Edit::Splice { other, at: x, from } => {
            let o = &pages[other % pages.len()];
            let i = at(x, page.len());
            let j = at(from, o.len());
            page.truncate(i);
            page.extend_from_slice(&o[j..]);
        }
        Edit::Flip { at: x, byte } => {
            if !page.is_empty() {
                let i = x % page.len();
                page[i] = byte;
            }
        }
        Edit::Insert { at: x, text } => {
            let i = at(x, page.len());
            page.splice(i..i, text.bytes());
        }
    }
}

#[test]
fn mutated_real_pages_keep_the_rewrite_properties() {
    let pages = seed_pages();
    assert!(pages.len() >= 10, "too few seed pages");
    let dev = snippets_for(TWO_PROFILES, "dev");
    let cases = env_usize("RELIABILITY_PROPTEST_CASES", 400) as u32;
    // A fixed seed by default, so CI stays deterministic: a clock seed found the foreign-content
    // case below, now pinned in `marked_link_in_svg_context_is_removed_alone`. Set
    // RELIABILITY_SEED to explore.
    let seed: u64 = std::env::var("RELIABILITY_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1_795_780_269_467_520_864);
    println!("mutated pages: {cases} cases, seed {seed}");
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = (0..pages.len(), proptest::collection::vec(edit(), 1..6));
    let mutate = |start: usize, edits: &[Edit]| {
        let mut page = pages[start].clone();
        for e in edits {
            apply_edit(&mut page, e, &pages);
        }
        page
    };
    let outcome = runner.run(&strategy, |(start, edits)| {
        rewrite_properties(&mutate(start, &edits), &dev).map_err(TestCaseError::fail)
    });
    if let Err(e) = outcome {
        // Keep the shrunk page, ready to become a file in fuzz/regressions/.
        let mut saved = String::new();
        if let TestError::Fail(_, (start, edits)) = &e {
            let path = std::env::temp_dir().join(format!("chatkit-inject-failure-{seed}.html"));
            if fs::write(&path, mutate(*start, edits)).is_ok() {
                saved = format!(
                    "\nthe failing page is saved as {}: copy it into fuzz/regressions/",
                    path.display()
                );
            }
        }
        panic!("seed {seed}: {e}{saved}");
    }
}
