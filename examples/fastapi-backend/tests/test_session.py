"""Session tokens: signing, expiry, tampering, and keeping the reader across refreshes."""

from __future__ import annotations

import base64
import json
import time

import pytest

from app.tokens import TokenError, TokenSigner


def signer(**kw) -> TokenSigner:
    return TokenSigner(kw.get("secret", "s3cret"), kw.get("ttl", 60), kw.get("grace", 3600))


def test_issued_token_verifies_until_it_expires():
    s = signer(ttl=60)
    token, claims = s.issue("rdr_a", now=1000.0)
    assert claims.exp == 1060
    assert s.verify(token, now=1059).sub == "rdr_a"
    with pytest.raises(TokenError, match="expired"):
        s.verify(token, now=1060)


@pytest.mark.parametrize("tamper", ["payload", "signature", "secret", "shape"])
def test_tampered_token_is_rejected(tamper):
    s = signer()
    token, _ = s.issue("rdr_a")
    payload, signature = token.split(".")
    if tamper == "payload":
        forged, _ = s.issue("rdr_b")
        token = f"{forged.split('.')[0]}.{signature}"
    elif tamper == "signature":
        token = f"{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    elif tamper == "secret":
        token, _ = signer(secret="other").issue("rdr_a")
    else:
        token = payload
    with pytest.raises(TokenError):
        s.verify(token)
    assert s.subject_for_refresh(token) is None


def test_refresh_keeps_subject_within_grace_only():
    s = signer(ttl=60, grace=3600)
    token, claims = s.issue("rdr_a", now=1000.0)
    assert s.subject_for_refresh(token, now=claims.exp + 10) == "rdr_a"
    assert s.subject_for_refresh(token, now=claims.exp + 3600) == "rdr_a"
    assert s.subject_for_refresh(token, now=claims.exp + 3601) is None


def test_session_endpoint_issues_expiring_secret(make_app):
    client = make_app(session_ttl=900)
    before = int(time.time())
    r = client.post("/api/chatkit/session", json={})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"client_secret", "expires_at"}
    assert before + 900 <= body["expires_at"] <= int(time.time()) + 900
    assert r.headers["cache-control"] == "no-store"
    claims = client.app.state.signer.verify(body["client_secret"])
    assert claims.sub.startswith("rdr_")


def test_session_accepts_empty_body(client):
    r = client.post("/api/chatkit/session")
    assert r.status_code == 200 and r.json()["client_secret"]


def subject(client, token: str) -> str:
    return client.app.state.signer.decode(token).sub


def test_existing_token_keeps_the_reader(client):
    first = client.post("/api/chatkit/session", json={}).json()["client_secret"]
    again = client.post("/api/chatkit/session", json={"existing": first}).json()["client_secret"]
    assert again != first
    assert subject(client, again) == subject(client, first)


def test_expired_existing_token_within_grace_keeps_the_reader(make_app):
    client = make_app(session_ttl=60, session_grace=3600)
    old, _ = client.app.state.signer.issue("rdr_old", now=time.time() - 600)  # expired 9 min ago
    new = client.post("/api/chatkit/session", json={"existing": old}).json()["client_secret"]
    assert subject(client, new) == "rdr_old"
    # ...and the new one is valid where the old one is not.
    assert client.post("/chatkit", headers={"Authorization": f"Bearer {old}"}, json={}).status_code == 401
    assert client.app.state.signer.verify(new).sub == "rdr_old"


def test_existing_token_past_grace_or_forged_gets_a_new_reader(make_app):
    client = make_app(session_ttl=60, session_grace=100)
    signer_ = client.app.state.signer
    stale, _ = signer_.issue("rdr_stale", now=time.time() - 1000)
    forged, _ = TokenSigner("not-the-key", 60, 100).issue("rdr_victim")
    for existing in (stale, forged, "garbage", ""):
        new = client.post("/api/chatkit/session", json={"existing": existing}).json()["client_secret"]
        assert subject(client, new) not in ("rdr_stale", "rdr_victim")


def test_two_fresh_sessions_are_two_readers(client):
    a = client.post("/api/chatkit/session", json={}).json()["client_secret"]
    b = client.post("/api/chatkit/session", json={}).json()["client_secret"]
    assert subject(client, a) != subject(client, b)


@pytest.mark.parametrize("body", ["not json", '{"existing": 5}', "[1, 2]"])
def test_session_bad_body_is_400(client, body):
    r = client.post("/api/chatkit/session", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"
    assert isinstance(r.json()["fields"], list) and r.json()["fields"]


def test_secret_from_environment_survives_a_restart(monkeypatch):
    from app.config import Settings

    monkeypatch.setenv("CHATKIT_SESSION_SECRET", "shared")
    a, b = Settings.from_env(), Settings.from_env()
    token, _ = TokenSigner(a.session_secret, 60, 60).issue("rdr_x")
    assert TokenSigner(b.session_secret, 60, 60).verify(token).sub == "rdr_x"
    monkeypatch.delenv("CHATKIT_SESSION_SECRET")
    assert Settings.from_env().session_secret != Settings.from_env().session_secret


def test_settings_from_environment(monkeypatch):
    from app.config import Settings

    monkeypatch.setenv("CHATKIT_ALLOWED_ORIGINS", "https://a.example, https://b.example/")
    monkeypatch.setenv("CHATKIT_SESSION_TTL_SECONDS", "30")
    monkeypatch.setenv("CHATKIT_WORD_DELAY_MS", "7")
    monkeypatch.setenv("CHATKIT_DB_PATH", "/tmp/x.db")
    s = Settings.from_env()
    assert s.db_path == "/tmp/x.db"
    assert s.allowed_origins == ["https://a.example", "https://b.example"]
    assert (s.session_ttl, s.word_delay_ms, s.faults_enabled) == (30, 7, False)


def test_renewals_cannot_extend_a_reader_past_the_maximum_age():
    s = TokenSigner("s3cret", ttl=900, grace=86400, max_age=3600)
    token, claims = s.issue("rdr_a", now=0.0)
    now = 0.0
    # Renew every 10 minutes, as the widget would: the reader stays the same for an hour...
    while True:
        now += 600
        earlier = s.renewable(token, now=now)
        if earlier is None:
            break
        assert earlier.sub == "rdr_a" and earlier.fst == 0.0
        token, claims = s.issue(earlier.sub, now=now, first=earlier.fst)
        assert claims.exp <= 3600, "no token outlives the maximum age"
    # ...and no longer: the renewal is refused once the hour is over.
    assert 3600 <= now <= 3600 + 600
    with pytest.raises(TokenError, match="expired"):
        s.verify(token, now=3600)


def test_first_issue_time_is_signed_into_the_token():
    s = signer()
    token, _ = s.issue("rdr_a", now=1000.0, first=500.0)
    assert s.decode(token).fst == 500.0
    payload, signature = token.split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps({"sub": "rdr_a", "iat": 1000.0, "exp": 1060, "fst": 999999.0}).encode()
    )
    with pytest.raises(TokenError):
        s.decode(f"{forged.decode().rstrip('=')}.{signature}")


def test_session_endpoint_keeps_the_first_issue_time_on_renewal(make_app):
    client = make_app(session_ttl=60, session_max_age=3600)
    signer_ = client.app.state.signer
    old, _ = signer_.issue("rdr_old", now=time.time() - 3000, first=time.time() - 3000)
    body = client.post("/api/chatkit/session", json={"existing": old}).json()
    claims = signer_.verify(body["client_secret"])
    assert claims.sub == "rdr_old" and claims.fst <= time.time() - 2999
    # A reader first seen more than max_age ago gets a new identity, not a renewal.
    ancient, _ = signer_.issue("rdr_ancient", now=time.time() - 100, first=time.time() - 3700)
    renewed = client.post("/api/chatkit/session", json={"existing": ancient}).json()["client_secret"]
    assert signer_.verify(renewed).sub != "rdr_ancient"
    assert client.app.state.settings.session_max_age == 3600


def test_tokens_from_before_the_first_issue_claim_count_from_their_own_issue_time():
    s = TokenSigner("s3cret", ttl=60, grace=10**9, max_age=3600)
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "rdr_a", "iat": 0.0, "exp": 60}).encode())
    payload = payload.decode().rstrip("=")
    legacy = f"{payload}.{s._sign(payload)}"
    assert s.renewable(legacy, now=3000).fst == 0.0
    assert s.renewable(legacy, now=3600) is None


def test_max_age_from_environment(monkeypatch):
    from app.config import Settings

    assert Settings().session_max_age == 30 * 24 * 3600
    monkeypatch.setenv("CHATKIT_SESSION_MAX_AGE_SECONDS", "7200")
    assert Settings.from_env().session_max_age == 7200
