"""Session tokens: small HMAC-signed, expiring bearer tokens naming a reader.

A token is `<payload>.<signature>`, both base64url without padding. The payload is JSON:
`{"sub": reader id, "iat": issued at, "exp": expires at, "fst": first issued}` (unix seconds,
`iat` and `fst` as floats). Only this process (or any process sharing CHATKIT_SESSION_SECRET) can
mint or check them.

A renewal (`existing`) keeps `sub` and `fst`, so a reader identity lives at most `max_age` from its
first token, however often it is renewed. To revoke every token at once, change the secret.

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
    # When this reader's first token was issued; renewals carry it over (tokens from before the
    # claim existed count from their own `iat`).
    fst: float = 0.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_subject() -> str:
    """A fresh, unguessable reader id."""
    return "rdr_" + secrets.token_urlsafe(12)


class TokenSigner:
    def __init__(self, secret: str, ttl: int, grace: int, max_age: int = 30 * 24 * 3600):
        self._key = secret.encode("utf-8")
        self.ttl = ttl
        self.grace = grace
        self.max_age = max_age
        # Tokens issued before this instant count as expired (see the `expire_tokens` fault).
        self.not_before: float = 0.0

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(
        self, sub: str, now: float | None = None, first: float | None = None
    ) -> tuple[str, TokenClaims]:
        """A token for `sub`; `first` is when the reader's first token was issued (default now).
        It never expires later than `first + max_age`."""
        now = time.time() if now is None else now
        first = now if first is None else min(first, now)
        exp = min(int(now) + self.ttl, int(first + self.max_age))
        claims = TokenClaims(sub=sub, iat=now, exp=exp, fst=first)
        body = json.dumps({"sub": claims.sub, "iat": claims.iat, "exp": claims.exp, "fst": claims.fst})
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
            iat = float(data["iat"])
            fst = float(data.get("fst", iat))
            return TokenClaims(sub=str(data["sub"]), iat=iat, exp=int(data["exp"]), fst=fst)
        except (ValueError, KeyError, TypeError):
            raise TokenError("malformed token") from None

    def is_expired(self, claims: TokenClaims, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        too_old = now >= claims.fst + self.max_age
        return now >= claims.exp or too_old or claims.iat < self.not_before

    def verify(self, token: str, now: float | None = None) -> TokenClaims:
        """Claims of a valid, unexpired token; TokenError otherwise."""
        claims = self.decode(token)
        if self.is_expired(claims, now):
            raise TokenError("token expired")
        return claims

    def renewable(self, existing: str | None, now: float | None = None) -> TokenClaims | None:
        """The claims of an earlier token that may be renewed: genuine, at most `grace` past its
        expiry, and its reader less than `max_age` old (counted from the first token)."""
        if not existing:
            return None
        try:
            claims = self.decode(existing)
        except TokenError:
            return None
        now = time.time() if now is None else now
        if now > claims.exp + self.grace or now >= claims.fst + self.max_age:
            return None
        return claims

    def subject_for_refresh(self, existing: str | None, now: float | None = None) -> str | None:
        """The reader id of a renewable earlier token (see `renewable`)."""
        claims = self.renewable(existing, now)
        return claims.sub if claims else None
