//! What the CLI learns about a built site before touching it: its baseUrl (from the asset URLs
//! its pages use), its locale folders, and whether it looks like a Docusaurus build.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use lol_html::{element, HtmlRewriter, Settings};

/// What a look at one representative page found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteInfo {
    /// The page that was read (relative to the build directory).
    pub probe_page: Option<PathBuf>,
    /// Detected baseUrl, always starting and ending with `/`.
    pub base_url: Option<String>,
    /// `<meta name="generator" content="Docusaurus ...">` or Docusaurus' asset layout.
    pub docusaurus: bool,
    /// The `content` of the probed page's `<meta name="generator">` (any site generator).
    pub generator: Option<String>,
    /// The top-level folders that hold the site in another locale (`fr`, `pt-BR`), sorted.
    pub locale_prefixes: Vec<String>,
}

#[derive(Default)]
struct Found {
    hrefs: Vec<String>,
    scripts: Vec<String>,
    generator: Option<String>,
    docusaurus_root: bool,
    /// `href` of each `<link rel="alternate" hreflang=...>` other than `x-default`.
    alternates: Vec<String>,
    /// `lang` of the first `<html>`.
    lang: Option<String>,
}

/// Look at the site's home page (or `404.html`, or the first page) and learn what we can.
pub fn probe(build_dir: &Path, pages: &[PathBuf]) -> SiteInfo {
    let mut candidates: Vec<PathBuf> = vec![PathBuf::from("index.html"), PathBuf::from("404.html")];
    candidates.extend(pages.iter().take(PROBE_PAGES).cloned());
    for rel in candidates {
        // The links we look for are in <head>: the start of the page is enough, and a huge page
        // costs no memory here.
        let Ok(bytes) = read_prefix(&build_dir.join(&rel), PROBE_BYTES) else {
            continue;
        };
        let found = scan(&bytes);
        let base_url = found
            .hrefs
            .iter()
            .chain(found.scripts.iter())
            .find_map(|u| base_from_asset_url(u));
        if base_url.is_none() && found.generator.is_none() {
            continue;
        }
        let docusaurus = found
            .generator
            .as_deref()
            .is_some_and(|g| g.to_ascii_lowercase().contains("docusaurus"))
            || found.docusaurus_root;
        let locale_prefixes = locale_prefixes(
            build_dir,
            base_url.as_deref().unwrap_or("/"),
            &found.alternates,
        );
        return SiteInfo {
            probe_page: Some(rel),
            base_url,
            docusaurus,
            generator: found.generator.clone(),
            locale_prefixes,
        };
    }
    SiteInfo::default()
}

/// The site's locale folders. Docusaurus builds each extra locale into a top-level folder named
/// for it (`build/fr/`) and links every locale's home from each page with `<link rel="alternate"
/// hreflang>`. A folder counts when the home page links it that way, or when its `index.html`
/// says `<html lang>` with the folder's own name (a site whose pages carry no alternates).
pub fn locale_prefixes(build_dir: &Path, base_url: &str, alternates: &[String]) -> Vec<String> {
    let mut prefixes = std::collections::BTreeSet::new();
    for href in alternates {
        let path = url_path(href);
        let Some(rest) = path.strip_prefix(base_url) else {
            continue;
        };
        let folder = rest.trim_end_matches('/');
        if !folder.is_empty() && !folder.contains('/') && build_dir.join(folder).is_dir() {
            prefixes.insert(folder.to_string());
        }
    }
    if let Ok(entries) = std::fs::read_dir(build_dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let tag = crate::i18n::normalize_tag(&name);
            if prefixes.contains(&name)
                || !crate::i18n::is_valid_tag(&tag)
                || crate::i18n::primary(&tag).len() > 3
                || !entry.file_type().is_ok_and(|t| t.is_dir())
            {
                continue;
            }
            let Ok(bytes) = read_prefix(&entry.path().join("index.html"), PROBE_BYTES) else {
                continue;
            };
            let lang = scan(&bytes).lang.map(|l| crate::i18n::normalize_tag(&l));
            if lang.as_deref() == Some(tag.as_str()) {
                prefixes.insert(name);
            }
        }
    }
    prefixes.into_iter().collect()
}

/// The path of an absolute (`https://host/fr/`) or site-relative (`/fr/`) URL.
fn url_path(href: &str) -> &str {
    let href = href.split(['?', '#']).next().unwrap_or(href);
    match href.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None if href.starts_with("//") => href[2..].find('/').map_or("/", |i| &href[2 + i..]),
        None => href,
    }
}

/// How much of a page the probe reads.
const PROBE_BYTES: u64 = 256 << 10;
/// Pages (after `index.html` and `404.html`) the site is probed on, in walk order.
pub const PROBE_PAGES: usize = 20;

fn read_prefix(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn scan(bytes: &[u8]) -> Found {
    let found = RefCell::new(Found::default());
    let settings = Settings::new()
        .append_element_content_handler(element!("link[rel~=stylesheet][href]", |el| {
            if let Some(h) = el.get_attribute("href") {
                found.borrow_mut().hrefs.push(h);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("script[src]", |el| {
            if let Some(s) = el.get_attribute("src") {
                found.borrow_mut().scripts.push(s);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("meta[name=generator]", |el| {
            found.borrow_mut().generator = el.get_attribute("content");
            Ok(())
        }))
        .append_element_content_handler(element!("html", |el| {
            let mut found = found.borrow_mut();
            if found.lang.is_none() {
                found.lang = Some(el.get_attribute("lang").unwrap_or_default());
            }
            Ok(())
        }))
        .append_element_content_handler(element!("link[rel~=alternate][hreflang][href]", |el| {
            let lang = el.get_attribute("hreflang").unwrap_or_default();
            if !lang.trim().eq_ignore_ascii_case("x-default") {
                if let Some(h) = el.get_attribute("href") {
                    found.borrow_mut().alternates.push(h);
                }
            }
            Ok(())
        }))
        .append_element_content_handler(element!("#__docusaurus", |_el| {
            found.borrow_mut().docusaurus_root = true;
            Ok(())
        }));
    {
        let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
        // A page lol_html cannot read tells us nothing; the rewrite will report it properly.
        if rewriter.write(bytes).is_ok() {
            let _ = rewriter.end();
        }
    }
    found.into_inner()
}

/// `/textbook/assets/css/styles.1234.css` → `/textbook/`. Only site-relative URLs count.
pub fn base_from_asset_url(url: &str) -> Option<String> {
    if !url.starts_with('/') || url.starts_with("//") {
        return None;
    }
    let idx = url
        .find("/assets/css/")
        .or_else(|| url.find("/assets/js/"))?;
    let base = &url[..=idx];
    normalize_base_url(base)
}

/// Normalise a baseUrl: leading and trailing `/`, only characters safe in an attribute and a URL
/// path. `None` when it cannot be made safe.
pub fn normalize_base_url(raw: &str) -> Option<String> {
    let trimmed = raw.trim().trim_matches('/');
    let ok = trimmed
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/-_.~%".contains(c))
        && !trimmed.split('/').any(|seg| seg == "..")
        && !trimmed.contains("//");
    if !ok {
        return None;
    }
    if trimmed.is_empty() {
        Some("/".to_string())
    } else {
        Some(format!("/{trimmed}/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_from_asset_urls() {
        assert_eq!(
            base_from_asset_url("/assets/css/styles.abc.css").as_deref(),
            Some("/")
        );
        assert_eq!(
            base_from_asset_url("/textbook/assets/js/main.js").as_deref(),
            Some("/textbook/")
        );
        assert_eq!(
            base_from_asset_url("https://cdn.example.com/assets/css/x.css"),
            None
        );
        assert_eq!(base_from_asset_url("/img/logo.svg"), None);
    }

    #[test]
    fn base_url_normalisation() {
        assert_eq!(
            normalize_base_url("textbook").as_deref(),
            Some("/textbook/")
        );
        assert_eq!(normalize_base_url("/").as_deref(), Some("/"));
        assert_eq!(normalize_base_url("/a/b/").as_deref(), Some("/a/b/"));
        assert_eq!(normalize_base_url("/a\"b/"), None);
        assert_eq!(normalize_base_url("/../x/"), None);
    }

    #[test]
    fn probe_reads_the_home_page() {
        let dir = tempfile::tempdir().unwrap();
        let css_dir = dir.path().join("assets/css");
        std::fs::create_dir_all(&css_dir).unwrap();
        std::fs::write(
            css_dir.join("styles.1.css"),
            ":root{--ifm-color-primary:#123456}",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("index.html"),
            r#"<html><head><meta name="generator" content="Docusaurus v3.10.2"><link rel="stylesheet" href="/book/assets/css/styles.1.css"></head><body><div id="__docusaurus"></div></body></html>"#,
        )
        .unwrap();
        let info = probe(dir.path(), &[PathBuf::from("index.html")]);
        assert_eq!(info.base_url.as_deref(), Some("/book/"));
        assert!(info.docusaurus);
    }

    #[test]
    fn locale_prefixes_from_alternates_and_folders() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["fr", "pt-BR", "ur", "blog", "de", "img"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        // ur has no alternate link but says lang=ur; de says lang=en: not a locale folder.
        std::fs::write(
            dir.path().join("ur/index.html"),
            "<html lang=\"ur\" dir=\"rtl\">",
        )
        .unwrap();
        std::fs::write(dir.path().join("de/index.html"), "<html lang=\"en\">").unwrap();
        std::fs::write(dir.path().join("blog/index.html"), "<html lang=\"en\">").unwrap();
        let alternates = [
            "https://example.edu/book/".to_string(),
            "https://example.edu/book/fr/".to_string(),
            "/book/pt-BR/".to_string(),
            "https://example.edu/book/es/".to_string(), // no such folder
            "https://example.edu/other/it/".to_string(),
        ];
        assert_eq!(
            locale_prefixes(dir.path(), "/book/", &alternates),
            vec!["fr", "pt-BR", "ur"]
        );
        assert_eq!(url_path("https://h.example/a/b?x#y"), "/a/b");
        assert_eq!(url_path("//h.example/fr/"), "/fr/");
        assert_eq!(url_path("https://h.example"), "/");
    }

    #[test]
    fn the_fixture_site_has_a_french_locale() {
        let site = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/site");
        let info = probe(&site, &[PathBuf::from("index.html")]);
        assert_eq!(info.locale_prefixes, vec!["fr"]);
    }
}
