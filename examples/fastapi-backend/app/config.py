"""Settings read from the environment, once, into a plain dataclass.

Everything the backend can be told lives here, so that a course team sees every knob in one
place and tests can build an app with exactly the settings they need (`create_app(Settings(...))`).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from .ratelimit import parse_limits

DEFAULT_ORIGINS = "http://localhost:3000,http://127.0.0.1:3000"
DEFAULT_SESSIONS_PER_IP = "120/10 seconds; 600/minute; 5000/hour"
DEFAULT_MESSAGES_PER_READER = "12/minute; 300/day"
DEFAULT_MESSAGES_PER_IP = "600/minute; 20000/day"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from None


@dataclass
class Settings:
    # Key that signs session tokens. Random per process by default, so every restart
    # invalidates earlier tokens; set CHATKIT_SESSION_SECRET to keep them across restarts.
    session_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # How long a client_secret is valid (seconds).
    session_ttl: int = 15 * 60
    # How long after expiry a token may still be presented as `existing` to keep the same reader.
    session_grace: int = 24 * 60 * 60
    # How long a reader identity lives from its first token; renewals cannot extend it.
    session_max_age: int = 30 * 24 * 60 * 60
    # Browser origins allowed by CORS (the sites that embed the widget).
    allowed_origins: list[str] = field(default_factory=lambda: DEFAULT_ORIGINS.split(","))
    # SQLite database file (relative to the working directory), shared by the processes of one
    # machine; ":memory:" keeps threads for the life of the process only.
    db_path: str = "chatkit.db"
    # PostgreSQL instead of SQLite (postgresql://user:password@host/db): for several processes or
    # machines sharing the threads.
    database_url: str = ""
    # Caps on what the store keeps: threads per reader (a new one removes the reader's oldest),
    # items per thread (a message to a full thread is a 409), and days a thread may stay idle.
    max_threads_per_reader: int = 100
    max_items_per_thread: int = 200
    thread_ttl_days: int = 30
    # What the responder (or the model) reads of a thread on each turn: the newest items whose
    # JSON adds up to at most this many characters.
    history_budget_chars: int = 32_000
    # Delay between two streamed words of the offline responder (milliseconds).
    word_delay_ms: int = 25
    # Largest request body accepted (bytes); larger ones answer 413.
    max_body_bytes: int = 1_000_000
    # Enables the test-only fault switches (POST /__faults, GET /__stats).
    faults_enabled: bool = False
    # "offline" (the deterministic responder) or "openai" (a real model, needs OPENAI_API_KEY).
    responder: str = "offline"
    # The model for the "openai" responder.
    model: str = "gpt-4.1-mini"
    # Answers from the book: the corpus (JSON Lines, `chatkit-inject --corpus` or
    # corpus/from_build.py) searched for every message; empty keeps the replies as without a book.
    corpus: str = ""
    # Where `python -m app index` writes the corpus's FTS5 index (reused while the corpus is
    # unchanged); empty: built in memory at start-up.
    corpus_index: str = ""
    # Passages retrieved per message (the offline reply quotes the first; all are cited).
    corpus_passages: int = 3

    # -- abuse limits (see ratelimit.py; windows in the `limits` notation, "off" for none) --------
    # False turns every rate limit off (CHATKIT_RATE_LIMITS=off), e.g. for a test suite.
    rate_limits: bool = True
    # Session requests per client address: a burst, then a sustained rate. A class of a few hundred
    # readers behind one NAT address can all start within a minute; a script is stopped after 120.
    sessions_per_ip: str = DEFAULT_SESSIONS_PER_IP
    # Streaming requests (each one is a model call) per reader, and per client address.
    messages_per_reader: str = DEFAULT_MESSAGES_PER_READER
    messages_per_ip: str = DEFAULT_MESSAGES_PER_IP
    # Where the counters live: "memory://" (per process) or e.g. "redis://host:6379" (shared).
    limits_storage: str = "memory://"
    # Behind a reverse proxy: the header it writes the client's address into (X-Forwarded-For,
    # X-Real-IP, ...), and how many proxies append to it. Empty: the TCP peer's address.
    trusted_proxy_header: str = ""
    trusted_proxy_hops: int = 1
    # Serve /docs, /redoc and /openapi.json (CHATKIT_DOCS=1); off, so the API is not advertised.
    docs_enabled: bool = False
    # Longest message a reader may send (characters, text plus quoted text); longer is a 413.
    max_message_chars: int = 8000

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        origins = env.get("CHATKIT_ALLOWED_ORIGINS", DEFAULT_ORIGINS)
        settings = cls(
            session_ttl=_int_env("CHATKIT_SESSION_TTL_SECONDS", 15 * 60),
            session_grace=_int_env("CHATKIT_SESSION_GRACE_SECONDS", 24 * 60 * 60),
            session_max_age=_int_env("CHATKIT_SESSION_MAX_AGE_SECONDS", 30 * 24 * 60 * 60),
            allowed_origins=[o.strip().rstrip("/") for o in origins.split(",") if o.strip()],
            db_path=env.get("CHATKIT_DB_PATH", "").strip() or "chatkit.db",
            database_url=env.get("CHATKIT_DATABASE_URL", "").strip(),
            max_threads_per_reader=_int_env("CHATKIT_MAX_THREADS_PER_READER", 100),
            max_items_per_thread=_int_env("CHATKIT_MAX_ITEMS_PER_THREAD", 200),
            thread_ttl_days=_int_env("CHATKIT_THREAD_TTL_DAYS", 30),
            history_budget_chars=_int_env("CHATKIT_HISTORY_BUDGET_CHARS", 32_000),
            word_delay_ms=_int_env("CHATKIT_WORD_DELAY_MS", 25),
            max_body_bytes=_int_env("CHATKIT_MAX_BODY_BYTES", 1_000_000),
            faults_enabled=env.get("CHATKIT_FAULTS", "") == "1",
            responder=env.get("CHATKIT_RESPONDER", "").strip() or "offline",
            model=env.get("CHATKIT_MODEL", "").strip() or "gpt-4.1-mini",
            corpus=env.get("CHATKIT_CORPUS", "").strip(),
            corpus_index=env.get("CHATKIT_CORPUS_INDEX", "").strip(),
            corpus_passages=_int_env("CHATKIT_CORPUS_PASSAGES", 3),
            rate_limits=env.get("CHATKIT_RATE_LIMITS", "").strip().lower() not in ("off", "0", "false"),
            sessions_per_ip=env.get("CHATKIT_LIMIT_SESSIONS_PER_IP", DEFAULT_SESSIONS_PER_IP),
            messages_per_reader=env.get("CHATKIT_LIMIT_MESSAGES_PER_READER", DEFAULT_MESSAGES_PER_READER),
            messages_per_ip=env.get("CHATKIT_LIMIT_MESSAGES_PER_IP", DEFAULT_MESSAGES_PER_IP),
            limits_storage=env.get("CHATKIT_LIMITS_STORAGE", "").strip() or "memory://",
            trusted_proxy_header=env.get("CHATKIT_TRUSTED_PROXY_HEADER", "").strip(),
            trusted_proxy_hops=_int_env("CHATKIT_TRUSTED_PROXY_HOPS", 1),
            max_message_chars=_int_env("CHATKIT_MAX_MESSAGE_CHARS", 8000),
            docs_enabled=env.get("CHATKIT_DOCS", "") == "1",
        )
        for name, value in (
            ("CHATKIT_LIMIT_SESSIONS_PER_IP", settings.sessions_per_ip),
            ("CHATKIT_LIMIT_MESSAGES_PER_READER", settings.messages_per_reader),
            ("CHATKIT_LIMIT_MESSAGES_PER_IP", settings.messages_per_ip),
        ):
            parse_limits(name, value)  # exits with a clear message on a typo
        if not 1 <= settings.corpus_passages <= 20:
            raise SystemExit("CHATKIT_CORPUS_PASSAGES must be between 1 and 20")
        if settings.trusted_proxy_hops < 1:
            raise SystemExit("CHATKIT_TRUSTED_PROXY_HOPS must be at least 1")
        if settings.responder not in ("offline", "openai"):
            raise SystemExit(f"CHATKIT_RESPONDER must be offline or openai, got {settings.responder!r}")
        if settings.responder == "openai" and not env.get("OPENAI_API_KEY"):
            raise SystemExit("CHATKIT_RESPONDER=openai needs OPENAI_API_KEY")
        if env.get("CHATKIT_SESSION_SECRET"):
            settings.session_secret = env["CHATKIT_SESSION_SECRET"]
        return settings
