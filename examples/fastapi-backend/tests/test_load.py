"""The load test (load/run.py) itself: it passes against the live server and fails when it must.

The full run (50 readers, its own server) is documented in load/README.md; here 10 readers talk
to the session's live server, so the suite pays no second start-up.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from load.run import check_answer, new_marker, percentile, question

from .conftest import BACKEND_DIR


def run_load(
    url: str, tmp_path, readers: int, timeout: float = 90
) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, "load/run.py", "--readers", str(readers), "--url", url, "--json", str(out)]
        + ["--timeout", str(timeout), "--request-timeout", "20"],
        cwd=BACKEND_DIR,
        capture_output=True,
        text=True,
        timeout=150,
    )
    return proc, json.loads(out.read_text())


def test_ten_readers_three_turns_no_errors(live, live_url, tmp_path):
    proc, figures = run_load(live_url, tmp_path, 10)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert figures["errors"] == []
    assert figures["completed"] == 10
    # per reader: session, 3 streamed turns, own thread, thread list, two requests at a neighbour
    assert figures["requests"] == 10 * 8
    keys = ["session_p50_s", "session_p95_s", "first_word_p50_s", "first_word_p95_s", "turn_p50_s"]
    for key in [*keys, "conversation_p50_s", "conversation_p95_s"]:
        assert figures[key] is not None and figures[key] > 0, key
    assert figures["session_p50_s"] <= figures["session_p95_s"]
    assert figures["first_word_p50_s"] <= figures["first_word_p90_s"] <= figures["first_word_p95_s"]
    # A conversation is a session and three turns.
    assert figures["conversation_p50_s"] > 3 * figures["turn_p50_s"] * 0.5
    # The answer streams: its first word arrives well before the whole turn is over.
    assert figures["first_word_p50_s"] < figures["turn_p50_s"]
    assert "| time to first streamed word p95 |" in proc.stdout
    assert "| whole conversation (session + 3 turns) p95 |" in proc.stdout
    assert figures["rss_mb"] == {}, "memory is only measured for a backend the script started"
    # Every request reached the server and was answered as the checks expect.
    stats = live.get("/__stats").json()["requests"]
    assert stats["/api/chatkit/session"] == {"200": 10, "total": 10}
    assert stats["/chatkit"] == {"200": 50, "404": 20, "total": 70}


def test_failed_requests_fail_the_run(live, live_url, tmp_path):
    assert (
        live.post("/__faults", json={"fail_next": 2, "status": 503, "paths": ["/chatkit"]}).status_code == 200
    )
    proc, figures = run_load(live_url, tmp_path, 3)
    assert proc.returncode == 1, proc.stdout
    assert len(figures["errors"]) == 2, figures["errors"]
    assert all("HTTP 503" in e for e in figures["errors"])
    assert figures["completed"] == 1
    assert "| errors | 2 |" in proc.stdout


def test_cut_stream_fails_the_run(live, live_url, tmp_path):
    assert live.post("/__faults", json={"stop_stream_after_words": 3}).status_code == 200
    proc, figures = run_load(live_url, tmp_path, 2)
    assert proc.returncode == 1
    assert all("without a complete streamed answer" in e for e in figures["errors"]), figures["errors"]


def test_hard_timeout_ends_the_run(live, live_url, tmp_path):
    assert live.post("/__faults", json={"delay_ms": 2000}).status_code == 200
    proc, figures = run_load(live_url, tmp_path, 2, timeout=1)
    assert proc.returncode == 1
    assert figures["errors"] == ["hard timeout: the run took longer than 1 s"]
    assert figures["completed"] == 0 and 1 <= figures["total_s"] < 5
    # The server still finishes the two abandoned session requests; let them land before the
    # next test resets the counters.
    deadline = time.monotonic() + 10
    while live.get("/__stats").json()["requests"].get("/api/chatkit/session", {}).get("total", 0) < 2:
        assert time.monotonic() < deadline, "abandoned requests never finished"
        time.sleep(0.1)


def test_backend_that_does_not_start_in_time_is_exit_2(tmp_path):
    # The started backend needs seconds to import the SDK; 0.3 s is never enough. run.py must
    # give up, stop the child it started and say where its output went.
    log = tmp_path / "backend.log"
    proc = subprocess.run(
        [sys.executable, "load/run.py", "--readers", "2", "--startup-timeout", "0.3"]
        + ["--backend-log", str(log)],
        cwd=BACKEND_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "did not answer /healthz within 0.3 s" in proc.stderr
    assert str(log) in proc.stderr and log.exists()


def test_answer_check_catches_another_readers_message():
    mine, theirs = new_marker(1), new_marker(2)
    good = (
        f'You are reading "Chapter 1". You asked 2 questions so far; your first was: "{question(mine, 1)}". '
        f'I can only echo your question: "{question(mine, 2)}"'
    )
    assert check_answer(mine, 2, good) == []
    leaked = good.replace(question(mine, 2), question(theirs, 2))
    assert any("other readers' markers" in p for p in check_answer(mine, 2, leaked))
    assert any("questions so far" in p for p in check_answer(mine, 3, good))
    wrong_first = good.replace(question(mine, 1), question(theirs, 1))
    assert any("first question" in p for p in check_answer(mine, 2, wrong_first))


@pytest.mark.parametrize(
    "values, p, expected",
    [
        ([], 50, None),
        ([3.0], 95, 3.0),
        ([1, 2, 3, 4], 50, 2),
        ([1, 2, 3, 4], 95, 4),
        (list(range(1, 101)), 90, 90),
    ],
)
def test_percentile_nearest_rank(values, p, expected):
    assert percentile(values, p) == expected


def test_own_backend_reports_its_memory(tmp_path):
    """Started by the script itself (the default store, rate limits off): RSS before and after."""
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, "load/run.py", "--readers", "4", "--word-delay-ms", "0", "--json", str(out)],
        cwd=BACKEND_DIR,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rss = json.loads(out.read_text())["rss_mb"]
    assert 20 < rss["before"] <= rss["peak"] and 20 < rss["after"] <= rss["peak"] < 2000, rss
    assert "| backend RSS before / after / peak |" in proc.stdout
