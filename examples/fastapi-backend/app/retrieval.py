"""Answers from the book: the corpus (JSON Lines) in SQLite FTS5, searched for every message.

The corpus is what `chatkit-inject --corpus FILE` writes (or `corpus/from_build.py`): one record
per section, `{"url", "title", "headings", "lang", "position", "text"}` (README.md, "Answers from
the book"). `Index.open` loads it into an FTS5 table, in memory at start-up or into a file with
`python -m app index` (reused while the corpus is unchanged). `search` ranks passages with BM25
(headings and title weigh more than body text), prefers the reader's language and gives the page
the reader is on a boost. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

# BM25 weights of the indexed columns: title, headings, text.
WEIGHTS = (2.0, 3.0, 1.0)
# Multipliers on a passage's score: in another language than the reader's; on the reader's page.
OTHER_LANGUAGE = 0.3
SAME_PAGE = 1.5
# Candidates read from FTS5 before the language and page adjustments.
CANDIDATES = 50
SCHEMA_VERSION = "1"

# Words too common to help the ranking (English and French); the rest of a question is the query.
STOPWORDS = set(
    """a about an and any are as at be been but by can could do does did for from has have how i if
    in into is it its me my no not of on or our should so than that the their them then there these
    they this to up us was we were what when where which who why will with would you your yours
    au aux avec ce ces comment dans de des du elle en est et il je la le les leur mais me mon ne
    nous on ou par pas pour qu que qui sa se ses son sur ta te tes ton tu un une vos votre vous
    est-ce quel quelle quels quelles peut faire fait""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


class CorpusError(Exception):
    """The corpus file is missing or one of its lines is not a valid record."""


@dataclass(frozen=True)
class Passage:
    url: str
    title: str
    headings: tuple[str, ...]
    lang: str
    position: int
    text: str
    score: float = 0.0

    @property
    def label(self) -> str:
        """The heading path, for a link's text: "Page › Section › Subsection"."""
        parts = [h for h in self.headings if h] or [self.title or self.url]
        return " › ".join(parts)

    @property
    def page(self) -> str:
        return page_path(self.url)


def page_path(url: str) -> str:
    """The path of a URL or path, without fragment, query or trailing slash ("/" stays "/")."""
    path = urlsplit(url).path or "/"
    return path.rstrip("/") or "/"


def primary_language(lang: str) -> str:
    return lang.strip().lower().replace("_", "-").split("-")[0]


def query_terms(question: str) -> list[str]:
    """The question's words, lower-cased, without stopwords and repeats, in order."""
    seen: list[str] = []
    for word in _WORD.findall(question.lower()):
        if word not in STOPWORDS and word not in seen and (len(word) > 1 or word.isdigit()):
            seen.append(word)
    return seen[:32]


def read_records(path: str | os.PathLike) -> list[dict]:
    records = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CorpusError(f"cannot read the corpus {path}: {exc.strerror or exc}") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise CorpusError(f"{path}:{n}: not JSON ({exc})") from None
        if not isinstance(record, dict) or not isinstance(record.get("url"), str) or not record["url"]:
            raise CorpusError(f"{path}:{n}: a record needs a non-empty string url")
        if not isinstance(record.get("text"), str):
            raise CorpusError(f"{path}:{n}: a record needs a string text")
        headings = record.get("headings") or []
        if not isinstance(headings, list) or not all(isinstance(h, str) for h in headings):
            raise CorpusError(f"{path}:{n}: headings must be a list of strings")
        records.append(record)
    return records


def check_fts5() -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.OperationalError:
        raise CorpusError(
            f"this Python's SQLite ({sqlite3.sqlite_version}) has no FTS5; the corpus needs it"
        ) from None
    finally:
        conn.close()


def _build(conn: sqlite3.Connection, records: list[dict], digest: str) -> None:
    conn.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE passages (
            id INTEGER PRIMARY KEY, url TEXT NOT NULL, title TEXT NOT NULL, headings TEXT NOT NULL,
            lang TEXT NOT NULL, position INTEGER NOT NULL, text TEXT NOT NULL);
        CREATE VIRTUAL TABLE passages_fts USING fts5(
            title, headings, text, content='passages', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2');
        """
    )
    rows = []
    for n, r in enumerate(records, start=1):
        position = r.get("position")
        rows.append(
            (
                n,
                r["url"],
                str(r.get("title") or ""),
                json.dumps(r.get("headings") or [], ensure_ascii=False),
                str(r.get("lang") or ""),
                position if isinstance(position, int) else 0,
                r["text"],
            )
        )
    conn.executemany("INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    # The headings column is indexed as plain words, not as JSON.
    conn.executemany(
        "INSERT INTO passages_fts (rowid, title, headings, text) VALUES (?, ?, ?, ?)",
        [(row[0], row[2], " ".join(json.loads(row[3])), row[6]) for row in rows],
    )
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)", [("corpus_sha256", digest), ("schema", SCHEMA_VERSION)]
    )
    conn.commit()


class Index:
    """A searchable corpus. One SQLite connection, used under a lock (searches take milliseconds)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.lock = threading.Lock()
        self.size = conn.execute("SELECT count(*) FROM passages").fetchone()[0]

    @classmethod
    def open(cls, corpus: str | os.PathLike, index_path: str | os.PathLike | None = None) -> "Index":
        """Load `corpus` into FTS5: into `index_path` (reused while the corpus's bytes are the
        same), or into memory when it is None."""
        check_fts5()
        try:
            raw = Path(corpus).read_bytes()
        except OSError as exc:
            raise CorpusError(f"cannot read the corpus {corpus}: {exc.strerror or exc}") from None
        digest = hashlib.sha256(raw).hexdigest()
        if index_path is not None and Path(index_path).exists():
            conn = sqlite3.connect(index_path, check_same_thread=False)
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta"))
                if meta.get("corpus_sha256") == digest and meta.get("schema") == SCHEMA_VERSION:
                    return cls(conn)
            except sqlite3.DatabaseError:
                pass
            conn.close()
        records = read_records(corpus)
        if index_path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            _build(conn, records, digest)
            return cls(conn)
        tmp = Path(f"{index_path}.tmp")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        _build(conn, records, digest)
        conn.close()
        os.replace(tmp, index_path)  # atomic: a running backend never reads half an index
        return cls(sqlite3.connect(index_path, check_same_thread=False))

    def close(self) -> None:
        self.conn.close()

    def search(self, question: str, lang: str = "", page: str = "", limit: int = 3) -> list[Passage]:
        """The `limit` best passages for `question`, best first.

        A passage in another language than `lang` (compared by primary subtag: fr-CA is fr)
        scores OTHER_LANGUAGE times less, unless no passage in `lang` matches at all; a passage of
        the page at path `page` scores SAME_PAGE times more.
        """
        terms = query_terms(question)
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        sql = (
            "SELECT p.url, p.title, p.headings, p.lang, p.position, p.text, "
            "bm25(passages_fts, ?, ?, ?) AS rank "
            "FROM passages_fts JOIN passages p ON p.id = passages_fts.rowid "
            "WHERE passages_fts MATCH ? ORDER BY rank LIMIT ?"
        )
        with self.lock:
            rows = self.conn.execute(sql, (*WEIGHTS, match, CANDIDATES)).fetchall()
        want = primary_language(lang)
        here = page_path(page) if page else ""
        if want and not any(primary_language(r[3]) == want for r in rows):
            want = ""  # nothing in the reader's language: every language is as good
        ranked = []
        for url, title, headings, plang, position, text, rank in rows:
            score = -rank  # FTS5's bm25 is lower-is-better
            if want and primary_language(plang) != want:
                score *= OTHER_LANGUAGE
            if here and page_path(url) == here:
                score *= SAME_PAGE
            ranked.append(Passage(url, title, tuple(json.loads(headings)), plang, position, text, score))
        ranked.sort(key=lambda p: (-p.score, p.url, p.position))
        # An untranslated page of another locale repeats its original word for word: keep one.
        seen: set[tuple[str, tuple[str, ...], str]] = set()
        unique = []
        for p in ranked:
            key = (p.title, p.headings, p.text)
            if key not in seen:
                seen.add(key)
                unique.append(p)
        return unique[:limit]


def on_site(passages: list[Passage], origin: str) -> list[Passage]:
    """The passages with their links made absolute on `origin` ("https://book.example.org").

    The corpus holds paths ("/docs/intro#setup"), so that one build serves any host. ChatKit
    renders a reply inside a frame on its own origin, where a path would lead to ChatKit's host:
    with the reader's site known, a path becomes a URL on that site. Absolute URLs, and every
    link when `origin` is "", are left as they are.
    """
    if not origin:
        return passages
    return [
        replace(p, url=origin + p.url) if p.url.startswith("/") and not p.url.startswith("//") else p
        for p in passages
    ]


def sources(passages: list[Passage]) -> list[Passage]:
    """One passage per URL (the best), in order: the links a reply cites."""
    seen: set[str] = set()
    out = []
    for p in passages:
        if p.url not in seen:
            seen.add(p.url)
            out.append(p)
    return out


def link_text(text: str) -> str:
    """Text safe inside a Markdown link's [brackets]."""
    return re.sub(r"([\[\]\\`*_])", r"\\\1", " ".join(text.split()))


def link_target(url: str) -> str:
    """A URL safe inside a Markdown link's (parentheses): spaces and parentheses escaped."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def sources_block(passages: list[Passage], heading: str = "Sources:") -> str:
    """The closing list of source links, one Markdown link per line."""
    lines = [f"- [{link_text(p.label)}]({link_target(p.url)})" for p in sources(passages)]
    return heading + "\n" + "\n".join(lines) if lines else ""
