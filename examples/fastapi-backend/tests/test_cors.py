"""CORS: only configured origins, the widget's headers allowed, and CORS on error answers too."""

from __future__ import annotations

import pytest

from .conftest import ORIGIN, Reader, create_body, preflight

DENIED = "https://evil.example"


def test_preflight_from_allowed_origin(client):
    r = preflight(client, ORIGIN)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ORIGIN
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-chatkit-page"} <= allowed
    assert "POST" in r.headers["access-control-allow-methods"]


def test_preflight_from_other_origin_is_refused(client):
    r = preflight(client, DENIED)
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers


def test_preflight_allows_any_header_from_allowed_origins_only(client):
    # ChatKit sends Last-Event-ID when a stream reconnects; a header the backend never heard of
    # must not fail the preflight either (the reader would see "can't be reached").
    for headers in ("authorization,last-event-id,accept", "x-something-else"):
        r = preflight(client, ORIGIN, headers)
        assert r.status_code == 200, headers
        allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
        assert set(headers.split(",")) <= allowed
    assert preflight(client, DENIED, "last-event-id").status_code == 400


def test_requests_from_allowed_and_other_origins(client):
    reader = Reader(client)
    ok = reader.post({"type": "threads.list", "params": {}}, {"Origin": ORIGIN})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ORIGIN
    other = reader.post({"type": "threads.list", "params": {}}, {"Origin": DENIED})
    assert "access-control-allow-origin" not in other.headers
    session = client.post("/api/chatkit/session", headers={"Origin": ORIGIN})
    assert session.headers["access-control-allow-origin"] == ORIGIN


def test_origins_come_from_settings(make_app):
    client = make_app(allowed_origins=["https://textbook.example.edu"])
    assert preflight(client, "https://textbook.example.edu").status_code == 200
    assert preflight(client, ORIGIN).status_code == 400


@pytest.mark.parametrize("kind", ["401", "400", "404", "500"])
def test_error_answers_carry_cors_headers(client, monkeypatch, kind):
    reader = Reader(client)
    if kind == "401":
        r = client.post("/chatkit", json=create_body("x"), headers={"Origin": ORIGIN})
    elif kind == "400":
        r = reader.post("{", {"Origin": ORIGIN})
    elif kind == "404":
        r = reader.post(
            {"type": "threads.get_by_id", "params": {"thread_id": "thr_nope"}}, {"Origin": ORIGIN}
        )
    else:

        async def broken(*_args, **_kwargs):
            raise RuntimeError("database on fire")

        monkeypatch.setattr(client.app.state.server, "process", broken)
        r = reader.post(create_body("x"), {"Origin": ORIGIN})
    assert r.status_code == int(kind), r.text
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["content-type"] == "application/json"
    assert "database on fire" not in r.text
