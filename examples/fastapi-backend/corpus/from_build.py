"""Write a retrieval corpus (JSON Lines) from a built Docusaurus site.

    python corpus/from_build.py BUILD_DIR [-o corpus.jsonl] [--base-url /]

The reference for the format that `chatkit-inject --corpus` will write (see README.md, "Answers
from the book"): one record per section of a page's main content, split at h2/h3 headings and
sized for retrieval (sections longer than about 1,600 characters are cut at paragraph bounds):

    {"url": "/docs/intro#getting-started", "title": "Tutorial Intro",
     "headings": ["Tutorial Intro", "Getting Started"], "lang": "en", "position": 1,
     "text": "Get started by creating a new site. ..."}

Pages read: docs (`docs-doc-page` with a Markdown body), blog posts (`blog-post-page`) and
Markdown pages (`mdx-page`); lists, tag and author pages, generated category indexes, 404 pages
and redirect stubs give no records. Only the `<article>` is read, without breadcrumbs, the mobile
table of contents, the post header (dates, authors), buttons, icons and the footer. Records are
sorted by URL path, then position: the same build gives the same bytes.

Standard library only (html.parser).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

# A section's text is cut into pieces of at most this many characters (at paragraph bounds when
# possible), so that a record is about 1-2 KB with its other fields.
MAX_CHARS = 1600
# The longest title or heading a record repeats: every record carries its page's title and
# heading path, so an unbounded heading would make the corpus grow with the square of a hostile
# page's size. Longer ones are cut, ending in "…" (as chatkit-inject --corpus does).
MAX_HEADING_CHARS = 200

CONTENT_PAGES = ("docs-doc-page", "blog-post-page", "mdx-page")
SKIP_TAGS = {"nav", "footer", "button", "svg", "script", "style", "template", "noscript"}
SKIP_CLASSES = {"hash-link", "theme-doc-toc-mobile", "theme-doc-breadcrumbs", "theme-doc-version-badge"}
BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "pre", "table", "tr", "blockquote", "section", "details",
    "summary", "dl", "dt", "dd", "br", "hr", "figure", "figcaption", "h4", "h5", "h6",
}  # fmt: skip
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Page(HTMLParser):
    """One page: its lang, title, canonical URL and article text cut into sections."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.html_classes: list[str] = []
        self.doc_title = ""
        self.canonical = ""
        self.refresh = False
        self.markdown = False  # the article holds a Markdown body (class "markdown")
        self.h1 = ""
        # [(level, heading text, anchor, [text pieces])]; level 1 is the page's lead section.
        self.sections: list[tuple[int, str, str, list[str]]] = [(1, "", "", [])]
        self._stack: list[tuple[str, bool]] = []  # (tag, skipped) of open elements in the article
        self._skip = 0
        self._in_article = 0
        self._article_seen = 0  # only the first article is read
        self._in_title = False
        self._heading: tuple[int, str, list[str]] | None = None  # (level, id, text)
        self._header_depth = 0

    # -- parsing ------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "").strip()
            self.html_classes = a.get("class", "").split()
        elif tag == "title" and not self.doc_title:
            self._in_title = True
        elif tag == "link" and "canonical" in a.get("rel", "").split() and not self.canonical:
            self.canonical = a.get("href", "")
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.refresh = True
        if tag == "article" and not self._in_article and not self._article_seen:
            self._in_article = self._article_seen = 1
            self._stack = []
            return
        if not self._in_article:
            return
        classes = set(a.get("class", "").split())
        if "markdown" in classes:
            self.markdown = True
        skipped = tag in SKIP_TAGS or bool(classes & SKIP_CLASSES)
        if tag == "header":
            self._header_depth += 1
        if tag in VOID_TAGS:
            if tag in ("br", "hr") and not self._skip:
                self._text("\n")
            return
        self._stack.append((tag, skipped))
        if skipped:
            self._skip += 1
            return
        if self._skip:
            return
        if tag in ("h1", "h2", "h3"):
            self._heading = (int(tag[1]), a.get("id", ""), [])
        elif self._header_depth and tag != "header":
            # The post header (dates, authors, reading time) is not content; its h1 is the title.
            self._skip += 1
            self._stack[-1] = (tag, True)
        elif tag in BLOCK_TAGS:
            self._text("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._in_title and tag == "title":
            self._in_title = False
        if not self._in_article:
            return
        if tag == "article" and not any(t == "article" for t, _ in self._stack):
            self._in_article = 0
            return
        if tag in VOID_TAGS or not any(t == tag for t, _ in self._stack):
            return
        while self._stack:  # close unclosed children too (<p>, <li> without end tags)
            open_tag, skipped = self._stack.pop()
            if skipped:
                self._skip -= 1
            if open_tag == "header":
                self._header_depth -= 1
            if open_tag in ("h1", "h2", "h3") and self._heading and not skipped and not self._skip:
                self._close_heading()
            elif open_tag in BLOCK_TAGS and not self._skip:
                self._text("\n")
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.doc_title += data
        elif self._in_article and not self._skip:
            if self._heading:
                self._heading[2].append(data)
            else:
                self._text(data)

    def _text(self, data: str) -> None:
        self.sections[-1][3].append(data)

    def _close_heading(self) -> None:
        level, anchor, parts = self._heading
        self._heading = None
        text = " ".join("".join(parts).replace("\u200b", "").split())
        if level == 1:
            self.h1 = self.h1 or text
        else:
            self.sections.append((level, text, anchor, []))

    # -- records ------------------------------------------------------------------------------
    def is_content(self) -> bool:
        if self.refresh or not self.lang:
            return False
        kinds = set(self.html_classes)
        if "mdx-page" in kinds:
            return True
        return bool(kinds & set(CONTENT_PAGES)) and self.markdown

    def title(self) -> str:
        if self.h1:
            return self.h1
        return " ".join(self.doc_title.split()).split(" | ")[0]

    def records(self, page_url: str) -> list[dict]:
        title = heading_label(self.title())
        out: list[tuple[str, list[str], str]] = []
        path: list[str] = [title]  # the heading path: h1, then the current h2, then h3
        for level, heading, anchor, parts in self.sections:
            if level == 2:
                path = [title, heading_label(heading)]
            elif level == 3:
                path = path[:2] + [heading_label(heading)]
            text = clean("".join(parts))
            if not text:
                continue
            url = page_url + (f"#{anchor}" if anchor else "")
            for piece in cut(text, MAX_CHARS):
                out.append((url, list(path), piece))
        return [
            {"url": u, "title": title, "headings": h, "lang": self.lang, "position": n, "text": t}
            for n, (u, h, t) in enumerate(out)
        ]


def heading_label(heading: str) -> str:
    """`heading`, or its first MAX_HEADING_CHARS - 1 characters and "…" when it is longer."""
    if len(heading) <= MAX_HEADING_CHARS:
        return heading
    return heading[: MAX_HEADING_CHARS - 1].rstrip(" ") + "…"


def clean(text: str) -> str:
    """Spaces collapsed within lines, blank lines dropped: paragraphs become lines."""
    lines = (" ".join(line.replace("\u200b", "").split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def cut(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut after a line (else a space) if possible."""
    pieces = []
    while len(text) > limit:
        at = text.rfind("\n", 0, limit)
        if at < limit // 3:
            at = text.rfind(" ", 0, limit)
        if at < limit // 3:
            at = limit
        pieces.append(text[:at].strip())
        text = text[at:].strip()
    if text:
        pieces.append(text)
    return pieces


def page_url(build: Path, file: Path, canonical: str, base_url: str) -> str:
    """The page's public path: from its canonical link (baseUrl and trailing slash as built),
    else from its place in the build under `base_url`."""
    if canonical:
        path = urlsplit(canonical).path
        if path.startswith("/"):
            return path
    rel = file.relative_to(build).as_posix()
    rel = rel[: -len("index.html")] if rel.endswith("index.html") else rel[: -len(".html")]
    return "/" + base_url.strip("/") + ("/" if base_url.strip("/") else "") + rel


def corpus(build: Path, base_url: str = "/") -> list[dict]:
    records = []
    for root, dirs, files in os.walk(build):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".html"):
                continue
            file = Path(root, name)
            page = Page()
            page.feed(file.read_text(encoding="utf-8", errors="replace"))
            page.close()
            if page.is_content():
                records.extend(page.records(page_url(build, file, page.canonical, base_url)))
    # Sorted by the page's URL, then the record's position within it.
    records.sort(key=lambda r: (r["url"].split("#")[0], r["position"]))
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", type=Path, help="the built site (Docusaurus build/ folder)")
    parser.add_argument("-o", "--output", help="the JSON Lines file to write (default: standard output)")
    parser.add_argument(
        "--base-url", default="/", help="the site's baseUrl, for pages without a canonical link"
    )
    args = parser.parse_args(argv)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus(args.build, args.base_url))
    if args.output:
        tmp = Path(args.output + ".tmp")
        tmp.write_text(lines, encoding="utf-8")
        os.replace(tmp, args.output)
    else:
        sys.stdout.write(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
