"""The PostgreSQL store, against a real server that the suite starts (conftest.postgres_server):
the same owner checks and bounds as the SQLite store, and two backend processes sharing one
database serving one reader alternately."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime

import httpx
import pytest
from chatkit.store import NotFoundError
from chatkit.types import FileAttachment, ThreadMetadata

from app.config import Settings
from app.context import RequestContext
from app.pgstore import PostgresStore
from app.store import IdClash

from .conftest import Reader, add_body, assistant_done, create_body, parse_sse, start_backend, stop_backend
from .test_store import message

ALICE, BOB = RequestContext("rdr_alice"), RequestContext("rdr_bob")


def test_store_scopes_pages_and_refuses_clashes(postgres_url):
    async def scenario():
        store = PostgresStore(postgres_url, max_threads=3, thread_ttl=3600)
        try:
            thread = store.generate_thread_id(ALICE)
            await store.save_thread(ThreadMetadata(id=thread, created_at=datetime.now(), title="A"), ALICE)
            # Another reader can neither read nor overwrite it.
            with pytest.raises(NotFoundError):
                await store.load_thread(thread, BOB)
            with pytest.raises(NotFoundError):
                await store.save_thread(ThreadMetadata(id=thread, created_at=datetime.now(), title="x"), BOB)
            assert (await store.load_thread(thread, ALICE)).title == "A"
            # Items, in both orders, with paging.
            for n in range(5):
                await store.add_thread_item(thread, message(f"msg_{n}", thread, str(n)), ALICE)
            page = await store.load_thread_items(thread, None, 2, "desc", ALICE)
            assert [i.id for i in page.data] == ["msg_4", "msg_3"] and page.has_more and page.after == "msg_3"
            rest = await store.load_thread_items(thread, page.after, 10, "desc", ALICE)
            assert [i.id for i in rest.data] == ["msg_2", "msg_1", "msg_0"] and not rest.has_more
            asc = await store.load_thread_items(thread, "msg_1", 2, "asc", ALICE)
            assert [i.id for i in asc.data] == ["msg_2", "msg_3"]
            with pytest.raises(NotFoundError):
                await store.load_thread_items(thread, None, 10, "asc", BOB)
            with pytest.raises(NotFoundError):
                await store.load_item(thread, "msg_1", BOB)
            await store.delete_thread_item(thread, "msg_1", BOB)  # no effect
            await store.save_item(thread, message("msg_1", thread, "edited"), ALICE)
            assert (await store.load_item(thread, "msg_1", ALICE)).content[0].text == "edited"
            assert await store.count_items(thread, ALICE) == 5
            # A clash is an error, never a skip.
            bobs = store.generate_thread_id(BOB)
            await store.save_thread(ThreadMetadata(id=bobs, created_at=datetime.now()), BOB)
            with pytest.raises(IdClash):
                await store.add_thread_item(bobs, message("msg_1", bobs, "bob's"), BOB)
            with pytest.raises(IdClash):
                await store.save_item(bobs, message("msg_1", bobs, "bob's"), BOB)
            store._new_threads.add(thread)
            with pytest.raises(IdClash):
                await store.save_thread(ThreadMetadata(id=thread, created_at=datetime.now()), BOB)
            # At most 3 threads per reader: the oldest goes, with its items.
            newer = []
            for _ in range(3):
                t = store.generate_thread_id(ALICE)
                await store.save_thread(ThreadMetadata(id=t, created_at=datetime.now()), ALICE)
                newer.append(t)
            assert [t.id for t in (await store.load_threads(10, None, "asc", ALICE)).data] == newer
            with pytest.raises(NotFoundError):
                await store.load_item(thread, "msg_0", ALICE)
            # Idle threads expire.
            assert await store.purge_expired(now=time.time() + 7200) == 4
            assert (await store.load_threads(10, None, "asc", ALICE)).data == []
            # Attachments are scoped.
            att = FileAttachment(id="atc_1", name="notes.txt", mime_type="text/plain")
            await store.save_attachment(att, ALICE)
            assert (await store.load_attachment("atc_1", ALICE)).name == "notes.txt"
            with pytest.raises(NotFoundError):
                await store.load_attachment("atc_1", BOB)
        finally:
            await store.aclose()

    asyncio.run(scenario())


def test_app_on_postgres(make_app, postgres_url):
    client = make_app(database_url=postgres_url)
    reader = Reader(client)
    thread = reader.stream(create_body("What is a monad?"))[0]["thread"]["id"]
    events = reader.stream(add_body(thread, "And a functor?"))
    assert (
        'You asked 2 questions so far; your first was: "What is a monad?"'
        in (assistant_done(events)["content"][0]["text"])
    )
    items = reader.json({"type": "items.list", "params": {"thread_id": thread, "order": "asc", "limit": 50}})
    assert [i["type"] for i in items["data"]] == ["user_message", "assistant_message"] * 2
    assert (
        Reader(client).post({"type": "threads.get_by_id", "params": {"thread_id": thread}}).status_code == 404
    )


def test_database_url_from_environment(monkeypatch):
    monkeypatch.setenv("CHATKIT_DATABASE_URL", "postgresql://u@db/chat")
    assert Settings.from_env().database_url == "postgresql://u@db/chat"


def test_two_processes_on_one_database_serve_one_reader_alternately(postgres_url):
    two_processes_serve_one_reader({"CHATKIT_DATABASE_URL": postgres_url})


def test_two_processes_on_one_sqlite_file_serve_one_reader_alternately(tmp_path):
    """The default store, shared by the workers of one machine (uvicorn --workers)."""
    two_processes_serve_one_reader({"CHATKIT_DB_PATH": str(tmp_path / "shared.db")})


def two_processes_serve_one_reader(store_env: dict[str, str]) -> None:
    env = {
        **store_env,
        "CHATKIT_SESSION_SECRET": "shared-secret-for-the-test",
        "CHATKIT_WORD_DELAY_MS": "0",
    }
    started = [start_backend(env), start_backend(env)]
    try:
        clients = [httpx.Client(base_url=url, timeout=30) for _, url in started]
        token = clients[0].post("/api/chatkit/session", json={}).json()["client_secret"]
        headers = {"Authorization": f"Bearer {token}"}

        def stream(client: httpx.Client, body: dict) -> list[dict]:
            r = client.post("/chatkit", content=json.dumps(body), headers=headers)
            assert r.status_code == 200, r.text
            return parse_sse(r.text)

        thread = stream(clients[0], create_body("question 1"))[0]["thread"]["id"]
        for n in range(2, 7):  # 2 on process B, 3 on A, 4 on B, ...
            events = stream(clients[(n + 1) % 2], add_body(thread, f"question {n}"))
            text = assistant_done(events)["content"][0]["text"]
            assert f'You asked {n} questions so far; your first was: "question 1"' in text
        # A token renewed on the other process keeps the reader.
        renewed = clients[1].post("/api/chatkit/session", json={"existing": token}).json()["client_secret"]
        headers = {"Authorization": f"Bearer {renewed}"}
        for client in clients:
            r = client.post(
                "/chatkit",
                json={"type": "items.list", "params": {"thread_id": thread, "order": "asc", "limit": 100}},
                headers=headers,
            )
            items = r.json()["data"]
            questions = [i["content"][0]["text"] for i in items if i["type"] == "user_message"]
            assert questions == [f"question {n}" for n in range(1, 7)], "no message lost"
            assert len(items) == 12
        for c in clients:
            c.close()
    finally:
        for proc, _ in started:
            stop_backend(proc)
