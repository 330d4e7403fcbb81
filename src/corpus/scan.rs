//! A scanner of a page's bytes for its text: the HTML tokenizer's states that decide what is a
//! tag, text, a comment or raw text (WHATWG 13.2.5), and the open elements as lol_html keeps
//! them (void elements, self-closing tags in SVG and MathML, an end tag closing every element
//! above the last open one of its name, an end tag with no open element of its name ignored).
//!
//! It replaces a second lol_html rewriter (measured: that pass cost twice the page's rewrite,
//! as its text handlers make lol_html lex every tag and text of the article in full, then
//! serialise each token again for an output nobody reads). It reads the same chunks as the
//! page's rewrite, in the same read, and holds back only an unfinished tag (or the few bytes
//! that may start the end of a comment or raw text) from one chunk to the next.

use std::borrow::Cow;
use std::collections::HashMap;

use memchr::{memchr, memmem};

/// What the scanner reports; see [`Scanner`].
pub(super) trait Handler {
    /// A start tag. Returns how many end-tag callbacks the element wants (lol_html calls one
    /// per handler registered on it) when it can have content.
    fn start(&mut self, tag: &Tag<'_>) -> u8;
    /// The end of an element that asked for it, innermost first when an end tag closes several.
    fn end(&mut self, name: &str);
    /// Whether the next text is wanted at all.
    fn text_wanted(&self) -> bool;
    /// Text as it is in the page (character references not decoded).
    fn text(&mut self, raw: &[u8]);
}

/// A start tag: its lower-cased name and its attributes as they are in the page.
pub(super) struct Tag<'a> {
    pub name: &'a str,
    bytes: &'a [u8],
    attrs: &'a [Attr],
    /// Not void, nor self-closing in SVG or MathML: lol_html keeps it open until an end tag.
    pub can_have_content: bool,
}

#[derive(Clone, Copy)]
struct Attr {
    name: (usize, usize),
    value: (usize, usize),
}

impl<'a> Tag<'a> {
    /// The first attribute of that (lower-case) name, as lol_html's `get_attribute` gives it:
    /// the value as it is in the page (references not decoded).
    pub fn attr(&self, name: &str) -> Option<Cow<'a, str>> {
        let bytes = self.bytes;
        self.attrs
            .iter()
            .find(|a| bytes[a.name.0..a.name.1].eq_ignore_ascii_case(name.as_bytes()))
            .map(|a| String::from_utf8_lossy(&bytes[a.value.0..a.value.1]))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ns {
    Html,
    Svg,
    MathMl,
}

/// Text that ends only at an end tag of the element's name (or never).
/// The script data states of the tokenizer (WHATWG 13.2.5.4 and 13.2.5.15 to 13.2.5.31), as
/// far as they decide where the script ends: after `<!--`, `<script>` starts a double-escaped
/// part in which `</script>` does not end the script.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Data,
    Escaped,
    EscapedDash,
    EscapedDashDash,
    DoubleEscaped,
    DoubleEscapedDash,
    DoubleEscapedDashDash,
}

#[derive(Clone, PartialEq, Eq)]
enum Mode {
    Data,
    /// Raw text, RCDATA or script data: up to `</name` and a delimiter.
    Raw(&'static str),
    /// Script data: up to `</script` and a delimiter, except in its escaped states.
    Script(Script),
    /// `<plaintext>`: the rest of the page.
    Plaintext,
    /// In a comment, up to `-->` (or `--!>`).
    Comment,
    /// In a bogus comment, up to `>`.
    Bogus,
    /// In a CDATA section (foreign content), up to `]]>`.
    Cdata,
}

/// One open element, as lol_html's stack holds it.
struct Open {
    /// Where its name is in `Scanner::names`.
    name: (usize, usize),
    /// End-tag callbacks wanted.
    ends: u8,
}

pub(super) struct Scanner {
    mode: Mode,
    /// Bytes held back from the last chunk (an unfinished tag, or a terminator's first bytes).
    carry: Vec<u8>,
    /// Open elements, their names in one buffer.
    open: Vec<Open>,
    names: String,
    /// Open elements by a hash of their name: most end tags with no open element of their name
    /// (a stray `</x>`) are passed over at once.
    open_by_hash: [u32; 256],
    /// Open elements by name, for the end tags whose hash is taken: an end tag with no open
    /// element of its name is passed over without looking through the stack (which would make
    /// a page of stray end tags under deep nesting quadratic), and one with an open element
    /// looks only at the elements it closes.
    open_by_name: HashMap<Box<str>, u32>,
    /// Where a tag that did not end in the bytes so far is read again: not before the bytes
    /// held back reach this length (twice what they were at the last try), so that a tag of
    /// any length is read a bounded number of times over.
    retry_at: usize,
    /// Bytes scanned and open elements looked at, to hold the scanner to a linear cost in the
    /// tests and the fuzz target.
    #[cfg(any(test, fuzzing))]
    pub(super) work: usize,
    /// The namespace stack of lol_html's tree builder simulator.
    ns: Vec<Ns>,
    attrs: Vec<Attr>,
    name: String,
}

/// The name of an element whose text is raw (no tags in it) in HTML, as lol_html reads it.
fn raw_text(name: &str) -> Option<&'static str> {
    Some(match name {
        "textarea" => "textarea",
        "title" => "title",
        "plaintext" => "plaintext",
        "script" => "script",
        "style" => "style",
        "iframe" => "iframe",
        "xmp" => "xmp",
        "noembed" => "noembed",
        "noframes" => "noframes",
        "noscript" => "noscript",
        _ => return None,
    })
}

/// Elements lol_html never keeps open (in HTML).
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Start tags that end SVG or MathML content.
fn is_breakout(name: &str) -> bool {
    matches!(
        name,
        "b" | "big"
            | "blockquote"
            | "body"
            | "br"
            | "center"
            | "code"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "em"
            | "embed"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "head"
            | "hr"
            | "i"
            | "img"
            | "li"
            | "listing"
            | "menu"
            | "meta"
            | "nobr"
            | "ol"
            | "p"
            | "pre"
            | "ruby"
            | "s"
            | "small"
            | "span"
            | "strong"
            | "strike"
            | "sub"
            | "sup"
            | "table"
            | "tt"
            | "u"
            | "ul"
            | "var"
    )
}

const SVG_HTML_POINTS: [&str; 3] = ["desc", "title", "foreignobject"];
const MATH_TEXT_POINTS: [&str; 5] = ["mi", "mo", "mn", "ms", "mtext"];

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// What scanning a buffer came to.
enum Step {
    /// Consumed this many bytes; go on.
    Go(usize),
    /// The rest needs more bytes.
    More,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            mode: Mode::Data,
            carry: Vec::new(),
            open: Vec::new(),
            names: String::new(),
            open_by_hash: [0; 256],
            open_by_name: HashMap::new(),
            retry_at: 0,
            #[cfg(any(test, fuzzing))]
            work: 0,
            ns: vec![Ns::Html],
            attrs: Vec::new(),
            name: String::new(),
        }
    }
}

impl Scanner {
    /// Scan the next chunk of the page.
    pub fn feed(&mut self, chunk: &[u8], h: &mut impl Handler) {
        if self.mode == Mode::Data
            && self.carry.len() >= 16
            && (memchr(b'>', chunk).is_none() || self.carry.len() + chunk.len() < self.retry_at)
        {
            // What is held back in data is an unfinished tag (other holds are under 9 bytes). A
            // tag cannot end in a chunk without `>`: wait for one instead of reading the tag
            // again from its start at every chunk. And a tag whose quoted values hold `>` is read
            // again only once it has doubled, so that a tag as long as the page, in small
            // chunks, costs a few readings of it, not one per chunk.
            self.carry.extend_from_slice(chunk);
            return;
        }
        if self.carry.is_empty() {
            let used = self.scan(chunk, false, h);
            self.carry.extend_from_slice(&chunk[used..]);
        } else {
            let mut buf = std::mem::take(&mut self.carry);
            buf.extend_from_slice(chunk);
            let used = self.scan(&buf, false, h);
            buf.drain(..used);
            self.carry = buf;
        }
        self.retry_at = 2 * self.carry.len();
    }

    /// The end of the page: what was held back is read as the tokenizer reads it at the end.
    pub fn end(&mut self, h: &mut impl Handler) {
        let buf = std::mem::take(&mut self.carry);
        self.scan(&buf, true, h);
    }

    /// Scan `buf`; returns how many bytes were consumed (all of them when `last`).
    fn scan(&mut self, buf: &[u8], last: bool, h: &mut impl Handler) -> usize {
        #[cfg(any(test, fuzzing))]
        {
            self.work += buf.len();
        }
        let mut at = 0;
        while at < buf.len() {
            let step = match self.mode {
                Mode::Data => self.data(buf, at, last, h),
                Mode::Raw(name) => self.raw(buf, at, name, last, h),
                Mode::Script(state) => self.script(buf, at, state, last, h),
                Mode::Plaintext => {
                    text(h, &buf[at..]);
                    Step::Go(buf.len() - at)
                }
                Mode::Comment => self.until(buf, at, last, comment_end, false, h),
                Mode::Bogus => {
                    self.until(buf, at, last, |r| memchr(b'>', r).map(|i| (i, 1)), false, h)
                }
                Mode::Cdata => self.until(
                    buf,
                    at,
                    last,
                    |r| memmem::find(r, b"]]>").map(|i| (i, 3)),
                    true,
                    h,
                ),
            };
            match step {
                Step::Go(n) => at += n,
                Step::More if last => {
                    // The page ends inside a tag: the tokenizer drops it (the page's rewrite
                    // refuses such a page anyway).
                    return buf.len();
                }
                Step::More => return at,
            }
        }
        at
    }

    /// Up to the end `find` finds, as (where it starts, its length) (the text in between is
    /// text when `is_text`), then data. `find` looks no further than the end it finds, so
    /// reading many comments costs their length, not the rest of the page each.
    fn until(
        &mut self,
        buf: &[u8],
        at: usize,
        last: bool,
        find: impl Fn(&[u8]) -> Option<(usize, usize)>,
        is_text: bool,
        h: &mut impl Handler,
    ) -> Step {
        let rest = &buf[at..];
        let found = find(rest);
        #[cfg(any(test, fuzzing))]
        {
            self.work += found.map_or(rest.len(), |(i, n)| i + n);
        }
        match found {
            Some((i, n)) => {
                if is_text {
                    text(h, &rest[..i]);
                }
                self.mode = Mode::Data;
                Step::Go(i + n)
            }
            None => {
                // Keep what may be the start of the terminator.
                let keep = if last { 0 } else { 3.min(rest.len()) };
                let used = rest.len() - keep;
                if is_text {
                    text(h, &rest[..used]);
                }
                if used == 0 {
                    return if last {
                        Step::Go(rest.len())
                    } else {
                        Step::More
                    };
                }
                Step::Go(used)
            }
        }
    }

    /// Raw text up to `</name` followed by a space, `/` or `>`.
    fn raw(&mut self, buf: &[u8], at: usize, name: &str, last: bool, h: &mut impl Handler) -> Step {
        let rest = &buf[at..];
        let mut from = 0;
        while let Some(i) = memmem::find(&rest[from..], b"</").map(|i| i + from) {
            let after = i + 2 + name.len();
            if after >= rest.len() {
                if last {
                    break;
                }
                // Not enough bytes to tell: hold back from the `</`.
                text(h, &rest[..i]);
                return if i == 0 { Step::More } else { Step::Go(i) };
            }
            if rest[i + 2..after].eq_ignore_ascii_case(name.as_bytes())
                && (is_space(rest[after]) || rest[after] == b'/' || rest[after] == b'>')
            {
                text(h, &rest[..i]);
                self.mode = Mode::Data;
                return Step::Go(i);
            }
            from = i + 1;
        }
        // A `<` at the end may start the end tag.
        let keep = usize::from(!last && rest.last() == Some(&b'<'));
        if keep == rest.len() {
            return Step::More;
        }
        text(h, &rest[..rest.len() - keep]);
        Step::Go(rest.len() - keep)
    }

    /// Script text up to its end tag.
    fn script(
        &mut self,
        buf: &[u8],
        at: usize,
        mut state: Script,
        last: bool,
        h: &mut impl Handler,
    ) -> Step {
        use Script::*;
        let rest = &buf[at..];
        // `</script` and a delimiter, `<script` and a delimiter.
        let names_script = |from: usize| {
            rest.get(from..from + 6)
                .is_some_and(|n| n.eq_ignore_ascii_case(b"script"))
                && rest
                    .get(from + 6)
                    .is_some_and(|b| is_space(*b) || *b == b'/' || *b == b'>')
        };
        let mut i = 0;
        while i < rest.len() {
            let b = rest[i];
            if b == b'<' {
                if rest.len() - i < 10 && !last {
                    // Not enough bytes to tell: hold back from the `<`.
                    text(h, &rest[..i]);
                    self.mode = Mode::Script(state);
                    return if i == 0 { Step::More } else { Step::Go(i) };
                }
                let end_tag = rest.get(i + 1) == Some(&b'/') && names_script(i + 2);
                match state {
                    Data | Escaped | EscapedDash | EscapedDashDash if end_tag => {
                        text(h, &rest[..i]);
                        self.mode = Mode::Data;
                        return Step::Go(i);
                    }
                    Data if rest[i..].starts_with(b"<!--") => {
                        state = EscapedDashDash;
                        i += 4;
                    }
                    Data => i += 1,
                    Escaped | EscapedDash | EscapedDashDash if names_script(i + 1) => {
                        state = DoubleEscaped;
                        i += 8;
                    }
                    Escaped | EscapedDash | EscapedDashDash => {
                        state = Escaped;
                        i += 1;
                    }
                    DoubleEscaped | DoubleEscapedDash | DoubleEscapedDashDash if end_tag => {
                        state = Escaped;
                        i += 9;
                    }
                    DoubleEscaped | DoubleEscapedDash | DoubleEscapedDashDash => {
                        state = DoubleEscaped;
                        i += 1;
                    }
                }
                continue;
            }
            state = match (state, b) {
                (Data, _) => {
                    // Nothing but a `<` matters here.
                    i += memchr(b'<', &rest[i..]).unwrap_or(rest.len() - i);
                    continue;
                }
                (Escaped, b'-') => EscapedDash,
                (EscapedDash, b'-') | (EscapedDashDash, b'-') => EscapedDashDash,
                (EscapedDashDash, b'>') => Data,
                (Escaped | EscapedDash | EscapedDashDash, _) => Escaped,
                (DoubleEscaped, b'-') => DoubleEscapedDash,
                (DoubleEscapedDash, b'-') | (DoubleEscapedDashDash, b'-') => DoubleEscapedDashDash,
                (DoubleEscapedDashDash, b'>') => Data,
                (DoubleEscaped | DoubleEscapedDash | DoubleEscapedDashDash, _) => DoubleEscaped,
            };
            i += 1;
        }
        text(h, rest);
        self.mode = Mode::Script(state);
        Step::Go(rest.len())
    }

    /// Text up to the next tag (or comment), then the tag.
    fn data(&mut self, buf: &[u8], at: usize, last: bool, h: &mut impl Handler) -> Step {
        let rest = &buf[at..];
        let Some(lt) = memchr(b'<', rest) else {
            text(h, rest);
            return Step::Go(rest.len());
        };
        if lt > 0 {
            text(h, &rest[..lt]);
            return Step::Go(lt);
        }
        let Some(&next) = rest.get(1) else {
            if last {
                text(h, rest);
                return Step::Go(rest.len());
            }
            return Step::More;
        };
        match next {
            b if b.is_ascii_alphabetic() => self.tag(buf, at, false, last, h),
            b'/' => match rest.get(2) {
                Some(b) if b.is_ascii_alphabetic() => self.tag(buf, at, true, last, h),
                Some(b'>') => Step::Go(3),
                Some(_) => {
                    self.mode = Mode::Bogus;
                    Step::Go(2)
                }
                None if last => {
                    text(h, rest);
                    Step::Go(rest.len())
                }
                None => Step::More,
            },
            b'!' => {
                if rest.len() < 9 && !last {
                    // Enough to tell `<!--`, `<!-->`, `<!--->` and `<![CDATA[` apart.
                    return Step::More;
                }
                if rest.starts_with(b"<!--") {
                    if rest[4..].starts_with(b">") {
                        return Step::Go(5);
                    }
                    if rest[4..].starts_with(b"->") {
                        return Step::Go(6);
                    }
                    self.mode = Mode::Comment;
                    Step::Go(4)
                } else if rest.starts_with(b"<![CDATA[") && self.ns() != Ns::Html {
                    self.mode = Mode::Cdata;
                    Step::Go(9)
                } else {
                    self.mode = Mode::Bogus;
                    Step::Go(2)
                }
            }
            b'?' => {
                self.mode = Mode::Bogus;
                Step::Go(1)
            }
            _ => {
                text(h, &rest[..1]);
                Step::Go(1)
            }
        }
    }

    fn ns(&self) -> Ns {
        self.ns.last().copied().unwrap_or(Ns::Html)
    }

    /// A start or end tag at `buf[at]` (`<`).
    fn tag(&mut self, buf: &[u8], at: usize, end: bool, last: bool, h: &mut impl Handler) -> Step {
        let Some((len, self_closing)) = self.lex_tag(&buf[at..], if end { 2 } else { 1 }) else {
            return if last {
                Step::Go(buf.len() - at)
            } else {
                Step::More
            };
        };
        let bytes = &buf[at..at + len];
        if end {
            self.end_tag(h);
        } else {
            self.start_tag(bytes, self_closing, h);
        }
        Step::Go(len)
    }

    /// Read a tag from `tag[from..]` (its name's first letter): its name into `self.name`, its
    /// attributes into `self.attrs`. Returns its length and whether it is self-closing, or
    /// `None` when the tag does not end in `tag`.
    fn lex_tag(&mut self, tag: &[u8], from: usize) -> Option<(usize, bool)> {
        let n = tag.len();
        let mut i = from;
        while i < n && !is_space(tag[i]) && tag[i] != b'/' && tag[i] != b'>' {
            i += 1;
        }
        self.name.clear();
        match std::str::from_utf8(&tag[from..i]) {
            Ok(name) => self.name.push_str(name),
            Err(_) => self.name.push_str(&String::from_utf8_lossy(&tag[from..i])),
        }
        self.name.make_ascii_lowercase();
        self.attrs.clear();
        loop {
            while i < n && is_space(tag[i]) {
                i += 1;
            }
            match tag.get(i)? {
                b'>' => return Some((i + 1, false)),
                b'/' => {
                    if *tag.get(i + 1)? == b'>' {
                        return Some((i + 2, true));
                    }
                    i += 1;
                    continue;
                }
                _ => {}
            }
            // An attribute's name (a leading `=` is part of it).
            let start = i;
            i += 1;
            while i < n && !is_space(tag[i]) && !matches!(tag[i], b'/' | b'>' | b'=') {
                i += 1;
            }
            let name = (start, i);
            while i < n && is_space(tag[i]) {
                i += 1;
            }
            if *tag.get(i)? != b'=' {
                self.attrs.push(Attr {
                    name,
                    value: (i, i),
                });
                continue;
            }
            i += 1;
            while i < n && is_space(tag[i]) {
                i += 1;
            }
            let value = match *tag.get(i)? {
                q @ (b'"' | b'\'') => {
                    let len = memchr(q, &tag[i + 1..])?;
                    let v = (i + 1, i + 1 + len);
                    i += len + 2;
                    v
                }
                b'>' => (i, i),
                _ => {
                    let start = i;
                    while i < n && !is_space(tag[i]) && tag[i] != b'>' {
                        i += 1;
                    }
                    (start, i)
                }
            };
            self.attrs.push(Attr { name, value });
        }
    }

    fn start_tag(&mut self, bytes: &[u8], self_closing: bool, h: &mut impl Handler) {
        let name = self.name.as_str();
        // lol_html's tree builder simulator: the namespace the element is in, and whether its
        // text is raw.
        let mut raw = None;
        let ns = self.ns.last().copied().unwrap_or(Ns::Html);
        if name == "svg" {
            self.ns.push(Ns::Svg);
        } else if name == "math" {
            self.ns.push(Ns::MathMl);
        } else if ns != Ns::Html {
            if is_breakout(name)
                || (name == "font"
                    && self.attrs.iter().any(|a| {
                        let n = &bytes[a.name.0..a.name.1];
                        [&b"color"[..], b"size", b"face"]
                            .iter()
                            .any(|w| n.eq_ignore_ascii_case(w))
                    }))
            {
                leave(&mut self.ns);
            } else if !self_closing
                && ((ns == Ns::Svg && SVG_HTML_POINTS.contains(&name))
                    || (ns == Ns::MathMl && MATH_TEXT_POINTS.contains(&name))
                    || (ns == Ns::MathMl
                        && name == "annotation-xml"
                        && self.attrs.iter().any(|a| {
                            bytes[a.name.0..a.name.1].eq_ignore_ascii_case(b"encoding") && {
                                let v = &bytes[a.value.0..a.value.1];
                                v.eq_ignore_ascii_case(b"text/html")
                                    || v.eq_ignore_ascii_case(b"application/xhtml+xml")
                            }
                        })))
            {
                self.ns.push(Ns::Html);
            }
        } else {
            raw = raw_text(name);
        }
        let in_html = self.ns.last() != Some(&Ns::Svg) && self.ns.last() != Some(&Ns::MathMl);
        let can_have_content = if in_html {
            !is_void(name)
        } else {
            !self_closing
        };
        let tag = Tag {
            name,
            bytes,
            attrs: &self.attrs,
            can_have_content,
        };
        let ends = h.start(&tag);
        if can_have_content {
            let from = self.names.len();
            self.names.push_str(name);
            self.open_by_hash[name_hash(name)] += 1;
            match self.open_by_name.get_mut(name) {
                Some(n) => *n += 1,
                None => {
                    self.open_by_name.insert(name.into(), 1);
                }
            }
            self.open.push(Open {
                name: (from, self.names.len()),
                ends,
            });
        }
        match raw {
            Some("plaintext") => self.mode = Mode::Plaintext,
            Some("script") => self.mode = Mode::Script(Script::Data),
            Some(raw) => self.mode = Mode::Raw(raw),
            None => {}
        }
    }

    fn end_tag(&mut self, h: &mut impl Handler) {
        let name = self.name.as_str();
        // The namespace first, as lol_html's simulator sees the end tag.
        let ns = self.ns.last().copied().unwrap_or(Ns::Html);
        if ns == Ns::Html {
            let prev = self.ns.len().checked_sub(2).map(|i| self.ns[i]);
            if (prev == Some(Ns::MathMl)
                && (MATH_TEXT_POINTS.contains(&name) || name == "annotation-xml"))
                || (prev == Some(Ns::Svg) && SVG_HTML_POINTS.contains(&name))
            {
                leave(&mut self.ns);
            }
        } else if (ns == Ns::Svg && name == "svg")
            || (ns == Ns::MathMl && name == "math")
            || name == "p"
            || name == "br"
        {
            leave(&mut self.ns);
        }
        if self.open_by_hash[name_hash(name)] == 0 {
            return;
        }
        if self.open_by_name.get(name).is_none_or(|n| *n == 0) {
            return;
        }
        let names = &self.names;
        let found = self
            .open
            .iter()
            .rposition(|o| &names[o.name.0..o.name.1] == name);
        #[cfg(any(test, fuzzing))]
        {
            self.work += self.open.len() - found.unwrap_or(0);
        }
        let Some(at) = found else {
            return;
        };
        while self.open.len() > at {
            let Some(o) = self.open.pop() else { break };
            let open = &self.names[o.name.0..o.name.1];
            self.open_by_hash[name_hash(open)] -= 1;
            if let Some(n) = self.open_by_name.get_mut(open) {
                *n -= 1;
            }
            for _ in 0..o.ends {
                h.end(&self.names[o.name.0..o.name.1]);
            }
            self.names.truncate(o.name.0);
        }
    }
}

/// Where a comment ends (WHATWG 13.2.5.43 to 13.2.5.52): at the first `--` followed by `>` or
/// `!>`, as (where, length); found in one pass, looking no further than that end.
fn comment_end(rest: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(i) = memmem::find(&rest[from..], b"--").map(|i| i + from) {
        match rest.get(i + 2) {
            Some(b'>') => return Some((i, 3)),
            Some(b'!') if rest.get(i + 3) == Some(&b'>') => return Some((i, 4)),
            _ => from = i + 1,
        }
    }
    None
}

/// A one-byte hash of an element's name.
fn name_hash(name: &str) -> usize {
    let h = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    (h ^ (h >> 8)) as usize & 0xff
}

fn leave(ns: &mut Vec<Ns>) {
    if ns.len() > 1 {
        ns.pop();
    }
}

fn text(h: &mut impl Handler, raw: &[u8]) {
    if h.text_wanted() {
        h.text(raw);
    }
}
