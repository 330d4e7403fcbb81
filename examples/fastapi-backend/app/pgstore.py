"""A ChatKit `Store` on PostgreSQL (asyncpg), for several backend processes or machines.

Selected by `CHATKIT_DATABASE_URL=postgresql://user:password@host:5432/db`. Same rules as the
SQLite store (store.py): every row carries its reader (`owner`) and every query filters on it;
a new thread or item whose id is taken is an `IdClash`; at most `max_threads` threads per reader,
idle threads expire after `thread_ttl` seconds. The tables are created on first use.

Any number of processes may share the database: a reader's requests can land on any of them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
from chatkit.store import NotFoundError, Store, StoreItemType
from chatkit.types import Attachment, Page, ThreadItem, ThreadMetadata
from pydantic import TypeAdapter

from .context import RequestContext
from .store import IdClash, _page_limit, new_id

_ITEM = TypeAdapter(ThreadItem)
_ATTACHMENT = TypeAdapter(Attachment)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chatkit_threads (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    data TEXT NOT NULL,
    updated DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS chatkit_threads_by_owner ON chatkit_threads (owner, seq);
CREATE INDEX IF NOT EXISTS chatkit_threads_by_updated ON chatkit_threads (updated);
CREATE TABLE IF NOT EXISTS chatkit_items (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    thread_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chatkit_items_by_thread ON chatkit_items (owner, thread_id, seq);
CREATE TABLE IF NOT EXISTS chatkit_attachments (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    data TEXT NOT NULL
);
"""

_TABLES = {"threads": "chatkit_threads", "items": "chatkit_items"}


class PostgresStore(Store[RequestContext]):
    def __init__(self, url: str, max_threads: int = 100, thread_ttl: float = 30 * 86400):
        self.url = url
        self.max_threads, self.thread_ttl = max_threads, thread_ttl
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._new_threads: set[str] = set()
        self._next_purge = 0.0

    async def pool(self) -> asyncpg.Pool:
        """The connection pool, opened (and the tables created) on first use."""
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    pool = await asyncpg.create_pool(self.url, min_size=1, max_size=10)
                    async with pool.acquire() as conn:
                        # Two processes starting together must not both create the tables.
                        async with conn.transaction():
                            await conn.execute("SELECT pg_advisory_xact_lock(7326150)")
                            await conn.execute(_SCHEMA)
                    self._pool = pool
        return self._pool

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def close(self) -> None:  # the app's lifespan calls aclose()
        pass

    def generate_thread_id(self, context: RequestContext) -> str:
        thread_id = new_id("thread")
        self._new_threads.add(thread_id)
        return thread_id

    def generate_item_id(
        self, item_type: StoreItemType, thread: ThreadMetadata, context: RequestContext
    ) -> str:
        return new_id(item_type)

    # -- threads ---------------------------------------------------------------------------

    async def load_thread(self, thread_id: str, context: RequestContext) -> ThreadMetadata:
        pool = await self.pool()
        data = await pool.fetchval(
            "SELECT data FROM chatkit_threads WHERE id = $1 AND owner = $2", thread_id, context.reader
        )
        if data is None:
            raise NotFoundError(f"Thread {thread_id} not found")
        return ThreadMetadata.model_validate_json(data)

    async def save_thread(self, thread: ThreadMetadata, context: RequestContext) -> None:
        data = ThreadMetadata.model_validate(thread.model_dump(exclude={"items"})).model_dump_json()
        pool = await self.pool()
        now = time.time()
        if thread.id in self._new_threads:
            self._new_threads.discard(thread.id)
            async with pool.acquire() as conn, conn.transaction():
                try:
                    await conn.execute(
                        "INSERT INTO chatkit_threads (id, owner, data, updated) VALUES ($1, $2, $3, $4)",
                        thread.id,
                        context.reader,
                        data,
                        now,
                    )
                except asyncpg.UniqueViolationError:
                    raise IdClash(f"thread id {thread.id} is already taken") from None
                old = await conn.fetch(
                    "SELECT id FROM chatkit_threads WHERE owner = $1 ORDER BY seq DESC OFFSET $2",
                    context.reader,
                    self.max_threads,
                )
                if old:
                    ids = [r["id"] for r in old]
                    await conn.execute(
                        "DELETE FROM chatkit_items WHERE owner = $1 AND thread_id = ANY($2)",
                        context.reader,
                        ids,
                    )
                    await conn.execute(
                        "DELETE FROM chatkit_threads WHERE owner = $1 AND id = ANY($2)", context.reader, ids
                    )
        else:
            status = await pool.execute(
                "INSERT INTO chatkit_threads (id, owner, data, updated) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated = excluded.updated"
                " WHERE chatkit_threads.owner = excluded.owner",
                thread.id,
                context.reader,
                data,
                now,
            )
            if status.endswith(" 0"):
                raise NotFoundError(f"Thread {thread.id} not found")
        if time.monotonic() >= self._next_purge:
            await self.purge_expired()

    async def purge_expired(self, now: float | None = None) -> int:
        """Remove threads (and their items) idle for longer than `thread_ttl`; how many."""
        now = time.time() if now is None else now
        self._next_purge = time.monotonic() + 600
        pool = await self.pool()
        async with pool.acquire() as conn, conn.transaction():
            ids = [
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM chatkit_threads WHERE updated < $1", now - self.thread_ttl
                )
            ]
            if ids:
                await conn.execute("DELETE FROM chatkit_items WHERE thread_id = ANY($1)", ids)
                await conn.execute("DELETE FROM chatkit_threads WHERE id = ANY($1)", ids)
        return len(ids)

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: RequestContext
    ) -> Page[ThreadMetadata]:
        limit = _page_limit(limit)
        rows = await self._page("threads", "owner = $1", [context.reader], limit, after, order)
        threads = [ThreadMetadata.model_validate_json(r["data"]) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(data=threads, has_more=more, after=threads[-1].id if more else None)

    async def delete_thread(self, thread_id: str, context: RequestContext) -> None:
        await self.load_thread(thread_id, context)
        pool = await self.pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "DELETE FROM chatkit_items WHERE thread_id = $1 AND owner = $2", thread_id, context.reader
            )
            await conn.execute(
                "DELETE FROM chatkit_threads WHERE id = $1 AND owner = $2", thread_id, context.reader
            )

    # -- items -----------------------------------------------------------------------------

    async def load_thread_items(
        self, thread_id: str, after: str | None, limit: int, order: str, context: RequestContext
    ) -> Page[ThreadItem]:
        limit = _page_limit(limit)
        await self.load_thread(thread_id, context)
        rows = await self._page(
            "items", "owner = $1 AND thread_id = $2", [context.reader, thread_id], limit, after, order
        )
        items = [_ITEM.validate_json(r["data"]) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(data=items, has_more=more, after=items[-1].id if more else None)

    async def count_items(self, thread_id: str, context: RequestContext) -> int:
        pool = await self.pool()
        return await pool.fetchval(
            "SELECT COUNT(*) FROM chatkit_items WHERE owner = $1 AND thread_id = $2",
            context.reader,
            thread_id,
        )

    async def count_user_messages(self, thread_id: str, context: RequestContext) -> int:
        pool = await self.pool()
        return await pool.fetchval(
            "SELECT COUNT(*) FROM chatkit_items WHERE owner = $1 AND thread_id = $2"
            " AND (data::jsonb ->> 'type') = 'user_message'",
            context.reader,
            thread_id,
        )

    async def _touch(self, conn, thread_id: str, owner: str) -> None:
        await conn.execute(
            "UPDATE chatkit_threads SET updated = $1 WHERE id = $2 AND owner = $3",
            time.time(),
            thread_id,
            owner,
        )

    async def add_thread_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        """A new item: its id must be new (a clash is an error, never a skipped message)."""
        await self.load_thread(thread_id, context)
        pool = await self.pool()
        async with pool.acquire() as conn:
            try:
                await conn.execute(
                    "INSERT INTO chatkit_items (id, thread_id, owner, data) VALUES ($1, $2, $3, $4)",
                    item.id,
                    thread_id,
                    context.reader,
                    _ITEM.dump_json(item).decode("utf-8"),
                )
            except asyncpg.UniqueViolationError:
                raise IdClash(f"item id {item.id} is already taken") from None
            await self._touch(conn, thread_id, context.reader)

    async def save_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        await self.load_thread(thread_id, context)
        pool = await self.pool()
        async with pool.acquire() as conn:
            status = await conn.execute(
                "INSERT INTO chatkit_items (id, thread_id, owner, data) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (id) DO UPDATE SET data = excluded.data"
                " WHERE chatkit_items.owner = excluded.owner"
                " AND chatkit_items.thread_id = excluded.thread_id",
                item.id,
                thread_id,
                context.reader,
                _ITEM.dump_json(item).decode("utf-8"),
            )
            if status.endswith(" 0"):
                raise IdClash(f"item id {item.id} is already taken by another thread")
            await self._touch(conn, thread_id, context.reader)

    async def load_item(self, thread_id: str, item_id: str, context: RequestContext) -> ThreadItem:
        pool = await self.pool()
        data = await pool.fetchval(
            "SELECT data FROM chatkit_items WHERE id = $1 AND thread_id = $2 AND owner = $3",
            item_id,
            thread_id,
            context.reader,
        )
        if data is None:
            raise NotFoundError(f"Item {item_id} not found")
        return _ITEM.validate_json(data)

    async def delete_thread_item(self, thread_id: str, item_id: str, context: RequestContext) -> None:
        pool = await self.pool()
        await pool.execute(
            "DELETE FROM chatkit_items WHERE id = $1 AND thread_id = $2 AND owner = $3",
            item_id,
            thread_id,
            context.reader,
        )

    # -- attachments (metadata only; this backend accepts no uploads) ------------------------

    async def save_attachment(self, attachment: Attachment, context: RequestContext) -> None:
        pool = await self.pool()
        await pool.execute(
            "INSERT INTO chatkit_attachments (id, owner, data) VALUES ($1, $2, $3)"
            " ON CONFLICT (id) DO UPDATE SET data = excluded.data"
            " WHERE chatkit_attachments.owner = excluded.owner",
            attachment.id,
            context.reader,
            _ATTACHMENT.dump_json(attachment).decode("utf-8"),
        )

    async def load_attachment(self, attachment_id: str, context: RequestContext) -> Attachment:
        pool = await self.pool()
        data = await pool.fetchval(
            "SELECT data FROM chatkit_attachments WHERE id = $1 AND owner = $2", attachment_id, context.reader
        )
        if data is None:
            raise NotFoundError(f"Attachment {attachment_id} not found")
        return _ATTACHMENT.validate_json(data)

    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        pool = await self.pool()
        await pool.execute(
            "DELETE FROM chatkit_attachments WHERE id = $1 AND owner = $2", attachment_id, context.reader
        )

    # -- paging ----------------------------------------------------------------------------

    async def _page(
        self, table: str, where: str, args: list[Any], limit: int, after: str | None, order: str
    ) -> list:
        """Up to limit + 1 rows (id, data) after the row with id `after`, in insertion order."""
        name = _TABLES[table]
        direction, cmp = ("DESC", "<") if order == "desc" else ("ASC", ">")
        if after:
            args = [*args, after]
            where += f" AND seq {cmp} (SELECT seq FROM {name} WHERE id = ${len(args)})"
        args = [*args, limit + 1]
        sql = f"SELECT id, data FROM {name} WHERE {where} ORDER BY seq {direction} LIMIT ${len(args)}"
        pool = await self.pool()
        return await pool.fetch(sql, *args)
