"""Abuse limits: sessions per address, messages per reader and per address, message length."""

from __future__ import annotations

import asyncio

import pytest
from limits import parse_many

from app.config import DEFAULT_SESSIONS_PER_IP, Settings
from app.ratelimit import RateLimiter, client_address

from .conftest import Reader, add_body, create_body

SESSION = "/api/chatkit/session"


def assert_429(r):
    assert r.status_code == 429, r.text
    body = r.json()
    assert body["error"] == "rate_limited" and body["message"]
    assert int(r.headers["retry-after"]) >= 1
    assert body["retry_after"] == int(r.headers["retry-after"])


def test_sessions_per_address_answer_429_with_retry_after(make_app):
    client = make_app(rate_limits=True, sessions_per_ip="5/minute")
    for _ in range(5):
        assert client.post(SESSION, json={}).status_code == 200
    r = client.post(SESSION, json={})
    assert_429(r)
    assert 1 <= int(r.headers["retry-after"]) <= 60
    # CORS headers on the refusal too, so the widget can read the status.
    r = client.post(SESSION, json={}, headers={"Origin": "http://localhost:3000"})
    assert r.status_code == 429
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
    # ...and the browser lets the widget read Retry-After cross-origin.
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()


def test_default_session_limit_lets_a_class_start_but_stops_a_script():
    """The defaults, on a simulated clock: a NAT address with 300 readers arriving over one
    minute all get a session; a script firing 500 requests in 2 seconds gets at most 120."""

    async def scenario(arrivals: list[float]) -> int:
        limiter = RateLimiter()
        windows = parse_many(DEFAULT_SESSIONS_PER_IP)
        ok = 0
        for t in arrivals:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr("time.time", lambda t=t: 1_000_000.0 + t)
                ok += (await limiter.hit("sessions-ip", "10.0.0.1", windows)) is None
        return ok

    class_ = [i * 60 / 300 for i in range(300)]  # 5 per second for a minute
    front_loaded = [i * 20 / 100 for i in range(100)] + [20 + i * 40 / 200 for i in range(200)]
    script = [i * 2 / 500 for i in range(500)]
    assert asyncio.run(scenario(class_)) == 300
    assert asyncio.run(scenario(front_loaded)) == 300
    assert asyncio.run(scenario(script)) <= 120


def test_messages_per_reader_per_minute(make_app):
    client = make_app(rate_limits=True, messages_per_reader="3/minute; 100/day")
    reader = Reader(client)
    thread = reader.stream(create_body("one"))[0]["thread"]["id"]
    for text in ("two", "three"):
        reader.stream(add_body(thread, text))
    r = reader.post(add_body(thread, "four"))
    assert_429(r)
    assert "3 per 1 minute" in r.json()["message"]
    # The refused message was not stored.
    items = reader.json({"type": "items.list", "params": {"thread_id": thread, "order": "asc", "limit": 50}})
    texts = [i["content"][0]["text"] for i in items["data"] if i["type"] == "user_message"]
    assert texts == ["one", "two", "three"]
    # Another reader is not affected; reading is not limited.
    Reader(client).stream(create_body("hello"))
    reader.json({"type": "threads.list", "params": {}})


def test_messages_per_reader_per_day(make_app):
    client = make_app(rate_limits=True, messages_per_reader="100/minute; 2/day")
    reader = Reader(client)
    reader.stream(create_body("one"))
    reader.stream(create_body("two"))
    r = reader.post(create_body("three"))
    assert_429(r)
    assert int(r.headers["retry-after"]) > 60


def test_messages_per_address(make_app):
    client = make_app(rate_limits=True, messages_per_reader="off", messages_per_ip="2/minute")
    Reader(client).stream(create_body("one"))
    Reader(client).stream(create_body("two"))
    assert_429(Reader(client).post(create_body("three")))


def test_limits_off_lets_everything_through(make_app):
    client = make_app(rate_limits=False, sessions_per_ip="1/minute", messages_per_reader="1/minute")
    reader = Reader(client)
    for _ in range(3):
        assert client.post(SESSION, json={}).status_code == 200
        reader.stream(create_body("again"))


@pytest.mark.parametrize("field", ["text", "quoted_text"])
def test_message_longer_than_the_limit_is_413(make_app, field):
    client = make_app(max_message_chars=100)
    reader = Reader(client)
    body = create_body("x" * 100)
    reader.stream(body)  # exactly the limit is fine
    body = create_body("y" * 60)
    if field == "text":
        body["params"]["input"]["content"].append({"type": "input_text", "text": "z" * 41})
    else:
        body["params"]["input"]["quoted_text"] = "q" * 41
    r = reader.post(body)
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "message_too_long" and r.json()["limit"] == 100
    assert "101 characters" in r.json()["message"]
    assert len(reader.json({"type": "threads.list", "params": {}})["data"]) == 1, "no thread left behind"


def test_default_message_limit_is_a_few_thousand_characters(client):
    reader = Reader(client)
    reader.stream(create_body("a" * 5000))  # the e2e suite's long question
    r = reader.post(create_body("a" * 999_000))
    assert r.status_code == 413 and r.json()["error"] == "message_too_long"


# -- the client's address --------------------------------------------------------------------


def test_client_address_comes_from_the_configured_header_only():
    peer = ("10.1.1.1", 5000)
    xff = {"x-forwarded-for": "6.6.6.6, 203.0.113.7"}
    assert client_address(peer, xff, "", 1) == "10.1.1.1"  # not configured: the peer
    assert client_address(peer, xff, "X-Forwarded-For", 1) == "203.0.113.7"  # what the proxy saw
    assert client_address(peer, xff, "X-Forwarded-For", 2) == "6.6.6.6"
    assert client_address(peer, {"x-real-ip": "198.51.100.2"}, "X-Real-IP", 1) == "198.51.100.2"
    assert client_address(peer, {}, "X-Real-IP", 1) == "10.1.1.1"
    assert client_address(None, {}, "", 1) == "unknown"


def test_forged_forwarded_header_does_not_escape_the_limit(make_app):
    client = make_app(rate_limits=True, sessions_per_ip="2/minute")
    for n in range(2):
        assert client.post(SESSION, headers={"X-Forwarded-For": f"1.2.3.{n}"}).status_code == 200
    assert_429(client.post(SESSION, headers={"X-Forwarded-For": "1.2.3.99"}))


def test_behind_a_trusted_proxy_each_client_has_its_own_quota(make_app):
    client = make_app(rate_limits=True, sessions_per_ip="2/minute", trusted_proxy_header="X-Real-IP")
    for _ in range(2):
        assert client.post(SESSION, headers={"X-Real-IP": "198.51.100.1"}).status_code == 200
    assert_429(client.post(SESSION, headers={"X-Real-IP": "198.51.100.1"}))
    assert client.post(SESSION, headers={"X-Real-IP": "198.51.100.2"}).status_code == 200


def test_limit_settings_from_environment(monkeypatch):
    monkeypatch.setenv("CHATKIT_LIMIT_SESSIONS_PER_IP", "10/second")
    monkeypatch.setenv("CHATKIT_RATE_LIMITS", "off")
    monkeypatch.setenv("CHATKIT_TRUSTED_PROXY_HEADER", "X-Forwarded-For")
    monkeypatch.setenv("CHATKIT_MAX_MESSAGE_CHARS", "300")
    s = Settings.from_env()
    assert (s.sessions_per_ip, s.rate_limits, s.trusted_proxy_header) == (
        "10/second",
        False,
        "X-Forwarded-For",
    )
    assert s.max_message_chars == 300
    assert Settings().rate_limits is True, "limits are on by default"
    monkeypatch.setenv("CHATKIT_LIMIT_MESSAGES_PER_READER", "lots")
    with pytest.raises(SystemExit, match="CHATKIT_LIMIT_MESSAGES_PER_READER"):
        Settings.from_env()


def test_a_message_refused_per_address_does_not_use_up_the_readers_quota(make_app):
    client = make_app(rate_limits=True, messages_per_reader="2/minute", messages_per_ip="1/minute")
    first, second = Reader(client), Reader(client)
    first.stream(create_body("one"))
    assert_429(second.post(create_body("two")))  # the address is full
    client.app.state.server.limits.messages_per_ip = []  # the address limit is lifted
    second.stream(create_body("two"))
    second.stream(create_body("three"))  # the earlier refusal did not count against it
    assert_429(second.post(create_body("four")))
