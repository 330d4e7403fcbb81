"""Retrieval quality on a question set: hit@1 and hit@3 of the pages an offline reply cites.

    python corpus/evaluate.py [--corpus corpus/fixture-site.jsonl] [--questions corpus/questions.jsonl]

Each question (JSON Lines) has `question`, `expected` (the page URLs that answer it, without
anchors), and optionally `lang` (the reader's locale) and `page` (the page the reader is on). The
question goes through the same path as a reader's message: the corpus index, then the offline
grounded reply; the links of its closing "Sources:" list are the cited pages. hit@1: the first
cited page is an expected one; hit@3: one of the first three is.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from app.responder import compose_grounded_reply  # noqa: E402
from app.retrieval import Index, page_path  # noqa: E402

_SOURCE = re.compile(r"^- \[.*\]\((.+)\)$")


def cited_pages(reply: str) -> list[str]:
    """The pages (paths without anchors) linked in the reply's closing "Sources:" list, in order."""
    _, _, block = reply.rpartition("\nSources:\n")
    pages: list[str] = []
    for line in block.splitlines():
        m = _SOURCE.match(line)
        if m and page_path(m.group(1)) not in pages:
            pages.append(page_path(m.group(1)))
    return pages


@dataclass
class Result:
    questions: int
    hit1: float
    hit3: float
    misses: list[tuple[str, list[str], list[str]]]  # question, expected, cited


def evaluate(corpus: Path, questions: Path, passages: int = 3) -> Result:
    index = Index.open(corpus)
    try:
        rows = [
            json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        hit1 = hit3 = 0
        misses = []
        for q in rows:
            expected = [page_path(u) for u in q["expected"]]
            found = index.search(q["question"], q.get("lang", ""), q.get("page", ""), passages)
            cited = cited_pages(compose_grounded_reply(q["question"], found))
            hit1 += bool(cited[:1]) and cited[0] in expected
            hit3 += any(c in expected for c in cited[:3])
            if not cited[:1] or cited[0] not in expected:
                misses.append((q["question"], expected, cited))
    finally:
        index.close()
    n = len(rows)
    return Result(n, hit1 / n if n else 0.0, hit3 / n if n else 0.0, misses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=HERE / "fixture-site.jsonl")
    parser.add_argument("--questions", type=Path, default=HERE / "questions.jsonl")
    args = parser.parse_args(argv)
    result = evaluate(args.corpus, args.questions)
    for question, expected, cited in result.misses:
        print(f"miss@1: {question!r}\n  expected {expected}\n  cited    {cited}")
    print(f"questions: {result.questions}  hit@1: {result.hit1:.3f}  hit@3: {result.hit3:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
