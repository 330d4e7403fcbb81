"""Fidelity checker: how much of each page did an injector change, other than what it injected?

For every page of the rewritten tree, the injected elements (every element carrying the
`data-chatkit-inject` marker, however the tool serialised it) are cut out, and what remains is
compared with the original page byte for byte. It also checks that the widget went in exactly
once and, where the rest of the page is untouched, that the body markup sits just before the
page's real `</body>` end tag (not one inside a script string or a comment).

Bytes changed are counted with a token diff (tags and text runs) on a fixed sample of the changed
pages, as re-serialising a page changes it in many small places; pages changed is exact.

    python3 bench/fidelity.py ORIGINAL_DIR REWRITTEN_DIR [--snippets SNIPPETS.json]
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, asdict
from html.parser import HTMLParser
from pathlib import Path

MARKER = b"data-chatkit-inject"
# Elements carrying the marker attribute. The JSON in the config script cannot contain `</script`
# (the CLI escapes `<` as \u003c), so the lazy match ends at the script's own end tag.
MARKED = re.compile(
    rb"<link\b[^>]*\bdata-chatkit-inject\b[^>]*>"
    rb"|<script\b[^>]*\bdata-chatkit-inject\b[^>]*>.*?</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
TOKEN = re.compile(rb"<[^>]*>|[^<]+|<", re.DOTALL)
WORD = re.compile(rb"\w+|\s+|[^\w\s]+")
SAMPLE = 200


@dataclass
class PageResult:
    changed: bool = False
    changed_bytes: int | None = None  # only for sampled changed pages
    marked: int = 0  # injected elements found
    misplaced: bool = False
    exact_snippets: bool = False


@dataclass
class Summary:
    pages: int = 0
    changed_pages: int = 0
    sampled_changed: int = 0
    sampled_changed_bytes: int = 0
    missing: int = 0  # pages without exactly one link and two scripts
    misplaced: int = 0
    exact_snippets: int = 0
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def html_pages(root: Path) -> list[str]:
    pages = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.lower().endswith(".html"):
                pages.append(os.path.relpath(os.path.join(dirpath, name), root))
    return pages


def strip_marked(page: bytes) -> tuple[bytes, list[tuple[int, bytes]]]:
    """The page without the marked elements, and each cut element with its offset in the result."""
    out = []
    cuts = []
    last = 0
    removed = 0
    for m in MARKED.finditer(page):
        out.append(page[last : m.start()])
        cuts.append((m.start() - removed, m.group(0)))
        removed += m.end() - m.start()
        last = m.end()
    out.append(page[last:])
    return b"".join(out), cuts


class _BodyEnd(HTMLParser):
    """Finds the offset of the first real `</body>` end tag (not in a script, style or comment)."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.found: tuple[int, int] | None = None
        self.feed(text)

    def handle_endtag(self, tag):
        if tag == "body" and self.found is None:
            self.found = self.getpos()


def real_body_end(page: bytes) -> int | None:
    """Byte offset of the real `</body>`, or None when the page has none (the body is implied)."""
    lower = page.lower()
    first = lower.find(b"</body")
    if first < 0:
        return None
    before = lower[:first]
    in_script = b"<script" in before.rsplit(b"</script", 1)[-1]
    in_comment = b"<!--" in before.rsplit(b"-->", 1)[-1]
    if lower.find(b"</body", first + 1) < 0 and not in_script and not in_comment:
        return first  # the common case, without a parse
    text = page.decode("utf-8", "surrogateescape")
    found = _BodyEnd(text).found
    if found is None:
        return None
    line, col = found
    lines = text.split("\n")
    char_offset = sum(len(l) + 1 for l in lines[: line - 1]) + col
    return len(text[:char_offset].encode("utf-8", "surrogateescape"))


def token_diff_bytes(a: bytes, b: bytes) -> int:
    """About how many bytes differ between two versions of a page. A diff over tags and text
    runs finds the regions that differ; inside each region a diff over words, spaces and
    punctuation runs counts the bytes actually changed (so `a=b` becoming `a="b"` counts 2, not
    the whole tag). Regions over 32 KB count whole, to bound the time."""
    ta = TOKEN.findall(a)
    tb = TOKEN.findall(b)
    changed = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb).get_opcodes():
        if op == "equal":
            continue
        sa = b"".join(ta[i1:i2])
        sb = b"".join(tb[j1:j2])
        if not sa or not sb or len(sa) + len(sb) > 32768:
            changed += max(len(sa), len(sb))
            continue
        wa = WORD.findall(sa)
        wb = WORD.findall(sb)
        for op2, k1, k2, l1, l2 in difflib.SequenceMatcher(None, wa, wb).get_opcodes():
            if op2 != "equal":
                changed += _replaced(b"".join(wa[k1:k2]), b"".join(wb[l1:l2]))
    return changed


def _replaced(x: bytes, y: bytes) -> int:
    """Bytes changed when `x` became `y`, not counting what they start or end with in common."""
    n = min(len(x), len(y))
    pre = 0
    while pre < n and x[pre] == y[pre]:
        pre += 1
    suf = 0
    while suf < n - pre and x[-1 - suf] == y[-1 - suf]:
        suf += 1
    return max(len(x), len(y)) - pre - suf


def check_page(orig: bytes, new: bytes, snippets: dict | None, sample: bool) -> PageResult:
    r = PageResult()
    stripped, cuts = strip_marked(new)
    r.marked = len(cuts)
    r.changed = stripped != orig
    if r.changed and sample:
        r.changed_bytes = token_diff_bytes(orig, stripped)
    if snippets is not None and len(cuts) == 3:
        head = snippets["head"].encode()
        body = snippets["body"].encode()
        r.exact_snippets = cuts[0][1] == head and cuts[1][1] + cuts[2][1] == body and cuts[1][0] == cuts[2][0]
    if not r.changed and len(cuts) == 3:
        # The body markup must sit right before the real `</body>` (or at the very end).
        end = real_body_end(orig)
        at = cuts[1][0]
        r.misplaced = at != (end if end is not None else len(orig))
    return r


def _check_one(args) -> tuple[str, PageResult]:
    orig_root, new_root, rel, snippets, sample = args
    orig = Path(orig_root, rel).read_bytes()
    try:
        new = Path(new_root, rel).read_bytes()
    except FileNotFoundError:
        return rel, PageResult(changed=True, changed_bytes=len(orig) if sample else None)
    return rel, check_page(orig, new, snippets, sample)


def check_tree(
    orig_root: Path, new_root: Path, snippets: dict | None = None, jobs: int | None = None, sample: int = SAMPLE
) -> Summary:
    pages = html_pages(orig_root)
    step = max(1, len(pages) // max(1, sample))
    sampled = set(range(0, len(pages), step))
    work = [(str(orig_root), str(new_root), rel, snippets, i in sampled) for i, rel in enumerate(pages)]
    s = Summary(pages=len(pages))
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        for rel, r in pool.map(_check_one, work, chunksize=64):
            if r.changed:
                s.changed_pages += 1
                if r.changed_bytes is not None:
                    s.sampled_changed += 1
                    s.sampled_changed_bytes += r.changed_bytes
                if len(s.examples) < 3:
                    s.examples.append(f"changed: {rel}")
            if r.marked != 3:
                s.missing += 1
                if len(s.examples) < 6:
                    s.examples.append(f"{r.marked} injected elements: {rel}")
            if r.misplaced:
                s.misplaced += 1
                if len(s.examples) < 9:
                    s.examples.append(f"misplaced: {rel}")
            if r.exact_snippets:
                s.exact_snippets += 1
    return s


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("original", type=Path)
    ap.add_argument("rewritten", type=Path)
    ap.add_argument("--snippets", type=Path, help='{"head": ..., "body": ...} as chatkit-inject writes them')
    args = ap.parse_args(argv)
    snippets = json.loads(args.snippets.read_text()) if args.snippets else None
    print(json.dumps(check_tree(args.original, args.rewritten, snippets).as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
