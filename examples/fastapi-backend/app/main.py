"""The FastAPI app: session tokens, the ChatKit endpoint, CORS, health, and (opt-in) faults.

    POST /api/chatkit/session   -> {"client_secret": "...", "expires_at": <unix seconds>}
    POST /chatkit               -> ChatKit protocol (SSE or JSON), bearer token required
    GET  /healthz               -> {"ok": true}

`create_app(settings)` builds an app; `app` below is the one `uvicorn app.main:app` serves,
configured from the environment (see config.py).
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager

from chatkit.server import StreamingResult
from chatkit.store import NotFoundError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from .config import Settings
from .context import PageContext, RequestContext, site_origin
from .faults import CorsFaultMiddleware, CountMiddleware, Faults, InjectFaultsMiddleware, admin_router
from .model import ModelResponder
from .pgstore import PostgresStore
from .ratelimit import RateLimiter, client_address, parse_limits
from .retrieval import CorpusError, Index
from .server import Limits, Refused, TextbookServer, UnsupportedRequest
from .store import IdClash, SQLiteStore
from .tokens import TokenClaims, TokenError, TokenSigner, new_subject

PAGE_HEADER = "x-chatkit-page"

logger = logging.getLogger("app")


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    existing: str | None = None


class ApiError(Exception):
    """An error answer: `{"error": code, "message": ...}` with the given status."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_response(status: int, code: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


def field_errors(exc: ValidationError | RequestValidationError) -> list[dict]:
    """Pydantic errors as `[{"field": "params.input.content", "message": ..., "type": ...}]`."""
    errors = exc.errors(include_url=False) if isinstance(exc, ValidationError) else exc.errors()
    return [
        {
            "field": ".".join(str(part) for part in e.get("loc", ())),
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in errors
    ]


class CatchErrorsMiddleware:
    """Turns an unexpected exception into a JSON 500 *inside* the CORS layer.

    Starlette answers unhandled errors in its outermost layer, outside CORS, so the browser would
    see a CORS failure instead of a 500. Errors after a response has started (a broken stream)
    are re-raised, and the server closes the connection.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            logger.exception("unhandled error")
            response = error_response(500, "internal_error", "The server failed to answer.")
            await response(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    signer = TokenSigner(
        settings.session_secret, settings.session_ttl, settings.session_grace, settings.session_max_age
    )
    faults = Faults() if settings.faults_enabled else None
    store: SQLiteStore | PostgresStore
    if settings.database_url:
        store = PostgresStore(
            settings.database_url, settings.max_threads_per_reader, settings.thread_ttl_days * 86400
        )
    else:
        store = SQLiteStore(
            settings.db_path, settings.max_threads_per_reader, settings.thread_ttl_days * 86400
        )
    model = ModelResponder(settings.model) if settings.responder == "openai" else None
    limiter = RateLimiter(settings.limits_storage) if settings.rate_limits else None
    sessions_per_ip = parse_limits("CHATKIT_LIMIT_SESSIONS_PER_IP", settings.sessions_per_ip)
    limits = Limits(
        limiter=limiter,
        messages_per_reader=parse_limits("CHATKIT_LIMIT_MESSAGES_PER_READER", settings.messages_per_reader),
        messages_per_ip=parse_limits("CHATKIT_LIMIT_MESSAGES_PER_IP", settings.messages_per_ip),
        max_message_chars=settings.max_message_chars,
        max_items_per_thread=settings.max_items_per_thread,
        history_budget=settings.history_budget_chars,
    )
    index = None
    if settings.corpus:
        try:
            index = Index.open(settings.corpus, settings.corpus_index or None)
        except CorpusError as exc:
            raise SystemExit(f"CHATKIT_CORPUS: {exc}") from None
        logger.info("corpus %s: %d passages", settings.corpus, index.size)
    server = TextbookServer(
        store, settings.word_delay_ms, faults, model, limits, index, settings.corpus_passages
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        if index is not None:
            index.close()
        if isinstance(store, PostgresStore):
            await store.aclose()
        else:
            store.close()

    docs = settings.docs_enabled
    app = FastAPI(
        title="chatkit-inject reference backend",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings, app.state.signer, app.state.store = settings, signer, store
    app.state.server, app.state.faults, app.state.limiter = server, faults, limiter

    # -- errors ------------------------------------------------------------------------------

    @app.exception_handler(ApiError)
    async def on_api_error(_request: Request, exc: ApiError):
        response = error_response(exc.status, exc.code, exc.message)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Refused)
    async def on_refused(_request: Request, exc: Refused):
        extra = dict(exc.extra)
        if exc.retry_after is not None:
            extra["retry_after"] = exc.retry_after
        response = error_response(exc.status, exc.code, exc.message, **extra)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(ValidationError)
    @app.exception_handler(RequestValidationError)
    async def on_invalid_body(_request: Request, exc: ValidationError | RequestValidationError):
        return error_response(
            400, "invalid_request", "The request body is invalid.", fields=field_errors(exc)
        )

    @app.exception_handler(IdClash)
    async def on_id_clash(_request: Request, exc: IdClash):
        # 128-bit ids make this all but impossible; if it happens, the client may simply retry.
        logger.error("%s", exc)
        return error_response(500, "id_clash", "A new id clashed with an existing one; please retry.")

    @app.exception_handler(NotFoundError)
    async def on_not_found(_request: Request, exc: NotFoundError):
        return error_response(404, "not_found", str(exc) or "Not found.")

    # -- routes ------------------------------------------------------------------------------

    @app.get("/healthz")
    async def healthz():
        return {"ok": True}

    def client_of(request: Request) -> str:
        return client_address(
            request.scope.get("client"),
            request.headers,
            settings.trusted_proxy_header,
            settings.trusted_proxy_hops,
        )

    @app.post("/api/chatkit/session")
    async def create_session(request: Request):
        if limiter is not None:
            refusal = await limiter.hit("sessions-ip", client_of(request), sessions_per_ip)
            if refusal:
                raise Refused(
                    429,
                    "rate_limited",
                    f"Too many sessions from this address ({refusal.limit}); "
                    f"try again in {refusal.retry_after} s.",
                    retry_after=refusal.retry_after,
                )
        raw = await read_body(request)
        body = SessionRequest.model_validate_json(raw) if raw.strip() else SessionRequest()
        # A genuine earlier token (even expired, within the grace period) keeps its reader, so
        # the reader's threads stay reachable; anything else starts a new reader.
        # A renewal keeps the reader's first-issue time: it cannot extend the reader past max_age.
        earlier = signer.renewable(body.existing)
        # The `session_expired` fault: tokens issued as if a lifetime and a minute ago.
        issued = time.time() - signer.ttl - 60 if faults and faults.session_expired else None
        if earlier:
            token, claims = signer.issue(earlier.sub, now=issued, first=earlier.fst)
        else:
            token, claims = signer.issue(new_subject(), now=issued)
        answer: dict = {"client_secret": token, "expires_at": claims.exp}
        if faults and faults.session_no_expiry:
            del answer["expires_at"]
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    async def read_body(request: Request) -> bytes:
        """The request body, refusing (413) one larger than `max_body_bytes`."""
        limit = settings.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ApiError(413, "too_large", f"The request body is larger than {limit} bytes.")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise ApiError(413, "too_large", f"The request body is larger than {limit} bytes.")
        return body

    def authenticate(request: Request) -> TokenClaims:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "Missing bearer token.", {"WWW-Authenticate": "Bearer"})
        try:
            return signer.verify(token.strip())
        except TokenError as exc:
            raise ApiError(
                401,
                "unauthorized",
                f"Invalid session: {exc}.",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None

    @app.post("/chatkit")
    async def chatkit(request: Request):
        claims = authenticate(request)
        context = RequestContext(
            reader=claims.sub,
            page=PageContext.from_header(request.headers.get(PAGE_HEADER)),
            client=client_of(request),
            origin=site_origin(request.headers.get("origin"), settings.allowed_origins),
        )
        body = await read_body(request)
        try:
            # Raises pydantic's ValidationError for a bad body (-> 400) before anything is sent.
            result = await server.process(body, context)
        except UnsupportedRequest as exc:
            raise ApiError(400, "unsupported_request", str(exc)) from None
        except (ValidationError, Refused):
            raise
        except ValueError as exc:
            # The SDK's own request checks (and e.g. undecodable base64 audio) raise ValueError.
            raise ApiError(400, "invalid_request", str(exc) or "The request is invalid.") from None
        if isinstance(result, StreamingResult):
            return await stream(result)
        return Response(content=result.json, media_type="application/json")

    async def stream(result: StreamingResult) -> Response:
        events = result.__aiter__()
        # Run the request up to its first event before answering, so that a thread that is not
        # the reader's (or a request the SDK rejects) is a clean 404/400, not a broken stream.
        try:
            first = await events.__anext__()
        except StopAsyncIteration:
            # The SDK streams nothing at all for `threads.retry_after_item` naming an item that is
            # not in the thread; an empty 200 stream would leave the client waiting for nothing.
            raise ApiError(
                404, "not_found", "Nothing to answer: the item was not found in the thread."
            ) from None
        except NotFoundError:
            raise
        except UnsupportedRequest as exc:
            raise ApiError(400, "unsupported_request", str(exc)) from None
        except ValueError as exc:
            raise ApiError(400, "invalid_request", str(exc) or "The request is invalid.") from None

        async def frames():
            yield first
            async for frame in events:  # each is b"data: <json>\n\n"
                yield frame

        return StreamingResponse(
            frames(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    # -- middleware (the last one added is the outermost) -------------------------------------

    if faults:
        app.add_middleware(InjectFaultsMiddleware, faults=faults)
    app.add_middleware(CatchErrorsMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        # Any request header, for the allowed origins only: the widget sends Authorization,
        # Content-Type and X-ChatKit-Page, and ChatKit's own requests add Accept and, when a
        # stream reconnects, Last-Event-ID; a header missing here fails the preflight, which the
        # reader sees as "can't be reached". Headers grant nothing; the origin list does.
        allow_headers=["*"],
        # The widget reads how long to wait on a 429 (the body also carries `retry_after`).
        expose_headers=["Retry-After"],
        max_age=600,
    )
    if faults:
        app.add_middleware(CorsFaultMiddleware, faults=faults, allowed_origins=settings.allowed_origins)
        app.add_middleware(CountMiddleware, faults=faults)
        app.include_router(admin_router(faults, signer, limiter))
    return app


app = create_app()
