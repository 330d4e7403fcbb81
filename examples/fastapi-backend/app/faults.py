"""Fault switches and request counters, for testing clients (the widget) against a bad backend.

Off unless CHATKIT_FAULTS=1, and then answered only to requests from 127.0.0.1:

    POST /__faults        merge switches, e.g. {"fail_next": 2, "status": 503, "paths": ["/chatkit"]}
                          (FaultsUpdate below lists them: failures, delays, cut streams, expired
                          tokens, HTML pages, a misconfigured CORS)
    POST /__faults/reset  all switches off, counters to zero
    GET  /__stats         requests per path and status, preflights, faults applied

A course team's own backend needs none of this: delete this file and the lines using it in main.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers

from .ratelimit import RateLimiter
from .tokens import TokenSigner

ADMIN_PREFIX = "/__"
EXEMPT_PATHS = ("/healthz",)

LOGIN_PAGE = b"""<!DOCTYPE html>
<html><head><title>Sign in - Campus SSO</title></head>
<body><form method="post" action="/login"><h1>Sign in</h1>
<input name="user"><button>Sign in</button></form></body></html>
"""
# Request headers a CORS preflight may ask for whatever the configuration (Starlette's list).
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})

PROXY_ERROR_PAGE = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>
"""


class FaultsUpdate(BaseModel):
    """Body of POST /__faults. Every key is optional; given keys replace the current value."""

    model_config = ConfigDict(extra="forbid")

    fail_next: int | None = Field(None, ge=0, description="answer the next N requests with `status`")
    status: int | None = Field(None, ge=400, le=599, description="status for fail_next (500)")
    paths: list[str] | None = Field(None, description="paths the request faults apply to (all)")
    delay_ms: int | None = Field(None, ge=0, description="delay every matching request")
    drop_next: int | None = Field(None, ge=0, description="cut the next N responses halfway")
    drop_after_chunks: int | None = Field(None, ge=0, description="streamed chunks sent before a cut")
    stop_stream_after_words: int | None = Field(None, ge=0, description="end replies after N words")
    stream_error_next: int | None = Field(None, ge=0, description="fail the next N replies mid-stream")
    expire_tokens: bool | None = Field(None, description="treat every token issued so far as expired")
    html_error_next: int | None = Field(None, ge=0, description="answer the next N with a 502 HTML page")
    session_no_expiry: bool | None = Field(None, description="session answers omit expires_at")
    retry_after: int | None = Field(None, ge=1, description="Retry-After of an injected 429 (30)")
    login_page: bool | None = Field(None, description="answer with a proxy's 200 HTML sign-in page")
    session_expired: bool | None = Field(None, description="session answers issue expired tokens")
    cors_origins: list[str] | None = Field(None, description="CORS allows only these origins")
    cors_headers: list[str] | None = Field(None, description="CORS allows only these request headers")


@dataclass
class Faults:
    fail_next: int = 0
    status: int = 500
    paths: list[str] | None = None
    delay_ms: int = 0
    drop_next: int = 0
    drop_after_chunks: int = 8
    stop_stream_after_words: int | None = None
    stream_error_next: int = 0
    html_error_next: int = 0
    session_no_expiry: bool = False
    retry_after: int = 30
    login_page: bool = False
    session_expired: bool = False
    cors_origins: list[str] | None = None
    cors_headers: list[str] | None = None
    # counters
    requests: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    preflight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    applied: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def take_stream_error(self) -> bool:
        """Whether this reply must fail mid-stream (uses up one `stream_error_next`)."""
        if self.stream_error_next <= 0:
            return False
        self.stream_error_next -= 1
        self.applied["stream_error"] += 1
        return True

    def applies_to(self, path: str) -> bool:
        if path.startswith(ADMIN_PREFIX) or path in EXEMPT_PATHS:
            return False
        return self.paths is None or path in self.paths

    def switches(self) -> dict[str, Any]:
        return {
            "fail_next": self.fail_next,
            "status": self.status,
            "paths": self.paths,
            "delay_ms": self.delay_ms,
            "drop_next": self.drop_next,
            "drop_after_chunks": self.drop_after_chunks,
            "stop_stream_after_words": self.stop_stream_after_words,
            "stream_error_next": self.stream_error_next,
            "html_error_next": self.html_error_next,
            "session_no_expiry": self.session_no_expiry,
            "retry_after": self.retry_after,
            "login_page": self.login_page,
            "session_expired": self.session_expired,
            "cors_origins": self.cors_origins,
            "cors_headers": self.cors_headers,
        }

    def stats(self) -> dict[str, Any]:
        return {
            "requests": {
                path: {**by_status, "total": sum(by_status.values())}
                for path, by_status in self.requests.items()
            },
            "preflight": dict(self.preflight),
            "faults": dict(self.applied),
        }


class ConnectionDropped(Exception):
    """Raised after part of a response was sent; the server then closes the connection."""


class CountMiddleware:
    """Outermost layer: counts every request by path and final status (preflights apart)."""

    def __init__(self, app, faults: Faults):
        self.app = app
        self.faults = faults

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]

        async def counting_send(message):
            if message["type"] == "http.response.start":
                if method == "OPTIONS":
                    self.faults.preflight[path] += 1
                else:
                    self.faults.requests[path][str(message["status"])] += 1
            await send(message)

        await self.app(scope, receive, counting_send)


class InjectFaultsMiddleware:
    """Inside CORS, so that injected error answers carry the CORS headers like real ones."""

    def __init__(self, app, faults: Faults):
        self.app = app
        self.faults = faults

    async def __call__(self, scope, receive, send):
        f = self.faults
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or not f.applies_to(scope["path"]):
            return await self.app(scope, receive, send)

        if f.delay_ms:
            await asyncio.sleep(f.delay_ms / 1000)
        if f.login_page:
            # A sign-in proxy in front of the backend: 200, HTML, whatever was asked.
            f.applied["login_page"] += 1
            return await _send_body(send, 200, "text/html; charset=utf-8", LOGIN_PAGE)
        if f.html_error_next > 0:
            f.html_error_next -= 1
            f.applied["html_error"] += 1
            return await _send_body(send, 502, "text/html; charset=utf-8", PROXY_ERROR_PAGE)
        if f.fail_next > 0:
            f.fail_next -= 1
            f.applied["fail"] += 1
            if f.status == 429:  # shaped like the real rate-limit refusal (main.py)
                body = json.dumps(
                    {
                        "error": "rate_limited",
                        "message": f"Too many requests (fault switch); try again in {f.retry_after} s.",
                        "retry_after": f.retry_after,
                    }
                ).encode()
                extra = [(b"retry-after", str(f.retry_after).encode())]
                return await _send_body(send, 429, "application/json", body, extra)
            body = b'{"error":"injected_fault","message":"Injected failure (fault switch)."}'
            return await _send_body(send, f.status, "application/json", body)
        if f.drop_next > 0:
            f.drop_next -= 1
            f.applied["drop"] += 1
            try:
                await self.app(scope, receive, _dropping_send(send, f.drop_after_chunks))
            except ConnectionDropped:
                # Returning from an unfinished response makes the server close the connection.
                pass
            return
        await self.app(scope, receive, send)


class CorsFaultMiddleware:
    """Outside CORS: with `cors_origins` or `cors_headers` set, CORS answers as a misconfigured
    backend's would. A preflight from another origin, or asking for another request header, gets
    Starlette's refusal (400, "Disallowed CORS origin/headers"); an answer to another origin loses
    its CORS headers, so a browser discards it."""

    def __init__(self, app, faults: Faults, allowed_origins: list[str]):
        self.app = app
        self.faults = faults
        self.allowed_origins = allowed_origins

    async def __call__(self, scope, receive, send):
        f = self.faults
        if (
            scope["type"] != "http"
            or (f.cors_origins is None and f.cors_headers is None)
            or scope["path"].startswith(ADMIN_PREFIX)
        ):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            return await self.app(scope, receive, send)
        origins = self.allowed_origins if f.cors_origins is None else f.cors_origins
        origin_ok = origin in origins or "*" in origins
        if not origin_ok and f.cors_origins is None:
            return await self.app(scope, receive, send)  # the configured CORS refuses it
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            asked = headers.get("access-control-request-headers", "")
            requested = {h.strip().lower() for h in asked.split(",") if h.strip()}
            allowed = SAFELISTED_HEADERS | {h.lower() for h in f.cors_headers or []}
            headers_ok = f.cors_headers is None or requested <= allowed
            if origin_ok and headers_ok:
                return await self.app(scope, receive, send)
            f.applied["cors"] += 1
            failures = [name for name, ok in (("origin", origin_ok), ("headers", headers_ok)) if not ok]
            extra = [(b"access-control-allow-methods", b"GET, POST, OPTIONS"), (b"vary", b"Origin")]
            if origin_ok:
                extra.append((b"access-control-allow-origin", origin.encode("latin-1")))
            if f.cors_headers is not None:
                extra.append((b"access-control-allow-headers", ", ".join(sorted(allowed)).encode("latin-1")))
            body = f"Disallowed CORS {', '.join(failures)}".encode()
            return await _send_body(send, 400, "text/plain; charset=utf-8", body, extra)
        if origin_ok:
            return await self.app(scope, receive, send)
        f.applied["cors"] += 1

        async def stripping_send(message):
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message["headers"] if not k.lower().startswith(b"access-control-")]
                message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, stripping_send)


async def _send_body(send, status: int, content_type: str, body: bytes, extra: list | None = None) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _dropping_send(send, after_chunks: int):
    """A `send` that passes the start of a response through and then cuts the connection.

    A streamed response (SSE) keeps its first `after_chunks` chunks; a one-piece response keeps
    half of its bytes. Either way the client sees the connection close mid-response.
    """
    sent = 0

    async def wrapped(message):
        nonlocal sent
        if message["type"] != "http.response.body":
            return await send(message)
        body = message.get("body", b"")
        if message.get("more_body", False):
            if sent >= after_chunks:
                raise ConnectionDropped("connection dropped by fault switch")
            sent += 1
            return await send(message)
        # The final (or only) piece: send half of it, then cut.
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        raise ConnectionDropped("connection dropped by fault switch")

    return wrapped


def admin_router(faults: Faults, signer: TokenSigner, limiter: RateLimiter | None = None) -> APIRouter:
    router = APIRouter()

    def local_only(request: Request) -> JSONResponse | None:
        host = request.client.host if request.client else ""
        if host not in ("127.0.0.1", "::1"):
            return JSONResponse(
                {"error": "forbidden", "message": "admin endpoints answer 127.0.0.1 only"}, 403
            )
        return None

    @router.post("/__faults")
    async def set_faults(request: Request):
        if denied := local_only(request):
            return denied
        update = FaultsUpdate.model_validate_json(await request.body() or b"{}")
        changes = update.model_dump(exclude_unset=True)
        if "fail_next" in changes and "status" not in changes:
            changes["status"] = 500
        for key, value in changes.items():
            if key == "expire_tokens":
                if value:
                    signer.not_before = time.time()
            elif key == "stop_stream_after_words":
                setattr(faults, key, value or None)
            elif value is not None or key in ("paths", "cors_origins", "cors_headers"):
                setattr(faults, key, value)
        return faults.switches()

    @router.post("/__faults/reset")
    async def reset_faults(request: Request):
        if denied := local_only(request):
            return denied
        signer.not_before = 0.0
        if limiter is not None:  # the rate-limit counters start from zero too
            await limiter.reset()
        fresh = Faults()
        for key in fresh.__dataclass_fields__:
            setattr(faults, key, getattr(fresh, key))
        return faults.switches()

    @router.get("/__stats")
    async def stats(request: Request):
        if denied := local_only(request):
            return denied
        return faults.stats()

    return router
