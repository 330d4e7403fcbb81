//! The page rewrite: one streaming lol_html pass that removes an earlier injection, adds the
//! current one, and notices whether the page asked to be left alone.
//!
//! Every element we add carries the [`MARKER`] attribute and nothing else is added (no
//! whitespace, no comments), so removing the marked elements gives back the original bytes.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{element, end, end_tag, HtmlRewriter, Settings};

use crate::i18n;

/// The attribute on every element this tool adds to a page.
pub const MARKER: &str = "data-chatkit-inject";

/// What to add to a page: the markup for the end of `<head>` (the same on every page) and for
/// the end of `<body>` (chosen by the page's `<html lang>`: the runtime config carries the
/// widget's strings in the page's own language only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippets {
    /// Goes just before `</head>` (the stylesheet link).
    pub head: String,
    /// Goes just before `</body>` (the runtime config and the loader script) on pages whose
    /// `lang` matches none of `localized` (English, the fallback).
    pub body: String,
    /// The body markup for pages of other languages, by normalised language tag (`fr`,
    /// `zh-hans`); a page's tag is tried whole, then its primary subtag.
    pub localized: BTreeMap<String, String>,
}

impl Snippets {
    /// The same markup for every page, whatever its language.
    pub fn new(head: String, body: String) -> Self {
        Snippets {
            head,
            body,
            localized: BTreeMap::new(),
        }
    }

    /// The body markup for a page with `<html lang=lang>`.
    pub fn body_for(&self, lang: Option<&str>) -> &str {
        i18n::choose(lang, |t| self.localized.get(t)).map_or(&self.body, String::as_str)
    }

    /// The tag of the localized markup a page with `<html lang=lang>` gets; `None` for the
    /// fallback (English) markup.
    pub fn locale_of(&self, lang: Option<&str>) -> Option<&str> {
        i18n::choose(lang, |t| self.localized.get_key_value(t).map(|(k, _)| k)).map(String::as_str)
    }
}

/// What the rewrite does with a page.
#[derive(Debug, Clone, Copy)]
pub enum Mode<'a> {
    /// Remove any earlier injection, then add these snippets.
    Inject(&'a Snippets),
    /// Remove any earlier injection and add nothing.
    Strip,
}

/// Facts about a page that the rewrite noticed on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFacts {
    /// `<meta name="chatkit-inject" content="off">`.
    pub opted_out: bool,
    /// `<meta http-equiv="refresh">`: a redirect stub, not a real page.
    pub redirect: bool,
    /// The page held elements from an earlier injection.
    pub had_injection: bool,
    /// The `content` of each `<meta http-equiv="Content-Security-Policy">`.
    pub csp: Vec<String>,
    /// No `</body>` (or `</head>`/`<body>`) was found, so the snippets went at the very end.
    pub appended_at_end: bool,
    /// A snippet was placed while an `<svg>` or `<math>` element was open (a broken page).
    pub placed_in_foreign: bool,
    /// The `lang` attribute of the page's first `<html>` tag, as written.
    pub lang: Option<String>,
    /// The page holds an element marked like ours that is not one of the three this tool writes
    /// (the page's own, or a broken quote attached the attribute): it is left untouched and
    /// reported, never removed.
    pub marked_other: bool,
}

impl PageFacts {
    /// Should this page be left without a widget?
    pub fn skip_reason(&self) -> Option<SkipReason> {
        if self.opted_out {
            Some(SkipReason::OptedOut)
        } else if self.redirect {
            Some(SkipReason::Redirect)
        } else {
            None
        }
    }
}

/// Why a page got no widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// `<meta name="chatkit-inject" content="off">`.
    OptedOut,
    /// Matched a `[pages].exclude` glob.
    Excluded,
    /// `<meta http-equiv="refresh">` redirect stub.
    Redirect,
    /// A symbolic link (its target is handled where it lives, or not followed).
    Symlink,
    /// An empty (or whitespace-only) file: nothing to add a widget to.
    Empty,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::OptedOut => "opted out",
            SkipReason::Excluded => "excluded",
            SkipReason::Redirect => "redirect stub",
            SkipReason::Symlink => "symlink",
            SkipReason::Empty => "empty page",
        }
    }
}

/// The page could not be parsed by lol_html.
#[derive(Debug, thiserror::Error)]
#[error("cannot parse the page as HTML: {0}")]
pub struct RewriteError(String);

impl RewriteError {
    /// lol_html explains itself in paragraphs; the report wants the first sentence.
    fn from_lol(e: &lol_html::errors::RewritingError) -> Self {
        let text = e.to_string();
        let first = text.split("\n").next().unwrap_or(&text);
        let sentence = match first.find(". ") {
            Some(i) => &first[..=i],
            None => first,
        };
        RewriteError(sentence.trim().to_string())
    }
}

/// The page-level decision: inject (or strip) and leave pages that opted out or are redirect
/// stubs as they were, only taking out an earlier injection. Returns the new bytes and why the
/// page got no widget, if it did not.
pub fn apply(
    input: &[u8],
    mode: Mode<'_>,
) -> Result<(Vec<u8>, Option<SkipReason>, PageFacts), RewriteError> {
    if matches!(mode, Mode::Inject(_)) && input.iter().all(u8::is_ascii_whitespace) {
        return Ok((
            input.to_vec(),
            Some(SkipReason::Empty),
            PageFacts::default(),
        ));
    }
    // An element marked like ours but not ours stays as it is (`marked_other`): only the three
    // elements this tool writes are ever removed.
    let (out, facts) = rewrite(input, mode)?;
    match (mode, facts.skip_reason()) {
        (Mode::Inject(_), Some(reason)) => {
            let kept = if facts.had_injection {
                rewrite(input, Mode::Strip)?.0
            } else {
                input.to_vec()
            };
            Ok((kept, Some(reason), facts))
        }
        (Mode::Inject(_), None)
            if facts.appended_at_end || facts.placed_in_foreign || facts.marked_other =>
        {
            // Markup appended after the last byte is only safe if the page ends between tags:
            // after an unfinished `<a` or `</` it would become part of that tag or comment. Markup
            // placed inside an unclosed <svg> or <math> is parsed as foreign content. Prove the
            // result sound: it must strip back to the page and stay put when injected again.
            let (stripped_out, _) = rewrite(&out, Mode::Strip)?;
            let (stripped_in, _) = rewrite(input, Mode::Strip)?;
            let (again, _) = rewrite(&out, mode)?;
            if stripped_out != stripped_in || again != out {
                let why = if facts.marked_other {
                    "the page holds an element marked data-chatkit-inject that is not ours and that the widget cannot be placed around"
                } else if facts.appended_at_end {
                    "the page has no </body> and ends inside an unfinished tag, comment or script"
                } else {
                    "the page leaves an <svg> or <math> element open where the widget would go"
                };
                return Err(RewriteError(format!(
                    "{why}, so there is no safe place to add the widget"
                )));
            }
            Ok((out, None, facts))
        }
        _ => Ok((out, None, facts)),
    }
}

/// Chunks read from a file, for streaming a page that is too large to hold in memory. A read
/// error ends the chunks and is kept in `error` for the caller to report.
pub struct ReadChunks<R> {
    reader: R,
    chunk_size: usize,
    /// The first read error, if any.
    pub error: Rc<RefCell<Option<std::io::Error>>>,
}

impl<R: std::io::Read> ReadChunks<R> {
    pub fn new(reader: R, chunk_size: usize) -> Self {
        ReadChunks {
            reader,
            chunk_size,
            error: Rc::new(RefCell::new(None)),
        }
    }
}

impl<R: std::io::Read> Iterator for ReadChunks<R> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let mut buf = vec![0; self.chunk_size];
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => return None,
                Ok(n) => {
                    buf.truncate(n);
                    return Some(buf);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    *self.error.borrow_mut() = Some(e);
                    return None;
                }
            }
        }
    }
}

/// Rewrite a whole page held in memory.
///
/// A page that does not contain the marker text anywhere cannot hold an earlier injection, so
/// it is rewritten without the marker selector: an attribute selector makes lol_html lex the
/// attributes of every tag, tag-name selectors alone do not (measured on the benchmark's
/// 10,120 pages: about half the rewrite's CPU time).
pub fn rewrite(input: &[u8], mode: Mode<'_>) -> Result<(Vec<u8>, PageFacts), RewriteError> {
    let mut out = Vec::with_capacity(input.len() + 1024);
    let facts = rewrite_pass(
        std::iter::once(input),
        mode,
        |c| out.extend_from_slice(c),
        contains_marker(input),
    )?;
    Ok((out, facts))
}

/// Rewrite a page that arrives in chunks, streaming the result into `sink`. The chunks may split
/// the page anywhere, even inside a tag or a multi-byte character.
pub fn rewrite_chunks<C: AsRef<[u8]>>(
    chunks: impl IntoIterator<Item = C>,
    mode: Mode<'_>,
    sink: impl FnMut(&[u8]),
) -> Result<PageFacts, RewriteError> {
    rewrite_pass(chunks, mode, sink, true)
}

/// Does `page` contain [`MARKER`], in any letter case (attribute names are case-insensitive)?
/// A Horspool search: most of the page is skipped 19 bytes at a time.
fn contains_marker(page: &[u8]) -> bool {
    let needle = MARKER.as_bytes();
    let n = needle.len();
    if page.len() < n {
        return false;
    }
    let mut skip = [n; 256];
    for (i, &b) in needle[..n - 1].iter().enumerate() {
        skip[usize::from(b.to_ascii_lowercase())] = n - 1 - i;
        skip[usize::from(b.to_ascii_uppercase())] = n - 1 - i;
    }
    let mut at = 0;
    while at + n <= page.len() {
        let window = &page[at..at + n];
        if window.eq_ignore_ascii_case(needle) {
            return true;
        }
        at += skip[usize::from(window[n - 1])];
    }
    false
}

/// One lol_html pass. `remove_marked`: look for (and remove) elements of an earlier injection.
fn rewrite_pass<C: AsRef<[u8]>>(
    chunks: impl IntoIterator<Item = C>,
    mode: Mode<'_>,
    mut sink: impl FnMut(&[u8]),
    remove_marked: bool,
) -> Result<PageFacts, RewriteError> {
    let opted_out = Rc::new(Cell::new(false));
    let redirect = Rc::new(Cell::new(false));
    let had_injection = Rc::new(Cell::new(false));
    let marked_other = Cell::new(false);
    // Scripts of ours whose end tag has not come yet, and whether one held text we never write.
    let open_scripts = Rc::new(Cell::new(0usize));
    let foreign_script_text = Cell::new(false);
    let csp = RefCell::new(Vec::new());
    let appended_at_end = Cell::new(false);
    // Open <svg>/<math> elements: markup placed while one is open lands in foreign content.
    let foreign_depth = Rc::new(Cell::new(0usize));
    let placed_in_foreign = Rc::new(Cell::new(false));
    // Where the snippets went; anything not placed by the end of the page goes at the very end.
    let head_placed = Rc::new(Cell::new(false));
    let body_placed = Rc::new(Cell::new(false));
    let seen_head = Cell::new(false);
    let seen_body = Cell::new(false);
    // The page's language picks the body markup; `<html>` comes before `<body>`.
    let seen_html = Cell::new(false);
    let lang: RefCell<Option<String>> = RefCell::new(None);

    let snippets = match mode {
        Mode::Inject(s) => Some(s),
        Mode::Strip => None,
    };

    let mut settings = Settings::new();
    if remove_marked {
        settings = settings.append_element_content_handler(element!(marker_selector(), |el| {
            let Some(shape) = own_shape(el) else {
                // Marked, but not one of the three elements this tool writes: the page's own
                // (or a broken quote attached the attribute). It stays, byte for byte.
                marked_other.set(true);
                return Ok(());
            };
            had_injection.set(true);
            match shape {
                OwnShape::Link => {
                    // Our <link> is void in HTML, but inside SVG/MathML content it is not, and
                    // lol_html would count everything after it (and the next end tag) as its
                    // own: take the start tag alone, which is all we wrote.
                    el.start_tag().remove();
                }
                OwnShape::Config | OwnShape::Loader => {
                    // Our scripts end right after their JSON (or at once): a script of ours
                    // that is never closed would take the rest of the page with it.
                    open_scripts.set(open_scripts.get() + 1);
                    let open = open_scripts.clone();
                    if el.can_have_content() {
                        el.on_end_tag(end_tag!(move |_end| {
                            open.set(open.get().saturating_sub(1));
                            Ok(())
                        }))?;
                    } else {
                        open.set(open.get().saturating_sub(1));
                    }
                    el.remove();
                }
            }
            Ok(())
        }));
        settings = settings.append_element_content_handler(lol_html::text!(
            "script[data-chatkit-inject]",
            |text| {
                // What we write inside our scripts is ASCII JSON with `<`, `>` and `&` escaped;
                // text with markup in it is not ours (or runs past where ours ended).
                if open_scripts.get() > 0
                    && text.as_str().bytes().any(|b| b == b'<' || !b.is_ascii())
                {
                    foreign_script_text.set(true);
                }
                Ok(())
            }
        ));
    }
    let settings = settings
        .append_element_content_handler(element!("svg, math", |el| {
            if el.can_have_content() {
                foreign_depth.set(foreign_depth.get() + 1);
                let depth = foreign_depth.clone();
                el.on_end_tag(end_tag!(move |_end| {
                    depth.set(depth.get().saturating_sub(1));
                    Ok(())
                }))?;
            }
            Ok(())
        }))
        .append_element_content_handler(element!("html", |el| {
            if !seen_html.replace(true) {
                *lang.borrow_mut() = el.get_attribute("lang");
            }
            Ok(())
        }))
        .append_element_content_handler(element!("meta", |el| {
            inspect_meta(el, &opted_out, &redirect, &csp);
            Ok(())
        }))
        .append_element_content_handler(element!("head", |el| {
            let Some(snippets) = snippets else {
                return Ok(());
            };
            if seen_head.replace(true) {
                return Ok(());
            }
            if el.can_have_content() {
                place_before_end_tag(
                    el,
                    &snippets.head,
                    &head_placed,
                    &foreign_depth,
                    &placed_in_foreign,
                )?;
            }
            Ok(())
        }))
        .append_element_content_handler(element!("body", |el| {
            let Some(snippets) = snippets else {
                return Ok(());
            };
            if seen_body.replace(true) {
                return Ok(());
            }
            // `</head>` was left out (allowed by HTML): the link goes just before `<body>`.
            if !head_placed.get() {
                el.before(&snippets.head, ContentType::Html);
                head_placed.set(true);
                if foreign_depth.get() > 0 {
                    placed_in_foreign.set(true);
                }
            }
            if el.can_have_content() {
                place_before_end_tag(
                    el,
                    snippets.body_for(lang.borrow().as_deref()),
                    &body_placed,
                    &foreign_depth,
                    &placed_in_foreign,
                )?;
            }
            Ok(())
        }))
        .append_document_content_handler(end!(|doc_end| {
            if let Some(snippets) = snippets {
                // No `</body>` (or no `</head>` and no `<body>`): append at the very end, where
                // the browser still puts it into the body.
                let mut tail = String::new();
                if !head_placed.get() {
                    tail.push_str(&snippets.head);
                }
                if !body_placed.get() {
                    tail.push_str(snippets.body_for(lang.borrow().as_deref()));
                }
                if !tail.is_empty() {
                    doc_end.append(&tail, ContentType::Html);
                    appended_at_end.set(true);
                }
            }
            Ok(())
        }));

    let mut rewriter = HtmlRewriter::new(settings, |c: &[u8]| sink(c));
    for chunk in chunks {
        rewriter
            .write(chunk.as_ref())
            .map_err(|e| RewriteError::from_lol(&e))?;
    }
    rewriter.end().map_err(|e| RewriteError::from_lol(&e))?;
    if open_scripts.get() > 0 || foreign_script_text.get() {
        // Removing it would delete text this tool did not write: fail loudly instead.
        return Err(RewriteError(format!(
            "the page holds a <script {MARKER}> that is not one this tool wrote (it is never closed, or holds markup); remove that attribute or element by hand"
        )));
    }

    Ok(PageFacts {
        opted_out: opted_out.get(),
        redirect: redirect.get(),
        had_injection: had_injection.get(),
        csp: csp.into_inner(),
        appended_at_end: appended_at_end.get(),
        placed_in_foreign: placed_in_foreign.get(),
        lang: lang.into_inner(),
        marked_other: marked_other.get(),
    })
}

/// Put `snippet` just before the element's end tag (once), noting whether an `<svg>`/`<math>`
/// was still open there.
fn place_before_end_tag(
    el: &mut Element<'_, '_>,
    snippet: &str,
    placed: &Rc<Cell<bool>>,
    foreign_depth: &Rc<Cell<usize>>,
    placed_in_foreign: &Rc<Cell<bool>>,
) -> lol_html::HandlerResult {
    let snippet = snippet.to_string();
    let placed = placed.clone();
    let depth = foreign_depth.clone();
    let foreign = placed_in_foreign.clone();
    el.on_end_tag(end_tag!(move |end| {
        if !placed.get() {
            end.before(&snippet, ContentType::Html);
            placed.set(true);
            if depth.get() > 0 {
                foreign.set(true);
            }
        }
        Ok(())
    }))
}

/// Which of the three elements this tool writes an element is, judged by its tag and its exact
/// set of attributes (names in any letter case, as HTML reads them); `None` for anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OwnShape {
    /// `<link rel="stylesheet" href=".../widget.HASH.css" data-chatkit-inject>`
    Link,
    /// `<script type="application/json" id="chatkit-inject-config" data-chatkit-inject>`
    Config,
    /// `<script src=".../loader.HASH.js" defer data-chatkit-inject>`
    Loader,
}

fn own_shape(el: &Element<'_, '_>) -> Option<OwnShape> {
    let attrs = el.attributes();
    let value = |name: &str| {
        attrs
            .iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
            .map(|a| a.value())
    };
    let file_name = |url: String| {
        let path = url.split(['?', '#']).next().unwrap_or_default().to_string();
        path.rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    if value(MARKER).is_none_or(|v| !v.is_empty()) || attrs.len() != 3 {
        return None;
    }
    let tag = el.tag_name();
    if tag.eq_ignore_ascii_case("link") {
        let css = value("href").map(file_name)?;
        let ok = value("rel")?.eq_ignore_ascii_case("stylesheet")
            && css.starts_with("widget.")
            && css.ends_with(".css");
        return ok.then_some(OwnShape::Link);
    }
    if !tag.eq_ignore_ascii_case("script") {
        return None;
    }
    if let (Some(kind), Some(id)) = (value("type"), value("id")) {
        let ok = kind.eq_ignore_ascii_case("application/json") && id == "chatkit-inject-config";
        return ok.then_some(OwnShape::Config);
    }
    let js = value("src").map(file_name)?;
    let ok = value("defer").is_some() && js.starts_with("loader.") && js.ends_with(".js");
    ok.then_some(OwnShape::Loader)
}

fn marker_selector() -> &'static str {
    "[data-chatkit-inject]"
}

fn inspect_meta(
    el: &Element<'_, '_>,
    opted_out: &Cell<bool>,
    redirect: &Cell<bool>,
    csp: &RefCell<Vec<String>>,
) {
    if let Some(equiv) = el.get_attribute("http-equiv") {
        let equiv = equiv.trim();
        if equiv.eq_ignore_ascii_case("refresh") {
            redirect.set(true);
        } else if equiv.eq_ignore_ascii_case("content-security-policy") {
            csp.borrow_mut()
                .push(el.get_attribute("content").unwrap_or_default());
        }
    }
    if let Some(name) = el.get_attribute("name") {
        if name.trim().eq_ignore_ascii_case("chatkit-inject") {
            let content = el.get_attribute("content").unwrap_or_default();
            if content.trim().eq_ignore_ascii_case("off") {
                opted_out.set(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(lang: &str) -> String {
        format!(
            r#"<script type="application/json" id="chatkit-inject-config" {MARKER}>{{"v":1,"l":"{lang}"}}</script><script src="/chatkit/loader.00000000.js" defer {MARKER}></script>"#
        )
    }

    fn snippets() -> Snippets {
        let mut s = Snippets::new(
            format!(r#"<link rel="stylesheet" href="/chatkit/widget.00000000.css" {MARKER}>"#),
            body("en"),
        );
        for lang in ["fr", "zh", "zh-hant"] {
            s.localized.insert(lang.into(), body(lang));
        }
        s
    }

    fn inject(page: &str) -> String {
        let s = snippets();
        let (out, _) = rewrite(page.as_bytes(), Mode::Inject(&s)).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn strip(page: &str) -> String {
        let (out, _) = rewrite(page.as_bytes(), Mode::Strip).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn injects_before_head_and_body_end() {
        let page = "<!doctype html><html><head><title>t</title></head><body><p>x</p></body></html>";
        let out = inject(page);
        let s = snippets();
        assert_eq!(
            out,
            format!(
                "<!doctype html><html><head><title>t</title>{}</head><body><p>x</p>{}</body></html>",
                s.head, s.body
            )
        );
    }

    #[test]
    fn strip_restores_the_page_and_inject_is_idempotent() {
        let page = "<html><head></head><body>hi</body></html>";
        let once = inject(page);
        assert_ne!(once, page);
        assert_eq!(inject(&once), once);
        assert_eq!(strip(&once), page);
    }

    #[test]
    fn body_end_inside_script_or_comment_is_not_the_body_end() {
        let page = "<html><head></head><body><!-- </body> --><script>var s = \"</body>\";</script><p>end</p></body></html>";
        let out = inject(page);
        let s = snippets();
        assert!(
            out.ends_with(&format!("<p>end</p>{}</body></html>", s.body)),
            "{out}"
        );
        assert_eq!(out.matches("loader.00000000.js").count(), 1);
        assert_eq!(strip(&out), page);
    }

    #[test]
    fn page_without_head_or_body_tags_gets_the_snippets_at_the_end() {
        let page = "<title>bare</title><p>text";
        let out = inject(page);
        let s = snippets();
        assert_eq!(out, format!("{page}{}{}", s.head, s.body));
        assert_eq!(strip(&out), page);
    }

    #[test]
    fn omitted_head_end_tag_puts_the_link_before_body() {
        let page = "<html><head><title>x</title><body>y</body></html>";
        let out = inject(page);
        let s = snippets();
        assert_eq!(
            out,
            format!(
                "<html><head><title>x</title>{}<body>y{}</body></html>",
                s.head, s.body
            )
        );
    }

    #[test]
    fn uppercase_tags_are_found() {
        let page = "<HTML><HEAD></HEAD><BODY>x</BODY></HTML>";
        let out = inject(page);
        let s = snippets();
        assert_eq!(
            out,
            format!(
                "<HTML><HEAD>{}</HEAD><BODY>x{}</BODY></HTML>",
                s.head, s.body
            )
        );
    }

    #[test]
    fn notices_opt_out_redirect_and_csp() {
        let s = snippets();
        let (_, f) = rewrite(
            br#"<head><meta name="chatkit-inject" content="OFF"></head>"#,
            Mode::Inject(&s),
        )
        .unwrap();
        assert_eq!(f.skip_reason(), Some(SkipReason::OptedOut));
        let (_, f) = rewrite(
            br#"<head><meta http-equiv="refresh" content="0; url=/x"></head>"#,
            Mode::Inject(&s),
        )
        .unwrap();
        assert_eq!(f.skip_reason(), Some(SkipReason::Redirect));
        let (_, f) = rewrite(
            br#"<head><meta http-equiv="Content-Security-Policy" content="default-src 'self'"></head>"#,
            Mode::Inject(&s),
        )
        .unwrap();
        assert_eq!(f.csp, vec!["default-src 'self'".to_string()]);
        assert_eq!(f.skip_reason(), None);
        let (_, f) = rewrite(
            br#"<head><meta name="chatkit-inject" content="on"></head>"#,
            Mode::Inject(&s),
        )
        .unwrap();
        assert_eq!(f.skip_reason(), None);
    }

    #[test]
    fn chunked_input_gives_the_same_bytes() {
        let page = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>é ü</title></head><body class=\"a\"><div id=\"__docusaurus\">ü</div></body></html>";
        let s = snippets();
        let whole = inject(page);
        for size in 1..=7 {
            let mut out = Vec::new();
            rewrite_chunks(page.as_bytes().chunks(size), Mode::Inject(&s), |c| {
                out.extend_from_slice(c)
            })
            .unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), whole, "chunk size {size}");
        }
    }

    #[test]
    fn page_ending_inside_a_tag_is_refused_not_corrupted() {
        // Found by the property tests: appended markup would be swallowed by the open tag.
        let s = snippets();
        for page in [
            "<A",
            "</",
            "<p><!-- open comment",
            "<body><script>var a = 1;",
        ] {
            assert!(
                apply(page.as_bytes(), Mode::Inject(&s)).is_err(),
                "{page:?} was accepted"
            );
        }
        assert!(apply(b"<p>closed</p>", Mode::Inject(&s)).is_ok());
    }

    #[test]
    fn non_utf8_bytes_pass_through() {
        let page: &[u8] = b"<html><head></head><body>caf\xe9 \x00 na\xefve</body></html>";
        let s = snippets();
        let (out, _) = rewrite(page, Mode::Inject(&s)).unwrap();
        let (back, _) = rewrite(&out, Mode::Strip).unwrap();
        assert_eq!(back, page);
    }

    #[test]
    fn marker_search_agrees_with_a_plain_search() {
        fn plain(page: &[u8]) -> bool {
            page.windows(MARKER.len())
                .any(|w| w.eq_ignore_ascii_case(MARKER.as_bytes()))
        }
        assert!(contains_marker(MARKER.as_bytes()));
        assert!(contains_marker(b"<link DATA-Chatkit-INJECT>"));
        assert!(!contains_marker(b"data-chatkit-injec"));
        assert!(!contains_marker(b""));
        let parts: [&[u8]; 8] = [
            b"data-",
            b"chatkit",
            b"-inject",
            b"DATA-CHATKIT-INJECT",
            b"t",
            b"-",
            b"\xc3\xa9",
            b"x",
        ];
        let mut seed: u32 = 12345;
        for _ in 0..3000 {
            let mut page = Vec::new();
            for _ in 0..(seed % 9) {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                page.extend_from_slice(parts[(seed >> 16) as usize % parts.len()]);
            }
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            assert_eq!(
                contains_marker(&page),
                plain(&page),
                "{:?}",
                String::from_utf8_lossy(&page)
            );
        }
    }

    #[test]
    fn an_earlier_injection_in_upper_case_is_still_removed() {
        let page = r#"<html><head><LINK REL="stylesheet" HREF="/Book/chatkit/WIDGET.0a1b2c3d.CSS?v=1" DATA-CHATKIT-INJECT></head><body>x</body></html>"#;
        assert_eq!(strip(page), "<html><head></head><body>x</body></html>");
        let s = snippets();
        assert_eq!(
            inject(page),
            format!(
                "<html><head>{}</head><body>x{}</body></html>",
                s.head, s.body
            )
        );
    }

    #[test]
    fn the_body_markup_follows_the_page_language() {
        let s = snippets();
        for (html, want) in [
            ("<html lang=\"fr\">", "fr"),
            ("<html lang=FR-ca dir=ltr>", "fr"),
            ("<html lang=\"zh-Hant\">", "zh-hant"),
            ("<html lang=\"zh-Hans\">", "zh"),
            ("<html lang=\"de\">", "en"),
            ("<html lang=\"\">", "en"),
            ("<html>", "en"),
            ("", "en"),
        ] {
            for tail in ["<head></head><body>x</body></html>", "<p>no body end"] {
                let page = format!("{html}{tail}");
                let (out, facts) = rewrite(page.as_bytes(), Mode::Inject(&s)).unwrap();
                let out = String::from_utf8(out).unwrap();
                assert!(out.contains(&body(want)), "{page}: {out}");
                assert_eq!(out.matches("chatkit-inject-config").count(), 1, "{page}");
                assert_eq!(strip(&out), page);
                assert_eq!(inject(&out), out);
                if !html.is_empty() && html != "<html>" {
                    assert!(facts.lang.is_some(), "{page}");
                }
            }
        }
        assert_eq!(s.locale_of(Some("zh-Hans")), Some("zh"));
        assert_eq!(s.locale_of(Some("ZH-hant")), Some("zh-hant"));
        assert_eq!(s.locale_of(Some("de")), None);
        assert_eq!(s.locale_of(None), None);
        // Only the first <html> tag counts (the parser merges later ones into it).
        let page = "<html lang=fr><html lang=zh><body>x</body>";
        assert!(inject(page).contains(&body("fr")));
        // Chunked input splits the lang attribute: same bytes.
        let page =
            "<!doctype html><html lang=\"zh-Hant\" dir=\"ltr\"><head></head><body>é</body></html>";
        let whole = inject(page);
        for size in 1..=5 {
            let mut out = Vec::new();
            rewrite_chunks(page.as_bytes().chunks(size), Mode::Inject(&s), |c| {
                out.extend_from_slice(c)
            })
            .unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), whole, "chunk size {size}");
        }
    }

    #[test]
    fn a_marked_element_that_is_not_ours_is_left_byte_for_byte() {
        let s = snippets();
        for page in [
            // Found by the fuzzer: a broken quote attaches the marker to an element that holds
            // the page's `</body>`.
            "<!drrrt><body><s\" data-chatkit-injecT=\"1=\"foiv></body>\n</html>",
            // The reader's text inside a marked element of the site's own.
            "<html><body><div data-chatkit-inject><p>user text</p></div></body></html>",
            "<html><body><p data-chatkit-inject></body></html>",
            // Marked elements of our tags whose shape is not ours.
            "<html><head><link rel=stylesheet href=/site.css data-chatkit-inject></head><body>x</body></html>",
            "<html><body><script data-chatkit-inject>alert('<b>')</script>x</body></html>",
            "<html><body><script src=/chatkit/loader.1.js defer async data-chatkit-inject></script></body></html>",
            "<html><body><script type=application/json id=other data-chatkit-inject>{}</script></body></html>",
            "<html><body><script src=/chatkit/loader.1.js defer data-chatkit-inject=yes></script></body></html>",
        ] {
            let (once, skip, facts) = apply(page.as_bytes(), Mode::Inject(&s)).unwrap();
            let once = String::from_utf8(once).unwrap();
            assert!(skip.is_none() && facts.marked_other && !facts.had_injection, "{page}");
            // Nothing of the page is lost: taking out exactly what was added gives it back.
            assert_eq!(strip(&once), page);
            assert_eq!(once.replace(&s.head, "").replace(&s.body, ""), page);
            let (twice, _, _) = apply(once.as_bytes(), Mode::Inject(&s)).unwrap();
            assert_eq!(String::from_utf8_lossy(&twice), once, "{page}");
        }
        // A page marked only by our own elements takes the one-pass path.
        let (_, facts) = rewrite(inject("<p>x</p>").as_bytes(), Mode::Inject(&s)).unwrap();
        assert!(facts.had_injection && !facts.marked_other);
    }

    #[test]
    fn a_script_shaped_like_ours_that_would_take_page_text_with_it_fails_the_page() {
        let s = snippets();
        for page in [
            // Never closed: removing it would remove the rest of the page.
            "<html><body><p>a</p><script src=/chatkit/loader.1.js defer data-chatkit-inject>",
            // Holds markup that this tool never writes into its scripts.
            "<html><body><script type=application/json id=chatkit-inject-config data-chatkit-inject>{\"a\":\"<p>\"}</script></body></html>",
        ] {
            let err = apply(page.as_bytes(), Mode::Inject(&s)).unwrap_err();
            assert!(err.to_string().contains("not one this tool wrote"), "{err}");
            assert!(rewrite(page.as_bytes(), Mode::Strip).is_err(), "{page}");
        }
    }
}
