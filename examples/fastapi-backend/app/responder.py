"""The offline responder: a deterministic reply built from the page and the conversation.

No model, no key, no network. It exists so that the widget and its tests can exercise the real
protocol end to end. The reply shows what a real backend would have to work with: the page the
reader is on (from `X-ChatKit-Page`) and the thread so far (from the store). Replace `compose_reply`
(or `TextbookServer.respond`) with a call to your model to make it real.

With a corpus (CHATKIT_CORPUS), `compose_grounded_reply` answers instead: the passage of the book
that best matches the question, quoted, with its link, and the source links at the end.
"""

from __future__ import annotations

import re

from .context import PageContext
from .retrieval import Passage, link_target, link_text, sources_block

# Long enough to be useful, short enough that a 5,000-character question streams quickly.
_QUOTE_LIMIT = 160

_LONG_REPLY_TRIGGER = re.compile(r"\blongreply\b", re.IGNORECASE)


def quote(text: str, limit: int = _QUOTE_LIMIT) -> str:
    """One line, at most `limit` characters, safe inside a Markdown paragraph."""
    flat = " ".join(text.split()).replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def compose_reply(question: str, asked: int, first: str, page: PageContext | None) -> str:
    """The whole answer to `question`, the reader's `asked`-th in this thread (`first` the first)."""
    if page and (page.title or page.path):
        where = f'You are reading "{quote(page.title or page.path, 120)}"'
        if page.path:
            where += f" ({quote(page.path, 120)})"
        if page.lang:
            where += f", language {quote(page.lang, 20)}"
        where += "."
    else:
        where = "I could not tell which page you are reading."

    asked = max(asked, 1)
    first = first or question
    history = (
        f'You asked {asked} question{"s" if asked != 1 else ""} so far; your first was: "{quote(first)}".'
    )
    lines = sum(1 for _ in question.splitlines()) or 1
    echo = (
        f'This is the offline reference backend, so I can only echo your question: "{quote(question)}" '
        f"({len(question)} characters, {lines} line{'s' if lines != 1 else ''})."
    )
    reply = f"{where} {history}\n\n{echo}"
    if _LONG_REPLY_TRIGGER.search(question):
        reply += "\n\n" + long_reply()
    return reply


def long_reply(paragraphs: int = 8) -> str:
    """A long multi-paragraph answer (for scrolling tests), numbered so order is visible."""
    sentence = (
        "This paragraph is filler text that makes the answer tall enough to scroll, "
        "so the panel must keep the newest words in view while they stream in."
    )
    return "\n\n".join(f"Paragraph {n} of {paragraphs}. {sentence}" for n in range(1, paragraphs + 1))


def words(text: str) -> list[str]:
    """Split into streamable chunks (a word and the whitespace after it); they join back to `text`."""
    leading = re.match(r"\s*", text).group(0)
    chunks = re.findall(r"\S+\s*", text)
    if leading and chunks:
        chunks[0] = leading + chunks[0]
    return chunks or ([text] if text else [])


# -- answers from the book (a corpus is configured: retrieval.py) ------------------------------

# The quoted passage: whole lines up to about this many characters.
_PASSAGE_LIMIT = 700
_MARKDOWN_LEAD = re.compile(r"^(\s*)(#|>|[-*+_]|~~~|=|\||:::)")
_ORDERED_LEAD = re.compile(r"^(\s*\d+)([.)])")


def quote_block(text: str, limit: int = _PASSAGE_LIMIT) -> str:
    """`text` as a Markdown block quote, each line kept literal (no heading, list or code fence)."""
    lines, size = [], 0
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        if size + len(line) > limit:
            if not lines:
                lines.append(quote(line, limit))
            else:
                lines.append("…")
            break
        size += len(line)
        lines.append(line)
    escaped = [
        _ORDERED_LEAD.sub(
            r"\1\\\2", _MARKDOWN_LEAD.sub(r"\1\\\2", line.replace("`", "'").replace("<", "\\<"))
        )
        for line in lines
    ]
    return "\n".join("> " + line + "  " for line in escaped).rstrip()


def compose_grounded_reply(question: str, passages: list[Passage]) -> str:
    """The extractive answer: the best passage, quoted, with its link; then the source links."""
    if not passages:
        return (
            f'I found nothing in the book about "{quote(question)}". '
            "Try other words, or a term the book uses."
        )
    best = passages[0]
    intro = f"From [{link_text(best.label)}]({link_target(best.url)}):"
    return f"{intro}\n\n{quote_block(best.text)}\n\n{sources_block(passages)}"
