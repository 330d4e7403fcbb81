"""Shared helpers: in-process apps (TestClient) and one real uvicorn server per test session."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

BACKEND_DIR = Path(__file__).resolve().parents[1]
ORIGIN = "http://localhost:3000"


def user_input(text: str) -> dict:
    return {
        "content": [{"type": "input_text", "text": text}],
        "quoted_text": "",
        "attachments": [],
        "inference_options": {},
    }


def create_body(text: str) -> dict:
    return {"type": "threads.create", "params": {"input": user_input(text)}}


def add_body(thread_id: str, text: str) -> dict:
    return {"type": "threads.add_user_message", "params": {"thread_id": thread_id, "input": user_input(text)}}


def page_header(path: str, title: str, lang: str = "en") -> dict[str, str]:
    # ensure_ascii (the default) escapes non-ASCII as \uXXXX, as the widget does.
    return {"X-ChatKit-Page": json.dumps({"path": path, "title": title, "lang": lang})}


def parse_sse(text: str) -> list[dict]:
    """Events of an SSE body, checking the frame format strictly: only `data: <json>` frames."""
    assert text.endswith("\n\n"), "stream must end with a complete frame"
    events = []
    for frame in text.split("\n\n")[:-1]:
        assert frame.startswith("data: ") and "\n" not in frame, f"unexpected frame {frame!r}"
        events.append(json.loads(frame[len("data: ") :]))
    return events


def deltas(events: list[dict]) -> list[str]:
    return [
        e["update"]["delta"]
        for e in events
        if e["type"] == "thread.item.updated"
        and e["update"]["type"] == "assistant_message.content_part.text_delta"
    ]


def assistant_done(events: list[dict]) -> dict:
    done = [e for e in events if e["type"] == "thread.item.done" and e["item"]["type"] == "assistant_message"]
    assert len(done) == 1, events
    return done[0]["item"]


class Reader:
    """One browser: a session token and calls to /chatkit with it."""

    def __init__(self, client: TestClient | httpx.Client, token: str | None = None):
        self.client = client
        self.token = token or client.post("/api/chatkit/session", json={}).json()["client_secret"]

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def post(self, body: dict | str | bytes, headers: dict | None = None) -> httpx.Response:
        content = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post("/chatkit", content=content, headers=self.headers(headers))

    def stream(self, body: dict, headers: dict | None = None) -> list[dict]:
        r = self.post(body, headers)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/event-stream")
        return parse_sse(r.text)

    def json(self, body: dict, status: int = 200) -> dict:
        r = self.post(body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/json")
        return r.json()


@pytest.fixture
def make_app():
    """Build an app with given settings (no word delay and no rate limits unless asked)."""
    clients: list[TestClient] = []

    def make(**overrides) -> TestClient:
        settings = Settings(word_delay_ms=0, allowed_origins=[ORIGIN], rate_limits=False, db_path=":memory:")
        for key, value in overrides.items():
            setattr(settings, key, value)
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_app) -> TestClient:
    return make_app()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_backend(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`python -m app` on a free local port with `env` added, once /healthz answers."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=BACKEND_DIR,
        env={**os.environ, "CHATKIT_LOG_LEVEL": "warning", **env},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("backend did not start")
        time.sleep(0.2)


def stop_backend(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def live_url(tmp_path_factory):
    """A real uvicorn server (`python -m app`) with fault switches on, on a free local port."""
    db = tmp_path_factory.mktemp("live") / "chatkit.db"
    env = {
        "CHATKIT_FAULTS": "1",
        "CHATKIT_WORD_DELAY_MS": "20",
        "CHATKIT_ALLOWED_ORIGINS": ORIGIN,
        "CHATKIT_DB_PATH": str(db),
    }
    proc, url = start_backend(env)
    yield url
    stop_backend(proc)


def _postgres_bin() -> Path | None:
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (bindir / "initdb").exists():
            return bindir
    return None


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL cluster (Debian's `postgresql`, installed by test.sh) in a temp dir,
    on a free loopback port, for the session; its URL without a database name."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (test.sh installs Debian's postgresql package)")
    root = Path(tempfile.mkdtemp(prefix="chatkit-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        + ["--no-sync"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = _free_port()
    settings = ["listen_addresses=127.0.0.1", f"unix_socket_directories={root}", "fsync=off"]
    settings += ["synchronous_commit=off", "full_page_writes=off", "max_connections=100"]
    proc = subprocess.Popen(
        [*as_user, str(bindir / "postgres"), "-D", str(data), "-p", str(port)]
        + [arg for s in settings for arg in ("-c", s)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while subprocess.run(
        [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)], check=False
    ).returncode:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("PostgreSQL did not start")
        time.sleep(0.2)
    yield url
    proc.terminate()  # SIGTERM: smart shutdown, the test clients are gone by now
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the session's PostgreSQL server."""
    import asyncpg

    name = f"t_{uuid.uuid4().hex[:12]}"

    async def create():
        conn = await asyncpg.connect(f"{postgres_server}/postgres")
        await conn.execute(f"CREATE DATABASE {name}")
        await conn.close()

    asyncio.run(create())
    return f"{postgres_server}/{name}"


@pytest.fixture
def live(live_url):
    """An httpx client on the live server, with every fault switch and counter reset."""
    with httpx.Client(base_url=live_url, timeout=30) as c:
        assert c.post("/__faults/reset").status_code == 200
        yield c
        c.post("/__faults/reset")


def preflight(client, origin: str, headers: str = "authorization,content-type,x-chatkit-page"):
    """A CORS preflight of `POST /chatkit` from `origin` asking for `headers` (TestClient or httpx)."""
    return client.options(
        "/chatkit",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )
