"""Generate a large Docusaurus-like build from the fixture pages, for the benchmark.

The pages of fixtures/site (and fixtures/site-textbook, when it exists) are replicated into a tree
shaped like a textbook with locales, versions, parts and chapters. Page sizes follow a log-normal
mix (median about 42 KB, a long tail up to 2 MB): a page that must be larger than its source gets
its <article> content repeated. Every page's <title> gets its number, so no two pages are equal.
A few pages come from fixtures/edge (a `</body>` inside a script string and a comment; NUL bytes),
the cases where naive string replacement and re-serialising parsers go wrong.

The non-HTML files of the source build (CSS, JS, images) are copied once, so the CLI finds the
site's stylesheet and baseUrl as it would in a real build.

    python3 bench/gen_site.py --pages 10120 --out bench/work/site-10120
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIXTURES = ROOT / "fixtures"

# Sources of pages, in order of preference; the first one that exists gives the assets.
SITE_DIRS = ["site", "site-textbook"]
# Edge pages mixed in, each with its share of the pages.
EDGE_PAGES = {"body-in-script.html": 0.005, "nul-bytes.html": 0.005}

MEDIAN_BYTES = 42_000
SIGMA = 0.8
MAX_BYTES = 2_000_000
VERSIONS = ["", "next/", "2.x/", "1.x/"]


class Template:
    def __init__(self, name: str, data: bytes, weight: float, locale: str = ""):
        self.name = name
        # A page of a locale build references that locale's assets (/fr/assets/...): it is
        # placed under that locale's folder, as Docusaurus does.
        self.locale = locale
        self.data = data
        self.weight = weight
        self.article = article_span(data)
        self._grown: dict[int, bytes] = {}

    def grown(self, target: int) -> bytes:
        """The page, its article content repeated until it is about `target` bytes."""
        if self.article is None or target <= len(self.data) * 1.25:
            return self.data
        start, end = self.article
        inner = self.data[start:end]
        if not inner:
            return self.data
        extra = max(1, round((target - len(self.data)) / len(inner)))
        page = self._grown.get(extra)
        if page is None:
            page = self.data[:end] + inner * extra + self.data[end:]
            self._grown[extra] = page
        return page


def article_span(page: bytes) -> tuple[int, int] | None:
    """Byte range of the content of the page's <article> element (Docusaurus has at most one)."""
    lower = page.lower()
    open_at = lower.find(b"<article")
    if open_at < 0:
        return None
    start = lower.find(b">", open_at) + 1
    end = lower.find(b"</article>", start)
    if start <= 0 or end < 0 or b"<article" in lower[start:end]:
        return None
    return start, end


def load_templates() -> tuple[list[Template], Path | None]:
    templates: list[Template] = []
    asset_root = None
    for d in SITE_DIRS:
        site = FIXTURES / d
        if not site.is_dir():
            continue
        asset_root = asset_root or site
        for p in sorted(site.rglob("*.html")):
            data = p.read_bytes()
            # Docs and blog posts (with an <article>) are most of a textbook's pages.
            weight = 3.0 if article_span(data) else 1.0
            rel = p.relative_to(site)
            locale = f"{rel.parts[0]}/" if (site / rel.parts[0] / "assets").is_dir() else ""
            templates.append(Template(f"{d}/{rel}", data, weight, locale))
    if not templates:
        templates = [Template("builtin", builtin_page(), 1.0)]
    return templates, asset_root


def edge_templates() -> list[tuple[Template, float]]:
    out = []
    for name, share in EDGE_PAGES.items():
        p = FIXTURES / "edge" / name
        if p.is_file():
            data = p.read_bytes()
            locale = "fr/" if b'"/fr/assets/' in data else ""
            out.append((Template(f"edge/{name}", data, 0.0, locale), share))
    return out


def builtin_page() -> bytes:
    """A Docusaurus-shaped page, used only when no fixture build exists."""
    paras = "".join(
        f"<p>Paragraph {i} of the chapter, with <code>inline code</code> and "
        f'<a href="/docs/next">a link</a>.</p>'
        for i in range(40)
    )
    return (
        '<!doctype html><html lang="en" dir="ltr" class="docs-wrapper"><head>'
        '<meta charset="UTF-8"><meta name="generator" content="Docusaurus v3.9.2">'
        "<title data-rh=true>Chapter | Textbook</title>"
        '<link rel="stylesheet" href="/assets/css/styles.css">'
        '<script src="/assets/js/runtime~main.js" defer></script></head>'
        '<body class="navigation-with-keyboard"><div id="__docusaurus"><main><article>'
        f"<h1>Chapter</h1>{paras}</article></main></div></body></html>"
    ).encode()


def page_path(i: int, locale: str) -> str:
    ver = VERSIONS[i % len(VERSIONS)]
    n = i // len(VERSIONS)
    return f"{locale}docs/{ver}part-{n // 100:02d}/chapter-{(n // 10) % 10:02d}/page-{n % 10}/index.html"


def number_title(page: bytes, i: int) -> bytes:
    at = page.find(b"</title>")
    if at < 0:
        return page
    return page[:at] + f" \u00b7 {i}".encode() + page[at:]


def generate(pages: int, out: Path, seed: int) -> dict:
    templates, asset_root = load_templates()
    edges = edge_templates()
    rng = random.Random(seed)
    weights = [t.weight for t in templates]
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if asset_root is not None:
        for p in sorted(asset_root.rglob("*")):
            if p.is_file() and not p.name.lower().endswith(".html"):
                dst = out / p.relative_to(asset_root)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, dst)
    else:
        css = out / "assets" / "css" / "styles.css"
        css.parent.mkdir(parents=True)
        css.write_text(":root{--ifm-color-primary:#2e8555;--ifm-global-radius:0.4rem}\n")

    total = 0
    made_dirs: set[Path] = set()
    for i in range(pages):
        r = rng.random()
        template = None
        acc = 0.0
        for t, share in edges:
            acc += share
            if r < acc:
                template = t
                break
        if template is None:
            template = rng.choices(templates, weights)[0]
        target = min(MAX_BYTES, int(MEDIAN_BYTES * math.exp(rng.gauss(0, SIGMA))))
        data = number_title(template.grown(target), i)
        dst = out / page_path(i, template.locale)
        if dst.parent not in made_dirs:
            dst.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(dst.parent)
        dst.write_bytes(data)
        total += len(data)
    return {
        "pages": pages,
        "html_bytes": total,
        "templates": len(templates),
        "edge_templates": [t.name for t, _ in edges],
        "source": str(asset_root.relative_to(ROOT)) if asset_root else "builtin",
    }


def fingerprint(pages: int, seed: int) -> str:
    """Changes when the generator, its inputs or its parameters change."""
    h = hashlib.sha256()
    h.update(Path(__file__).read_bytes())
    h.update(f"{pages}:{seed}".encode())
    for d in SITE_DIRS + ["edge"]:
        base = FIXTURES / d
        if base.is_dir():
            for p in sorted(base.rglob("*")):
                if p.is_file():
                    st = p.stat()
                    h.update(f"{p.relative_to(FIXTURES)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def ensure(pages: int, out: Path, seed: int = 5) -> dict:
    """Generate the site unless an identical one is already there."""
    stamp = out.with_name(out.name + ".json")
    fp = fingerprint(pages, seed)
    if stamp.is_file() and out.is_dir():
        info = json.loads(stamp.read_text())
        if info.get("fingerprint") == fp:
            return info
    if stamp.exists():
        stamp.unlink()
    info = generate(pages, out, seed)
    info["fingerprint"] = fp
    stamp.write_text(json.dumps(info, indent=2) + "\n")
    return info


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=10_120)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    info = ensure(args.pages, args.out, args.seed)
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
