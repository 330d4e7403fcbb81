//! Fuzz target over the undo journal's record decoder (a journal file may be torn or damaged):
//! for any bytes, decoding never panics; a decoded record names a path inside the build
//! directory, and restoring any page bytes with it never panics.

#![no_main]

use std::path::Component;

use chatkit_inject::journal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte splits the input into the record and the page's current bytes.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let at = usize::from(split).min(rest.len()) * rest.len() / 256;
    let (record, current) = rest.split_at(at.min(rest.len()));
    for bytes in [rest, record] {
        if let Some(r) = journal::decode(bytes) {
            assert!(
                !r.rel.is_absolute() && r.rel.components().all(|c| matches!(c, Component::Normal(_))),
                "a record names a path outside the build directory: {:?}",
                r.rel
            );
            if let Some(page) = r.restore(current) {
                assert_eq!(page.len() as u64, r.orig_len, "restored page of the wrong length");
            }
        }
    }
});
