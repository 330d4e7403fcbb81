"""Load test of the reference backend on loopback: N concurrent readers, three turns each.

    .venv/bin/python load/run.py                 # starts the backend, 50 readers
    .venv/bin/python load/run.py --readers 10 --url http://127.0.0.1:8000   # an already running one

Each simulated reader is one browser tab: its own HTTP client and its own session token
(`POST /api/chatkit/session`), then a conversation of three turns (`threads.create`, then two
`threads.add_user_message`), each answer read off the socket as SSE, frame by frame. Every
message carries a marker unique to its reader. Checked, per reader:

- every request answers 200 and every stream is well formed, with no error event;
- each answer mentions its own marker only, counts the reader's own questions and quotes the
  reader's own first question; every streamed item belongs to the reader's thread;
- afterwards (all readers at once): the reader's thread lists its own six items, `threads.list`
  shows only its own thread, and another reader's thread id answers 404.

Reported: p50/p95 session time, p50/p90/p95 time to first streamed word (request sent to first
text delta), p50/p95 turn time and whole conversation (session and three turns), total time,
request and error counts, and the started backend's resident memory before and after the run
and at its peak, as a Markdown table. Exits 0
when nothing failed, 1 otherwise (2 when the backend cannot be started). Bounded: a hard timeout
(`--timeout`, 120 s) covers the whole run after start-up, and each request has its own timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BACKEND_DIR = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"mk\d{3}x[0-9a-f]{8}")
TURNS = 3
TEXT_DELTA = "assistant_message.content_part.text_delta"


def new_marker(index: int) -> str:
    return f"mk{index:03d}x{secrets.token_hex(4)}"


def question(marker: str, turn: int) -> str:
    if turn == 1:
        return f"Question one from {marker}: what does the chain rule say?"
    return f"Follow-up {turn} from {marker}: and why?"


def user_input(text: str) -> dict:
    return {
        "content": [{"type": "input_text", "text": text}],
        "quoted_text": "",
        "attachments": [],
        "inference_options": {},
    }


def check_answer(marker: str, turn: int, text: str) -> list[str]:
    """What is wrong with the answer to a reader's `turn`-th question (empty: nothing)."""
    problems = []
    foreign = sorted(set(MARKER.findall(text)) - {marker})
    if foreign:
        problems.append(f"answer mentions other readers' markers {foreign}")
    if marker not in text:
        problems.append("answer does not mention the reader's own marker")
    counted = f"You asked {turn} question{'s' if turn != 1 else ''} so far"
    if counted not in text:
        problems.append(f"answer does not say {counted!r}")
    first = f'your first was: "{question(marker, 1)}"'
    if first not in text:
        problems.append("answer does not quote the reader's own first question")
    return problems


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]


@dataclass
class Results:
    readers: int
    session_s: list[float] = field(default_factory=list)
    first_word_s: list[float] = field(default_factory=list)
    turn_s: list[float] = field(default_factory=list)
    conversation_s: list[float] = field(default_factory=list)  # session + every turn, per reader
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    total_s: float = 0.0
    completed: int = 0  # readers whose every check passed
    rss_mb: dict = field(default_factory=dict)  # the started backend's memory: before, after, peak

    def summary(self) -> dict:
        return {
            "readers": self.readers,
            "completed": self.completed,
            "requests": self.requests,
            "errors": self.errors,
            "session_p50_s": percentile(self.session_s, 50),
            "session_p95_s": percentile(self.session_s, 95),
            "first_word_p50_s": percentile(self.first_word_s, 50),
            "first_word_p90_s": percentile(self.first_word_s, 90),
            "first_word_p95_s": percentile(self.first_word_s, 95),
            "turn_p50_s": percentile(self.turn_s, 50),
            "turn_p95_s": percentile(self.turn_s, 95),
            "conversation_p50_s": percentile(self.conversation_s, 50),
            "conversation_p95_s": percentile(self.conversation_s, 95),
            "total_s": self.total_s,
            "rss_mb": self.rss_mb,
        }


class ReaderFailed(Exception):
    pass


class Reader:
    def __init__(self, index: int, url: str, results: Results, request_timeout: float):
        self.index = index
        self.marker = new_marker(index)
        self.results = results
        self.client = httpx.AsyncClient(base_url=url, timeout=request_timeout)
        self.token = ""
        self.thread_id = ""
        self.failed = False

    def fail(self, what: str) -> None:
        self.failed = True
        self.results.errors.append(f"reader {self.index}: {what}")

    def headers(self) -> dict[str, str]:
        page = {"path": f"/docs/chapter-{self.index}", "title": f"Chapter {self.index}", "lang": "en"}
        return {"Authorization": f"Bearer {self.token}", "X-ChatKit-Page": json.dumps(page)}

    async def post_json(self, path: str, body: dict, expect: int = 200) -> dict:
        self.results.requests += 1
        r = await self.client.post(path, json=body, headers=self.headers() if self.token else None)
        if r.status_code != expect:
            raise ReaderFailed(f"POST {path} {body.get('type', '')}: HTTP {r.status_code} {r.text[:200]}")
        return r.json()

    async def session(self) -> None:
        start = time.perf_counter()
        answer = await self.post_json("/api/chatkit/session", {})
        self.results.session_s.append(time.perf_counter() - start)
        self.token = answer["client_secret"]

    async def turn(self, n: int) -> None:
        text = question(self.marker, n)
        if n == 1:
            body = {"type": "threads.create", "params": {"input": user_input(text)}}
        else:
            body = {
                "type": "threads.add_user_message",
                "params": {"thread_id": self.thread_id, "input": user_input(text)},
            }
        self.results.requests += 1
        start = time.perf_counter()
        first_word: float | None = None
        events: list[dict] = []
        buffer = b""
        async with self.client.stream("POST", "/chatkit", json=body, headers=self.headers()) as r:
            if r.status_code != 200:
                raise ReaderFailed(f"turn {n}: HTTP {r.status_code} {(await r.aread())[:200]!r}")
            if not r.headers.get("content-type", "").startswith("text/event-stream"):
                raise ReaderFailed(f"turn {n}: content-type {r.headers.get('content-type')}")
            async for chunk in r.aiter_raw():
                buffer += chunk
                while b"\n\n" in buffer:
                    frame, buffer = buffer.split(b"\n\n", 1)
                    if not frame.startswith(b"data: "):
                        raise ReaderFailed(f"turn {n}: not an SSE data frame: {frame[:100]!r}")
                    event = json.loads(frame[6:])
                    events.append(event)
                    update = event.get("update") or {}
                    if first_word is None and update.get("type") == TEXT_DELTA:
                        first_word = time.perf_counter() - start
        elapsed = time.perf_counter() - start
        if buffer:
            raise ReaderFailed(f"turn {n}: stream ended inside a frame: {buffer[:100]!r}")
        if any(e.get("type") == "error" for e in events):
            raise ReaderFailed(f"turn {n}: error event in the stream")
        if n == 1:
            created = [e for e in events if e.get("type") == "thread.created"]
            if len(created) != 1:
                raise ReaderFailed("turn 1: no thread.created event")
            self.thread_id = created[0]["thread"]["id"]
        foreign = {
            e["item"].get("thread_id") for e in events if "item" in e and isinstance(e["item"], dict)
        } - {self.thread_id}
        if foreign:
            raise ReaderFailed(f"turn {n}: items of other threads in the stream: {sorted(foreign)}")
        done = [
            e["item"]
            for e in events
            if e.get("type") == "thread.item.done" and e["item"].get("type") == "assistant_message"
        ]
        if len(done) != 1 or first_word is None:
            raise ReaderFailed(f"turn {n}: stream without a complete streamed answer")
        answer = done[0]["content"][0]["text"]
        deltas = "".join(
            e["update"]["delta"] for e in events if (e.get("update") or {}).get("type") == TEXT_DELTA
        )
        if deltas != answer:
            raise ReaderFailed(f"turn {n}: the streamed words do not add up to the answer")
        problems = check_answer(self.marker, n, answer)
        if problems:
            raise ReaderFailed(f"turn {n}: {'; '.join(problems)}: {answer[:300]!r}")
        self.results.first_word_s.append(first_word)
        self.results.turn_s.append(elapsed)

    async def converse(self, start: asyncio.Event) -> None:
        await start.wait()
        try:
            began = time.perf_counter()
            await self.session()
            for n in range(1, TURNS + 1):
                await self.turn(n)
            self.results.conversation_s.append(time.perf_counter() - began)
        except ReaderFailed as exc:
            self.fail(str(exc))
        except httpx.HTTPError as exc:
            self.fail(f"{type(exc).__name__}: {exc}")

    async def check_isolation(self, neighbour: Reader) -> None:
        """Own thread complete and only own; the neighbour's thread id answers 404."""
        if self.failed or not self.thread_id:
            return
        try:
            thread = await self.post_json(
                "/chatkit", {"type": "threads.get_by_id", "params": {"thread_id": self.thread_id}}
            )
            texts = [
                part.get("text", "") for item in thread["items"]["data"] for part in item.get("content", [])
            ]
            if len(texts) != 2 * TURNS:
                raise ReaderFailed(f"own thread has {len(texts)} messages, expected {2 * TURNS}")
            foreign = sorted(set(MARKER.findall(" ".join(texts))) - {self.marker})
            if foreign:
                raise ReaderFailed(f"own thread holds other readers' markers {foreign}")
            listed = await self.post_json("/chatkit", {"type": "threads.list", "params": {"limit": 100}})
            ids = [t["id"] for t in listed["data"]]
            if ids != [self.thread_id]:
                raise ReaderFailed(f"threads.list shows {ids}, expected only {self.thread_id}")
            if neighbour.thread_id:
                body = {"type": "threads.get_by_id", "params": {"thread_id": neighbour.thread_id}}
                await self.post_json("/chatkit", body, expect=404)
                intrusion = user_input(f"intruder {self.marker}")
                body = {
                    "type": "threads.add_user_message",
                    "params": {"thread_id": neighbour.thread_id, "input": intrusion},
                }
                await self.post_json("/chatkit", body, expect=404)
            self.results.completed += 1
        except ReaderFailed as exc:
            self.fail(f"isolation: {exc}")
        except httpx.HTTPError as exc:
            self.fail(f"isolation: {type(exc).__name__}: {exc}")


async def run_readers(url: str, count: int, timeout: float, request_timeout: float) -> Results:
    results = Results(readers=count)
    readers = [Reader(i, url, results, request_timeout) for i in range(count)]
    start = asyncio.Event()
    began = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            tasks = [asyncio.create_task(r.converse(start)) for r in readers]
            start.set()  # every reader starts at once
            await asyncio.gather(*tasks)
            neighbours = readers[1:] + readers[:1]
            await asyncio.gather(*(r.check_isolation(n) for r, n in zip(readers, neighbours, strict=True)))
    except TimeoutError:
        results.errors.append(f"hard timeout: the run took longer than {timeout:g} s")
    finally:
        results.total_s = time.perf_counter() - began
        await asyncio.gather(*(r.client.aclose() for r in readers), return_exceptions=True)
    return results


# -- the backend under test ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_backend(word_delay_ms: int, startup_timeout: float, log: Path) -> tuple[subprocess.Popen, str]:
    """`python -m app` on a free loopback port, its output in `log`, once /healthz answers."""
    port = free_port()
    env = {
        **os.environ,
        "CHATKIT_WORD_DELAY_MS": str(word_delay_ms),
        "CHATKIT_LOG_LEVEL": "warning",
        "CHATKIT_FAULTS": "",
        # It measures capacity: hundreds of readers from one address would otherwise be refused.
        "CHATKIT_RATE_LIMITS": "off",
        # The default store (a SQLite file), in a temporary directory.
        "CHATKIT_DB_PATH": os.environ.get("CHATKIT_DB_PATH")
        or str(Path(tempfile.mkdtemp(prefix="chatkit-load-db-")) / "chatkit.db"),
    }
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=BACKEND_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + startup_timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_backend(proc)
            raise RuntimeError(f"the backend did not answer /healthz within {startup_timeout:g} s")
        time.sleep(0.2)


def memory_mb(pid: int) -> dict[str, float]:
    """The process's resident memory now and at its peak (Linux /proc), in MB."""
    figures = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return figures


def stop_backend(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- report --------------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def markdown(summary: dict, settings: str) -> str:
    rows = [
        ("concurrent readers", str(summary["readers"])),
        ("readers with every check passed", str(summary["completed"])),
        ("requests", str(summary["requests"])),
        ("errors", str(len(summary["errors"]))),
        ("session time p50", ms(summary["session_p50_s"])),
        ("session time p95", ms(summary["session_p95_s"])),
        ("time to first streamed word p50", ms(summary["first_word_p50_s"])),
        ("time to first streamed word p95", ms(summary["first_word_p95_s"])),
        ("whole turn (full answer) p50", ms(summary["turn_p50_s"])),
        ("whole turn (full answer) p95", ms(summary["turn_p95_s"])),
        ("whole conversation (session + 3 turns) p50", ms(summary["conversation_p50_s"])),
        ("whole conversation (session + 3 turns) p95", ms(summary["conversation_p95_s"])),
        ("total time", f"{summary['total_s']:.1f} s"),
    ]
    rss = summary.get("rss_mb") or {}
    if rss:
        rows.append(
            (
                "backend RSS before / after / peak",
                f"{rss['before']:.0f} / {rss['after']:.0f} / {rss['peak']:.0f} MB",
            )
        )
    lines = ["| figure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    lines.append("")
    lines.append(settings)
    for error in summary["errors"][:20]:
        lines.append(f"- error: {error}")
    if len(summary["errors"]) > 20:
        lines.append(f"- ... and {len(summary['errors']) - 20} more errors")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50, help="concurrent simulated readers (50)")
    parser.add_argument("--url", help="test this running backend instead of starting one")
    parser.add_argument(
        "--word-delay-ms", type=int, default=25, help="CHATKIT_WORD_DELAY_MS of the started backend (25)"
    )
    parser.add_argument("--timeout", type=float, default=120, help="hard limit for the run, seconds (120)")
    parser.add_argument("--request-timeout", type=float, default=30, help="per request, seconds (30)")
    parser.add_argument("--startup-timeout", type=float, default=60, help="backend start-up, seconds (60)")
    parser.add_argument("--json", type=Path, help="also write the figures and errors to this file")
    parser.add_argument(
        "--backend-log",
        type=Path,
        help="where the started backend's output goes (a temporary file; its path is printed on failure)",
    )
    args = parser.parse_args(argv)
    if args.readers < 2:
        parser.error("--readers must be at least 2 (readers check each other's threads)")

    load_before = os.getloadavg()[0]
    proc = None
    url = args.url
    log = args.backend_log
    if not url:
        if log is None:
            fd, name = tempfile.mkstemp(prefix="chatkit-load-backend-", suffix=".log")
            os.close(fd)
            log = Path(name)
        try:
            proc, url = start_backend(args.word_delay_ms, args.startup_timeout, log)
        except RuntimeError as exc:
            print(f"error: {exc} (backend output: {log})", file=sys.stderr)
            return 2
    before = memory_mb(proc.pid) if proc else {}
    try:
        results = asyncio.run(run_readers(url.rstrip("/"), args.readers, args.timeout, args.request_timeout))
        after = memory_mb(proc.pid) if proc else {}
        if before.get("VmRSS") and after.get("VmRSS"):
            results.rss_mb = {"before": before["VmRSS"], "after": after["VmRSS"], "peak": after["VmHWM"]}
    finally:
        if proc:
            stop_backend(proc)

    summary = results.summary()
    delay = f"word delay {args.word_delay_ms} ms" if proc else f"backend at {url}"
    settings = (
        f"{args.readers} readers x {TURNS} turns, {delay}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs (load average {load_before:.1f} before the run), "
        "one uvicorn worker, loopback."
    )
    print(markdown(summary, settings))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    ok = not results.errors and results.completed == args.readers
    if not ok and proc:
        print(f"backend output: {log}", file=sys.stderr)
    elif proc and args.backend_log is None:
        log.unlink(missing_ok=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
