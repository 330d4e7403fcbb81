//! One page: what to do with it, decided once ([`Plan`], then [`decide`] on what its rewrite
//! noticed), and its execution through one streaming pass that writes into a sink, then a commit.
//!
//! A page's size only picks the buffering: a page up to [`STREAM_THRESHOLD`] is read into memory
//! and its result kept in a buffer, committed in place under the undo journal (or by a temporary
//! file and a rename); a larger page is streamed from disk into a temporary file beside its
//! destination, committed by a rename. Every check (skip reasons, dead placements, the read-back
//! verification, the Content-Security-Policy) is the same for both.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::corpus::{self, Extractor, Record};
use crate::csp;
use crate::fsx::{self, PathError};
use crate::inject::{self, Mode, PageFacts, RewriteError, SkipReason, Snippets};
use crate::journal::{self, InPlace, Journal};
use crate::report::PageError;
use crate::settings::Action;
use crate::walk::{Excludes, Page};

/// Pages larger than this are streamed from disk to a temporary file instead of being held in
/// memory, so a 100 MB page costs no more memory than a small one.
pub const STREAM_THRESHOLD: u64 = 8 << 20;
/// Read size when streaming a large page.
const STREAM_CHUNK: usize = 64 << 10;

/// What happened to one page.
#[derive(Debug)]
pub enum Outcome {
    Injected,
    Unchanged,
    Stripped,
    Skipped(SkipReason),
    /// `--check`: the page's injection is missing or stale.
    Outdated,
    Failed(PageError),
}

/// One page's result: its outcome, and what the report sums up beside it.
#[derive(Debug)]
pub struct Done {
    pub outcome: Outcome,
    /// The page carries the widget after this run; its `<html lang>` as written (which chose
    /// the language of its runtime config).
    pub widget: Option<Option<String>>,
    /// The page holds an element marked like ours that is not ours (left as it is).
    pub marked_other: bool,
    /// What the page's Content-Security-Policy would block (empty: nothing, or no policy).
    pub csp_blocked: Vec<csp::Blocked>,
    /// The page's corpus records (`--corpus`; none for a page that gets no widget).
    pub corpus: Vec<Record>,
}

impl Done {
    fn new(outcome: Outcome) -> Self {
        Done {
            outcome,
            widget: None,
            marked_other: false,
            csp_blocked: Vec::new(),
            corpus: Vec::new(),
        }
    }
}

/// What every page of a run shares.
pub struct Pages<'a> {
    pub build_dir: &'a Path,
    pub out_dir: Option<&'a Path>,
    pub action: Action,
    /// Pages are written (not `--check`, not `--dry-run`).
    pub writes: bool,
    /// The markup to add; `None` for `--strip`.
    pub snippets: Option<&'a Snippets>,
    pub exclude: &'a Excludes,
    /// The undo journal, when pages are rewritten in place.
    pub journal: Option<&'a Journal>,
    /// Pages an interrupted run may have left half-written (under `--out`: not copied).
    pub interrupted: &'a HashSet<PathBuf>,
    /// What the widget loads, to check pages' Content-Security-Policy against.
    pub csp_needs: Option<&'a csp::Needs>,
    /// Pages larger than this many bytes are streamed ([`STREAM_THRESHOLD`] in a run; the
    /// tests choose).
    pub stream_above: u64,
    /// `--corpus`: the site's baseUrl, to read each injected page's text for the corpus in the
    /// same read as its rewrite; `None` when no corpus is written.
    pub corpus_base_url: Option<&'a str>,
}

/// What to do with one page, decided before any of it is read.
enum Plan<'a> {
    /// A symbolic link: left as it is (recreated under `--out`); its target is a page of its own.
    Link,
    /// A page an interrupted run may have left half-written: it fails.
    Interrupted,
    /// Take out any earlier injection (`--strip`, or a page a `[pages] exclude` glob matches).
    Strip { excluded: bool },
    /// Add the widget, unless the page itself says otherwise.
    Inject(&'a Snippets),
}

impl<'a> Pages<'a> {
    fn plan(&self, page: &Page) -> Plan<'a> {
        if page.is_symlink {
            return Plan::Link;
        }
        if self.interrupted.contains(&page.rel) {
            return Plan::Interrupted;
        }
        match (self.action, self.snippets) {
            (Action::Strip, _) | (_, None) => Plan::Strip { excluded: false },
            _ if self.exclude.is_match(&page.rel) => Plan::Strip { excluded: true },
            (_, Some(snippets)) => Plan::Inject(snippets),
        }
    }

    /// Process one page. A failure is its outcome, never a reason to stop the run.
    pub fn process(&self, page: &Page) -> Done {
        self.process_inner(page)
            .unwrap_or_else(|e| Done::new(Outcome::Failed(e)))
    }

    fn process_inner(&self, page: &Page) -> Result<Done, PageError> {
        let src = self.build_dir.join(&page.rel);
        let dst = self
            .out_dir
            .map_or_else(|| src.clone(), |out| out.join(&page.rel));
        let plan = self.plan(page);
        let mode = match plan {
            Plan::Link => {
                // A link to a page inside the tree is rewritten where the page lives; a link
                // outside the tree is not followed. Under --out the link is recreated as it is.
                if self.out_dir.is_some() && self.writes {
                    copy_symlink(&src, &dst).map_err(|e| PageError::io_at(&e))?;
                }
                return Ok(Done::new(Outcome::Skipped(SkipReason::Symlink)));
            }
            Plan::Interrupted => {
                return Err(PageError::Interrupted {
                    message: format!(
                        "an interrupted run may have left this page half-written; run chatkit-inject on {} first (it restores the page from {})",
                        self.build_dir.display(),
                        journal::DIR_NAME
                    ),
                })
            }
            Plan::Strip { .. } => Mode::Strip,
            Plan::Inject(snippets) => Mode::Inject(snippets),
        };

        let source = Source::open(&src, self.journal.is_some(), self.stream_above)?;
        let blank = matches!(mode, Mode::Inject(_)) && source.is_blank()?;
        // The corpus reads the page's text from the chunks of its (first) injecting pass.
        let mut text = (self.corpus_base_url.is_some() && matches!(mode, Mode::Inject(_)))
            .then(Extractor::new);
        let decided = decide(
            mode,
            blank,
            |mode| {
                let text = matches!(mode, Mode::Inject(_))
                    .then_some(text.as_mut())
                    .flatten();
                source.pass(mode, self.sink(&source, &dst)?, text)
            },
            |pass| source.read_back(mode, pass),
        )?;
        let facts = &decided.facts;
        let mut done = Done::new(match (&plan, decided.skip) {
            (Plan::Strip { excluded: true }, _) => Outcome::Skipped(SkipReason::Excluded),
            (Plan::Strip { .. }, _) if facts.had_injection => Outcome::Stripped,
            (Plan::Strip { .. }, _) => Outcome::Unchanged,
            (_, Some(reason)) => Outcome::Skipped(reason),
            (_, None) if decided.pass.unchanged => Outcome::Unchanged,
            (_, None) => Outcome::Injected,
        });
        if let Plan::Inject(_) = plan {
            done.marked_other = facts.marked_other;
        }
        if let (Plan::Inject(_), None) = (&plan, decided.skip) {
            done.widget = Some(facts.lang.clone());
            if let (false, Some(needs)) = (facts.csp.is_empty(), self.csp_needs) {
                done.csp_blocked = csp::check(&facts.csp, needs);
            }
            if let (Some(text), Some(base_url)) = (text, self.corpus_base_url) {
                done.corpus = text.finish(&corpus::fallback_url(&page.rel, base_url));
            }
        }
        if self.action == Action::Check {
            // A skipped page that still carries an old injection is out of date too.
            if !decided.pass.unchanged {
                done.outcome = Outcome::Outdated;
            }
            return Ok(done);
        }
        if self.writes {
            self.commit(&source, &src, &dst, &page.rel, decided.pass)?;
        }
        Ok(done)
    }

    /// Where a pass writes: nowhere when nothing is written, a buffer for a page read into
    /// memory, a temporary file beside its destination for a streamed one.
    fn sink(&self, source: &Source, dst: &Path) -> Result<Sink, PageError> {
        if !self.writes {
            return Ok(Sink::Discard);
        }
        match &source.body {
            Body::Memory(input) => Ok(Sink::Buffer(Vec::with_capacity(input.len() + 1024))),
            Body::Stream => {
                let dir = dst.parent().unwrap_or(Path::new("."));
                fsx::create_dir_all(dir).map_err(|e| PageError::io_at(&e))?;
                let tmp = tempfile::Builder::new()
                    .prefix(fsx::TEMP_PREFIX)
                    .suffix(fsx::TEMP_SUFFIX)
                    .tempfile_in(dir)
                    .map_err(|e| PageError::write("cannot create a temporary file beside it", e))?;
                Ok(Sink::Temp(BufWriter::with_capacity(STREAM_CHUNK, tmp)))
            }
        }
    }

    /// Put the result where it goes: under `--out` always (a copy of the page), in place only
    /// when it changed, by the undo journal when the page is in memory and can take it.
    fn commit(
        &self,
        source: &Source,
        src: &Path,
        dst: &Path,
        rel: &Path,
        pass: Pass,
    ) -> Result<(), PageError> {
        if self.out_dir.is_none() && pass.unchanged {
            return Ok(());
        }
        let perms = source.meta.permissions();
        match (pass.output, &source.body) {
            (Output::Buffer(output), Body::Memory(input)) => {
                if self.out_dir.is_some() {
                    if let Some(parent) = dst.parent() {
                        fsx::create_dir_all(parent).map_err(|e| PageError::io_at(&e))?;
                    }
                } else if let (Some(j), true) = (self.journal, source.writable) {
                    let done = j
                        .write_page(&source.file, &source.meta, src, rel, input, &output)
                        .map_err(|e| PageError::io(&e))?;
                    if let InPlace::Done = done {
                        return Ok(());
                    }
                }
                fsx::write_atomic(dst, &output, Some(perms)).map_err(|e| PageError::io(&e))
            }
            (Output::Temp(tmp), _) => {
                tmp.as_file()
                    .set_permissions(perms)
                    .map_err(|e| PageError::write("cannot set permissions", e))?;
                tmp.persist(dst)
                    .map_err(|e| PageError::write("cannot replace", e.error))?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The result of a page's rewrite, decided from what it noticed.
pub struct Decided<P> {
    /// The pass whose output is the page's new content.
    pub pass: P,
    /// Why the page gets no widget, if it does not.
    pub skip: Option<SkipReason>,
    /// What the (first) pass noticed.
    pub facts: PageFacts,
}

/// What a pass returns to [`decide`].
pub trait PassResult {
    fn facts(&self) -> &PageFacts;
}

/// The one decision for a page, whatever its size and wherever its bytes go: `pass` rewrites
/// the page once in the given mode, `read_back` gives the page and its injected version in
/// memory when the rewrite's own view of where the markup landed is uncertain.
///
/// Strip: the page without any earlier injection. Inject: a blank page, or one that opted out
/// or is a redirect stub, is left as it was (only taking out an earlier injection); an injection
/// that would never run fails with the reason; one the rewrite is unsure of is verified first.
pub fn decide<P: PassResult, E: From<RewriteError>>(
    mode: Mode<'_>,
    blank: bool,
    mut pass: impl FnMut(Mode<'_>) -> Result<P, E>,
    read_back: impl FnOnce(&P) -> Result<(Vec<u8>, Vec<u8>), E>,
) -> Result<Decided<P>, E> {
    if let Mode::Strip = mode {
        let pass = pass(Mode::Strip)?;
        let facts = pass.facts().clone();
        return Ok(Decided {
            pass,
            skip: None,
            facts,
        });
    }
    if blank {
        return Ok(Decided {
            pass: pass(Mode::Strip)?,
            skip: Some(SkipReason::Empty),
            facts: PageFacts::default(),
        });
    }
    let first = pass(mode)?;
    let facts = first.facts().clone();
    if let Some(reason) = facts.skip_reason() {
        // Left as it was, except that an earlier injection is taken out.
        let kept = pass(Mode::Strip)?;
        return Ok(Decided {
            pass: kept,
            skip: Some(reason),
            facts,
        });
    }
    if let Some(dead) = facts.dead() {
        return Err(RewriteError::Dead(dead).into());
    }
    if facts.needs_verification() {
        let (input, output) = read_back(&first)?;
        inject::verify(&input, &output, mode, &facts)?;
    }
    Ok(Decided {
        pass: first,
        skip: None,
        facts,
    })
}

/// [`decide`] on a page held in memory: its new bytes, why it got no widget (if it did not),
/// and what the rewrite noticed.
pub fn apply(
    input: &[u8],
    mode: Mode<'_>,
) -> Result<(Vec<u8>, Option<SkipReason>, PageFacts), RewriteError> {
    struct InMemory(Vec<u8>, PageFacts);
    impl PassResult for InMemory {
        fn facts(&self) -> &PageFacts {
            &self.1
        }
    }
    let blank = matches!(mode, Mode::Inject(_)) && input.iter().all(u8::is_ascii_whitespace);
    let decided = decide(
        mode,
        blank,
        |mode| inject::rewrite(input, mode).map(|(out, facts)| InMemory(out, facts)),
        |pass| Ok((input.to_vec(), pass.0.clone())),
    )?;
    Ok((decided.pass.0, decided.skip, decided.facts))
}

/// One page opened for its rewrite (and, when pages are rewritten in place, for the write).
struct Source {
    path: PathBuf,
    file: fs::File,
    meta: fs::Metadata,
    /// `file` is open for writing too.
    writable: bool,
    body: Body,
}

/// How a page's bytes reach the rewrite.
enum Body {
    /// Read into memory (a page up to [`STREAM_THRESHOLD`] bytes, in a run).
    Memory(Vec<u8>),
    /// Streamed from disk, chunk by chunk, on each pass.
    Stream,
}

impl Source {
    /// Open a page to read it and, if `for_writing` and allowed, to write it in place too. A
    /// page that cannot be opened for writing is still read; it is then replaced by a rename,
    /// which depends on its directory's permissions instead.
    fn open(path: &Path, for_writing: bool, stream_above: u64) -> Result<Source, PageError> {
        let writable_file = for_writing
            .then(|| {
                fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(path)
                    .ok()
            })
            .flatten();
        let writable = writable_file.is_some();
        let mut file = match writable_file {
            Some(f) => f,
            None => fs::File::open(path).map_err(|e| PageError::read(&e))?,
        };
        let meta = file.metadata().map_err(|e| PageError::read(&e))?;
        let body = if meta.len() > stream_above {
            Body::Stream
        } else {
            let mut input = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
            file.read_to_end(&mut input)
                .map_err(|e| PageError::read(&e))?;
            Body::Memory(input)
        };
        Ok(Source {
            path: path.to_path_buf(),
            file,
            meta,
            writable,
            body,
        })
    }

    fn reader(&self) -> Result<BufReader<fs::File>, PageError> {
        let file = fs::File::open(&self.path).map_err(|e| PageError::read(&e))?;
        Ok(BufReader::with_capacity(STREAM_CHUNK, file))
    }

    /// Is the page empty or whitespace only? (Read up to its first other byte.)
    fn is_blank(&self) -> Result<bool, PageError> {
        match &self.body {
            Body::Memory(input) => Ok(input.iter().all(u8::is_ascii_whitespace)),
            Body::Stream => {
                let mut reader = self.reader()?;
                loop {
                    let buf = reader.fill_buf().map_err(|e| PageError::read(&e))?;
                    if buf.is_empty() {
                        return Ok(true);
                    }
                    if !buf.iter().all(u8::is_ascii_whitespace) {
                        return Ok(false);
                    }
                    let n = buf.len();
                    reader.consume(n);
                }
            }
        }
    }

    /// The page's bytes, in memory.
    fn bytes(&self) -> Result<Cow<'_, [u8]>, PageError> {
        match &self.body {
            Body::Memory(input) => Ok(Cow::Borrowed(input)),
            Body::Stream => {
                let mut all = Vec::new();
                self.reader()?
                    .read_to_end(&mut all)
                    .map_err(|e| PageError::read(&e))?;
                Ok(Cow::Owned(all))
            }
        }
    }

    /// The page and its rewrite in `mode` (the pass's output, when it kept it in memory), both
    /// in memory, to verify an uncertain injection.
    fn read_back(&self, mode: Mode<'_>, pass: &Pass) -> Result<(Vec<u8>, Vec<u8>), PageError> {
        let input = self.bytes()?;
        let output = match &pass.output {
            Output::Buffer(output) => output.clone(),
            _ => inject::rewrite(&input, mode).map_err(PageError::from)?.0,
        };
        Ok((input.into_owned(), output))
    }

    /// One streaming rewrite of the page in `mode` into `sink`, comparing the output with the
    /// page on the way (so an unchanged page is not written).
    /// `text`, when given, reads the same chunks for the corpus.
    fn pass(
        &self,
        mode: Mode<'_>,
        mut sink: Sink,
        mut text: Option<&mut Extractor>,
    ) -> Result<Pass, PageError> {
        let mut write_error: Option<std::io::Error> = None;
        let mut same = Same::new(self)?;
        let mut emit = |out: &[u8]| {
            if write_error.is_none() {
                if let Err(e) = sink.write(out) {
                    write_error = Some(e);
                }
            }
            same.feed(out);
        };
        let facts = match &self.body {
            Body::Memory(input) => inject::rewrite_stream(
                std::iter::once(input).inspect(|chunk| {
                    if let Some(text) = text.as_deref_mut() {
                        text.write(chunk);
                    }
                }),
                mode,
                &mut emit,
                inject::may_hold_injection(input),
            )
            .map_err(PageError::from)?,
            Body::Stream => {
                let file = fs::File::open(&self.path).map_err(|e| PageError::read(&e))?;
                let chunks = inject::ReadChunks::new(file, STREAM_CHUNK);
                let read_error = chunks.error.clone();
                let chunks = chunks.inspect(|chunk| {
                    if let Some(text) = text.as_deref_mut() {
                        text.write(chunk);
                    }
                });
                let facts = inject::rewrite_stream(chunks, mode, &mut emit, true)
                    .map_err(PageError::from)?;
                if let Some(e) = read_error.borrow_mut().take() {
                    return Err(PageError::read(&e));
                }
                facts
            }
        };
        if let Some(e) = write_error {
            return Err(PageError::write("cannot write", e));
        }
        Ok(Pass {
            facts,
            unchanged: same.at_end(),
            output: sink.finish()?,
        })
    }
}

/// One rewrite of a page: what it noticed, whether the output equals the page, and the output
/// when it was kept.
struct Pass {
    facts: PageFacts,
    unchanged: bool,
    output: Output,
}

impl PassResult for Pass {
    fn facts(&self) -> &PageFacts {
        &self.facts
    }
}

/// Where a pass writes.
enum Sink {
    /// Nothing is written (`--check`, `--dry-run`): only compared.
    Discard,
    /// A page held in memory: committed in place under the journal, or by a rename.
    Buffer(Vec<u8>),
    /// A streamed page: a temporary file beside the destination, committed by a rename.
    Temp(BufWriter<tempfile::NamedTempFile>),
}

/// What a pass kept.
enum Output {
    None,
    Buffer(Vec<u8>),
    Temp(tempfile::NamedTempFile),
}

impl Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Discard => Ok(()),
            Sink::Buffer(buf) => {
                buf.extend_from_slice(bytes);
                Ok(())
            }
            Sink::Temp(w) => {
                w.write_all(bytes)?;
                #[cfg(debug_assertions)]
                crate::failpoint::streamed(w);
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<Output, PageError> {
        Ok(match self {
            Sink::Discard => Output::None,
            Sink::Buffer(buf) => Output::Buffer(buf),
            Sink::Temp(w) => Output::Temp(
                w.into_inner()
                    .map_err(|e| PageError::write("cannot write", e.error()))?,
            ),
        })
    }
}

/// Compares a pass's output, as it comes, with the page.
enum Same<'a> {
    Memory {
        rest: &'a [u8],
        same: bool,
    },
    Stream {
        reader: BufReader<fs::File>,
        buf: Vec<u8>,
        same: bool,
    },
}

impl<'a> Same<'a> {
    fn new(source: &'a Source) -> Result<Self, PageError> {
        Ok(match &source.body {
            Body::Memory(input) => Same::Memory {
                rest: input,
                same: true,
            },
            Body::Stream => Same::Stream {
                reader: source.reader()?,
                buf: vec![0; STREAM_CHUNK],
                same: true,
            },
        })
    }

    fn feed(&mut self, out: &[u8]) {
        match self {
            Same::Memory { rest, same } => {
                if *same {
                    match rest.strip_prefix(out) {
                        Some(r) => *rest = r,
                        None => *same = false,
                    }
                }
            }
            Same::Stream { reader, buf, same } => {
                let mut out = out;
                while *same && !out.is_empty() {
                    let n = out.len().min(buf.len());
                    match reader.read_exact(&mut buf[..n]) {
                        Ok(()) if buf[..n] == out[..n] => out = &out[n..],
                        _ => *same = false,
                    }
                }
            }
        }
    }

    /// Was the output the whole page, byte for byte?
    fn at_end(self) -> bool {
        match self {
            Same::Memory { rest, same } => same && rest.is_empty(),
            Same::Stream {
                mut reader,
                mut buf,
                same,
            } => same && matches!(reader.read(&mut buf[..1]), Ok(0)),
        }
    }
}

/// Under `--out`, a file that is not a page, copied as it is (a link as a link).
pub fn copy_other(build_dir: &Path, out: &Path, rel: &Path) -> Result<(), PathError> {
    let src = build_dir.join(rel);
    let dst = out.join(rel);
    if let Some(parent) = dst.parent() {
        fsx::create_dir_all(parent)?;
    }
    let meta = fs::symlink_metadata(&src).map_err(|e| PathError::new(&src, "cannot read", e))?;
    if meta.file_type().is_symlink() {
        return copy_symlink(&src, &dst);
    }
    fsx::copy(&src, &dst)
}

fn copy_symlink(src: &Path, dst: &Path) -> Result<(), PathError> {
    let target = fs::read_link(src).map_err(|e| PathError::new(src, "cannot read link", e))?;
    if let Some(parent) = dst.parent() {
        fsx::create_dir_all(parent)?;
    }
    let _ = fs::remove_file(dst);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&target, dst)
            .map_err(|e| PathError::new(dst, "cannot create link", e))
    }
    #[cfg(not(unix))]
    {
        let _ = target;
        fsx::copy(src, dst)
    }
}
