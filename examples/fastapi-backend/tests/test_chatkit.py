"""POST /chatkit: auth, the event stream, follow-ups, reading threads, isolation, bad bodies."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.context import PageContext
from app.main import create_app

from .conftest import Reader, add_body, assistant_done, create_body, deltas, page_header

# -- auth --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer not.a-token", "Bearer abc"],
)
def test_chatkit_without_valid_token_is_401(client, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    r = client.post("/chatkit", json=create_body("hi"), headers=headers)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_is_401(client):
    token, _ = client.app.state.signer.issue("rdr_a", now=time.time() - 3600)
    r = Reader(client, token).post(create_body("hi"))
    assert r.status_code == 401
    assert "expired" in r.json()["message"]


def test_token_signed_by_another_backend_is_401(client, make_app):
    other = make_app()
    token = other.post("/api/chatkit/session").json()["client_secret"]
    assert Reader(client, token).post(create_body("hi")).status_code == 401
    assert Reader(other, token).post(create_body("hi")).status_code == 200


def test_auth_is_checked_before_the_body(client):
    r = client.post("/chatkit", content="not json")
    assert r.status_code == 401


# -- the stream ---------------------------------------------------------------------------------


def test_threads_create_streams_events_in_protocol_order(client):
    events = Reader(client).stream(create_body("What is a monad?"), page_header("/docs/fp", "Functors"))
    types = [e["type"] for e in events]

    assert types[0] == "thread.created"
    thread_id = events[0]["thread"]["id"]
    assert types[1] == "thread.item.done"
    user = events[1]["item"]
    assert user["type"] == "user_message" and user["thread_id"] == thread_id
    assert user["content"] == [{"type": "input_text", "text": "What is a monad?"}]
    assert types[2] == "stream_options"
    assert types[3] == "thread.item.added" and events[3]["item"]["type"] == "assistant_message"
    assert events[3]["item"]["content"] == []
    assert types[4] == "thread.updated" and events[4]["thread"]["title"] == "What is a monad?"

    updates = [e["update"]["type"] for e in events[5:-1]]
    assert updates[0] == "assistant_message.content_part.added"
    assert updates[-1] == "assistant_message.content_part.done"
    assert set(updates[1:-1]) == {"assistant_message.content_part.text_delta"}
    assert len(updates) - 2 >= 10, "the reply streams word by word"
    assert all(e["item_id"] == events[3]["item"]["id"] for e in events[5:-1])

    assert types[-1] == "thread.item.done"
    final = assistant_done(events)
    assert final["id"] == events[3]["item"]["id"]
    text = final["content"][0]["text"]
    assert "".join(deltas(events)) == text
    assert events[-2]["update"]["content"]["text"] == text
    assert '"Functors"' in text and "/docs/fp" in text
    assert 'You asked 1 question so far; your first was: "What is a monad?"' in text


def test_follow_up_sees_the_first_turn(client):
    reader = Reader(client)
    first = reader.stream(create_body("First question about loops"), page_header("/a", "Loops"))
    thread_id = first[0]["thread"]["id"]

    events = reader.stream(add_body(thread_id, "And recursion?"), page_header("/b", "Recursion"))
    types = [e["type"] for e in events]
    assert types[:3] == ["thread.item.done", "stream_options", "thread.item.added"]
    assert events[0]["item"]["content"][0]["text"] == "And recursion?"
    assert "thread.updated" not in types, "the title is set once"
    text = assistant_done(events)["content"][0]["text"]
    assert 'You asked 2 questions so far; your first was: "First question about loops"' in text
    assert '"Recursion"' in text, "the page context is read per request"
    assert "And recursion?" in text


def test_page_context_header(client):
    reader = Reader(client)
    title = "Überblick — 概要"
    text = assistant_done(reader.stream(create_body("hi"), page_header("/de/docs", title, "de")))["content"][
        0
    ]["text"]
    assert title in text and "language de" in text

    for header in ({}, {"X-ChatKit-Page": "not json"}, {"X-ChatKit-Page": "[1]"}):
        text = assistant_done(reader.stream(create_body("hi"), header))["content"][0]["text"]
        assert "could not tell which page" in text


def test_page_context_parsing():
    assert PageContext.from_header('{"path": "/x", "title": "\\u00e9"}').title == "é"
    assert PageContext.from_header('{"title": "' + "a" * 1000 + '"}').title == "a" * 300
    assert PageContext.from_header('{"title": null}').title == ""
    assert PageContext.from_header("") is None


@pytest.mark.parametrize(
    "text",
    [
        "Emoji 😀🎉👩‍💻 and accents é ñ 中文",
        "Code:\n```python\ndef f(x):\n    return x * 2  # `tick`\n```\nWhat does it do?",
        "x" * 5000,
        " ".join(["word"] * 1200),
        "<script>alert(1)</script> & \" ' \u2028",
    ],
    ids=["emoji", "code-block", "5000-chars", "1200-words", "markup"],
)
def test_any_text_gets_a_complete_reply(client, text):
    events = Reader(client).stream(create_body(text))
    final = assistant_done(events)["content"][0]["text"]
    assert "".join(deltas(events)) == final
    assert f"({len(text)} characters" in final
    assert len(final) < 1500, "long questions are quoted, not echoed in full"


def test_longreply_streams_a_long_multi_paragraph_answer(client):
    events = Reader(client).stream(create_body("please give me a longreply"))
    final = assistant_done(events)["content"][0]["text"]
    assert final.count("\n\n") >= 8
    assert "Paragraph 8 of 8" in final
    assert len(deltas(events)) > 200
    short = assistant_done(Reader(client).stream(create_body("a short one")))["content"][0]["text"]
    assert "Paragraph" not in short


# -- reading threads ------------------------------------------------------------------------------


def test_get_by_id_and_items_list(client):
    reader = Reader(client)
    thread_id = reader.stream(create_body("one"))[0]["thread"]["id"]
    reader.stream(add_body(thread_id, "two"))

    thread = reader.json({"type": "threads.get_by_id", "params": {"thread_id": thread_id}})
    assert thread["id"] == thread_id and thread["title"] == "one"
    kinds = [(i["type"], i["content"][0]["text"][:3]) for i in thread["items"]["data"]]
    assert [k for k, _ in kinds] == ["user_message", "assistant_message"] * 2
    assert kinds[0] == ("user_message", "one") and kinds[2] == ("user_message", "two")

    asc = reader.json({"type": "items.list", "params": {"thread_id": thread_id, "order": "asc"}})
    desc = reader.json({"type": "items.list", "params": {"thread_id": thread_id}})
    assert [i["id"] for i in desc["data"]] == [i["id"] for i in reversed(asc["data"])]
    assert asc["has_more"] is False and len(asc["data"]) == 4

    page1 = reader.json(
        {"type": "items.list", "params": {"thread_id": thread_id, "order": "asc", "limit": 3}}
    )
    assert page1["has_more"] is True and page1["after"] == page1["data"][-1]["id"]
    page2 = reader.json(
        {
            "type": "items.list",
            "params": {"thread_id": thread_id, "order": "asc", "limit": 3, "after": page1["after"]},
        }
    )
    assert [i["id"] for i in page1["data"] + page2["data"]] == [i["id"] for i in asc["data"]]
    assert page2["has_more"] is False

    listed = reader.json({"type": "threads.list", "params": {}})
    assert [t["id"] for t in listed["data"]] == [thread_id]


def test_update_and_delete_thread(client):
    reader = Reader(client)
    thread_id = reader.stream(create_body("one"))[0]["thread"]["id"]
    updated = reader.json({"type": "threads.update", "params": {"thread_id": thread_id, "title": "Renamed"}})
    assert updated["title"] == "Renamed"
    assert reader.json({"type": "threads.delete", "params": {"thread_id": thread_id}}) == {}
    reader.json({"type": "threads.get_by_id", "params": {"thread_id": thread_id}}, status=404)


def test_threads_are_isolated_between_readers(client):
    alice, bob = Reader(client), Reader(client)
    thread_id = alice.stream(create_body("Alice's secret question"))[0]["thread"]["id"]

    for body in (
        {"type": "threads.get_by_id", "params": {"thread_id": thread_id}},
        {"type": "items.list", "params": {"thread_id": thread_id}},
        {"type": "threads.update", "params": {"thread_id": thread_id, "title": "mine"}},
        {"type": "threads.delete", "params": {"thread_id": thread_id}},
        add_body(thread_id, "let me in"),
        {"type": "threads.retry_after_item", "params": {"thread_id": thread_id, "item_id": "x"}},
    ):
        r = bob.post(body)
        assert r.status_code == 404, (body["type"], r.text)
        assert r.json()["error"] == "not_found"
        assert "secret" not in r.text
    assert bob.json({"type": "threads.list", "params": {}})["data"] == []

    # Alice's thread is untouched, and she still reaches it.
    thread = alice.json({"type": "threads.get_by_id", "params": {"thread_id": thread_id}})
    assert thread["title"] == "Alice's secret question" and len(thread["items"]["data"]) == 2


def test_refreshed_token_reaches_the_same_threads(client):
    reader = Reader(client)
    thread_id = reader.stream(create_body("keep me"))[0]["thread"]["id"]
    new = client.post("/api/chatkit/session", json={"existing": reader.token}).json()["client_secret"]
    same = Reader(client, new)
    assert same.json({"type": "threads.get_by_id", "params": {"thread_id": thread_id}})["id"] == thread_id


def test_threads_survive_a_restart_with_a_database_file(tmp_path):
    settings = Settings(session_secret="fixed", word_delay_ms=0, db_path=str(tmp_path / "chat.db"))
    with TestClient(create_app(settings)) as first:
        reader = Reader(first)
        thread_id = reader.stream(create_body("persist me"))[0]["thread"]["id"]
        token = reader.token
    with TestClient(create_app(settings)) as second:
        thread = Reader(second, token).json({"type": "threads.get_by_id", "params": {"thread_id": thread_id}})
        assert thread["items"]["data"][0]["content"][0]["text"] == "persist me"


# -- bad bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ("not json at all", ""),
        ("", ""),
        ({"type": "threads.nope", "params": {}}, ""),
        ({"params": {}}, ""),
        ({"type": "threads.create", "params": {}}, "threads.create.params.input"),
        (
            {
                "type": "threads.create",
                "params": {"input": {"content": [{"type": "input_text", "text": "x"}]}},
            },
            "threads.create.params.input.attachments",
        ),
        ({"type": "threads.get_by_id", "params": {}}, "threads.get_by_id.params.thread_id"),
        (
            {"type": "items.list", "params": {"thread_id": "t", "order": "sideways"}},
            "items.list.params.order",
        ),
    ],
    ids=[
        "not-json",
        "empty",
        "unknown-type",
        "no-type",
        "no-input",
        "no-attachments",
        "no-thread-id",
        "bad-order",
    ],
)
def test_bad_body_is_400_with_field_errors(client, body, field):
    r = Reader(client).post(body)
    assert r.status_code == 400, r.text
    payload = r.json()
    assert payload["error"] == "invalid_request"
    assert payload["fields"], "names at least one field error"
    assert all({"field", "message", "type"} <= set(f) for f in payload["fields"])
    if field:
        assert field in [f["field"] for f in payload["fields"]]


def test_json_answers_and_stream_headers(client):
    reader = Reader(client)
    r = reader.post(create_body("hi"))
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-cache"
    r = reader.post({"type": "threads.list", "params": {}})
    assert r.headers["content-type"] == "application/json"
    assert json.loads(r.content) == {"data": [{**json.loads(r.content)["data"][0]}], "has_more": False}


def test_healthz(client):
    assert client.get("/healthz").json() == {"ok": True}


def test_retry_after_item_answers_again(client):
    reader = Reader(client)
    events = reader.stream(create_body("retry me"))
    thread_id, user_id = events[0]["thread"]["id"], events[1]["item"]["id"]
    first_answer = assistant_done(events)["id"]
    retried = reader.stream(
        {"type": "threads.retry_after_item", "params": {"thread_id": thread_id, "item_id": user_id}}
    )
    again = assistant_done(retried)
    assert again["id"] != first_answer
    assert 'You asked 1 question so far; your first was: "retry me"' in again["content"][0]["text"]
    items = reader.json({"type": "items.list", "params": {"thread_id": thread_id, "order": "asc"}})["data"]
    assert [i["id"] for i in items] == [user_id, again["id"]]


def test_oversized_body_is_413(make_app):
    client = make_app(max_body_bytes=10_000)
    reader = Reader(client)
    assert reader.post(create_body("x" * 5000)).status_code == 200
    r = reader.post(create_body("x" * 20_000), {"Origin": "http://localhost:3000"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
    too_big = client.post("/api/chatkit/session", content=b"{" + b" " * 20_000 + b"}")
    assert too_big.status_code == 413
