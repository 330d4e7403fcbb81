"""The benchmark driver behind bench/run: times chatkit-inject against what users would do instead.

Each tool runs on a fresh copy of the generated site (the copy is made untimed, then `sync`),
under /usr/bin/time -v for CPU time and peak memory. Rounds alternate the tools; the first
`--warmup` rounds are not counted and each figure is the median of the counted rounds. After a
tool's last run its output is checked for fidelity against the original pages.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fidelity  # noqa: E402
import gen_site  # noqa: E402

OURS = "chatkit-inject"
OURS_1 = "chatkit-inject --jobs 1"
OURS_CORPUS = "chatkit-inject --corpus"
# The corpus export (issue #15) may cost at most this much on top of a plain run.
CORPUS_OVERHEAD = 0.25
# Peak memory on the site twice over may exceed the single site's by this factor (allocator and
# page-cache noise between two runs), no more.
DOUBLE_RSS_SLACK = 1.05


@dataclass
class Tool:
    name: str
    argv: list[str]  # "{tree}", "{dest}", "{snippets}" and "{corpus}" are filled in
    writes: bool = True  # rewrites the tree: its output is checked, the copy is reset after
    slow: bool = False  # timed in fewer rounds (--slow-runs), without a warm-up
    subset: bool = False  # timed on every K-th page (--slow-sample K), figures scaled up
    floor: bool = False
    runs: list[dict] = field(default_factory=list)
    fidelity: fidelity.Summary | None = None
    failed: str | None = None


def sh(cmd: list[str], **kw) -> None:
    subprocess.run(cmd, check=True, **kw)


def reset_copy(pristine: Path, copy: Path) -> None:
    """Untimed: a fresh copy of the site, flushed to disk so that no write-back is left pending."""
    if copy.exists():
        shutil.rmtree(copy)
    sh(["cp", "-a", str(pristine), str(copy)])
    sh(["sync"])


def parse_time_v(path: Path) -> dict:
    fields = {}
    for line in path.read_text().splitlines():
        key, _, value = line.strip().rpartition(": ")
        fields[key] = value
    return {
        "user": float(fields["User time (seconds)"]),
        "sys": float(fields["System time (seconds)"]),
        "rss_kib": int(fields["Maximum resident set size (kbytes)"]),
        "exit": int(fields.get("Exit status", "0")),
    }


def timed(argv: list[str], log: Path) -> dict:
    tfile = log.with_suffix(".time")
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-v", "-o", str(tfile), *argv], stdout=out, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - start
    r = parse_time_v(tfile)
    r["wall"] = wall
    r["returncode"] = proc.returncode
    return r


def extract_snippets(tree: Path) -> dict:
    """The exact markup chatkit-inject added, read back from a page it rewrote."""
    for rel in fidelity.html_pages(tree):
        page = (tree / rel).read_bytes()
        _, cuts = fidelity.strip_marked(page)
        if len(cuts) == 3:
            return {"head": cuts[0][1].decode(), "body": (cuts[1][1] + cuts[2][1]).decode()}
    raise SystemExit(f"{tree}: chatkit-inject injected no page")


def median(tool: Tool, key: str) -> float:
    return statistics.median(r[key] for r in tool.runs)


def make_subset(pristine: Path, every: int) -> tuple[Path, int, int]:
    """A copy of the site with every `every`-th page (and all other files): for the slowest
    peers on the full-size site. Returns its path, its page count and its HTML bytes."""
    sub = pristine.with_name(f"{pristine.name}-every-{every}")
    pages = fidelity.html_pages(pristine)
    chosen = pages[::every]
    stamp = sub.with_name(sub.name + ".json")
    key = {"source": json.loads(pristine.with_name(pristine.name + ".json").read_text())["fingerprint"], "every": every}
    if not (stamp.is_file() and json.loads(stamp.read_text()) == key and sub.is_dir()):
        if sub.exists():
            shutil.rmtree(sub)
        keep = set(chosen)
        for f in sorted(pristine.rglob("*")):
            rel = str(f.relative_to(pristine))
            if f.is_file() and (not rel.lower().endswith(".html") or rel in keep):
                (sub / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, sub / rel)
        stamp.write_text(json.dumps(key))
    size = sum((sub / rel).stat().st_size for rel in chosen)
    return sub, len(chosen), size


def fmt_s(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def table(tools: list[Tool], pages: int, scale: float = 1.0, sub_pages: int = 0) -> tuple[str, dict]:
    ours = next(t for t in tools if t.name == OURS)
    ours_wall = median(ours, "wall") if ours.runs else None
    head = [
        "tool",
        "runs",
        "wall s",
        "CPU s",
        "peak RSS MiB",
        "pages/s",
        "time / ours",
        "pages changed",
        "bytes changed (sample)",
        "widget in",
        "misplaced",
    ]
    rows = [head, ["---"] + ["---:"] * (len(head) - 1)]
    figures = {}
    for t in tools:
        if t.failed:
            rows.append([t.name, str(len(t.runs)), "failed: " + t.failed] + [""] * (len(head) - 3))
            continue
        if not t.runs:
            continue
        k = scale if t.subset else 1.0
        wall = median(t, "wall") * k
        cpu = median(t, "cpu") * k
        rss = max(r["rss_kib"] for r in t.runs) / 1024
        figures[t.name] = {"wall": wall, "cpu": cpu, "rss_mib": rss}
        f = t.fidelity
        if f is not None:
            per_page = f.sampled_changed_bytes / f.sampled_changed if f.sampled_changed else 0
            fid = [
                f"{f.changed_pages}/{f.pages}",
                f"{f.sampled_changed_bytes:,}" + (f" ({per_page:,.0f}/page)" if f.sampled_changed else ""),
                str(f.pages - f.missing),
                str(f.misplaced),
            ]
            figures[t.name].update(f.as_dict())
        else:
            fid = ["-"] * 4
        ratio = f"{wall / ours_wall:.2f}x" if ours_wall else "-"
        rows.append(
            [
                t.name + (" *" if t.subset and scale != 1.0 else ""),
                str(len(t.runs)),
                fmt_s(wall),
                fmt_s(cpu),
                f"{rss:.1f}",
                f"{pages / wall:,.0f}",
                ratio,
                *fid,
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for r in rows:
        cells = [c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        if r[0] == "---":
            cells = ["-" * widths[0]] + ["-" * (w - 1) + ":" for w in widths[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), figures


def targets(figures: dict, double: dict | None) -> list[tuple[str, bool | None, str]]:
    """The issue's targets, each with its verdict (None: not measured in this run)."""
    out = []
    o = figures.get(OURS)
    if o is None:
        return out

    def ratio(name, want, label):
        f = figures.get(name)
        if f is None:
            out.append((label, None, "not measured"))
            return
        r = f["wall"] / o["wall"]
        out.append((label, r >= want, f"{r:.2f}x (want >= {want}x)"))

    ratio("naive replace (node)", 1.0, "faster than the naive replace")
    ratio("cheerio (node)", 20.0, "20x faster than cheerio")
    ratio("BeautifulSoup (python)", 50.0, "50x faster than BeautifulSoup")
    cp = figures.get("cp -r (copy floor)")
    if cp:
        r = o["wall"] / cp["wall"]
        out.append(("within 2x of cp -r", r <= 2.0, f"{r:.2f}x the time of cp -r (want <= 2x)"))
    out.append(("peak memory <= 32 MiB", o["rss_mib"] <= 32, f"{o['rss_mib']:.1f} MiB"))
    if double:
        d = double["rss_mib"]
        out.append(
            (
                "no more memory on a site twice the size",
                d <= o["rss_mib"] * DOUBLE_RSS_SLACK,
                f"{d:.1f} MiB on {double['pages']:,} pages (want <= {o['rss_mib'] * DOUBLE_RSS_SLACK:.1f}: "
                f"{o['rss_mib']:.1f} MiB + {DOUBLE_RSS_SLACK - 1:.0%} for allocator noise)",
            )
        )
    c = figures.get(OURS_CORPUS)
    if c:
        wall, cpu = c["wall"] / o["wall"] - 1, c["cpu"] / o["cpu"] - 1 if o["cpu"] else 0.0
        # Both: on a shared machine the wall time of a plain run can grow with the load alone
        # and hide the corpus's cost, which the CPU time still shows.
        out.append(
            (
                f"corpus overhead < {CORPUS_OVERHEAD:.0%}",
                wall < CORPUS_OVERHEAD and cpu < CORPUS_OVERHEAD,
                f"+{wall:.0%} wall, +{cpu:.0%} CPU over a plain run (want both under {CORPUS_OVERHEAD:.0%})",
            )
        )
    one = figures.get(OURS_1)
    if one:
        r = one["wall"] / o["wall"]
        want = 1.7 if (os.cpu_count() or 1) >= 2 else 1.0
        out.append(("all cores >= 1.7x --jobs 1", r >= want, f"{r:.2f}x on {os.cpu_count()} cores"))
    if "changed_pages" in o:
        ok = o["changed_pages"] == 0 and o["misplaced"] == 0
        out.append(("zero bytes changed outside the injection", ok, f"{o['changed_pages']} pages changed, {o['misplaced']} misplaced"))
    return out


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}, load average {load:.2f} at start"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", type=Path, required=True, help="the chatkit-inject release binary")
    ap.add_argument("--python", default=sys.executable, help="python with beautifulsoup4 installed")
    ap.add_argument("--node", default="node", help="node, for the JavaScript peers")
    ap.add_argument("--work", type=Path, default=HERE / "work", help="sites, copies and logs (default bench/work)")
    ap.add_argument("--quick", action="store_true", help="500 pages, one run, no warm-up, no 2x site")
    ap.add_argument("--pages", type=int, help="pages in the generated site (default 10,120; 500 with --quick)")
    ap.add_argument("--runs", type=int, help="counted rounds (default 5; 1 with --quick)")
    ap.add_argument("--warmup", type=int, help="uncounted rounds first (default 1; 0 with --quick)")
    ap.add_argument("--slow-runs", type=int, default=1, help="counted runs of the slowest peer (BeautifulSoup)")
    ap.add_argument(
        "--slow-sample",
        type=int,
        help="time cheerio and BeautifulSoup on every K-th page and scale their time up (default 10; 5 with --quick)",
    )
    ap.add_argument("--only", help="comma-separated tool names to run (chatkit-inject always runs)")
    ap.add_argument("--no-double", action="store_true", help="skip the memory run on a site twice the size")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)

    pages = args.pages or (500 if args.quick else 10_120)
    runs = args.runs if args.runs is not None else 1 if args.quick else 5
    warmup = args.warmup if args.warmup is not None else 0 if args.quick else 1
    double = not (args.quick or args.no_double)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    binary = str(args.bin.resolve())
    peers = HERE / "peers"

    print(f"bench: generating {pages:,} pages under {work} ...", file=sys.stderr, flush=True)
    pristine = work / f"site-{pages}"
    info = gen_site.ensure(pages, pristine)
    site_mb = sum(f.stat().st_size for f in pristine.rglob("*") if f.is_file()) / 1e6
    copy = work / "copy"
    dest = work / "copy-dest"
    snippets_file = work / "snippets.json"
    corpus_file = work / "corpus.jsonl"

    tools = [
        Tool(OURS, [binary, "{tree}", "--quiet"]),
        Tool(OURS_1, [binary, "{tree}", "--jobs", "1", "--quiet"]),
        # The same run also writing the book's text (outside the tree, so fidelity is unchanged).
        Tool(OURS_CORPUS, [binary, "{tree}", "--quiet", "--corpus", "{corpus}"]),
        Tool("naive replace (node)", [args.node, str(peers / "naive.mjs"), "{snippets}", "{tree}"]),
        Tool("cheerio (node)", [args.node, str(peers / "cheerio.mjs"), "{snippets}", "{tree}"], subset=True),
        Tool(
            "BeautifulSoup (python)",
            [args.python, str(peers / "bs4_inject.py"), "{snippets}", "{tree}"],
            slow=True,
            subset=True,
        ),
        Tool(
            "cat (read floor)",
            ["sh", "-c", 'find "$1" -type f -name "*.html" -print0 | xargs -0 cat > /dev/null', "sh", "{tree}"],
            writes=False,
            floor=True,
        ),
        Tool("cp -r (copy floor)", ["cp", "-r", "{tree}", "{dest}"], writes=False, floor=True),
    ]
    if args.only:
        keep = {OURS, *[s.strip() for s in args.only.split(",")]}
        unknown = keep - {t.name for t in tools}
        if unknown:
            ap.error(f"unknown tools {sorted(unknown)}; known: {[t.name for t in tools]}")
        tools = [t for t in tools if t.name in keep]

    every = args.slow_sample or (5 if args.quick else 10)
    if every > 1 and any(t.subset for t in tools):
        sub_pristine, sub_pages, sub_bytes = make_subset(pristine, every)
        scale = info["html_bytes"] / sub_bytes
    else:
        sub_pristine, sub_pages, scale = pristine, pages, 1.0
    sub_copy = work / "copy-subset"

    rounds = warmup + runs
    first_slow_round = rounds - min(args.slow_runs, runs)
    dirty = {copy: True, sub_copy: True}
    for rnd in range(rounds):
        counted = rnd >= warmup
        for t in tools:
            if t.failed or (t.slow and rnd < first_slow_round):
                continue
            last = rnd == rounds - 1
            src, tree = (sub_pristine, sub_copy) if t.subset and scale != 1.0 else (pristine, copy)
            if dirty[tree]:
                reset_copy(src, tree)
            if dest.exists():
                shutil.rmtree(dest)
                sh(["sync"])
            argv = [a.format(tree=tree, dest=dest, snippets=snippets_file, corpus=corpus_file) for a in t.argv]
            label = "run" if counted else "warm-up"
            print(f"bench: round {rnd + 1}/{rounds} ({label}): {t.name}", file=sys.stderr, flush=True)
            r = timed(argv, logs / (t.name.split(" ")[0] + f"-{rnd}.log"))
            dirty[tree] = t.writes
            if r["returncode"] != 0:
                t.failed = f"exit {r['returncode']} (see {logs})"
                continue
            r["cpu"] = r["user"] + r["sys"]
            if counted:
                t.runs.append(r)
            if t.name == OURS and rnd == 0:
                snippets_file.write_text(json.dumps(extract_snippets(copy)) + "\n")
            if t.writes and last:
                print(f"bench: checking what {t.name} changed ...", file=sys.stderr, flush=True)
                snips = json.loads(snippets_file.read_text())
                t.fidelity = fidelity.check_tree(src, tree, snips, sample=50 if args.quick else fidelity.SAMPLE)

    double_fig = None
    if double and not any(t.failed for t in tools if t.name == OURS):
        # The same site twice (a second copy under copy-2/): twice the pages with the very same
        # page sizes, so the figure measures what the page count costs and nothing else (a
        # freshly generated larger site would also have a longer tail of large pages).
        print(f"bench: memory on {2 * pages:,} pages (the site twice) ...", file=sys.stderr, flush=True)
        reset_copy(pristine, copy)
        sh(["cp", "-a", str(pristine), str(copy / "copy-2")])
        sh(["sync"])
        r = timed([binary, str(copy), "--quiet"], logs / "double.log")
        if r["returncode"] == 0:
            double_fig = {"pages": 2 * pages, "rss_mib": r["rss_kib"] / 1024, "wall": r["wall"]}
        shutil.rmtree(copy)

    for p in (copy, dest, sub_copy):
        if p.exists():
            shutil.rmtree(p)
    corpus_file.unlink(missing_ok=True)

    out, figures = table(tools, pages, scale, sub_pages)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print()
    print(
        f"{pages:,} pages, {info['html_bytes'] / 1e6:,.0f} MB of HTML ({site_mb:,.0f} MB in all), "
        f"from {info['source']}; median of {runs} run(s) after {warmup} warm-up round(s), "
        f"BeautifulSoup {min(args.slow_runs, runs)} run(s); {when}"
    )
    print(machine())
    print()
    print(out)
    if scale != 1.0:
        print(
            f"* timed on every {every}th page ({sub_pages:,} pages, {sub_bytes / 1e6:,.0f} MB); wall and CPU "
            f"scaled by {scale:.2f} to the whole site; fidelity counted on those pages"
        )
    if double_fig:
        print()
        print(
            f"chatkit-inject on {double_fig['pages']:,} pages: peak RSS {double_fig['rss_mib']:.1f} MiB, "
            f"wall {fmt_s(double_fig['wall'])} s (one run)"
        )
    verdicts = targets(figures, double_fig)
    print()
    print("targets:")
    for label, ok, detail in verdicts:
        mark = "n/a " if ok is None else "pass" if ok else "MISS"
        print(f"  [{mark}] {label}: {detail}")

    if args.json:
        args.json.write_text(json.dumps({"pages": pages, "figures": figures, "double": double_fig}, indent=2) + "\n")

    # Correctness is checked on every run; speed only reported (a loaded machine is no reason to fail).
    failed = [t.name for t in tools if t.failed]
    ours = next(t for t in tools if t.name == OURS)
    bad_fidelity = ours.fidelity is None or ours.fidelity.changed_pages or ours.fidelity.misplaced
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
    if bad_fidelity:
        print("bench: chatkit-inject changed bytes outside its injection or misplaced it", file=sys.stderr)
        if ours.fidelity:
            for e in ours.fidelity.examples:
                print(f"  {e}", file=sys.stderr)
    return 1 if failed or bad_fidelity else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
