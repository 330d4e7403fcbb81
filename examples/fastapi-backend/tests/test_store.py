"""SQLiteStore on its own: every read and write is scoped to the reader in the context."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from chatkit.store import NotFoundError
from chatkit.types import AssistantMessageContent, AssistantMessageItem, FileAttachment, ThreadMetadata

from app.context import RequestContext
from app.store import IdClash, SQLiteStore

ALICE, BOB = RequestContext("rdr_alice"), RequestContext("rdr_bob")


def run(coro):
    return asyncio.run(coro)


def message(item_id: str, thread_id: str, text: str) -> AssistantMessageItem:
    return AssistantMessageItem(
        id=item_id,
        thread_id=thread_id,
        created_at=datetime.now(),
        content=[AssistantMessageContent(text=text)],
    )


@pytest.fixture
def store():
    s = SQLiteStore()
    run(s.save_thread(ThreadMetadata(id="thr_a", created_at=datetime.now(), title="A"), ALICE))
    yield s
    s.close()


def test_another_reader_cannot_overwrite_a_thread(store):
    with pytest.raises(NotFoundError):
        run(store.save_thread(ThreadMetadata(id="thr_a", created_at=datetime.now(), title="evil"), BOB))
    assert run(store.load_thread("thr_a", ALICE)).title == "A"
    with pytest.raises(NotFoundError):
        run(store.load_thread("thr_a", BOB))


def test_items_are_scoped_to_the_threads_owner(store):
    run(store.add_thread_item("thr_a", message("msg_1", "thr_a", "hello"), ALICE))
    with pytest.raises(NotFoundError):
        run(store.add_thread_item("thr_a", message("msg_2", "thr_a", "intruder"), BOB))
    with pytest.raises(NotFoundError):
        run(store.load_item("thr_a", "msg_1", BOB))
    run(store.delete_thread_item("thr_a", "msg_1", BOB))  # no effect
    assert run(store.load_item("thr_a", "msg_1", ALICE)).content[0].text == "hello"
    run(store.save_item("thr_a", message("msg_1", "thr_a", "edited"), ALICE))
    page = run(store.load_thread_items("thr_a", None, 10, "asc", ALICE))
    assert [i.content[0].text for i in page.data] == ["edited"]


def test_item_pages_in_both_orders(store):
    for n in range(5):
        run(store.add_thread_item("thr_a", message(f"msg_{n}", "thr_a", str(n)), ALICE))
    ids = lambda page: [i.id for i in page.data]  # noqa: E731
    first = run(store.load_thread_items("thr_a", None, 2, "desc", ALICE))
    assert ids(first) == ["msg_4", "msg_3"] and first.has_more and first.after == "msg_3"
    rest = run(store.load_thread_items("thr_a", first.after, 10, "desc", ALICE))
    assert ids(rest) == ["msg_2", "msg_1", "msg_0"] and not rest.has_more and rest.after is None
    asc = run(store.load_thread_items("thr_a", "msg_1", 2, "asc", ALICE))
    assert ids(asc) == ["msg_2", "msg_3"] and asc.has_more


def test_threads_list_and_delete(store):
    run(store.save_thread(ThreadMetadata(id="thr_b", created_at=datetime.now()), ALICE))
    run(store.save_thread(ThreadMetadata(id="thr_x", created_at=datetime.now()), BOB))
    assert [t.id for t in run(store.load_threads(10, None, "desc", ALICE)).data] == ["thr_b", "thr_a"]
    assert [t.id for t in run(store.load_threads(10, None, "asc", BOB)).data] == ["thr_x"]
    with pytest.raises(NotFoundError):
        run(store.delete_thread("thr_a", BOB))
    run(store.add_thread_item("thr_a", message("msg_1", "thr_a", "x"), ALICE))
    run(store.delete_thread("thr_a", ALICE))
    with pytest.raises(NotFoundError):
        run(store.load_thread_items("thr_a", None, 10, "asc", ALICE))
    assert [t.id for t in run(store.load_threads(10, None, "asc", ALICE)).data] == ["thr_b"]


def test_attachments_are_scoped(store):
    att = FileAttachment(id="atc_1", name="notes.txt", mime_type="text/plain")
    run(store.save_attachment(att, ALICE))
    assert run(store.load_attachment("atc_1", ALICE)).name == "notes.txt"
    with pytest.raises(NotFoundError):
        run(store.load_attachment("atc_1", BOB))
    run(store.delete_attachment("atc_1", BOB))
    assert run(store.load_attachment("atc_1", ALICE))
    run(store.delete_attachment("atc_1", ALICE))
    with pytest.raises(NotFoundError):
        run(store.load_attachment("atc_1", ALICE))


# -- ids ---------------------------------------------------------------------------------------


def test_ids_carry_128_random_bits(store):
    thread = ThreadMetadata(id="thr_a", created_at=datetime.now())
    ids = {store.generate_thread_id(ALICE) for _ in range(1000)}
    ids |= {store.generate_item_id("message", thread, ALICE) for _ in range(1000)}
    assert len(ids) == 2000
    for i in ids:
        prefix, _, rand = i.partition("_")
        assert prefix in ("thr", "msg") and len(rand) == 32 and int(rand, 16) >= 0, i


def test_an_item_id_clash_is_an_error_not_a_skipped_message(store):
    run(store.save_thread(ThreadMetadata(id="thr_b", created_at=datetime.now()), BOB))
    run(store.add_thread_item("thr_a", message("msg_same", "thr_a", "alice's"), ALICE))
    with pytest.raises(IdClash):
        run(store.add_thread_item("thr_b", message("msg_same", "thr_b", "bob's"), BOB))
    with pytest.raises(IdClash):  # in the same thread too: never overwrite an earlier message
        run(store.add_thread_item("thr_a", message("msg_same", "thr_a", "again"), ALICE))
    with pytest.raises(IdClash):
        run(store.save_item("thr_b", message("msg_same", "thr_b", "bob's"), BOB))
    assert run(store.load_item("thr_a", "msg_same", ALICE)).content[0].text == "alice's"


def test_a_new_thread_never_takes_over_an_existing_one(store):
    # The id generator hands out an id that is taken (by the same reader or another one).
    for reader in (ALICE, BOB):
        store._new_threads.add("thr_a")
        with pytest.raises(IdClash):
            run(store.save_thread(ThreadMetadata(id="thr_a", created_at=datetime.now(), title="new"), reader))
    assert run(store.load_thread("thr_a", ALICE)).title == "A"
