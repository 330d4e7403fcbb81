//! The text as a lol_html rewriter reads it (the corpus's first implementation): the tests
//! hold the page scanner to it, record for record, on every fixture page and on edge cases, and
//! so does the `corpus` fuzz target (`fuzz/fuzz_targets/corpus.rs`; compiled in only for the
//! tests and under `cfg(fuzzing)`, never part of the crate's API).
//!
//! Where it is not a browser, the scanner follows the browser (both found by that fuzz target):
//! lol_html reads the text after a raw-text start tag in the article that ends right after `=`
//! (`<script a=>`) as markup, where a browser reads it as the element's text; and its
//! `get_attribute` drops a U+FEFF that starts a value, which a browser keeps.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::Element;
use lol_html::{element, text, HtmlRewriter, Settings};

use super::{Attrs, Record, State};

impl Attrs for Element<'_, '_> {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get_attribute(name).map(Cow::Owned)
    }
}

/// The records of `page` fed in chunks of `chunk` bytes, or none if lol_html refused it.
#[cfg(test)]
pub(super) fn records(page: &[u8], chunk: usize, fallback_url: &str) -> Vec<Record> {
    read(page, chunk, fallback_url).unwrap_or_default()
}

/// The records of `page` fed in chunks of `chunk` bytes; `None` if lol_html refused the page
/// (as the page's rewrite, with the same settings, does: the page fails, no records are kept).
#[cfg(test)]
pub(super) fn read(page: &[u8], chunk: usize, fallback_url: &str) -> Option<Vec<Record>> {
    read_chunks(page.chunks(chunk.max(1)), fallback_url)
}

/// The records of a page fed in these chunks; `None` if lol_html refused the page.
pub fn read_chunks<'a>(
    chunks: impl IntoIterator<Item = &'a [u8]>,
    fallback_url: &str,
) -> Option<Vec<Record>> {
    let state = Rc::new(RefCell::new(State::default()));
    let mut settings = Settings::new();
    for selector in ["html", "title", "link", "meta", "article *"] {
        let state = state.clone();
        settings = settings.append_element_content_handler(element!(selector, move |el| {
            start(&state, el);
            Ok(())
        }));
    }
    let on_article = state.clone();
    settings = settings.append_element_content_handler(element!("article", move |el| {
        // An article inside the article is one of its elements ("article *" above).
        if !on_article.borrow().in_article {
            start(&on_article, el);
        }
        Ok(())
    }));
    // One handler for both, so that text in a `<title>` in the article is read once.
    let text_state = state.clone();
    settings = settings.append_element_content_handler(text!("title, article", move |t| {
        let mut s = text_state.borrow_mut();
        s.pending.extend_from_slice(t.as_str().as_bytes());
        Ok(())
    }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    for c in chunks {
        rewriter.write(c).ok()?;
    }
    rewriter.end().ok()?;
    let mut state = state.borrow_mut();
    Some(state.finish(fallback_url))
}

/// An element's start tag (and, for an element in the article or the `<title>`, its end).
fn start(state: &Rc<RefCell<State>>, el: &mut Element) {
    let mut tag = el.tag_name();
    tag.make_ascii_lowercase();
    let can_have_content = el.can_have_content();
    let track = state.borrow_mut().start_tag(&tag, can_have_content, &*el);
    if track == 0 {
        return;
    }
    if let Some(handlers) = el.end_tag_handlers() {
        let state = state.clone();
        handlers.push(Box::new(move |_end| {
            let mut s = state.borrow_mut();
            s.flush();
            s.end(&tag);
            Ok(())
        }));
    }
}
