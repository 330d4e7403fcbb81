"""Bounded memory: a persistent default store, caps on threads and items, expiry of idle threads,
and history read by size, not by count."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from datetime import datetime

import pytest
from chatkit.store import NotFoundError
from chatkit.types import ThreadMetadata

from app.config import Settings
from app.context import RequestContext
from app.model import ModelResponder
from app.store import SQLiteStore

from .conftest import Reader, add_body, assistant_done, create_body
from .test_model import ScriptedModel
from .test_store import message

ALICE = RequestContext("rdr_alice")


def run(coro):
    return asyncio.run(coro)


def new_thread(store: SQLiteStore, reader=ALICE) -> str:
    thread_id = store.generate_thread_id(reader)
    run(store.save_thread(ThreadMetadata(id=thread_id, created_at=datetime.now()), reader))
    return thread_id


def test_the_default_store_is_a_file():
    assert Settings().db_path == "chatkit.db"


def test_a_new_thread_beyond_the_cap_removes_the_readers_oldest():
    store = SQLiteStore(max_threads=3)
    bob = RequestContext("rdr_bob")
    bobs = new_thread(store, bob)
    ids = [new_thread(store) for _ in range(3)]
    run(store.add_thread_item(ids[0], message("msg_old", ids[0], "old"), ALICE))
    ids += [new_thread(store) for _ in range(2)]
    kept = [t.id for t in run(store.load_threads(100, None, "asc", ALICE)).data]
    assert kept == ids[-3:]
    assert store._query("SELECT COUNT(*) FROM items WHERE id = 'msg_old'")[0][0] == 0
    assert run(store.load_thread(bobs, bob)).id == bobs, "other readers are not touched"


def test_idle_threads_expire_with_their_items():
    store = SQLiteStore(thread_ttl=3600)
    idle, busy = new_thread(store), new_thread(store)
    run(store.add_thread_item(idle, message("msg_idle", idle, "x"), ALICE))
    store._query("UPDATE threads SET updated = ? WHERE id = ?", time.time() - 7200, idle)
    run(store.add_thread_item(busy, message("msg_busy", busy, "y"), ALICE))
    assert store.purge_expired() == 1
    with pytest.raises(NotFoundError):
        run(store.load_thread(idle, ALICE))
    assert store._query("SELECT COUNT(*) FROM items WHERE id = 'msg_idle'")[0][0] == 0
    assert run(store.load_item(busy, "msg_busy", ALICE))
    # A message keeps a thread alive: it is idle from its last item, not from its creation.
    assert store.purge_expired(now=time.time() + 3000) == 0
    assert store.purge_expired(now=time.time() + 3700) == 1


def test_a_file_from_before_expiry_keeps_its_threads(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE threads (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
        " owner TEXT NOT NULL, data TEXT NOT NULL);"
    )
    data = ThreadMetadata(id="thr_old", created_at=datetime.now(), title="kept").model_dump_json()
    db.execute("INSERT INTO threads (id, owner, data) VALUES (?, ?, ?)", ("thr_old", ALICE.reader, data))
    db.commit()
    db.close()
    store = SQLiteStore(str(path))
    new_thread(store)  # runs the first purge
    assert run(store.load_thread("thr_old", ALICE)).title == "kept"
    store.close()


def test_importing_the_app_creates_no_database_file(tmp_path):
    store = SQLiteStore(str(tmp_path / "lazy.db"))
    assert not (tmp_path / "lazy.db").exists()
    new_thread(store)
    assert (tmp_path / "lazy.db").exists()
    store.close()


def test_a_full_thread_refuses_more_messages(make_app):
    client = make_app(max_items_per_thread=4)
    reader = Reader(client)
    thread = reader.stream(create_body("one"))[0]["thread"]["id"]  # 2 items
    reader.stream(add_body(thread, "two"))  # 4 items
    r = reader.post(add_body(thread, "three"))
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "thread_full" and r.json()["limit"] == 4
    reader.stream(create_body("a new thread works"))


def spy_loaded_items(client, monkeypatch) -> list[int]:
    """How many items each load_thread_items call returned."""
    store = client.app.state.store
    loaded: list[int] = []
    original = store.load_thread_items

    async def spy(*args, **kwargs):
        page = await original(*args, **kwargs)
        loaded.append(len(page.data))
        return page

    monkeypatch.setattr(store, "load_thread_items", spy)
    return loaded


def test_the_responder_reads_history_by_size_and_still_counts_every_question(make_app, monkeypatch):
    client = make_app(history_budget_chars=4000)
    reader = Reader(client)
    thread = reader.stream(create_body("the very first question"))[0]["thread"]["id"]
    for n in range(2, 41):
        reader.stream(add_body(thread, f"question {n} " + "x" * 200))
    loaded = spy_loaded_items(client, monkeypatch)
    events = reader.stream(add_body(thread, "the last one"))
    assert sum(loaded) <= 45, f"80 items in the thread, read {loaded}"
    text = assistant_done(events)["content"][0]["text"]
    assert 'You asked 41 questions so far; your first was: "the very first question"' in text


def test_the_model_gets_history_within_the_budget(make_app):
    client = make_app(history_budget_chars=6000)
    model = ScriptedModel(["ok"])
    client.app.state.server.model = ModelResponder(model)
    reader = Reader(client)
    thread = reader.stream(create_body("q1 " + "a" * 1500))[0]["thread"]["id"]
    for n in range(2, 9):
        reader.stream(add_body(thread, f"q{n} " + "b" * 1500))
    _, given = model.calls[-1]
    size = len(json.dumps(given, default=str))
    assert size < 8000, size
    texts = json.dumps(given, default=str)
    assert "q8 " in texts and "q1 " not in texts, "the newest messages, not the oldest"


def test_bounds_from_environment(monkeypatch):
    monkeypatch.setenv("CHATKIT_MAX_ITEMS_PER_THREAD", "50")
    monkeypatch.setenv("CHATKIT_MAX_THREADS_PER_READER", "7")
    monkeypatch.setenv("CHATKIT_THREAD_TTL_DAYS", "3")
    monkeypatch.setenv("CHATKIT_HISTORY_BUDGET_CHARS", "999")
    s = Settings.from_env()
    assert (s.max_items_per_thread, s.max_threads_per_reader, s.thread_ttl_days) == (50, 7, 3)
    assert s.history_budget_chars == 999 and s.db_path == "chatkit.db"
