//! Differential fuzz target over the corpus's text: for any page bytes, fed in the chunks a run
//! could feed them in, the byte scanner (`corpus::Extractor`, what a run uses) gives the same
//! records as the lol_html reference (`corpus::reference`, compiled in under `cfg(fuzzing)`)
//! fed the same chunks, and never panics nor does more than linear work. A page lol_html refuses fails its rewrite in a run,
//! so its records are never kept: only the scanner's not panicking is checked then.
//!
//! The chunks: the whole page at once (a page read into memory), then sizes drawn from a hash
//! of the page (a streamed page, and the chunk boundaries in between: 1 to 64 KiB, mostly small),
//! so every mutation of the page tries another split too.

#![no_main]

use std::path::Path;

use chatkit_inject::corpus::{self, reference, Extractor, Record};
use libfuzzer_sys::fuzz_target;

/// The scanner's records for the page fed in `chunks`, as a run feeds the extractor; its work
/// stays linear in the page's length (see `Extractor::finish_counted`).
fn scanned(chunks: &[&[u8]], url: &str) -> Vec<Record> {
    let mut ex = Extractor::new();
    let mut len = 0;
    for c in chunks {
        ex.write(c);
        len += c.len();
    }
    let (records, work) = ex.finish_counted(url);
    let bound = 8 * len + 32 * chunks.len() + 64;
    assert!(
        work <= bound,
        "{work} units of work for {len} bytes in {} chunks",
        chunks.len()
    );
    records
}

/// A split of `page` into chunks of sizes drawn from `seed` (xorshift64*).
fn split(page: &[u8], seed: u64) -> Vec<&[u8]> {
    let mut x = seed | 1;
    let mut next = || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut chunks = Vec::new();
    let mut rest = page;
    while !rest.is_empty() {
        let r = next();
        let size = match r % 8 {
            0..=3 => 1 + (r >> 8) % 8,
            4..=5 => 1 + (r >> 8) % 64,
            6 => 1 + (r >> 8) % 4096,
            _ => 1 + (r >> 8) % 65536,
        };
        let size = usize::try_from(size).unwrap_or(1).min(rest.len());
        let (chunk, tail) = rest.split_at(size);
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

/// FNV-1a.
fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Whether a raw-text element's start tag ends right after `=` (`<script a=>`, `<style a= >`):
/// a browser (and the scanner) reads what follows as the element's text, lol_html in the article
/// as markup. The reference is not a browser there, so such pages are only checked for panics
/// and work. (Quotes are followed as the tokenizer does; a tag cut short counts as one.)
fn raw_text_tag_ends_after_equals(page: &[u8]) -> bool {
    const RAW: [&[u8]; 10] = [
        b"script",
        b"style",
        b"textarea",
        b"title",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"noscript",
        b"plaintext",
    ];
    let is_space = |b: u8| matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ');
    let mut at = 0;
    while let Some(lt) = page[at..].iter().position(|&b| b == b'<').map(|i| i + at) {
        at = lt + 1;
        let Some(name) = RAW.iter().find(|n| {
            page.get(lt + 1..lt + 1 + n.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(n))
                && page
                    .get(lt + 1 + n.len())
                    .is_none_or(|&b| is_space(b) || b == b'/' || b == b'>')
        }) else {
            continue;
        };
        let mut i = lt + 1 + name.len();
        let mut after_equals = false;
        while let Some(&b) = page.get(i) {
            match b {
                b'>' if after_equals => return true,
                b'>' => break,
                b'=' => after_equals = true,
                b'"' | b'\'' if after_equals => {
                    match page[i + 1..].iter().position(|&c| c == b) {
                        Some(end) => i += end + 1,
                        None => return true,
                    }
                    after_equals = false;
                }
                b if is_space(b) => {}
                _ => after_equals = false,
            }
            i += 1;
        }
    }
    false
}

/// Whether an attribute value may start with U+FEFF (`class=\u{feff}markdown`): a browser and
/// the scanner keep it, lol_html's `get_attribute` drops it. Such pages are only checked for
/// panics and work. (Any U+FEFF after `=` or a quote, spaces between, counts.)
fn attribute_may_start_with_bom(page: &[u8]) -> bool {
    let is_space = |b: &u8| matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ');
    page.windows(3)
        .enumerate()
        .filter(|(_, w)| *w == b"\xef\xbb\xbf")
        .any(|(i, _)| {
            page[..i]
                .iter()
                .rev()
                .find(|b| !is_space(b))
                .is_some_and(|b| matches!(b, b'=' | b'"' | b'\''))
        })
}

fuzz_target!(|page: &[u8]| {
    // As a run names a page without a canonical link: its place in the build under baseUrl.
    let url = corpus::fallback_url(Path::new("docs/intro/index.html"), "/book/");
    for chunks in [vec![page], split(page, hash(page))] {
        let got = scanned(&chunks, &url);
        if raw_text_tag_ends_after_equals(page) || attribute_may_start_with_bom(page) {
            continue;
        }
        if let Some(want) = reference::read_chunks(chunks.iter().copied(), &url) {
            assert_eq!(
                got,
                want,
                "the scanner's records differ from lol_html's in {} chunks",
                chunks.len()
            );
        }
    }
});
