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

use crate::assets::Asset;
use crate::config::Resolved;
use crate::i18n;
use crate::runtime_config::{PageConfig, SiteConfig};

/// The attribute on every element this tool adds to a page.
pub const MARKER: &str = "data-chatkit-inject";

/// What to add to a page: the markup for the end of `<head>` (the same on every page) and for
/// the end of `<body>` (chosen by the page's `<html lang>`: the page config carries the
/// widget's strings in the page's own language only), and the site modules that markup loads.
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
    /// The site modules the body markups name (one per distinct site config, by its hashed
    /// name), written with the other assets.
    pub sites: Vec<Asset>,
}

impl Snippets {
    /// The same markup for every page, whatever its language.
    pub fn new(head: String, body: String) -> Self {
        Snippets {
            head,
            body,
            localized: BTreeMap::new(),
            sites: Vec::new(),
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

/// Where a run's assets are served from.
#[derive(Debug, Clone)]
pub struct AssetUrls {
    pub css: String,
    pub loader: String,
    pub panel: String,
    /// The folder of the assets, ending with `/`: the site modules' URLs are their names in it.
    pub dir: String,
}

/// The markup of a run: one head link for every page, and one body snippet (page config and
/// loader) per locale, so each page carries the widget's strings in its own language only; and
/// each locale's site module (the rest of the runtime config), written once per distinct content.
pub fn snippets(config: &Resolved, urls: &AssetUrls) -> Snippets {
    let sites = std::cell::RefCell::new(Vec::<Asset>::new());
    let body = |tag: &str, locale| {
        let site = SiteConfig::new(config, tag, locale).to_module();
        let site = Asset::new("site", "js", site.into_bytes());
        let site_url = format!("{}{}", urls.dir, site.file_name());
        let mut sites = sites.borrow_mut();
        if !sites.contains(&site) {
            sites.push(site);
        }
        let page = PageConfig::new(tag, locale, urls.panel.clone(), site_url);
        let mut body = element(
            "script",
            &[("type", Some("application/json")), ("id", Some(CONFIG_ID))],
        );
        // Script data, not HTML: escaped for a script element by the page config itself.
        body.push_str(&page.to_script_json());
        body.push_str("</script>");
        body.push_str(&element(
            "script",
            &[("src", Some(&urls.loader)), ("defer", None)],
        ));
        body.push_str("</script>");
        body
    };
    let (english_tag, english) = config.locale_for(None);
    let head = element(
        "link",
        &[("rel", Some("stylesheet")), ("href", Some(&urls.css))],
    );
    let mut snippets = Snippets::new(head, body(english_tag, english));
    for (tag, locale) in &config.locales {
        if tag != i18n::FALLBACK {
            snippets.localized.insert(tag.clone(), body(tag, locale));
        }
    }
    snippets.sites = sites.into_inner();
    snippets
}

/// The `id` of the runtime config's script element.
pub const CONFIG_ID: &str = "chatkit-inject-config";

/// The start tag of an element this tool adds: its attributes in order (a `None` value is a
/// bare attribute such as `defer`), values escaped for a double-quoted attribute value, and
/// the [`MARKER`] last.
fn element(name: &str, attributes: &[(&str, Option<&str>)]) -> String {
    let mut tag = format!("<{name}");
    for (attribute, value) in attributes {
        tag.push(' ');
        tag.push_str(attribute);
        if let Some(value) = value {
            tag.push_str("=\"");
            html_escape::encode_double_quoted_attribute_to_string(value, &mut tag);
            tag.push('"');
        }
    }
    tag.push(' ');
    tag.push_str(MARKER);
    tag.push('>');
    tag
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
    /// A snippet was placed while an `<svg>` or `<math>` element was open (a broken page): it
    /// is parsed as SVG/MathML there, where a `<script src>` never loads.
    pub placed_in_foreign: bool,
    /// A snippet was placed while a `<template>` was open: template content never runs.
    pub placed_in_template: bool,
    /// A snippet was placed while a `<select>` was open (the parser's rules differ there).
    pub placed_in_select: bool,
    /// The page holds a `<frameset>` element.
    pub frameset: bool,
    /// The `href` of the page's first `<base href>`, as written.
    pub base_href: Option<String>,
    /// The encoding the page declares (`<meta charset>` or `http-equiv="Content-Type"`).
    pub charset: Option<String>,
    /// The page's bytes are UTF-16 (by its byte order mark, or NULs among ASCII).
    pub utf16: Option<&'static str>,
    /// The `lang` attribute of the page's first `<html>` tag, as written.
    pub lang: Option<String>,
    /// The page holds an element marked like ours that is not one of the three this tool writes
    /// (the page's own, or a broken quote attached the attribute): it is left untouched and
    /// reported, never removed.
    pub marked_other: bool,
}

impl PageFacts {
    /// Where the markup this run added would never run, if it would not.
    pub fn dead(&self) -> Option<Dead> {
        if let Some(name) = self.utf16 {
            return Some(Dead::Encoding(name.to_string()));
        }
        if let Some(label) = &self.charset {
            let label = label.trim().to_ascii_lowercase();
            if REPLACEMENT_LABELS.contains(&label.as_str()) {
                return Some(Dead::Encoding(label));
            }
        }
        if self.frameset {
            return Some(Dead::Frameset);
        }
        if self.placed_in_template {
            return Some(Dead::Template);
        }
        if self.placed_in_foreign {
            return Some(Dead::Foreign);
        }
        match &self.base_href {
            Some(href) if base_moves_origin(href) => Some(Dead::Base(href.clone())),
            _ => None,
        }
    }

    /// Is the rewrite's own view of where the markup landed uncertain, so that the result must
    /// be read back before it is written? True only for rare pages (no `</body>`, a marked
    /// element that is not ours, an open `<select>`), so most pages are parsed once.
    pub fn needs_verification(&self) -> bool {
        self.appended_at_end || self.marked_other || self.placed_in_select
    }

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

/// Why a page got no widget (the keys of the report's `pages.skipped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
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
    /// The reason for people (the text report).
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::OptedOut => "opted out",
            SkipReason::Excluded => "excluded",
            SkipReason::Redirect => "redirect stub",
            SkipReason::Symlink => "symlink",
            SkipReason::Empty => "empty page",
        }
    }
}

/// Why a page cannot be rewritten; it is then left as it is and reported as failed.
#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    /// lol_html could not parse the page, or no safe place for the markup was found.
    #[error("cannot parse the page as HTML: {0}")]
    Parse(String),
    /// The markup would land where a browser never runs it.
    #[error("the widget would never run on this page: {0}; the page was left as it is")]
    Dead(Dead),
    /// The injected page could not be read again by this tool (a later inject, `--check` or
    /// `--strip` would fail on it), so it is not written.
    #[error("the page with the widget added could not be read back by this tool ({0}); the page was left as it is")]
    Unreadable(String),
}

impl RewriteError {
    /// lol_html explains itself in paragraphs; the report wants the first sentence.
    fn from_lol(e: &lol_html::errors::RewritingError) -> Self {
        let text = e.to_string();
        let first = text.split("\n").next().unwrap_or(&text);
        let sentence = match first.find(". ") {
            Some(i) => &first[..=i],
            None => first,
        };
        RewriteError::Parse(sentence.trim().to_string())
    }
}

/// Where the added markup would be dead: present in the file, but never run by a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dead {
    /// Inside `<template>` content, which is inert.
    Template,
    /// Inside an unclosed `<svg>` or `<math>`: SVG's `<script>` ignores `src`, and a `<link>`
    /// there loads nothing.
    Foreign,
    /// The page holds a `<frameset>`: a frameset page has no body (the parser drops what would
    /// go there), and after a stray one lol_html cannot read our `<script>` again.
    Frameset,
    /// A page in an encoding that is not ASCII-compatible (UTF-16 by its byte order mark, or a
    /// label the browser decodes as one replacement character): the ASCII markup is garbage there.
    Encoding(String),
    /// A `<base href>` that moves the widget's root-relative URLs to another origin.
    Base(String),
}

impl std::fmt::Display for Dead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dead::Template => f.write_str(
                "a <template> element is still open where the widget would go, and template content never runs",
            ),
            Dead::Foreign => f.write_str(
                "an <svg> or <math> element is left open where the widget would go, so a browser may read the widget as SVG or MathML, whose script never loads its src",
            ),
            Dead::Frameset => f.write_str(
                "the page holds a <frameset>: browsers drop the widget from a frameset page, and a stray one stops this tool reading the page again",
            ),
            Dead::Encoding(name) => write!(
                f,
                "the page is encoded as {name}, which is not ASCII-compatible, so the widget's markup would be read as other characters; re-encode the page as UTF-8"
            ),
            Dead::Base(href) => write!(
                f,
                "its <base href={href:?}> sends the widget's root-relative URLs to another site; remove the <base> element or exclude the page"
            ),
        }
    }
}

/// Prove an injection the rewrite's own view is unsure of sound: the result must strip back to
/// the page and stay put when injected again (so a later inject, `--check` and `--strip` all
/// work on it).
pub fn verify(
    input: &[u8],
    out: &[u8],
    mode: Mode<'_>,
    facts: &PageFacts,
) -> Result<(), RewriteError> {
    // Markup appended after the last byte is only safe if the page ends between tags: after an
    // unfinished `<a` or `</` it would become part of that tag or comment. A `<select>` or a
    // stray `<frameset>` changes how the parser reads what follows.
    let read_back = |page: &[u8], mode| {
        rewrite(page, mode).map_err(|e| match e {
            RewriteError::Parse(why) => RewriteError::Unreadable(why),
            other => other,
        })
    };
    let (stripped_out, _) = read_back(out, Mode::Strip)?;
    let (stripped_in, _) = rewrite(input, Mode::Strip)?;
    let (again, again_facts) = read_back(out, mode)?;
    if stripped_out == stripped_in && again == out {
        // The same bytes, but a second run must also agree that the widget runs there, or it
        // would refuse the page this run wrote.
        return match again_facts.dead() {
            None => Ok(()),
            Some(dead) => Err(RewriteError::Unreadable(format!(
                "a second run would find the widget dead: {dead}"
            ))),
        };
    }
    let why = if facts.marked_other {
        "the page holds an element marked data-chatkit-inject that is not ours and that the widget cannot be placed around"
    } else if facts.appended_at_end {
        "the page has no </body> and ends inside an unfinished tag, comment or script"
    } else {
        return Err(RewriteError::Unreadable(
            "a second run would not find the widget where this one put it".into(),
        ));
    };
    Err(RewriteError::Parse(format!(
        "{why}, so there is no safe place to add the widget"
    )))
}

/// The name of the UTF-16 encoding a page is in, judged by its byte order mark or, without
/// one, by a NUL byte beside its first character (ASCII text in UTF-16).
fn utf16_bytes(page: &[u8]) -> Option<&'static str> {
    match page {
        [0xff, 0xfe, ..] => Some("UTF-16LE"),
        [0xfe, 0xff, ..] => Some("UTF-16BE"),
        [0, b, ..] if *b != 0 => Some("UTF-16BE"),
        [b, 0, ..] if *b != 0 => Some("UTF-16LE"),
        _ => None,
    }
}

/// Labels (WHATWG Encoding) a browser decodes as a single replacement character: nothing of
/// the page, the widget included, survives.
const REPLACEMENT_LABELS: &[&str] = &[
    "csiso2022kr",
    "hz-gb-2312",
    "iso-2022-cn",
    "iso-2022-cn-ext",
    "iso-2022-kr",
    "replacement",
];

/// Does a `<base href>` move root-relative URLs (`/chatkit/...`) to another origin? Only an
/// absolute URL (`scheme:`) or a scheme-relative one (`//host`) names an origin; a path does
/// not. Whitespace around it and tabs or newlines in it are ignored, as URL parsing does.
fn base_moves_origin(href: &str) -> bool {
    let href: String = href
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if href.starts_with("//")
        || href.starts_with("\\\\")
        || href.starts_with("/\\")
        || href.starts_with("\\/")
    {
        return true;
    }
    let Some((scheme, _)) = href.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
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

/// [`rewrite_chunks`], told whether the page may hold an earlier injection at all (see
/// [`may_hold_injection`]): when it cannot, the rewrite skips looking for one.
pub fn rewrite_stream<C: AsRef<[u8]>>(
    chunks: impl IntoIterator<Item = C>,
    mode: Mode<'_>,
    sink: impl FnMut(&[u8]),
    may_hold_injection: bool,
) -> Result<PageFacts, RewriteError> {
    rewrite_pass(chunks, mode, sink, may_hold_injection)
}

/// Can this page hold an earlier injection? Only if the marker text is somewhere in it.
pub fn may_hold_injection(page: &[u8]) -> bool {
    contains_marker(page)
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
    // A script that may be ours holds text that is not UTF-8 (or U+FFFD): see the text handler.
    let lossy_script_text = Cell::new(false);
    let csp = RefCell::new(Vec::new());
    let appended_at_end = Cell::new(false);
    // Elements open where the markup goes that change how a browser reads it.
    let open = Rc::new(OpenAt::default());
    let frameset = Cell::new(false);
    let base_href: RefCell<Option<String>> = RefCell::new(None);
    let charset: RefCell<Option<String>> = RefCell::new(None);
    // Where the snippets went; anything not placed by the end of the page goes at the very end.
    let head_placed = Rc::new(Cell::new(false));
    let body_placed = Rc::new(Cell::new(false));
    let seen_head = Cell::new(false);
    let seen_body = Cell::new(false);
    // The page's language picks the body markup; `<html>` comes before `<body>`.
    let seen_html = Cell::new(false);
    // A `<body>` tag came (in either mode): an `<html lang>` after it no longer picks the markup.
    let body_opened = Cell::new(false);
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
        // Only scripts that may be ours get a text handler: lol_html writes the text of an
        // element it hands to a text handler back from its decoded form, so bytes that are not
        // UTF-8 there would come out as U+FFFD.
        settings = settings.append_element_content_handler(lol_html::text!(
            "script[data-chatkit-inject][id=\"chatkit-inject-config\"], script[data-chatkit-inject][src]",
            |text| {
                let text = text.as_str();
                if text.contains(char::REPLACEMENT_CHARACTER) {
                    lossy_script_text.set(true);
                }
                // What we write inside our scripts is ASCII JSON with `<`, `>` and `&` escaped;
                // text with markup in it is not ours (or runs past where ours ended).
                if open_scripts.get() > 0 && text.bytes().any(|b| b == b'<' || !b.is_ascii()) {
                    foreign_script_text.set(true);
                }
                Ok(())
            }
        ));
    }
    let settings = settings
        .append_element_content_handler(element!(
            "svg, math, template, select, frameset, base",
            |el| {
                let tag = el.tag_name();
                let counter = if tag.eq_ignore_ascii_case("template") {
                    &open.template
                } else if tag.eq_ignore_ascii_case("select") {
                    &open.select
                } else if tag.eq_ignore_ascii_case("frameset") {
                    frameset.set(true);
                    return Ok(());
                } else if tag.eq_ignore_ascii_case("base") {
                    let mut base = base_href.borrow_mut();
                    if base.is_none() {
                        *base = el.get_attribute("href");
                    }
                    return Ok(());
                } else {
                    &open.foreign
                };
                if el.can_have_content() {
                    counter.set(counter.get() + 1);
                    let open = open.clone();
                    let which = tag.to_ascii_lowercase();
                    let epoch = open.foreign_epoch.get();
                    el.on_end_tag(end_tag!(move |end| {
                        // lol_html also calls this when an ancestor's end tag closes the element
                        // implicitly, before that end tag's own handler: closed by `</head>` or
                        // `</body>`, it is still open where the widget goes, just before them.
                        let by = end.name();
                        if by != which && matches!(by.as_str(), "head" | "body" | "html") {
                            return Ok(());
                        }
                        let counter = match which.as_str() {
                            "template" => &open.template,
                            "select" => &open.select,
                            // Already closed by a breakout tag (below) where lol_html kept it.
                            _ if open.foreign_epoch.get() != epoch => return Ok(()),
                            _ => &open.foreign,
                        };
                        counter.set(counter.get().saturating_sub(1));
                        Ok(())
                    }))?;
                }
                Ok(())
            }
        ))
        // Elements whose content is text (raw text, RCDATA): lol_html's fast path (a page
        // without our marker, where no attribute selector applies) misreads a start tag that
        // ends right after an `=` (`<script e=>`) and takes what follows as markup, where its
        // full lexer (and a browser) read text up to `</script>`; the two runs of this tool
        // then place the widget differently. A handler makes lol_html lex these tags fully.
        .append_element_content_handler(element!(
            "script, style, textarea, title, xmp, iframe, noembed, noframes, noscript, plaintext",
            |_el| Ok(())
        ))
        .append_element_content_handler(element!("svg *, math *", |el| {
            // Inside `<svg>`/`<math>` (in lol_html's view): an HTML integration point, or a
            // start tag that ends foreign content in a browser. One universal selector costs
            // less than a descendant selector per tag name (measured: lol_html builds the
            // selectors' program for every page).
            if open.foreign.get() == 0 {
                return Ok(());
            }
            let tag = el.tag_name().to_ascii_lowercase();
            if !is_integration_point(&tag, el) && !is_breakout(&tag, el) {
                return Ok(());
            }
            if is_integration_point(&tag, el) {
                if el.can_have_content() {
                    open.integration.set(open.integration.get() + 1);
                    let open = open.clone();
                    let epoch = open.foreign_epoch.get();
                    el.on_end_tag(end_tag!(move |_end| {
                        if open.foreign_epoch.get() == epoch {
                            open.integration
                                .set(open.integration.get().saturating_sub(1));
                        }
                        Ok(())
                    }))?;
                }
                return Ok(());
            }
            if open.integration.get() == 0 {
                // A breakout tag straight in foreign content: the browser pops every SVG and
                // MathML element back to the HTML element around them, and reads the tag (and
                // what follows) as HTML. lol_html keeps them open until an end tag, or to the
                // end of the page, depending on how it lexes the page (its fast path closes them
                // at the next end tag): take the browser's view, so that every run of this tool
                // agrees on whether the widget lands in foreign content.
                open.foreign.set(0);
                open.foreign_epoch.set(open.foreign_epoch.get() + 1);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("html", |el| {
            // The first `<html>` tag gives the page's language, unless it comes after `<body>`
            // (a broken page; a browser would still add its `lang` to the root): the body
            // markup was chosen by then, and the page is reported with the language it got.
            if !seen_html.replace(true) && !body_opened.get() {
                *lang.borrow_mut() = el.get_attribute("lang");
            }
            Ok(())
        }))
        .append_element_content_handler(element!("meta", |el| {
            inspect_meta(el, &opted_out, &redirect, &csp, &charset);
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
                place_before_end_tag(el, &snippets.head, &head_placed, &open)?;
            }
            Ok(())
        }))
        .append_element_content_handler(element!("body", |el| {
            body_opened.set(true);
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
                open.note_placement();
            }
            if el.can_have_content() {
                place_before_end_tag(
                    el,
                    snippets.body_for(lang.borrow().as_deref()),
                    &body_placed,
                    &open,
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
                    open.note_placement();
                }
            }
            Ok(())
        }));

    let mut rewriter = HtmlRewriter::new(settings, |c: &[u8]| sink(c));
    // The first two bytes tell a UTF-16 page (a chunk may hold only one).
    let mut first = Vec::with_capacity(2);
    for chunk in chunks {
        if first.len() < 2 {
            let c = chunk.as_ref();
            first.extend_from_slice(&c[..c.len().min(2 - first.len())]);
        }
        rewriter
            .write(chunk.as_ref())
            .map_err(|e| RewriteError::from_lol(&e))?;
    }
    rewriter.end().map_err(|e| RewriteError::from_lol(&e))?;
    if lossy_script_text.get() {
        // Passing it through would replace those bytes: fail rather than change them.
        return Err(RewriteError::Parse(format!(
            "the page holds a <script {MARKER}> whose text is not valid UTF-8, which this tool cannot pass through unchanged; remove that attribute or element by hand"
        )));
    }
    if open_scripts.get() > 0 || foreign_script_text.get() {
        // Removing it would delete text this tool did not write: fail loudly instead.
        return Err(RewriteError::Parse(format!(
            "the page holds a <script {MARKER}> that is not one this tool wrote (it is never closed, or holds markup); remove that attribute or element by hand"
        )));
    }

    Ok(PageFacts {
        opted_out: opted_out.get(),
        redirect: redirect.get(),
        had_injection: had_injection.get(),
        csp: csp.into_inner(),
        appended_at_end: appended_at_end.get(),
        placed_in_foreign: open.placed_in_foreign.get(),
        placed_in_template: open.placed_in_template.get(),
        placed_in_select: open.placed_in_select.get(),
        frameset: frameset.get(),
        base_href: base_href.into_inner(),
        charset: charset.into_inner(),
        lang: lang.into_inner(),
        marked_other: marked_other.get(),
        utf16: utf16_bytes(&first),
    })
}

/// The elements open at the current point of the page that change how a browser reads markup
/// placed there, and whether a snippet was placed while one was.
#[derive(Default)]
struct OpenAt {
    /// `<svg>`/`<math>`: markup lands in foreign content.
    foreign: Cell<usize>,
    /// Bumped when a breakout tag closes all foreign content; end tags of the `<svg>`/`<math>`
    /// elements it closed (which lol_html reports later, or never) then change nothing.
    foreign_epoch: Cell<u64>,
    /// HTML integration points open inside foreign content (`<foreignObject>`, `<desc>`,
    /// `<title>`, `<mi>`...): there a breakout tag is plain HTML and closes nothing.
    integration: Cell<usize>,
    /// `<template>`: markup lands in inert template content.
    template: Cell<usize>,
    /// `<select>`: the parser's rules differ there.
    select: Cell<usize>,
    placed_in_foreign: Cell<bool>,
    placed_in_template: Cell<bool>,
    placed_in_select: Cell<bool>,
}

impl OpenAt {
    /// A snippet is being placed here: note what is open.
    fn note_placement(&self) {
        for (open, placed) in [
            (&self.foreign, &self.placed_in_foreign),
            (&self.template, &self.placed_in_template),
            (&self.select, &self.placed_in_select),
        ] {
            if open.get() > 0 {
                placed.set(true);
            }
        }
    }
}

/// Put `snippet` just before the element's end tag (once), noting what was still open there.
fn place_before_end_tag(
    el: &mut Element<'_, '_>,
    snippet: &str,
    placed: &Rc<Cell<bool>>,
    open: &Rc<OpenAt>,
) -> lol_html::HandlerResult {
    let snippet = snippet.to_string();
    let placed = placed.clone();
    let open = open.clone();
    let own = el.tag_name().to_ascii_lowercase();
    el.on_end_tag(end_tag!(move |end| {
        // lol_html also calls this for another end tag that closes the element in its view (a
        // stray `</script>` in a broken page, found by the fuzzer): only the element's own end
        // tag, or `</html>`, is a place where the parser puts the markup into it. Otherwise the
        // markup goes at the end of the page, which is verified.
        let by = end.name();
        if by != own && by != "html" {
            return Ok(());
        }
        if !placed.get() {
            end.before(&snippet, ContentType::Html);
            placed.set(true);
            open.note_placement();
        }
        Ok(())
    }))
}

/// Start tags that end foreign content in a browser ("A start tag whose tag name is one of ..."
/// in HTML's rules for parsing tokens in foreign content; `<font>` only with `color`, `face` or
/// `size`). The end tags `</br>` and `</p>` do too; lol_html does not report stray end tags, so
/// after one of those the page is still treated as in foreign content (and refused, not broken).
#[rustfmt::skip]
const BREAKOUT_TAGS: &[&str] = &[
    "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em",
    "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing",
    "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike",
    "sub", "sup", "table", "tt", "u", "ul", "var",
];

/// SVG and MathML elements inside which HTML's rules apply again (HTML integration points and
/// MathML text integration points); `annotation-xml` only with an HTML `encoding`.
const INTEGRATION_POINTS: &[&str] = &[
    "foreignobject",
    "desc",
    "title",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "annotation-xml",
];

/// Does this start tag end foreign content (when not inside an integration point)?
fn is_breakout(tag: &str, el: &Element<'_, '_>) -> bool {
    if tag == "font" {
        return ["color", "face", "size"]
            .iter()
            .any(|a| el.has_attribute(a));
    }
    BREAKOUT_TAGS.contains(&tag)
}

fn is_integration_point(tag: &str, el: &Element<'_, '_>) -> bool {
    if tag == "annotation-xml" {
        return el.get_attribute("encoding").is_some_and(|e| {
            e.eq_ignore_ascii_case("text/html") || e.eq_ignore_ascii_case("application/xhtml+xml")
        });
    }
    INTEGRATION_POINTS.contains(&tag)
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
        let ok = kind.eq_ignore_ascii_case("application/json") && id == CONFIG_ID;
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
    charset: &RefCell<Option<String>>,
) {
    if let Some(label) = el.get_attribute("charset") {
        charset.borrow_mut().get_or_insert(label);
    }
    if let Some(equiv) = el.get_attribute("http-equiv") {
        let equiv = equiv.trim();
        if equiv.eq_ignore_ascii_case("refresh") {
            redirect.set(true);
        } else if equiv.eq_ignore_ascii_case("content-type") {
            let content = el.get_attribute("content").unwrap_or_default();
            let label = content
                .split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                .map(|(_, v)| v.trim().trim_matches(['"', '\'']).to_string());
            if let Some(label) = label {
                charset.borrow_mut().get_or_insert(label);
            }
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
    use crate::page::apply;

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
        assert_chunks_give_the_same_bytes(page, 7);
    }

    /// Injecting `page` fed in chunks of 1..=`max` bytes gives the bytes of injecting it whole.
    fn assert_chunks_give_the_same_bytes(page: &str, max: usize) {
        let s = snippets();
        let whole = inject(page);
        for size in 1..=max {
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
        assert_chunks_give_the_same_bytes(page, 5);
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

    #[test]
    fn markup_that_would_never_run_fails_the_page_untouched() {
        let s = snippets();
        let dead = |page: &[u8]| match apply(page, Mode::Inject(&s)) {
            Err(RewriteError::Dead(d)) => Some(d),
            _ => None,
        };
        for (page, want) in [
            // Template content is inert; `</body>` inside it is ignored by the parser.
            ("<html><body><template><p>x</body></html>", Dead::Template),
            ("<html><body><p>x<select><template><option>a</body></html>", Dead::Template),
            ("<html><head><template><meta x></head><body>y</body></html>", Dead::Template),
            ("<body><template><p>no end", Dead::Template),
            // SVG's <script> ignores src.
            ("<html><body><svg><g><path d=M0></body></html>", Dead::Foreign),
            ("<html><body><math><mi>x</body></html>", Dead::Foreign),
            // Frameset pages, and a stray frameset after which lol_html cannot read our script.
            ("<html><head></head><frameset><frame src=a.html></frameset></html>", Dead::Frameset),
            ("<html><head></head><body><p>x</p><frameset></frameset></body></html>", Dead::Frameset),
            // Encodings that are not ASCII-compatible.
            ("<html><head><meta charset=\"ISO-2022-KR\"></head><body>x</body></html>", Dead::Encoding("iso-2022-kr".into())),
            ("<html><head><meta http-equiv=content-type content='text/html; charset=hz-gb-2312'></head><body>x</body></html>", Dead::Encoding("hz-gb-2312".into())),
            // A base that moves /chatkit/ to another origin.
            ("<html><head><base href=\"https://cdn.example.com/\"></head><body>x</body></html>", Dead::Base("https://cdn.example.com/".into())),
            ("<html><head><base href=' //cdn.example.com'></head><body>x</body></html>", Dead::Base(" //cdn.example.com".into())),
        ] {
            assert_eq!(dead(page.as_bytes()), Some(want), "{page}");
        }
        for page in [
            b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00".as_slice(),
            b"\xfe\xff\x00<\x00p\x00>",
            b"<\x00p\x00>\x00",
        ] {
            assert!(
                matches!(dead(page), Some(Dead::Encoding(e)) if e.starts_with("UTF-16")),
                "{page:?}"
            );
        }
        // Chunks of one byte see the byte order mark too.
        let page = b"\xff\xfe<\x00b\x00>\x00";
        let facts = rewrite_chunks(page.chunks(1), Mode::Inject(&s), |_| {}).unwrap();
        assert_eq!(facts.dead(), Some(Dead::Encoding("UTF-16LE".into())));
        // Live placements stay injected: closed elements, a base that keeps the origin, UTF-8
        // and ASCII-compatible legacy encodings, UTF-16 labels (browsers read them as UTF-8).
        for page in [
            "<html><body><template><p>x</p></template><svg><g></g></svg><math></math></body></html>",
            "<html><body><div><svg><g></div>x</body></html>",
            "<html><head><base href=\"/docs/\"><meta charset=utf-8></head><body>x</body></html>",
            "<html><head><base target=_blank><meta charset=windows-1252></head><body>x</body></html>",
            "<html><head><meta charset=utf-16></head><body>x</body></html>",
            "<html><body><select><option>a</option></select>x</body></html>",
        ] {
            let (out, skip, _) = apply(page.as_bytes(), Mode::Inject(&s)).unwrap();
            assert!(skip.is_none() && out != page.as_bytes(), "{page}");
        }
    }

    /// A breakout tag (`<i>`, `<p>`, `<font color>`...) straight inside `<svg>`/`<math>` ends the
    /// foreign content in a browser; lol_html keeps the `<svg>` open, until the next end tag on
    /// its fast path (a page without our marker) or to the end of the page on its full lexer (a
    /// page with it). Both runs must take the browser's view, or a second run refuses what the
    /// first wrote (issue #11's open fuzz finding).
    #[test]
    fn a_breakout_tag_ends_foreign_content_in_every_run() {
        let s = snippets();
        for page in [
            "<body><svg><i><script e=></body></script>",
            "<body><svg><g><p>text</body>",
            "<body><math><b>x</b>y</body>",
            "<body><svg><font color=red>x</font></body>",
            "<body><svg><svg><div>x</div></body>",
            // A new <svg> after the breakout, closed: lol_html's late end tag of the first one
            // must not close the count of the second.
            "<body><svg><i><svg><g></svg>x</i></body>",
        ] {
            let (once, skip, facts) =
                apply(page.as_bytes(), Mode::Inject(&s)).unwrap_or_else(|e| panic!("{page}: {e}"));
            assert!(
                skip.is_none() && !facts.placed_in_foreign,
                "{page}: {facts:?}"
            );
            // The second run reads the page with our marker in it (the full lexer).
            let (twice, _, facts) =
                apply(&once, Mode::Inject(&s)).unwrap_or_else(|e| panic!("{page}: again: {e}"));
            assert!(!facts.placed_in_foreign, "{page}: again: {facts:?}");
            assert_eq!(twice, once, "{page}");
            assert_eq!(
                apply(&once, Mode::Strip).unwrap().0,
                page.as_bytes(),
                "{page}"
            );
        }
        // Not a breakout: inside an integration point the tag is HTML and the <svg> or <math>
        // stays open; `<font>` without color, face or size is SVG; a new <svg> after the breakout
        // is left open.
        for page in [
            "<body><svg><foreignObject><i>x</body>",
            "<body><math><mi><i>x</body>",
            "<body><math><annotation-xml encoding=text/html><p>x</body>",
            "<body><svg><font>x</body>",
            "<body><svg><i><svg><g>x</body>",
        ] {
            assert!(
                matches!(
                    apply(page.as_bytes(), Mode::Inject(&s)),
                    Err(RewriteError::Dead(Dead::Foreign))
                ),
                "{page}"
            );
        }
    }

    /// A raw-text element whose start tag ends right after `=` (`<script e=>`): what follows is
    /// the script's text in a browser and in lol_html's full lexer, but was markup on lol_html's
    /// fast path, so the first run put the widget before a `</body>` that is script text and
    /// the second run, reading the page with our marker, injected the config again (found by
    /// the open-ended fuzzer). Now both runs read the script's text as text.
    #[test]
    fn a_start_tag_ending_after_an_equals_sign_keeps_its_text() {
        let s = snippets();
        for page in [
            "<body><script e=></b></body>",
            "<body><style e=  ></b></body>",
            "<body><textarea e=></b></body>",
            "<body><title e=></b></body>",
        ] {
            match apply(page.as_bytes(), Mode::Inject(&s)) {
                // The page ends inside that element: no place where the widget runs.
                Err(RewriteError::Parse(why)) => {
                    assert!(why.contains("no safe place"), "{page}: {why}")
                }
                Ok((once, _, _)) => {
                    let (twice, _, _) = apply(&once, Mode::Inject(&s))
                        .unwrap_or_else(|e| panic!("{page}: again: {e}"));
                    assert_eq!(twice, once, "{page}");
                }
                Err(e) => panic!("{page}: {e}"),
            }
        }
        // Closed, the element is text up to its end tag and the widget goes before `</body>`.
        let page = "<body><script e=></body></script><p>x</p></body>";
        let out = inject(page);
        assert!(
            out.starts_with(&format!(
                "{}<body><script e=></body></script><p>x</p><script",
                s.head
            )),
            "{out}"
        );
    }

    /// An `<html lang>` after `<body>` (found by the open-ended fuzzer): the body markup was
    /// chosen by then, so the page's language is the one before it, in every mode.
    #[test]
    fn an_html_tag_after_body_does_not_change_the_language() {
        let s = snippets();
        for page in [
            "<body>\0</body><html lang=fr>",
            "<body><p>x<html lang=fr></body>",
        ] {
            let (out, _, facts) = apply(page.as_bytes(), Mode::Inject(&s)).unwrap();
            assert_eq!(facts.lang, None, "{page}");
            assert!(
                out.windows(s.body.len()).any(|w| w == s.body.as_bytes()),
                "{page}"
            );
            assert_eq!(apply(page.as_bytes(), Mode::Strip).unwrap().2.lang, None);
        }
        let (_, _, facts) = apply(
            b"<html lang=fr><body>x</body><html lang=de>",
            Mode::Inject(&s),
        )
        .unwrap();
        assert_eq!(facts.lang.as_deref(), Some("fr"));
    }

    #[test]
    fn an_injected_page_is_returned_only_if_it_can_be_read_again() {
        let s = snippets();
        // An open <select> where the scripts go: the result is read back before it is kept.
        let page = "<html><body><p>x<select><option>a</body></html>";
        let (once, _, facts) = apply(page.as_bytes(), Mode::Inject(&s)).unwrap();
        assert!(facts.placed_in_select);
        assert_eq!(apply(&once, Mode::Inject(&s)).unwrap().0, once);
        assert_eq!(apply(&once, Mode::Strip).unwrap().0, page.as_bytes());
        // The issue's pages, which the first run used to write and no later run could read.
        for page in [
            "<html><body><p>x</p><frameset></frameset></body></html>",
            "<html><body><p>x<select><template><option>a</body></html>",
        ] {
            assert!(apply(page.as_bytes(), Mode::Inject(&s)).is_err(), "{page}");
        }
    }

    #[test]
    fn only_a_base_with_an_origin_moves_root_relative_urls() {
        for (href, moves) in [
            ("https://x.example/", true),
            ("HTTP://x", true),
            ("//x.example", true),
            ("\\\\x.example", true),
            (" \t//x", true),
            ("/\n/x", true),
            ("data:,x", true),
            ("/docs/", false),
            ("docs/", false),
            ("./a:b", false),
            ("", false),
            ("#top", false),
        ] {
            assert_eq!(base_moves_origin(href), moves, "{href:?}");
        }
    }

    #[test]
    fn a_marked_script_with_bytes_that_are_not_utf8_is_never_rewritten() {
        // Found by the fuzzer: a script marked like ours, with our id but not our shape, whose
        // text is not UTF-8 came out of --strip with U+FFFD in place of those bytes.
        let s = snippets();
        let page: &[u8] = b"<html><body><script type=application/json id=chatkit-inject-config extra data-chatkit-inject>caf\xe9</script><p>\xff</p></body></html>";
        assert!(rewrite(page, Mode::Strip).is_err());
        assert!(apply(page, Mode::Inject(&s)).is_err());
        // A marked script of the site's own with another shape keeps its bytes.
        let page: &[u8] =
            b"<html><body><script type=module data-chatkit-inject>caf\xe9</script></body></html>";
        assert_eq!(rewrite(page, Mode::Strip).unwrap().0, page);
        let (once, _, _) = apply(page, Mode::Inject(&s)).unwrap();
        assert_eq!(rewrite(&once, Mode::Strip).unwrap().0, page);
    }

    #[test]
    fn markup_attribute_values_are_escaped() {
        assert_eq!(
            element(
                "link",
                &[
                    ("rel", Some("stylesheet")),
                    ("href", Some("/a?x=1&y=\"2\"<>"))
                ]
            ),
            r#"<link rel="stylesheet" href="/a?x=1&amp;y=&quot;2&quot;&lt;&gt;" data-chatkit-inject>"#
        );
        assert_eq!(
            element("script", &[("src", Some("/b/it's.js")), ("defer", None)]),
            r#"<script src="/b/it's.js" defer data-chatkit-inject>"#
        );
    }
}
