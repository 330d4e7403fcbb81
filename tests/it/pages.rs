//! One snapshot per fixture page: where the dev and prod injections land, with the bytes around
//! them, or why the page was skipped. The runtime config JSON itself has its own snapshot.

use std::path::Path;

use chatkit_inject::inject::{Mode, Snippets};
use chatkit_inject::page::apply;

use crate::harness::{fixtures, site_module_config, snippets_for, TWO_PROFILES};

/// Show `bytes` readably: control characters escaped, invalid UTF-8 as `\xNN`.
fn show(bytes: &[u8]) -> String {
    let mut s = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                '\t' => s.push_str("\\t"),
                '\u{feff}' => s.push_str("\\u{feff}"),
                c if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => s.push(c),
            }
        }
        for b in chunk.invalid() {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The snippet in context: 60 bytes before, the snippet (config JSON elided), 30 after.
fn context(out: &[u8], snippet: &str, label: &str) -> String {
    let Some(at) = find(out, snippet.as_bytes()) else {
        return format!("{label}: NOT FOUND\n");
    };
    let before = &out[at.saturating_sub(60)..at];
    let end = at + snippet.len();
    let after = &out[end..(end + 30).min(out.len())];
    let shown_snippet = match (
        snippet.find("data-chatkit-inject>{"),
        snippet.find("}</script>"),
    ) {
        (Some(a), Some(b)) => format!("{}{{CONFIG}}{}", &snippet[..a + 20], &snippet[b + 1..]),
        _ => snippet.to_string(),
    };
    format!(
        "{label} at byte {at}:\n  …{}⟦{}⟧{}…\n",
        show(before),
        shown_snippet,
        show(after)
    )
}

fn describe(page: &[u8], snippets: &Snippets, profile: &str) -> String {
    let (out, skip, facts) = match apply(page, Mode::Inject(snippets)) {
        Ok(r) => r,
        Err(e) => return format!("[{profile}] error: {e}\n"),
    };
    let mut s = format!("[{profile}] {} bytes -> {} bytes", page.len(), out.len());
    if !facts.csp.is_empty() {
        s.push_str(", has a Content-Security-Policy meta");
    }
    s.push('\n');
    if let Some(reason) = skip {
        s.push_str(&format!(
            "skipped: {}; page unchanged: {}\n",
            reason.label(),
            out == page
        ));
        return s;
    }
    s.push_str(&context(&out, &snippets.head, "head"));
    s.push_str(&context(
        &out,
        snippets.body_for(facts.lang.as_deref()),
        "body",
    ));
    s
}

fn snapshot_page(path: &Path) {
    let page = std::fs::read(path).expect("read fixture");
    let dev = snippets_for(TWO_PROFILES, "dev");
    let prod = snippets_for(TWO_PROFILES, "prod");
    let text = format!(
        "{}{}",
        describe(&page, &dev, "dev"),
        describe(&page, &prod, "prod")
    );
    insta::assert_snapshot!(text);
}

#[test]
fn edge_pages() {
    insta::glob!("../../fixtures", "edge/*.html", snapshot_page);
}

#[test]
fn docusaurus_pages() {
    // Home, a doc, a blog post, a tag page, 404 and the second locale of the main build; the
    // home and a doc of each variant build.
    insta::glob!(
        "../../fixtures",
        "{site/index.html,site/404.html,site/docs/intro/index.html,site/blog/welcome/index.html,site/blog/tags/docusaurus/index.html,site/fr/index.html,site-textbook/index.html,site-textbook/docs/intro/index.html,site-flat/docs/intro.html,site-legacy/index.html,site-legacy/docs/intro/index.html}",
        snapshot_page
    );
}

#[test]
fn runtime_config_json() {
    let dev = snippets_for(TWO_PROFILES, "dev");
    let prod = snippets_for(TWO_PROFILES, "prod");
    let json = |s: &Snippets| {
        let start = s.body.find('{').expect("json start");
        let end = s.body.find("</script>").expect("json end");
        let v: serde_json::Value = serde_json::from_str(&s.body[start..end]).expect("valid JSON");
        serde_json::to_string_pretty(&v).expect("pretty")
    };
    // The site module each names (the same for every language here).
    let site = |s: &Snippets| {
        assert_eq!(s.sites.len(), 1);
        let module = String::from_utf8(s.sites[0].bytes.clone()).expect("UTF-8");
        serde_json::to_string_pretty(&site_module_config(&module)).expect("pretty")
    };
    insta::assert_snapshot!(format!(
        "dev:\n{}\ndev site module:\n{}\nprod:\n{}\nprod site module:\n{}",
        json(&dev),
        site(&dev),
        json(&prod),
        site(&prod)
    ));
    // A page in another language: its own strings, and `strings` with what differs from English.
    let ur = Snippets::new(String::new(), dev.body_for(Some("ur")).to_string());
    insta::assert_snapshot!("runtime_config_json_ur", json(&ur));
    assert!(fixtures().is_dir());
}
