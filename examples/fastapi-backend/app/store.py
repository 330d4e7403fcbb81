"""A ChatKit `Store` on SQLite, with every thread, item and attachment owned by one reader.

The SDK ships only the abstract `chatkit.store.Store`; this is the smallest complete one. Each row
carries the reader id (`owner`) taken from the request context, and every query filters on it, so
a reader who guesses another reader's thread id gets `NotFoundError` (HTTP 404), never the thread.

Rows hold the SDK's own pydantic models as JSON, so new item types need no schema change. The
standard library's sqlite3 is synchronous; queries here are tiny, and one lock serialises them.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from typing import Any

from chatkit.store import NotFoundError, Store, StoreItemType
from chatkit.types import Attachment, Page, ThreadItem, ThreadMetadata
from pydantic import TypeAdapter

from .context import RequestContext

# Largest page a client can ask for; larger limits are capped (`has_more` tells it to page on).
MAX_PAGE = 1000

_ITEM = TypeAdapter(ThreadItem)
_ATTACHMENT = TypeAdapter(Attachment)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    data TEXT NOT NULL,
    updated REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    thread_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_thread ON items (owner, thread_id, seq);
CREATE INDEX IF NOT EXISTS threads_by_owner ON threads (owner, seq);
CREATE TABLE IF NOT EXISTS attachments (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    data TEXT NOT NULL
);
"""


# The SDK's ids carry 32 random bits (`msg_` + 8 hex digits): at 100,000 items a clash is more
# likely than not. These carry 128.
_PREFIXES = {"thread": "thr", "message": "msg", "tool_call": "tc", "workflow": "wf", "task": "tsk"}
_PREFIXES |= {"attachment": "atc", "sdk_hidden_context": "shcx"}


def new_id(kind: StoreItemType) -> str:
    """`msg_` + 32 hex digits: 128 random bits."""
    return f"{_PREFIXES.get(kind, kind)}_{secrets.token_hex(16)}"


class IdClash(RuntimeError):
    """A new thread or item got an id that is already taken. Never skipped silently."""


async def load_history(
    store: Store[RequestContext], thread_id: str, context: RequestContext, budget: int
) -> tuple[list[ThreadItem], bool]:
    """The thread's newest items, oldest first, whose JSON adds up to at most `budget` characters
    (the newest one always), and whether that is the whole thread. What a responder or a model
    reads on every turn is bounded by size, not by a count of items of any size."""
    items: list[ThreadItem] = []
    used, after = 0, None
    while True:
        page = await store.load_thread_items(thread_id, after, 20, "desc", context)
        for item in page.data:
            size = len(_ITEM.dump_json(item))
            if items and used + size > budget:
                return list(reversed(items)), False
            items.append(item)
            used += size
        if not page.has_more:
            return list(reversed(items)), True
        after = page.after


def _page_limit(limit: int) -> int:
    """A client's page size, capped at MAX_PAGE; below 1 is a bad request (ValueError -> 400)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return min(limit, MAX_PAGE)


class SQLiteStore(Store[RequestContext]):
    """Threads of each reader, bounded: at most `max_threads` per reader (a new one removes the
    reader's oldest), and threads idle for `thread_ttl` seconds are removed (checked at start-up
    and then every 10 minutes)."""

    def __init__(self, path: str = ":memory:", max_threads: int = 100, thread_ttl: float = 30 * 86400):
        self.path = path
        self.max_threads, self.thread_ttl = max_threads, thread_ttl
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._next_purge = 0.0  # the first new thread purges expired ones
        # Thread ids handed out by generate_thread_id and not yet saved: saving one of them is
        # creating a thread, which must not overwrite an existing one.
        self._new_threads: set[str] = set()

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection, opened on first use (importing the app creates no file)."""
        with self._lock:
            if self._conn is None:
                self._conn = self._connect()
            return self._conn

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        if self.path != ":memory:":
            # Several processes may share the file (uvicorn --workers); WAL lets them read while
            # one writes, and NORMAL syncs at checkpoints rather than at every row.
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        db.executescript(_SCHEMA)
        columns = [row[1] for row in db.execute("PRAGMA table_info(threads)")]
        if "updated" not in columns:  # a file written before threads expired
            db.execute("ALTER TABLE threads ADD COLUMN updated REAL NOT NULL DEFAULT 0")
            db.execute("UPDATE threads SET updated = ?", (time.time(),))
        return db

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def generate_thread_id(self, context: RequestContext) -> str:
        thread_id = new_id("thread")
        with self._lock:
            self._new_threads.add(thread_id)
        return thread_id

    def generate_item_id(
        self, item_type: StoreItemType, thread: ThreadMetadata, context: RequestContext
    ) -> str:
        return new_id(item_type)

    def _query(self, sql: str, *args: Any) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- threads ---------------------------------------------------------------------------

    async def load_thread(self, thread_id: str, context: RequestContext) -> ThreadMetadata:
        rows = self._query("SELECT data FROM threads WHERE id = ? AND owner = ?", thread_id, context.reader)
        if not rows:
            raise NotFoundError(f"Thread {thread_id} not found")
        return ThreadMetadata.model_validate_json(rows[0][0])

    async def save_thread(self, thread: ThreadMetadata, context: RequestContext) -> None:
        # The SDK sometimes passes a full `Thread` (with items); store only the metadata.
        data = ThreadMetadata.model_validate(thread.model_dump(exclude={"items"})).model_dump_json()
        with self._lock:
            now = time.time()
            if thread.id in self._new_threads:
                self._new_threads.discard(thread.id)
                try:
                    self._db.execute(
                        "INSERT INTO threads (id, owner, data, updated) VALUES (?, ?, ?, ?)",
                        (thread.id, context.reader, data, now),
                    )
                except sqlite3.IntegrityError:
                    raise IdClash(f"thread id {thread.id} is already taken") from None
                self._evict_oldest(context.reader)
            else:
                cur = self._db.execute(
                    "INSERT INTO threads (id, owner, data, updated) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated = excluded.updated"
                    " WHERE threads.owner = excluded.owner",
                    (thread.id, context.reader, data, now),
                )
                if cur.rowcount == 0:
                    raise NotFoundError(f"Thread {thread.id} not found")
        if time.monotonic() >= self._next_purge:
            self.purge_expired()

    def _evict_oldest(self, owner: str) -> None:
        """Keep the reader's newest `max_threads` threads (the caller holds the lock)."""
        old = self._db.execute(
            "SELECT id FROM threads WHERE owner = ? ORDER BY seq DESC LIMIT -1 OFFSET ?",
            (owner, self.max_threads),
        ).fetchall()
        for (thread_id,) in old:
            self._db.execute("DELETE FROM items WHERE owner = ? AND thread_id = ?", (owner, thread_id))
            self._db.execute("DELETE FROM threads WHERE owner = ? AND id = ?", (owner, thread_id))

    def purge_expired(self, now: float | None = None) -> int:
        """Remove threads (and their items) idle for longer than `thread_ttl`; how many."""
        now = time.time() if now is None else now
        self._next_purge = time.monotonic() + 600
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cutoff = now - self.thread_ttl
                self._db.execute(
                    "DELETE FROM items WHERE thread_id IN (SELECT id FROM threads WHERE updated < ?)",
                    (cutoff,),
                )
                cur = self._db.execute("DELETE FROM threads WHERE updated < ?", (cutoff,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return cur.rowcount

    def _touch(self, thread_id: str, owner: str) -> None:
        """The thread had activity now (the caller holds the lock)."""
        self._db.execute(
            "UPDATE threads SET updated = ? WHERE id = ? AND owner = ?", (time.time(), thread_id, owner)
        )

    async def count_items(self, thread_id: str, context: RequestContext) -> int:
        rows = self._query(
            "SELECT COUNT(*) FROM items WHERE owner = ? AND thread_id = ?", context.reader, thread_id
        )
        return rows[0][0]

    async def count_user_messages(self, thread_id: str, context: RequestContext) -> int:
        rows = self._query(
            "SELECT COUNT(*) FROM items WHERE owner = ? AND thread_id = ?"
            " AND json_extract(data, '$.type') = 'user_message'",
            context.reader,
            thread_id,
        )
        return rows[0][0]

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: RequestContext
    ) -> Page[ThreadMetadata]:
        limit = _page_limit(limit)
        rows = self._page("threads", "owner = ?", [context.reader], limit, after, order)
        threads = [ThreadMetadata.model_validate_json(r[1]) for r in rows[:limit]]
        return Page(
            data=threads,
            has_more=len(rows) > limit,
            after=threads[-1].id if len(rows) > limit else None,
        )

    async def delete_thread(self, thread_id: str, context: RequestContext) -> None:
        await self.load_thread(thread_id, context)  # 404 for a thread that is not the reader's
        with self._lock:
            self._db.execute(
                "DELETE FROM items WHERE thread_id = ? AND owner = ?", (thread_id, context.reader)
            )
            self._db.execute("DELETE FROM threads WHERE id = ? AND owner = ?", (thread_id, context.reader))

    # -- items -----------------------------------------------------------------------------

    async def load_thread_items(
        self,
        thread_id: str,
        after: str | None,
        limit: int,
        order: str,
        context: RequestContext,
    ) -> Page[ThreadItem]:
        limit = _page_limit(limit)
        await self.load_thread(thread_id, context)  # 404 rather than an empty page
        rows = self._page(
            "items", "owner = ? AND thread_id = ?", [context.reader, thread_id], limit, after, order
        )
        items = [_ITEM.validate_json(r[1]) for r in rows[:limit]]
        return Page(
            data=items,
            has_more=len(rows) > limit,
            after=items[-1].id if len(rows) > limit else None,
        )

    async def add_thread_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        """A new item: its id must be new (a clash is an error, never a skipped message)."""
        await self.load_thread(thread_id, context)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO items (id, thread_id, owner, data) VALUES (?, ?, ?, ?)",
                    (item.id, thread_id, context.reader, _ITEM.dump_json(item).decode("utf-8")),
                )
            except sqlite3.IntegrityError:
                raise IdClash(f"item id {item.id} is already taken") from None
            self._touch(thread_id, context.reader)

    async def save_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        """Insert or replace an item of this thread; an id taken in another thread is an error."""
        await self.load_thread(thread_id, context)
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO items (id, thread_id, owner, data) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET data = excluded.data"
                " WHERE items.owner = excluded.owner AND items.thread_id = excluded.thread_id",
                (item.id, thread_id, context.reader, _ITEM.dump_json(item).decode("utf-8")),
            )
            self._touch(thread_id, context.reader)
        if cur.rowcount == 0:
            raise IdClash(f"item id {item.id} is already taken by another thread")

    async def load_item(self, thread_id: str, item_id: str, context: RequestContext) -> ThreadItem:
        rows = self._query(
            "SELECT data FROM items WHERE id = ? AND thread_id = ? AND owner = ?",
            item_id,
            thread_id,
            context.reader,
        )
        if not rows:
            raise NotFoundError(f"Item {item_id} not found")
        return _ITEM.validate_json(rows[0][0])

    async def delete_thread_item(self, thread_id: str, item_id: str, context: RequestContext) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM items WHERE id = ? AND thread_id = ? AND owner = ?",
                (item_id, thread_id, context.reader),
            )

    # -- attachments (metadata only; this backend accepts no uploads) ------------------------

    async def save_attachment(self, attachment: Attachment, context: RequestContext) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO attachments (id, owner, data) VALUES (?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET data = excluded.data"
                " WHERE attachments.owner = excluded.owner",
                (attachment.id, context.reader, _ATTACHMENT.dump_json(attachment).decode("utf-8")),
            )

    async def load_attachment(self, attachment_id: str, context: RequestContext) -> Attachment:
        rows = self._query(
            "SELECT data FROM attachments WHERE id = ? AND owner = ?", attachment_id, context.reader
        )
        if not rows:
            raise NotFoundError(f"Attachment {attachment_id} not found")
        return _ATTACHMENT.validate_json(rows[0][0])

    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM attachments WHERE id = ? AND owner = ?", (attachment_id, context.reader)
            )

    # -- paging ----------------------------------------------------------------------------

    def _page(
        self, table: str, where: str, args: list[Any], limit: int, after: str | None, order: str
    ) -> list[tuple]:
        """Up to limit + 1 rows (id, data) after the row with id `after`, in insertion order."""
        direction, cmp = ("DESC", "<") if order == "desc" else ("ASC", ">")
        if after:
            where += f" AND seq {cmp} (SELECT seq FROM {table} WHERE id = ?)"
            args = [*args, after]
        sql = f"SELECT id, data FROM {table} WHERE {where} ORDER BY seq {direction} LIMIT ?"
        return self._query(sql, *args, limit + 1)
