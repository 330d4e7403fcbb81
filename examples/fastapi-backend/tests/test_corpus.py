"""corpus/from_build.py: a built Docusaurus site into the corpus's JSON Lines records."""

from __future__ import annotations

import json
from pathlib import Path

import from_build
import pytest

BACKEND_DIR = Path(__file__).resolve().parents[1]
FIXTURE_SITE = BACKEND_DIR.parents[1] / "fixtures" / "site"
FIXTURE_CORPUS = BACKEND_DIR / "corpus" / "fixture-site.jsonl"

DOC = """<!doctype html><html lang=fr-CA class="docs-wrapper docs-doc-page"><head>
<title>Boucles | Cours</title><link rel=canonical href=https://example.org/cours/docs/boucles></head>
<body><nav class=navbar><a href=/>Accueil du site</a></nav><aside>Barre latérale</aside>
<main><article><nav class=theme-doc-breadcrumbs>Fil d'Ariane</nav>
<div class="theme-doc-toc-mobile"><button>Sur cette page</button></div>
<div class="theme-doc-markdown markdown"><header><h1>Les boucles</h1></header>
<p>Une boucle répète un bloc.
<h2 id=pour>La boucle <code>for</code><a href=#pour class=hash-link>&#8203;</a></h2>
<p>Elle parcourt une liste.</p><div class=codeBlockContainer><pre><code>
<div class=token-line>for x in xs:</div>
<div class=token-line>    print(x)</div></code></pre><button>Copier</button></div>
<h3 id=imbriquees>Boucles imbriquées</h3><ul><li>une<li>deux</ul>
<h2 id=tant-que>Tant que</h2><p>Elle teste &amp; répète.</p></div>
<footer class=theme-doc-footer>Modifier cette page</footer></article>
<nav class=pagination-nav>Suivant</nav></main><footer>Pied de page</footer></body></html>"""


def page(html: str, url: str = "/x") -> list[dict]:
    parsed = from_build.Page()
    parsed.feed(html)
    parsed.close()
    return parsed.records(url) if parsed.is_content() else []


def test_a_doc_is_split_at_h2_and_h3_with_heading_paths_and_anchors():
    records = page(DOC, "/cours/docs/boucles")
    assert [(r["url"], r["headings"], r["position"]) for r in records] == [
        ("/cours/docs/boucles", ["Les boucles"], 0),
        ("/cours/docs/boucles#pour", ["Les boucles", "La boucle for"], 1),
        ("/cours/docs/boucles#imbriquees", ["Les boucles", "La boucle for", "Boucles imbriquées"], 2),
        ("/cours/docs/boucles#tant-que", ["Les boucles", "Tant que"], 3),
    ]
    assert {r["lang"] for r in records} == {"fr-CA"} and {r["title"] for r in records} == {"Les boucles"}
    assert [r["text"] for r in records] == [
        "Une boucle répète un bloc.",
        "Elle parcourt une liste.\nfor x in xs:\nprint(x)",
        "une\ndeux",
        "Elle teste & répète.",
    ]
    assert list(records[0]) == ["url", "title", "headings", "lang", "position", "text"]


def test_only_the_article_body_is_read():
    text = json.dumps(page(DOC), ensure_ascii=False)
    for chrome in (
        "Accueil",
        "latérale",
        "Ariane",
        "Sur cette page",
        "Copier",
        "Modifier",
        "Suivant",
        "Pied",
    ):
        assert chrome not in text
    assert "\u200b" not in text


def test_huge_headings_are_cut_so_the_corpus_stays_linear_in_the_page():
    huge = "word " * 8000
    text = f"<p>{'x' * 1000}</p>\n" * 80
    html = (
        "<html lang=en class=docs-doc-page><head><title>T</title></head><body><article><div class=markdown>"
        f"<header><h1>{huge}</h1></header><h2 id=a>{huge}</h2>{text}"
        "<h3 id=b>Sub</h3><p>end</p></div></article></body></html>"
    )
    records = page(html)
    cut = ("word " * 40).rstrip() + "…"
    assert len(cut) == from_build.MAX_HEADING_CHARS
    assert len(records) >= 40
    assert all(r["title"] == cut and r["headings"][:2] == [cut, cut] for r in records)
    assert records[-1]["headings"][2] == "Sub"
    assert sum(len(json.dumps(r, ensure_ascii=False)) for r in records) < 2 * len(html)
    assert from_build.heading_label("h" * from_build.MAX_HEADING_CHARS) == "h" * from_build.MAX_HEADING_CHARS


def test_a_long_section_is_cut_at_line_bounds_under_the_limit():
    lines = "".join(f"<p>Line {n} " + "word " * 30 + "</p>" for n in range(60))
    html = DOC.replace("<p>Elle teste &amp; répète.</p>", lines)
    records = [r for r in page(html) if r["url"].endswith("#tant-que")]
    assert len(records) > 3
    assert all(len(r["text"]) <= from_build.MAX_CHARS for r in records)
    assert all(r["text"].startswith("Line ") for r in records)
    positions = [r["position"] for r in records]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


@pytest.mark.parametrize(
    "html",
    [
        '<html><head><meta http-equiv="refresh" content="0; url=/docs/intro"></head></html>',
        "<html lang=en class='blog-wrapper blog-list-page'><article><div class=markdown><p>x</div></article>",
        "<html lang=en class='docs-wrapper docs-doc-page'><article><h1>Category</h1><p>3 items</article>",
        "<html lang=en class='plugin-native'><main><h1>Page Not Found</h1></main></html>",
    ],
    ids=["redirect", "blog-list", "generated-index", "404"],
)
def test_pages_without_content_give_no_records(html):
    assert page(html) == []


def test_page_url_comes_from_the_canonical_link_else_the_build_path(tmp_path):
    build = tmp_path
    assert from_build.page_url(build, build / "a/b/index.html", "https://x.org/base/a/b", "/") == "/base/a/b"
    assert from_build.page_url(build, build / "a/b/index.html", "", "/base/") == "/base/a/b/"
    assert from_build.page_url(build, build / "a/c.html", "", "/") == "/a/c"


@pytest.mark.skipif(not FIXTURE_SITE.is_dir(), reason="fixtures/site is not in this checkout")
def test_the_committed_fixture_corpus_is_what_the_script_writes(tmp_path):
    out = tmp_path / "corpus.jsonl"
    assert from_build.main([str(FIXTURE_SITE), "-o", str(out)]) == 0
    assert out.read_bytes() == FIXTURE_CORPUS.read_bytes()


def test_the_fixture_corpus_is_sorted_and_sized():
    records = [json.loads(line) for line in FIXTURE_CORPUS.read_text(encoding="utf-8").splitlines()]
    keys = [(r["url"].split("#")[0], r["position"]) for r in records]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert all(len(json.dumps(r, ensure_ascii=False).encode()) < 2500 for r in records)
    pages = {r["url"].split("#")[0] for r in records}
    assert "/docs/intro" in pages and "/fr/docs/intro" in pages and "/blog/welcome" in pages
    assert not any(p.startswith(("/blog/tags", "/blog/authors", "/docs/category")) for p in pages)
    assert "/docs/getting-started" not in pages  # a redirect stub
    assert "/blog" not in pages and "/" not in pages
    text = " ".join(r["text"] for r in records)
    assert "Edit this page" not in text and "On this page" not in text
