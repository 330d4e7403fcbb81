"""Session tokens: small HMAC-signed, expiring bearer tokens naming a reader.

A token is `<payload>.<signature>`, both base64url without padding. The payload is JSON:
`{"sub": reader id, "iat": issued at, "exp": expires at}` (unix seconds, `iat` as a float).
Only this process (or any process sharing CHATKIT_SESSION_SECRET) can mint or check them.

A real deployment would tie `sub` to its own login (LMS, SSO); the reference backend mints
an anonymous reader id per browser instead, and keeps it across refreshes so that the reader's
threads stay reachable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass


class TokenError(Exception):
    """The token is malformed, forged, or expired. The message is safe to show."""


@dataclass(frozen=True)
class TokenClaims:
    sub: str
    iat: float
    exp: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_subject() -> str:
    """A fresh, unguessable reader id."""
    return "rdr_" + secrets.token_urlsafe(12)


class TokenSigner:
    def __init__(self, secret: str, ttl: int, grace: int):
        self._key = secret.encode("utf-8")
        self.ttl = ttl
        self.grace = grace
        # Tokens issued before this instant count as expired (see the `expire_tokens` fault).
        self.not_before: float = 0.0

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, sub: str, now: float | None = None) -> tuple[str, TokenClaims]:
        now = time.time() if now is None else now
        claims = TokenClaims(sub=sub, iat=now, exp=int(now) + self.ttl)
        body = json.dumps({"sub": claims.sub, "iat": claims.iat, "exp": claims.exp})
        payload = _b64(body.encode("utf-8"))
        return f"{payload}.{self._sign(payload)}", claims

    def decode(self, token: str) -> TokenClaims:
        """Check the signature only (not the expiry) and return the claims."""
        if not token.isascii():  # tokens are base64url; HMAC comparison needs ASCII
            raise TokenError("malformed token")
        try:
            payload, signature = token.split(".")
        except ValueError:
            raise TokenError("malformed token") from None
        if not hmac.compare_digest(self._sign(payload), signature):
            raise TokenError("bad token signature")
        try:
            data = json.loads(_unb64(payload))
            return TokenClaims(sub=str(data["sub"]), iat=float(data["iat"]), exp=int(data["exp"]))
        except (ValueError, KeyError, TypeError):
            raise TokenError("malformed token") from None

    def is_expired(self, claims: TokenClaims, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return now >= claims.exp or claims.iat < self.not_before

    def verify(self, token: str, now: float | None = None) -> TokenClaims:
        """Claims of a valid, unexpired token; TokenError otherwise."""
        claims = self.decode(token)
        if self.is_expired(claims, now):
            raise TokenError("token expired")
        return claims

    def subject_for_refresh(self, existing: str | None, now: float | None = None) -> str | None:
        """The reader id of an earlier token, if it is genuine and at most `grace` past expiry."""
        if not existing:
            return None
        try:
            claims = self.decode(existing)
        except TokenError:
            return None
        now = time.time() if now is None else now
        if now > claims.exp + self.grace:
            return None
        return claims.sub
