//! Properties that must hold on every fixture page (the real Docusaurus builds and the edge
//! pages), and on arbitrary HTML-like input.

use chatkit_inject::inject::{self, Mode, MARKER};
use chatkit_inject::page::apply;
use proptest::prelude::*;

use crate::harness::{all_fixture_pages, snippets_for, TWO_PROFILES};

fn count(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

#[test]
fn there_are_fixture_pages() {
    // Guards the loops below against passing vacuously.
    assert!(
        all_fixture_pages().len() >= 10,
        "fixture pages missing: {:?}",
        all_fixture_pages()
    );
}

#[test]
fn inject_twice_is_inject_once_and_strip_restores_every_page() {
    let dev = snippets_for(TWO_PROFILES, "dev");
    for path in all_fixture_pages() {
        let page = std::fs::read(&path).expect("read fixture");
        let (once, skip, facts) = apply(&page, Mode::Inject(&dev)).expect("inject");
        let (twice, _, _) = apply(&once, Mode::Inject(&dev)).expect("inject again");
        assert!(
            once == twice,
            "{}: second injection changed the page",
            path.display()
        );
        let (stripped, _, _) = apply(&once, Mode::Strip).expect("strip");
        assert!(
            stripped == page,
            "{}: strip(inject(page)) != page",
            path.display()
        );
        if skip.is_some() {
            assert!(
                once == page,
                "{}: skipped page was modified",
                path.display()
            );
        } else {
            assert_eq!(
                count(&once, "id=\"chatkit-inject-config\""),
                1,
                "{}",
                path.display()
            );
            assert_eq!(
                count(&once, MARKER),
                3,
                "{}: expected exactly three marked elements",
                path.display()
            );
            assert!(
                once.len()
                    == page.len() + dev.head.len() + dev.body_for(facts.lang.as_deref()).len(),
                "{}: bytes other than the snippets changed",
                path.display()
            );
        }
    }
}

#[test]
fn another_profile_replaces_and_never_duplicates() {
    let dev = snippets_for(TWO_PROFILES, "dev");
    let prod = snippets_for(TWO_PROFILES, "prod");
    assert_ne!(dev, prod);
    assert_eq!((dev.sites.len(), prod.sites.len()), (1, 1));
    for path in all_fixture_pages() {
        let page = std::fs::read(&path).expect("read fixture");
        let (with_dev, skip, _) = apply(&page, Mode::Inject(&dev)).expect("inject dev");
        let (dev_then_prod, _, _) = apply(&with_dev, Mode::Inject(&prod)).expect("inject prod");
        let (prod_only, _, _) = apply(&page, Mode::Inject(&prod)).expect("inject prod");
        assert!(
            dev_then_prod == prod_only,
            "{}: prod over dev differs from prod alone",
            path.display()
        );
        if skip.is_none() {
            // The profile's backend is in its site module, which the page names once.
            assert_eq!(
                count(&dev_then_prod, &prod.sites[0].file_name()),
                1,
                "{}",
                path.display()
            );
            assert_eq!(
                count(&dev_then_prod, &dev.sites[0].file_name()),
                0,
                "{}",
                path.display()
            );
            for backend in ["https://chat.example.edu", "localhost:8000"] {
                assert_eq!(count(&dev_then_prod, backend), 0, "{}", path.display());
            }
        }
    }
}

#[test]
fn chunked_input_gives_the_same_bytes_on_every_page() {
    let dev = snippets_for(TWO_PROFILES, "dev");
    for path in all_fixture_pages() {
        let page = std::fs::read(&path).expect("read fixture");
        let (whole, _) = inject::rewrite(&page, Mode::Inject(&dev)).expect("inject");
        let sizes: &[usize] = if page.len() < 100_000 {
            &[1, 7, 61, 4096]
        } else {
            &[4093]
        };
        for &size in sizes {
            let mut out = Vec::new();
            inject::rewrite_chunks(page.chunks(size), Mode::Inject(&dev), |c| {
                out.extend_from_slice(c)
            })
            .expect("chunked");
            assert!(
                out == whole,
                "{}: chunks of {size} bytes gave different output",
                path.display()
            );
        }
    }
}

/// Pieces real pages are made of, including the awkward ones.
fn html_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<html>".to_string()),
        Just("<html lang=fr>".to_string()),
        Just("<HTML LANG=\"zh-Hant\" dir=rtl>".to_string()),
        Just("<html lang=ur dir=rtl>".to_string()),
        Just("<head>".to_string()),
        Just("</head>".to_string()),
        Just("<body class=x>".to_string()),
        Just("</body>".to_string()),
        Just("</BODY>".to_string()),
        Just("<script>var s='</body>';</script>".to_string()),
        Just("<!-- </body> -->".to_string()),
        Just("<meta charset=utf-8>".to_string()),
        Just("<div id=__docusaurus>".to_string()),
        Just("</div>".to_string()),
        Just("<textarea></body></textarea>".to_string()),
        Just("<title>a</title>".to_string()),
        Just("\u{0}é".to_string()),
        "[a-z <>/=\"'!-]{0,12}",
    ]
}

/// 256 cases from a fixed seed (7), so that a failure in CI replays as it is;
/// `PROPTEST_RNG_SEED=<n>` tries another.
fn fixed_seed_config() -> ProptestConfig {
    let mut config = ProptestConfig::with_cases(256);
    if config.rng_seed == proptest::test_runner::RngSeed::Random {
        config.rng_seed = proptest::test_runner::RngSeed::Fixed(7);
    }
    config
}

proptest! {
    #![proptest_config(fixed_seed_config())]

    #[test]
    fn strip_inject_roundtrips_on_generated_pages(pieces in proptest::collection::vec(html_piece(), 0..24)) {
        let page = pieces.concat();
        let dev = snippets_for(TWO_PROFILES, "dev");
        if let Ok((once, skip, _)) = apply(page.as_bytes(), Mode::Inject(&dev)) {
            let (twice, _, _) = apply(&once, Mode::Inject(&dev)).expect("inject again");
            prop_assert_eq!(&once, &twice);
            let (stripped, _, _) = apply(&once, Mode::Strip).expect("strip");
            prop_assert_eq!(stripped, page.as_bytes().to_vec());
            let expected = if skip.is_some() { 0 } else { 1 };
            prop_assert_eq!(count(&once, "id=\"chatkit-inject-config\""), expected);
            if skip.is_none() {
                // One of the run's body snippets went in whole (the one of the page's language
                // when its <html lang> comes before <body>).
                let bodies: Vec<&String> =
                    std::iter::once(&dev.body).chain(dev.localized.values()).collect();
                let placed = bodies.iter().filter(|b| count(&once, b) == 1).count();
                prop_assert!(placed >= 1, "no whole body snippet in {:?}", String::from_utf8_lossy(&once));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let dev = snippets_for(TWO_PROFILES, "dev");
        if let Ok((once, _, _)) = apply(&bytes, Mode::Inject(&dev)) {
            let (stripped, _, _) = apply(&once, Mode::Strip).expect("strip");
            prop_assert_eq!(stripped, bytes);
        }
    }
}

/// A page's size only picks how its bytes are buffered: every fixture page, processed as a run
/// does (inject, `--check`, `--strip`; a blocking CSP among the edge pages), gives the same
/// outcome, notes and bytes whether it is read into memory or streamed through a temporary file.
#[test]
fn streamed_and_in_memory_pages_give_the_same_result() {
    use std::collections::HashSet;

    use chatkit_inject::csp;
    use chatkit_inject::page::Pages;
    use chatkit_inject::settings::Action;
    use chatkit_inject::walk::{Excludes, Page};

    let dev = snippets_for(TWO_PROFILES, "dev");
    let needs = csp::Needs {
        chatkit_origin: "https://cdn.platform.openai.com".into(),
        backend_origin: "http://localhost:8000".into(),
    };
    let exclude = Excludes::new(None, &[]);
    let interrupted = HashSet::new();
    let run = |dir: &std::path::Path, action, stream_above| {
        let pages = Pages {
            build_dir: dir,
            out_dir: None,
            action,
            writes: action != Action::Check,
            snippets: (action != Action::Strip).then_some(&dev),
            exclude: &exclude,
            journal: None,
            interrupted: &interrupted,
            csp_needs: Some(&needs),
            stream_above,
            // The corpus's records are part of the result compared (`Done` as a whole).
            corpus_base_url: Some("/"),
        };
        let page = Page {
            rel: "index.html".into(),
            is_symlink: false,
        };
        let done = pages.process(&page);
        let bytes = std::fs::read(dir.join("index.html")).expect("read the page back");
        (format!("{done:?}"), bytes)
    };
    let outcome_name = |done: &str| {
        let outcome = done.split("outcome: ").nth(1).unwrap_or_default();
        outcome
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let mut seen = HashSet::new();
    let mut blocked = false;
    let mut streamed_pages = 0;
    // Besides the fixtures: pages that fail (the widget would be dead there, or there is no
    // safe place for it), and pages whose injection must be read back before it is written.
    let extra: Vec<(std::path::PathBuf, Vec<u8>)> = [
        "<html><body><template><p>x</body></html>",
        "<html><body><svg><g><path d=M0></body></html>",
        "<html><head><base href=\"https://cdn.example.com/\"></head><body>x</body></html>",
        "<html><frameset><frame src=a.html></frameset></html>",
        "<html><body><p>no end tag",
        "<html><body><p>ends inside a tag <a",
        "<html><body><select><option>a</body></html>",
        "<html><body><div data-chatkit-inject><p>theirs</p></div></body></html>",
        "  \n\t ",
    ]
    .iter()
    .enumerate()
    .map(|(i, page)| (format!("extra-{i}.html").into(), page.as_bytes().to_vec()))
    .collect();
    let pages = all_fixture_pages()
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read fixture");
            (path, bytes)
        })
        .chain(extra);
    for (path, original) in pages {
        let memory = tempfile::tempdir().expect("temp dir");
        let stream = tempfile::tempdir().expect("temp dir");
        for dir in [memory.path(), stream.path()] {
            std::fs::write(dir.join("index.html"), &original).expect("write page");
        }
        // Inject (then check the injected page), then strip it again.
        for action in [Action::Inject, Action::Check, Action::Strip] {
            let in_memory = run(memory.path(), action, u64::MAX);
            let streamed = run(stream.path(), action, 0);
            assert_eq!(in_memory.0, streamed.0, "{}: {action:?}", path.display());
            assert!(
                in_memory.1 == streamed.1,
                "{}: {action:?}: the streamed page differs",
                path.display()
            );
            seen.insert(outcome_name(&streamed.0));
            blocked |= streamed.0.contains("Blocked {");
        }
        streamed_pages += 1;
    }
    assert!(streamed_pages >= 10);
    // The comparison covered the cases that differ: pages injected, unchanged, stripped,
    // skipped and failed, and a page whose CSP blocks the widget.
    for outcome in ["Injected", "Unchanged", "Stripped", "Skipped", "Failed"] {
        assert!(seen.contains(outcome), "no page was {outcome}: {seen:?}");
    }
    assert!(blocked, "no fixture page has a CSP that blocks the widget");
}
