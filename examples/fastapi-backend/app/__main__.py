"""`python -m app [--host H] [--port P]`: serve the backend with uvicorn.

`python -m app index [--corpus FILE] [--index FILE]`: build the corpus's FTS5 index into a file
(CHATKIT_CORPUS, CHATKIT_CORPUS_INDEX), which the server reuses at start-up while the corpus is
unchanged. `python -m app search QUESTION [--lang L] [--page PATH]`: the passages a question finds.
"""

from __future__ import annotations

import argparse
import os
import sys


def index_main(argv: list[str]) -> None:
    from .retrieval import CorpusError, Index

    parser = argparse.ArgumentParser(prog="python -m app index", description="Build the corpus index.")
    parser.add_argument("--corpus", default=os.environ.get("CHATKIT_CORPUS", ""))
    parser.add_argument("--index", default=os.environ.get("CHATKIT_CORPUS_INDEX", ""))
    args = parser.parse_args(argv)
    if not args.corpus or not args.index:
        parser.error("needs --corpus and --index (or CHATKIT_CORPUS and CHATKIT_CORPUS_INDEX)")
    try:
        index = Index.open(args.corpus, args.index)
    except CorpusError as exc:
        raise SystemExit(f"python -m app index: {exc}") from None
    print(f"{args.index}: {index.size} passages from {args.corpus}")
    index.close()


def search_main(argv: list[str]) -> None:
    from .retrieval import CorpusError, Index

    parser = argparse.ArgumentParser(prog="python -m app search", description="Search the corpus.")
    parser.add_argument("question")
    parser.add_argument("--corpus", default=os.environ.get("CHATKIT_CORPUS", ""))
    parser.add_argument("--index", default=os.environ.get("CHATKIT_CORPUS_INDEX", "") or None)
    parser.add_argument("--lang", default="")
    parser.add_argument("--page", default="")
    parser.add_argument("-n", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.corpus:
        parser.error("needs --corpus (or CHATKIT_CORPUS)")
    try:
        index = Index.open(args.corpus, args.index)
    except CorpusError as exc:
        raise SystemExit(f"python -m app search: {exc}") from None
    for p in index.search(args.question, args.lang, args.page, args.n):
        print(f"{p.score:8.3f}  {p.lang:5}  {p.url}  ({p.label})")


def main() -> None:
    if sys.argv[1:2] == ["index"]:
        return index_main(sys.argv[2:])
    if sys.argv[1:2] == ["search"]:
        return search_main(sys.argv[2:])
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("CHATKIT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CHATKIT_PORT", "8000")))
    parser.add_argument("--log-level", default=os.environ.get("CHATKIT_LOG_LEVEL", "info"))
    args = parser.parse_args()
    # The client address comes from CHATKIT_TRUSTED_PROXY_HEADER only (ratelimit.py), so uvicorn
    # must not rewrite it from X-Forwarded-For on its own.
    uvicorn.run("app.main:app", host=args.host, port=args.port, log_level=args.log_level, proxy_headers=False)


if __name__ == "__main__":
    main()
