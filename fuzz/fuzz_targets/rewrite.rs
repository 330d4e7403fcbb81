//! Fuzz target over the page rewrite: for any bytes, no panic; when the injection succeeds it is
//! idempotent, strip gives the page back byte for byte, and a page that did not carry our markup
//! before gets exactly one runtime config.

#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use chatkit_inject::config;
use chatkit_inject::inject::{self, AssetUrls, Mode, Snippets};
use chatkit_inject::page::apply;
use libfuzzer_sys::fuzz_target;

/// Markup as a run with the default profile builds it (fixed asset hashes): one body per locale,
/// so pages with a `lang` exercise the choice of markup too.
static SNIPPETS: LazyLock<Snippets> = LazyLock::new(|| {
    let loaded = config::parse(
        "[widget]\ntitle = \"Textbook assistant\"\n\n[locales.zh-hant]\nretry = \"重試\"\n",
        Some(Path::new("chatkit.toml")),
    )
    .expect("config parses");
    let resolved = config::resolve(&loaded, "dev").expect("config resolves");
    inject::snippets(
        &resolved,
        &AssetUrls {
            css: "/chatkit/widget.00000000.css".into(),
            loader: "/chatkit/loader.00000000.js".into(),
            panel: "/chatkit/panel.00000000.js".into(),
            dir: "/chatkit/".into(),
        },
    )
});

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fuzz_target!(|page: &[u8]| {
    let snippets = &*SNIPPETS;
    // A page lol_html refuses is an error the run reports for that page; only a panic is a bug.
    let Ok((once, skip, _)) = apply(page, Mode::Inject(snippets)) else {
        return;
    };
    let (twice, _, _) =
        apply(&once, Mode::Inject(snippets)).expect("an injected page injects again");
    assert!(once == twice, "inject is not idempotent");
    let (stripped, _, _) = apply(&once, Mode::Strip).expect("an injected page strips");
    // Attribute names are case-insensitive: `data-chatkit-injecT` marks an element too.
    if let Ok((page_stripped, _, facts)) = apply(page, Mode::Strip) {
        // The page carried (something like) our markup already: strip(inject(p)) == strip(p).
        assert!(
            stripped == page_stripped,
            "strip(inject(page)) != strip(page)"
        );
        if !facts.had_injection {
            // None of the page's own bytes go, even inside elements marked like ours: the
            // injected page minus exactly the added markup is the page.
            assert!(page_stripped == page, "strip removed bytes it did not add");
            if skip.is_none() {
                let body = snippets.body_for(facts.lang.as_deref()).as_bytes();
                let rest = remove_once(&remove_once(&once, snippets.head.as_bytes()), body);
                assert!(rest == page, "inject(page) minus the added markup != page");
            }
        }
    }
    if !contains(&page.to_ascii_lowercase(), b"chatkit-inject") {
        assert!(stripped == page, "strip(inject(page)) != page");
        match skip {
            None => assert_eq!(
                count(&once, b"id=\"chatkit-inject-config\""),
                1,
                "not exactly one injection"
            ),
            Some(_) => assert!(once == page, "a skipped page was modified"),
        }
    }
});

/// `haystack` without the first occurrence of `needle` (unchanged when there is none).
fn remove_once(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    match haystack.windows(needle.len()).position(|w| w == needle) {
        Some(i) => [&haystack[..i], &haystack[i + needle.len()..]].concat(),
        None => haystack.to_vec(),
    }
}
