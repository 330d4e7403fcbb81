"""Bad request bodies never produce a 5xx: Hypothesis posts generated bodies to both endpoints.

FastAPI's OpenAPI describes `/chatkit` as a free-form body (the route reads raw bytes for the
SDK), so a schema fuzzer would only ever send random JSON there. These tests build the ChatKit
request shapes themselves: every request type the SDK knows, valid, then with a field removed,
mistyped, oversized, replaced by odd unicode or deep nesting; plus random JSON values and raw
bytes. Every answer must be below 500, and every 4xx must be JSON naming the error.

Bounded: FUZZ_EXAMPLES examples per fuzz test (default 60: seven tests, 420 requests), in process
(no server), about 10 s. `FUZZ_EXAMPLES=2000 ./test.sh -k fuzz` searches longer. The bodies
the fuzzer found answering 500 are kept at the bottom as plain regression tests.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import Settings
from app.main import create_app

from .conftest import Reader, add_body, create_body, parse_sse

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
MAX_BODY = 200_000

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- the app under test, with one reader who owns a thread and one who does not -----------------


class World:
    def __init__(self):
        app = create_app(
            Settings(word_delay_ms=0, max_body_bytes=MAX_BODY, rate_limits=False, db_path=":memory:")
        )
        self.client = TestClient(app, raise_server_exceptions=False)
        self.client.__enter__()
        self.me = Reader(self.client)
        self.other = Reader(self.client)
        events = self.me.stream(create_body("first question"))
        self.thread_id = events[0]["thread"]["id"]
        self.user_item = events[1]["item"]["id"]
        done = [e for e in events if e["type"] == "thread.item.done"]
        self.assistant_item = done[-1]["item"]["id"]
        self.me.stream(add_body(self.thread_id, "second question"))
        self.foreign_thread = self.other.stream(create_body("not yours"))[0]["thread"]["id"]


@pytest.fixture(scope="module")
def world():
    w = World()
    yield w
    w.client.__exit__(None, None, None)


# -- checks ------------------------------------------------------------------------------------


def check_answer(r, where: str) -> None:
    """No 5xx; a 4xx is a JSON object with a named error and a message; a 200 is well formed."""
    assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:500]}"
    content_type = r.headers.get("content-type", "")
    if r.status_code >= 400:
        assert content_type.startswith("application/json"), f"{where}: {content_type} {r.text[:300]}"
        payload = r.json()
        assert isinstance(payload, dict), payload
        assert isinstance(payload.get("error"), str) and payload["error"], payload
        assert isinstance(payload.get("message"), str) and payload["message"].strip(), payload
        if payload["error"] == "invalid_request" and "fields" in payload:
            assert all({"field", "message", "type"} <= set(f) for f in payload["fields"]), payload
        return
    assert r.status_code == 200, f"{where}: {r.status_code}"
    if content_type.startswith("text/event-stream"):
        for event in parse_sse(r.text):  # every frame complete and JSON
            assert isinstance(event, dict) and "type" in event, event
    else:
        assert content_type.startswith("application/json"), content_type
        json.loads(r.content)


def post_chatkit(world: World, body: Any, raw: bytes | None = None, reader: Reader | None = None):
    content = raw if raw is not None else json.dumps(body).encode()
    reader = reader or world.me
    return world.client.post("/chatkit", content=content, headers=reader.headers())


# -- strategies --------------------------------------------------------------------------------

# Any code point, including lone surrogates (json.dumps escapes them as \udxxx), NUL, RTL marks.
odd_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=40)
short_text = st.one_of(st.text(max_size=20), odd_text, st.sampled_from(["", " ", "\u2028", "\u202e", "😀"]))
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, short_text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(short_text, inner, max_size=4)),
    max_leaves=12,
)


def user_input(text: str = "hello") -> dict:
    return {
        "content": [{"type": "input_text", "text": text}],
        "quoted_text": "",
        "attachments": [],
        "inference_options": {},
    }


def valid_bodies(world: World) -> list[dict]:
    """One valid body per ChatKit request type (SDK 1.6.5), pointing at real ids."""
    t, u, a = world.thread_id, world.user_item, world.assistant_item
    action = {"type": "example.click", "payload": {"n": 1}}
    return [
        {"type": "threads.create", "params": {"input": user_input()}},
        {"type": "threads.add_user_message", "params": {"thread_id": t, "input": user_input()}},
        {"type": "threads.add_client_tool_output", "params": {"thread_id": t, "result": {"ok": True}}},
        {
            "type": "threads.add_structured_input",
            "params": {"thread_id": t, "item_id": a, "input": {"status": "answered", "answers": {}}},
        },
        {"type": "threads.retry_after_item", "params": {"thread_id": t, "item_id": u}},
        {"type": "threads.custom_action", "params": {"thread_id": t, "item_id": a, "action": action}},
        {"type": "threads.sync_custom_action", "params": {"thread_id": t, "action": action}},
        {"type": "threads.get_by_id", "params": {"thread_id": t}},
        {"type": "threads.list", "params": {"limit": 5, "order": "asc", "after": t}},
        {"type": "items.list", "params": {"thread_id": t, "limit": 5, "order": "desc", "after": u}},
        {"type": "items.feedback", "params": {"thread_id": t, "item_ids": [a], "kind": "positive"}},
        {"type": "attachments.create", "params": {"name": "a.txt", "size": 3, "mime_type": "text/plain"}},
        {"type": "attachments.delete", "params": {"attachment_id": "atc_1"}},
        {"type": "input.transcribe", "params": {"audio_base64": "AAAA", "mime_type": "audio/webm"}},
        {"type": "threads.update", "params": {"thread_id": t, "title": "New title"}},
        {"type": "threads.delete", "params": {"thread_id": "thr_does_not_exist"}},
    ]


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every location inside a JSON value, as key/index tuples (the root is ())."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, prefix + (i,))
    return out


def nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf] if depth % 2 else {"a": leaf}
    return leaf


@st.composite
def mutated_body(draw, world: World) -> dict:
    body = json.loads(json.dumps(draw(st.sampled_from(valid_bodies(world)))))
    for _ in range(draw(st.integers(1, 3))):
        locations = [p for p in paths(body) if p]
        if not locations:
            break
        where = draw(st.sampled_from(locations))
        parent = body
        for key in where[:-1]:
            parent = parent[key]
        key = where[-1]
        op = draw(st.sampled_from(["remove", "mistype", "oversize", "unicode", "nest", "id", "number"]))
        if op == "remove":
            del parent[key]
        elif op == "mistype":
            parent[key] = draw(json_values)
        elif op == "oversize":
            parent[key] = "x" * draw(st.sampled_from([1_000, 50_000, MAX_BODY + 1]))
        elif op == "unicode":
            parent[key] = draw(odd_text)
        elif op == "nest":
            parent[key] = nested(draw(st.sampled_from([3, 64, 600])), draw(json_values))
        elif op == "id":
            parent[key] = draw(
                st.sampled_from(
                    [world.thread_id, world.user_item, world.assistant_item, world.foreign_thread, ""]
                )
            )
        else:
            parent[key] = draw(numbers)
    return body


# -- the fuzz tests ----------------------------------------------------------------------------


def test_valid_body_of_every_type_is_not_a_server_error(world):
    for body in valid_bodies(world):
        check_answer(post_chatkit(world, body), body["type"])


@FUZZ
@given(data=st.data())
def test_chatkit_mutated_requests(world, data):
    body = data.draw(mutated_body(world))
    check_answer(post_chatkit(world, body), json.dumps(body)[:300])


@FUZZ
@given(body=json_values)
def test_chatkit_random_json(world, body):
    check_answer(post_chatkit(world, body), json.dumps(body)[:300])


@FUZZ
@given(raw=st.one_of(st.binary(max_size=200), odd_text.map(lambda s: s.encode("utf-8", "surrogatepass"))))
def test_chatkit_raw_bytes(world, raw):
    check_answer(post_chatkit(world, None, raw=raw), repr(raw[:200]))


@FUZZ
@given(token=st.one_of(st.text(st.characters(max_codepoint=0xFF), max_size=60), st.binary(max_size=60)))
def test_chatkit_bearer_token_garbage(world, token):
    value = token if isinstance(token, bytes) else token.encode("latin-1")
    value = value.replace(b"\r", b"").replace(b"\n", b"")  # not representable in one header line
    r = world.client.post(
        "/chatkit",
        content=b'{"type":"threads.list","params":{}}',
        headers={"Authorization": b"Bearer " + value},
    )
    check_answer(r, repr(value))
    assert r.status_code == 401, r.text


page_header = st.one_of(
    json_values.map(json.dumps),
    st.builds(
        lambda path, title, lang: json.dumps({"path": path, "title": title, "lang": lang}),
        json_values,
        json_values,
        json_values,
    ),
    st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n"), max_size=80),
    st.sampled_from(["[" * 5000, '{"path":' * 2000, '{"title": "' + "t" * 8000 + '"}']),
)


@FUZZ
@given(header=page_header)
def test_chatkit_page_header_garbage(world, header):
    """X-ChatKit-Page is never trusted: any value still gets the reader an answer."""
    headers = {**world.me.headers(), "X-ChatKit-Page": header.encode("latin-1", "backslashreplace")}
    body = {"type": "threads.create", "params": {"input": user_input("which page?")}}
    r = world.client.post("/chatkit", content=json.dumps(body).encode(), headers=headers)
    check_answer(r, repr(header[:200]))
    assert r.status_code == 200, r.text


@st.composite
def session_body(draw, world: World) -> Any:
    genuine = world.me.token
    payload, _, signature = genuine.partition(".")
    existing = draw(
        st.one_of(
            json_values,
            odd_text,
            st.sampled_from(
                [
                    genuine,
                    payload,
                    f"{payload}.{signature[::-1]}",
                    f"{payload}.{signature}.{signature}",
                    f"é{payload}.{signature}",
                    f"{payload}.{signature}\u2028",
                    "x" * (MAX_BODY + 1),
                ]
            ),
        )
    )
    return draw(
        st.one_of(st.just({"existing": existing}), json_values, st.just({"existing": existing, "x": 1}))
    )


@FUZZ
@given(data=st.data())
def test_session_endpoint_bodies(world, data):
    body = data.draw(session_body(world))
    r = world.client.post("/api/chatkit/session", content=json.dumps(body).encode())
    check_answer(r, json.dumps(body)[:300])
    if r.status_code == 200:
        answer = r.json()
        assert isinstance(answer["client_secret"], str) and isinstance(answer["expires_at"], int)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_session_endpoint_raw_bytes(world, raw):
    check_answer(world.client.post("/api/chatkit/session", content=raw), repr(raw))


# -- regressions: the bodies the fuzzer found answering 500 --------------------------------------


@pytest.mark.parametrize(
    "body, status, error",
    [
        # The SDK raises RuntimeError without an attachment store; this backend takes no uploads.
        (
            {"type": "attachments.create", "params": {"name": "a", "size": 1, "mime_type": "x"}},
            400,
            "unsupported_request",
        ),
        ({"type": "attachments.delete", "params": {"attachment_id": "a"}}, 400, "unsupported_request"),
        # NotImplementedError in the SDK's default transcribe() / sync_action().
        (
            {"type": "input.transcribe", "params": {"audio_base64": "AAAA", "mime_type": "audio/webm"}},
            400,
            "unsupported_request",
        ),
        # binascii.Error while decoding the audio, before transcribe() is reached.
        (
            {"type": "input.transcribe", "params": {"audio_base64": "AAA", "mime_type": "audio/webm"}},
            400,
            "invalid_request",
        ),
        # sqlite3 OverflowError for a limit past 64 bits; IndexError for a negative limit.
        ({"type": "threads.list", "params": {"limit": 2**63}}, 200, None),
        ({"type": "threads.list", "params": {"limit": -5}}, 400, "invalid_request"),
    ],
    ids=[
        "attachments-create",
        "attachments-delete",
        "transcribe",
        "transcribe-bad-base64",
        "huge-limit",
        "neg-limit",
    ],
)
def test_regression_chatkit_bodies(world, body, status, error):
    r = post_chatkit(world, body)
    check_answer(r, json.dumps(body))
    assert r.status_code == status, r.text
    if error:
        assert r.json()["error"] == error


def test_regression_sync_custom_action_is_unsupported(world):
    reader = Reader(world.client)
    thread_id = reader.stream(create_body("one"))[0]["thread"]["id"]
    body = {
        "type": "threads.sync_custom_action",
        "params": {"thread_id": thread_id, "action": {"type": "a", "payload": {}}},
    }
    r = post_chatkit(world, body, reader=reader)
    assert r.status_code == 400 and r.json()["error"] == "unsupported_request", r.text


@pytest.mark.parametrize("limit", [2**63, 10**30])
def test_regression_items_list_huge_limit_is_capped(world, limit):
    reader = Reader(world.client)
    thread_id = reader.stream(create_body("one"))[0]["thread"]["id"]
    reader.stream(add_body(thread_id, "two"))
    body = {"type": "items.list", "params": {"thread_id": thread_id, "limit": limit, "order": "asc"}}
    r = post_chatkit(world, body, reader=reader)
    assert r.status_code == 200, r.text
    assert len(r.json()["data"]) == 4  # two questions, two answers


@pytest.mark.parametrize("existing", ["é.x", "\u2028abc.def", "ok.ok\u00ff"])
def test_regression_non_ascii_existing_token_mints_a_new_reader(world, existing):
    r = world.client.post("/api/chatkit/session", json={"existing": existing})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("header", ["[" * 5000, '{"path":' * 2000])
def test_regression_deeply_nested_page_header_is_ignored(world, header):
    # json.loads raised RecursionError, which PageContext.from_header did not catch: a 500.
    headers = {**world.me.headers(), "X-ChatKit-Page": header}
    body = {"type": "threads.create", "params": {"input": user_input("where am I?")}}
    r = world.client.post("/chatkit", content=json.dumps(body).encode(), headers=headers)
    assert r.status_code == 200, r.text
    assert "I could not tell which page you are reading." in r.text


def test_regression_retry_after_unknown_item_is_404(world):
    # The SDK yields no event at all here; the answer was an empty 200 event stream.
    reader = Reader(world.client)
    thread_id = reader.stream(create_body("retry from where?"))[0]["thread"]["id"]
    body = {"type": "threads.retry_after_item", "params": {"thread_id": thread_id, "item_id": "msg_nope"}}
    r = post_chatkit(world, body, reader=reader)
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "not_found"


def test_regression_non_ascii_bearer_token_is_401(world):
    r = world.client.post(
        "/chatkit",
        content=b'{"type":"threads.list","params":{}}',
        headers={"Authorization": b"Bearer \xe9.x"},
    )
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "unauthorized"
