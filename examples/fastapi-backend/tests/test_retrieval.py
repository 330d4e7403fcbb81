"""Answers from the book: the corpus index, its ranking, and the grounded replies (offline and model)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import evaluate
import pytest

from app.__main__ import index_main
from app.config import Settings
from app.context import PageContext, site_origin
from app.model import ModelResponder, instructions
from app.responder import compose_grounded_reply, quote_block
from app.retrieval import (
    CorpusError,
    Index,
    Passage,
    on_site,
    page_path,
    query_terms,
    sources_block,
)

from .conftest import ORIGIN, Reader, assistant_done, create_body, deltas, page_header
from .test_model import ScriptedModel

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
FIXTURE_CORPUS = CORPUS_DIR / "fixture-site.jsonl"
QUESTIONS = CORPUS_DIR / "questions.jsonl"

# The floor under the question set's figures, set from the first measurement (40 questions:
# hit@1 0.875, hit@3 0.975); a change that ranks worse fails here.
HIT1_FLOOR = 0.85
HIT3_FLOOR = 0.95


def record(url: str, text: str, lang: str = "en", title: str = "Page", headings=None, position: int = 0):
    return {
        "url": url,
        "title": title,
        "headings": headings or [title],
        "lang": lang,
        "position": position,
        "text": text,
    }


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path) -> Index:
    records = [
        record("/docs/loops#for", "A for loop repeats a block for each item of a list.", title="Loops"),
        record("/fr/docs/loops#for", "Une boucle for répète un bloc pour chaque item de la liste.", "fr"),
        record("/docs/loops#while", "A while loop repeats a block while a condition holds.", title="Loops"),
        record("/docs/lists", "A list holds items in order; append adds an item.", title="Lists"),
        record("/docs/dicts", "A dict maps keys to values; add an item with a key.", title="Dicts"),
        record("/docs/sets", "Only in English: a set holds unique items.", title="Sets"),
        # An untranslated copy in the French build: the same words as the English page.
        record("/fr/docs/sets", "Only in English: a set holds unique items.", "fr", title="Sets"),
    ]
    index = Index.open(write(tmp_path / "c.jsonl", records))
    yield index
    index.close()


def urls(passages: list[Passage]) -> list[str]:
    return [p.url for p in passages]


def test_query_terms_drop_stopwords_and_repeats():
    assert query_terms("How do I add a while loop, a WHILE loop?") == ["add", "while", "loop"]
    assert query_terms("Comment créer une boucle ?") == ["créer", "boucle"]
    assert query_terms("the of and ?") == []


def test_the_best_passage_comes_first(small):
    assert urls(small.search("while condition", "en"))[0] == "/docs/loops#while"
    assert small.search("nothing matches zebra", "en") == []
    assert small.search("", "en") == [] and small.search("how is it", "en") == []


def test_the_readers_language_is_preferred(small):
    assert urls(small.search("bloc block each item", "en"))[0] == "/docs/loops#for"
    assert urls(small.search("bloc block each item", "fr"))[0] == "/fr/docs/loops#for"
    assert urls(small.search("bloc block each item", "fr-CA"))[0] == "/fr/docs/loops#for"  # primary subtag
    # Nothing in the reader's language matches: the other languages rank as they are.
    assert urls(small.search("while condition", "fr"))[0] == "/docs/loops#while"
    assert urls(small.search("while condition", "de"))[0] == "/docs/loops#while"


def test_an_untranslated_copy_is_cited_once_in_the_readers_language(small):
    assert urls(small.search("unique set", "fr")) == ["/fr/docs/sets"]
    assert urls(small.search("unique set", "en")) == ["/docs/sets"]


def test_the_current_page_gets_a_boost(small):
    # "add an item" matches the lists page and the dicts page about as well.
    plain = urls(small.search("add an item", "en", limit=2))
    assert set(plain) == {"/docs/lists", "/docs/dicts"}
    for here in plain:
        assert urls(small.search("add an item", "en", here, limit=2))[0] == here
        assert urls(small.search("add an item", "en", "https://site.example" + here + "/", 2))[0] == here
    # The boost does not carry a page that does not match at all.
    assert "/docs/loops#while" not in urls(small.search("add an item", "en", "/docs/loops"))


def test_fts_syntax_in_a_question_is_only_words(small):
    syntax = ('"loop', "loop*", "NEAR(while loop)", "while AND OR NOT loop", "col:loop", "^loop -while")
    for question in syntax:
        assert small.search(question, "en")  # no FTS5 syntax error, still finds the loops


def test_page_path_ignores_fragment_query_and_trailing_slash():
    assert page_path("https://x.org/docs/a/?q=1#s") == "/docs/a"
    assert page_path("/docs/a#s") == "/docs/a" and page_path("/") == "/" and page_path("") == "/"


def test_a_bad_corpus_is_refused_with_its_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(record("/a", "ok")) + "\n{not json\n")
    with pytest.raises(CorpusError, match=r"bad.jsonl:2"):
        Index.open(bad)
    bad.write_text(json.dumps({"text": "no url"}) + "\n")
    with pytest.raises(CorpusError, match="url"):
        Index.open(bad)
    with pytest.raises(CorpusError, match="cannot read"):
        Index.open(tmp_path / "missing.jsonl")
    with pytest.raises(SystemExit, match="CHATKIT_CORPUS"):
        Settings_with_corpus = Settings(db_path=":memory:", corpus=str(tmp_path / "missing.jsonl"))
        from app.main import create_app

        create_app(Settings_with_corpus)


def test_the_index_file_is_reused_until_the_corpus_changes(tmp_path, capsys):
    corpus = write(tmp_path / "c.jsonl", [record("/a", "alpha words")])
    db = tmp_path / "index.db"
    index_main(["--corpus", str(corpus), "--index", str(db)])
    assert "1 passages" in capsys.readouterr().out
    built = db.stat().st_mtime_ns
    Index.open(corpus, db).close()
    assert db.stat().st_mtime_ns == built  # same corpus: the file is reused as it is
    write(corpus, [record("/a", "alpha words"), record("/b", "beta words")])
    index = Index.open(corpus, db)
    assert index.size == 2 and urls(index.search("beta")) == ["/b"]
    index.close()


def test_settings_read_the_corpus(monkeypatch):
    monkeypatch.setenv("CHATKIT_CORPUS", "book.jsonl")
    monkeypatch.setenv("CHATKIT_CORPUS_INDEX", "book.db")
    monkeypatch.setenv("CHATKIT_CORPUS_PASSAGES", "5")
    settings = Settings.from_env()
    assert (settings.corpus, settings.corpus_index, settings.corpus_passages) == ("book.jsonl", "book.db", 5)
    monkeypatch.setenv("CHATKIT_CORPUS_PASSAGES", "0")
    with pytest.raises(SystemExit, match="CHATKIT_CORPUS_PASSAGES"):
        Settings.from_env()


# -- the reply ------------------------------------------------------------------------------------

SOURCE_LINE = re.compile(r"^- \[[^\]\n]+\]\([^)\s]+\)$")


def passage(url: str, text: str, headings=("Page", "Section")) -> Passage:
    return Passage(url, headings[0], tuple(headings), "en", 0, text, 1.0)


def test_the_offline_reply_quotes_the_best_passage_and_ends_with_its_sources():
    found = [
        passage("/docs/a#one", "First line.\nSecond line."),
        passage("/docs/b", "Other.", ("B page",)),
        passage("/docs/a#one", "Same section, second piece."),
    ]
    reply = compose_grounded_reply("what?", found)
    head, quoted, sources = reply.split("\n\n")
    assert head == "From [Page › Section](/docs/a#one):"
    assert quoted == "> First line.  \n> Second line."
    lines = sources.splitlines()
    assert lines[0] == "Sources:"
    assert lines[1:] == ["- [Page › Section](/docs/a#one)", "- [B page](/docs/b)"]  # one link per URL
    assert all(SOURCE_LINE.match(line) for line in lines[1:])


def test_nothing_found_says_so_without_sources():
    reply = compose_grounded_reply("zebra?", [])
    assert reply.startswith('I found nothing in the book about "zebra?".') and "Sources" not in reply


def test_quoted_text_stays_literal_markdown():
    text = "# not a heading\n```js\n- not a list\n1. nor this\n<b>tag</b> and `code`\n---\n:::tip"
    block = quote_block(text)
    assert block.splitlines() == [
        "> \\# not a heading  ",
        "> '''js  ",
        "> \\- not a list  ",
        "> 1\\. nor this  ",
        "> \\<b>tag\\</b> and 'code'  ",
        "> \\---  ",
        "> \\:::tip",
    ]
    long = quote_block("\n".join(f"line {n} " + "x" * 90 for n in range(30)))
    assert len(long) < 900 and long.endswith("> …")


def test_link_text_and_targets_are_escaped():
    block = sources_block([passage("/docs/a (old)#x y", "t", ("A [draft]", "*B*"))])
    assert block.splitlines()[1] == "- [A \\[draft\\] › \\*B\\*](/docs/a%20%28old%29#x%20y)"


# -- through the backend ---------------------------------------------------------------------------


@pytest.fixture
def book(make_app):
    return make_app(corpus=str(FIXTURE_CORPUS))


def test_the_backend_answers_from_the_book_with_links(book):
    reader = Reader(book)
    events = reader.stream(
        create_body("How do I add a version dropdown?"), page_header("/docs/intro", "Tutorial Intro")
    )
    text = assistant_done(events)["content"][0]["text"]
    assert "".join(deltas(events)) == text
    assert text.startswith(
        "From [Manage Docs Versions › Add a Version Dropdown]"
        "(/docs/tutorial-extras/manage-docs-versions#add-a-version-dropdown):"
    )
    assert "> To navigate seamlessly across versions, add a version dropdown." in text
    last = text.split("\n\nSources:\n")[1].splitlines()
    assert last[0] == "- [Manage Docs Versions › Add a Version Dropdown]" + (
        "(/docs/tutorial-extras/manage-docs-versions#add-a-version-dropdown)"
    )
    assert all(SOURCE_LINE.match(line) for line in last)


def test_a_french_reader_gets_the_french_pages(book):
    reader = Reader(book)
    events = reader.stream(
        create_body("Comment lancer le serveur de développement ?"),
        page_header("/fr/docs/intro", "Introduction au tutoriel", "fr"),
    )
    text = assistant_done(events)["content"][0]["text"]
    assert text.startswith(
        "From [Introduction au tutoriel › Démarrer votre site](/fr/docs/intro#démarrer-votre-site)"
    )
    sources = text.split("\n\nSources:\n")[1]
    assert "/fr/docs/intro#démarrer-votre-site" in sources and "](/docs/" not in sources


def test_links_are_absolute_on_the_site_that_asks(book):
    # ChatKit shows the reply in a frame on its own origin, where a path would lead to ChatKit's
    # host: from an allowed site (its Origin), every link is a URL on that site.
    reader = Reader(book)
    events = reader.stream(
        create_body("How do I add a version dropdown?"),
        {**page_header("/docs/intro", "Tutorial Intro"), "Origin": ORIGIN},
    )
    text = assistant_done(events)["content"][0]["text"]
    target = f"({ORIGIN}/docs/tutorial-extras/manage-docs-versions#add-a-version-dropdown)"
    assert text.startswith("From [Manage Docs Versions › Add a Version Dropdown]" + target + ":")
    last = text.split("\n\nSources:\n")[1].splitlines()
    assert last[0].endswith(target)
    assert all(f"]({ORIGIN}/" in line for line in last), last
    # An origin that is not allowed, or not an origin, is not used: the links stay paths.
    for origin in ("http://evil.example", "http://localhost:3000/x(y)", "null"):
        events = reader.stream(create_body("How do I add a version dropdown?"), {"Origin": origin})
        text = assistant_done(events)["content"][0]["text"]
        assert "(/docs/tutorial-extras/manage-docs-versions#add-a-version-dropdown)" in text, origin


def test_site_origin_and_on_site():
    assert site_origin("http://localhost:3000", [ORIGIN]) == ORIGIN
    assert site_origin("http://localhost:3000/", [ORIGIN]) == ORIGIN
    assert site_origin("https://book.example.org", ["*"]) == "https://book.example.org"
    assert site_origin("https://[::1]:8443", ["*"]) == "https://[::1]:8443"
    for bad in (None, "", "null", "file://", "javascript:alert(1)", "http://a b", "http://a/(x)"):
        assert site_origin(bad, ["*"]) == "", bad
    assert site_origin("http://other:3000", [ORIGIN]) == ""
    found = [passage("/docs/a#b", "x"), passage("https://elsewhere.example/p", "y"), passage("//cdn/p", "z")]
    assert urls(on_site(found, "https://book.example.org")) == [
        "https://book.example.org/docs/a#b",
        "https://elsewhere.example/p",
        "//cdn/p",
    ]
    assert on_site(found, "") == found


def test_model_mode_gets_the_passages_and_its_reply_ends_with_the_links(make_app):
    client = make_app(corpus=str(FIXTURE_CORPUS))
    model = ScriptedModel(["Add ", "a ", "docsVersionDropdown ", "item."])
    client.app.state.server.model = ModelResponder(model)
    events = Reader(client).stream(
        create_body("How do I add a version dropdown?"), page_header("/docs/intro", "Intro")
    )
    system, _ = model.calls[0]
    assert "Answer from the passages of the textbook below, and only from them." in system
    assert "URL: /docs/tutorial-extras/manage-docs-versions#add-a-version-dropdown" in system
    assert "type: 'docsVersionDropdown'" in system
    text = assistant_done(events)["content"][0]["text"]
    assert text.startswith("Add a docsVersionDropdown item.\n\nSources:\n- [Manage Docs Versions")
    assert "".join(deltas(events)) == text  # the links are streamed too


def test_model_instructions_without_a_corpus_or_a_match():
    assert "passages" not in instructions(PageContext(path="/a", title="A"))
    assert "No passage of the textbook matches" in instructions(None, [])


# -- quality ------------------------------------------------------------------------------------


def test_retrieval_quality_on_the_question_set(capsys):
    result = evaluate.evaluate(FIXTURE_CORPUS, QUESTIONS)
    print(f"questions: {result.questions}  hit@1: {result.hit1:.3f}  hit@3: {result.hit3:.3f}")
    assert result.questions >= 30
    assert result.hit1 >= HIT1_FLOOR and result.hit3 >= HIT3_FLOOR, result.misses


def test_the_evaluation_reads_the_cited_links():
    reply = "From [X](/a#b):\n\n> text\n\nSources:\n- [X](/a#b)\n- [Y](https://s.org/c/#d)\n- [X2](/a#e)"
    assert evaluate.cited_pages(reply) == ["/a", "/c"]
    assert evaluate.cited_pages("no sources") == []
