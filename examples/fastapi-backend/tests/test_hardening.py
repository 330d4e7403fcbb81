"""Smaller holes: unknown attachments, other readers' feedback, the API docs pages."""

from __future__ import annotations

import re

import pytest

from .conftest import Reader, add_body, create_body


def threads(reader: Reader) -> list[dict]:
    return reader.json({"type": "threads.list", "params": {"limit": 100}})["data"]


def test_threads_create_with_an_unknown_attachment_is_a_clean_404_and_no_thread(client):
    reader = Reader(client)
    body = create_body("see my file")
    body["params"]["input"]["attachments"] = ["atc_doesnotexist"]
    r = reader.post(body)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"] == "not_found"
    assert threads(reader) == [], "no empty thread is left behind"


def test_add_user_message_with_an_unknown_attachment_is_404_and_stores_nothing(client):
    reader = Reader(client)
    thread = reader.stream(create_body("first"))[0]["thread"]["id"]
    body = add_body(thread, "second")
    body["params"]["input"]["attachments"] = ["atc_nope"]
    assert reader.post(body).status_code == 404
    items = reader.json({"type": "items.list", "params": {"thread_id": thread, "limit": 50}})["data"]
    assert len(items) == 2  # the first question and its answer


def test_feedback_only_on_the_readers_own_items(client):
    alice, bob = Reader(client), Reader(client)
    events = alice.stream(create_body("hello"))
    thread = events[0]["thread"]["id"]
    item = events[-1]["item"]["id"]
    feedback = {
        "type": "items.feedback",
        "params": {"thread_id": thread, "item_ids": [item], "kind": "positive"},
    }
    assert alice.json(feedback) == {}
    assert bob.json(feedback, status=404)["error"] == "not_found"
    # Alice's own thread with an item id that is not in it is a 404 too.
    feedback["params"]["item_ids"] = [item, "msg_unknown"]
    assert alice.json(feedback, status=404)["error"] == "not_found"


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_api_docs_are_off_by_default(client, make_app, path):
    assert client.get(path).status_code == 404
    assert make_app(docs_enabled=True).get("/openapi.json").status_code == 200


def test_ids_in_the_stream_carry_128_bits(client):
    events = Reader(client).stream(create_body("hello"))
    assert re.fullmatch(r"thr_[0-9a-f]{32}", events[0]["thread"]["id"])
    for e in events:
        if e["type"] in ("thread.item.done", "thread.item.added"):
            assert re.fullmatch(r"msg_[0-9a-f]{32}", e["item"]["id"]), e


def test_an_item_id_clash_answers_an_error_instead_of_losing_the_message(client, monkeypatch):
    """If two messages ever got one id, the second reader's message must not vanish silently."""
    store = client.app.state.store
    counter = iter(range(1_000_000))
    monkeypatch.setattr(store, "generate_item_id", lambda *a: f"msg_{next(counter)}")
    alice, bob = Reader(client), Reader(client)
    alice.stream(create_body("alice asks"))  # msg_0, msg_1
    thread = bob.stream(create_body("bob asks"))[0]["thread"]["id"]  # msg_2, msg_3
    counter = iter(range(1_000_000))  # the generator repeats itself: msg_0 again
    r = bob.post(add_body(thread, "bob asks again"))
    assert r.status_code == 500, r.text
    assert r.json()["error"] == "id_clash"
    items = bob.json({"type": "items.list", "params": {"thread_id": thread, "limit": 50}})["data"]
    assert len(items) == 2


def test_a_tag_with_a_huge_payload_counts_against_the_message_limit(make_app):
    client = make_app(max_message_chars=100)
    body = create_body("short")
    tag = {"type": "input_tag", "id": "t1", "text": "tag", "data": {"blob": "x" * 50_000}}
    body["params"]["input"]["content"].append(tag)
    r = Reader(client).post(body)
    assert r.status_code == 413 and r.json()["error"] == "message_too_long"


def test_a_huge_thread_title_is_refused(client):
    reader = Reader(client)
    thread = reader.stream(create_body("hello"))[0]["thread"]["id"]
    update = {"type": "threads.update", "params": {"thread_id": thread, "title": "t" * 501}}
    body = reader.json(update, status=400)
    assert body["error"] == "invalid_request" and body["fields"][0]["field"] == "params.title"
    update["params"]["title"] = "t" * 500
    assert reader.json(update)["title"] == "t" * 500


def test_feedback_on_too_many_items_is_refused(client):
    reader = Reader(client)
    thread = reader.stream(create_body("hello"))[0]["thread"]["id"]
    ids = [f"msg_{n}" for n in range(101)]
    feedback = {
        "type": "items.feedback",
        "params": {"thread_id": thread, "item_ids": ids, "kind": "negative"},
    }
    assert reader.json(feedback, status=400)["fields"][0]["field"] == "params.item_ids"


def test_a_retry_in_a_full_thread_is_allowed(make_app):
    client = make_app(max_items_per_thread=2)
    reader = Reader(client)
    events = reader.stream(create_body("hello"))
    thread, user_item = events[0]["thread"]["id"], events[1]["item"]["id"]
    assert reader.post(add_body(thread, "more")).status_code == 409
    retry = {"type": "threads.retry_after_item", "params": {"thread_id": thread, "item_id": user_item}}
    reader.stream(retry)
