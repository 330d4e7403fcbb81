"""Against a real uvicorn server: SSE really streams, and every fault switch does what it says."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

from .conftest import (
    ORIGIN,
    Reader,
    add_body,
    assistant_done,
    create_body,
    deltas,
    page_header,
    parse_sse,
    preflight,
)


def stream_timed(client: httpx.Client, token: str, body: dict, headers: dict | None = None):
    """(arrival time, event) for each SSE frame as it arrives off the socket."""
    out, buffer = [], b""
    with client.stream(
        "POST", "/chatkit", json=body, headers={"Authorization": f"Bearer {token}", **(headers or {})}
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for chunk in r.iter_raw():
            buffer += chunk
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                assert frame.startswith(b"data: ")
                out.append((time.monotonic(), json.loads(frame[6:])))
    assert buffer == b""
    return out


def test_sse_streams_word_by_word(live):
    reader = Reader(live)
    timed = stream_timed(
        live, reader.token, create_body("Is this streamed?"), page_header("/docs/sse", "Streaming")
    )
    events = [e for _, e in timed]
    delta_times = [t for t, e in timed if e["type"] == "thread.item.updated" and "delta" in e["update"]]
    assert len(delta_times) >= 20
    # 20 ms between words: the first words arrive well before the last ones (no buffering).
    assert delta_times[-1] - delta_times[0] >= 0.3
    # Under load a client may read several frames at once, but never all of them in one read.
    assert len(set(delta_times)) >= 5, "words arrive one by one"
    text = assistant_done(events)["content"][0]["text"]
    assert '"Streaming"' in text

    follow = stream_timed(live, reader.token, add_body(events[0]["thread"]["id"], "Second?"))
    text = assistant_done([e for _, e in follow])["content"][0]["text"]
    assert 'You asked 2 questions so far; your first was: "Is this streamed?"' in text


# -- admin endpoint ----------------------------------------------------------------------------


def test_admin_endpoints_absent_without_faults_flag(client):
    assert client.post("/__faults", json={"fail_next": 1}).status_code == 404
    assert client.post("/__faults/reset").status_code == 404
    assert client.get("/__stats").status_code == 404


def test_admin_endpoints_answer_only_localhost(make_app):
    client = make_app(faults_enabled=True)  # TestClient's peer is "testclient", not 127.0.0.1
    assert client.post("/__faults", json={"fail_next": 1}).status_code == 403
    assert client.get("/__stats").status_code == 403
    assert Reader(client).post({"type": "threads.list", "params": {}}).status_code == 200


def test_bad_fault_body_is_400(live):
    assert live.post("/__faults", json={"fail_nxt": 1}).status_code == 400
    assert live.post("/__faults", json={"status": 200}).status_code == 400
    assert live.post("/__faults", content="{").status_code == 400


def test_stats_count_requests_per_path_and_status(live):
    reader = Reader(live)
    reader.post({"type": "threads.list", "params": {}})
    live.post("/chatkit", json={})  # 401
    live.options("/chatkit", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    stats = live.get("/__stats").json()
    assert stats["requests"]["/api/chatkit/session"] == {"200": 1, "total": 1}
    assert stats["requests"]["/chatkit"] == {"200": 1, "401": 1, "total": 2}
    assert stats["preflight"] == {"/chatkit": 1}
    live.post("/__faults/reset")
    assert live.get("/__stats").json()["requests"] == {}


# -- each switch --------------------------------------------------------------------------------


def test_fail_next(live):
    reader = Reader(live)
    state = live.post("/__faults", json={"fail_next": 2, "status": 503, "paths": ["/chatkit"]}).json()
    assert state["fail_next"] == 2 and state["paths"] == ["/chatkit"]
    body = {"type": "threads.list", "params": {}}
    for _ in range(2):
        r = reader.post(body, {"Origin": ORIGIN})
        assert r.status_code == 503
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert r.json()["error"] == "injected_fault"
    assert live.post("/api/chatkit/session").status_code == 200, "other paths are not affected"
    assert reader.post(body).status_code == 200
    stats = live.get("/__stats").json()
    assert stats["requests"]["/chatkit"] == {"503": 2, "200": 1, "total": 3}
    assert stats["faults"] == {"fail": 2}


def test_fail_next_defaults_to_500_on_every_path(live):
    live.post("/__faults", json={"fail_next": 1, "status": 503})
    assert live.post("/api/chatkit/session").status_code == 503
    live.post("/__faults", json={"fail_next": 1})
    assert live.post("/api/chatkit/session").status_code == 500
    assert live.get("/healthz").status_code == 200, "health checks are never faulted"
    assert live.post("/api/chatkit/session").status_code == 200


def test_delay_ms(live):
    reader = Reader(live)
    live.post("/__faults", json={"delay_ms": 2000, "paths": ["/chatkit"]})
    start = time.monotonic()
    assert reader.post({"type": "threads.list", "params": {}}).status_code == 200
    assert time.monotonic() - start >= 2.0
    start = time.monotonic()
    live.post("/api/chatkit/session")
    assert time.monotonic() - start < 1.5, "other paths are not delayed"


def test_drop_next_cuts_a_stream_halfway(live):
    reader = Reader(live)
    live.post("/__faults", json={"drop_next": 1, "paths": ["/chatkit"]})
    received = b""
    with pytest.raises(httpx.HTTPError):
        with live.stream("POST", "/chatkit", json=create_body("cut me"), headers=reader.headers()) as r:
            assert r.status_code == 200
            for chunk in r.iter_raw():
                received += chunk
    frames = [f for f in received.split(b"\n\n") if f]
    assert 1 <= len(frames) <= 8
    assert b"content_part.done" not in received
    # The next request is whole again.
    events = reader.stream(create_body("whole"))
    assert assistant_done(events)
    assert live.get("/__stats").json()["faults"] == {"drop": 1}


def test_drop_next_cuts_a_json_answer(live):
    live.post("/__faults", json={"drop_next": 1, "paths": ["/api/chatkit/session"]})
    with pytest.raises(httpx.HTTPError):
        live.post("/api/chatkit/session")
    assert live.post("/api/chatkit/session").status_code == 200


def test_stop_stream_after_words(live):
    reader = Reader(live)
    live.post("/__faults", json={"stop_stream_after_words": 3})
    r = reader.post(create_body("stop early please"))
    assert r.status_code == 200
    events = parse_sse(r.text)  # a clean end: complete frames only
    assert len(deltas(events)) == 3
    assert not [
        e for e in events if e["type"] == "thread.item.done" and e["item"]["type"] == "assistant_message"
    ]
    live.post("/__faults", json={"stop_stream_after_words": 0})
    assert assistant_done(reader.stream(create_body("all of it")))


def test_stream_error_next(live):
    reader = Reader(live)
    live.post("/__faults", json={"stream_error_next": 1})
    events = reader.stream(create_body("fail in the middle"))
    assert len(deltas(events)) == 3
    assert events[-1] == {"type": "error", "code": "stream.error", "allow_retry": True}
    assert not [
        e for e in events if e["type"] == "thread.item.done" and e["item"]["type"] == "assistant_message"
    ]
    assert assistant_done(reader.stream(create_body("fine again")))
    assert live.get("/__stats").json()["faults"] == {"stream_error": 1}


def test_expire_tokens(live):
    reader = Reader(live)
    thread_id = reader.stream(create_body("before expiry"))[0]["thread"]["id"]
    live.post("/__faults", json={"expire_tokens": True})
    r = reader.post({"type": "threads.list", "params": {}})
    assert r.status_code == 401
    # Refreshing with the expired token keeps the reader and their thread.
    fresh = live.post("/api/chatkit/session", json={"existing": reader.token}).json()["client_secret"]
    thread = Reader(live, fresh).json({"type": "threads.get_by_id", "params": {"thread_id": thread_id}})
    assert thread["id"] == thread_id
    live.post("/__faults/reset")
    assert reader.post({"type": "threads.list", "params": {}}).status_code == 200, "reset lifts it"


def test_html_error_next(live):
    reader = Reader(live)
    live.post("/__faults", json={"html_error_next": 1, "paths": ["/chatkit"]})
    r = reader.post(create_body("x"), {"Origin": ORIGIN})
    assert r.status_code == 502
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in r.text
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert reader.post({"type": "threads.list", "params": {}}).status_code == 200


def test_session_no_expiry(live):
    live.post("/__faults", json={"session_no_expiry": True})
    body = live.post("/api/chatkit/session").json()
    assert "expires_at" not in body and body["client_secret"]
    assert Reader(live, body["client_secret"]).post({"type": "threads.list", "params": {}}).status_code == 200
    live.post("/__faults/reset")
    assert "expires_at" in live.post("/api/chatkit/session").json()


def test_reset_turns_everything_off(live):
    live.post(
        "/__faults",
        json={
            "fail_next": 3,
            "delay_ms": 100,
            "drop_next": 2,
            "html_error_next": 1,
            "stop_stream_after_words": 2,
            "stream_error_next": 2,
            "session_no_expiry": True,
            "login_page": True,
            "session_expired": True,
            "cors_origins": ["https://other.example"],
            "cors_headers": ["authorization"],
            "paths": ["/x"],
        },
    )
    state = live.post("/__faults/reset").json()
    assert state == {
        "fail_next": 0,
        "status": 500,
        "paths": None,
        "delay_ms": 0,
        "drop_next": 0,
        "drop_after_chunks": 8,
        "stop_stream_after_words": None,
        "stream_error_next": 0,
        "html_error_next": 0,
        "session_no_expiry": False,
        "retry_after": 30,
        "login_page": False,
        "session_expired": False,
        "cors_origins": None,
        "cors_headers": None,
    }


def test_fail_next_with_429_looks_like_the_real_rate_limit(live):
    live.post(
        "/__faults", json={"fail_next": 1, "status": 429, "retry_after": 7, "paths": ["/api/chatkit/session"]}
    )
    r = live.post("/api/chatkit/session", json={}, headers={"Origin": ORIGIN})
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["access-control-expose-headers"] == "Retry-After"
    body = r.json()
    assert body["error"] == "rate_limited" and body["retry_after"] == 7 and body["message"]
    assert live.post("/api/chatkit/session", json={}).status_code == 200


def test_reset_clears_the_rate_limit_counters():
    settings = Settings(faults_enabled=True, sessions_per_ip="2/minute", db_path=":memory:")
    with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as client:
        for _ in range(2):
            assert client.post("/api/chatkit/session").status_code == 200
        assert client.post("/api/chatkit/session").status_code == 429
        assert client.post("/__faults/reset").status_code == 200
        assert client.post("/api/chatkit/session").status_code == 200


def test_client_closing_the_stream_keeps_the_thread_usable(live):
    reader = Reader(live)
    seen: list[dict] = []
    with live.stream("POST", "/chatkit", json=create_body("I will hang up"), headers=reader.headers()) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
            if len(deltas(seen)) >= 3:
                break  # leaving the block closes the connection mid-answer
    thread_id = seen[0]["thread"]["id"]
    # The server notices the disconnect and stores the partial answer; give it a few seconds.
    deadline = time.monotonic() + 10
    while True:
        body = {"type": "items.list", "params": {"thread_id": thread_id, "order": "asc"}}
        items = reader.json(body)["data"]
        if len(items) > 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert items[0]["type"] == "user_message"
    partial = [i for i in items if i["type"] == "assistant_message"]
    assert len(partial) == 1 and partial[0]["content"][0]["text"].startswith("I could not")
    assert all(i["type"] != "sdk_hidden_context" for i in items), "hidden items never reach clients"
    follow = reader.stream(add_body(thread_id, "Back again"))
    assert (
        'You asked 2 questions so far; your first was: "I will hang up"'
        in assistant_done(follow)["content"][0]["text"]
    )


# -- the switches `chatkit-inject doctor` is tested with ----------------------------------------


def test_login_page(live):
    live.post("/__faults", json={"login_page": True, "paths": ["/api/chatkit/session"]})
    r = live.post("/api/chatkit/session", json={}, headers={"Origin": ORIGIN})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<title>Sign in - Campus SSO</title>" in r.text
    assert r.headers["access-control-allow-origin"] == ORIGIN, "CORS headers like a real answer"
    assert Reader(live, "x").post({"type": "threads.list", "params": {}}).status_code == 401, "other paths"
    assert live.get("/__stats").json()["faults"] == {"login_page": 1}
    live.post("/__faults", json={"login_page": False})
    assert live.post("/api/chatkit/session", json={}).json()["client_secret"]


def test_session_expired(live):
    live.post("/__faults", json={"session_expired": True})
    answer = live.post("/api/chatkit/session", json={}).json()
    assert answer["expires_at"] < time.time() - 30
    r = Reader(live, answer["client_secret"]).post({"type": "threads.list", "params": {}})
    assert r.status_code == 401 and "expired" in r.json()["message"]
    # A renewal is issued expired as well.
    renewed = live.post("/api/chatkit/session", json={"existing": answer["client_secret"]}).json()
    assert renewed["expires_at"] < time.time()
    live.post("/__faults/reset")
    fresh = live.post("/api/chatkit/session", json={}).json()
    assert fresh["expires_at"] > time.time() + 60
    listed = Reader(live, fresh["client_secret"]).post({"type": "threads.list", "params": {}})
    assert listed.status_code == 200


def test_cors_origins(live):
    state = live.post("/__faults", json={"cors_origins": ["https://other.example"]}).json()
    assert state["cors_origins"] == ["https://other.example"]
    r = preflight(live, ORIGIN, "authorization,content-type")
    assert r.status_code == 400 and r.text == "Disallowed CORS origin"
    assert "access-control-allow-origin" not in r.headers
    # An answer to the site loses its CORS headers; the allowed origin keeps them.
    reader = Reader(live)
    body = {"type": "threads.list", "params": {}}
    site = reader.post(body, {"Origin": ORIGIN})
    assert site.status_code == 200 and "access-control-allow-origin" not in site.headers
    assert live.get("/__stats").json()["faults"] == {"cors": 2}
    # Turned off with null: the configured origins again.
    assert live.post("/__faults", json={"cors_origins": None}).json()["cors_origins"] is None
    r = preflight(live, ORIGIN, "authorization,content-type")
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ORIGIN


def test_cors_headers(live):
    live.post("/__faults", json={"cors_headers": ["Authorization", "Content-Type", "X-ChatKit-Page"]})
    ok = preflight(live, ORIGIN, "authorization,content-type,x-chatkit-page,accept")
    assert ok.status_code == 200, "the listed and the safelisted headers pass"
    refused = preflight(live, ORIGIN, "authorization,content-type,last-event-id,x-chatkit-page")
    assert refused.status_code == 400 and refused.text == "Disallowed CORS headers"
    assert refused.headers["access-control-allow-origin"] == ORIGIN
    allowed = {h.strip() for h in refused.headers["access-control-allow-headers"].split(",")}
    assert "last-event-id" not in allowed and "authorization" in allowed
    other = preflight(live, "https://evil.example", "last-event-id")
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    live.post("/__faults/reset")
    all_headers = "authorization,content-type,last-event-id,x-chatkit-page"
    assert preflight(live, ORIGIN, all_headers).status_code == 200
