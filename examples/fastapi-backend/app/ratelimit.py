"""Abuse limits: how many sessions an address may start, how many messages a reader may send.

The counting is done by the `limits` library (sliding-window counters, O(1) memory per key).
Each limit is a list of windows in its string notation, e.g. `120/10 seconds; 600/minute`: a
short window is the burst, the longer ones the sustained rate, which together behave like a token
bucket. A request is refused (429 with `Retry-After`) when any window is full; a refused request
does not use up quota.

State lives in `CHATKIT_LIMITS_STORAGE` (default `memory://`: per process, so with N processes
an address gets N times the quota; `redis://host:6379` shares it, with the `redis` package).

The client address is the socket's peer, or, behind a reverse proxy, the address that the proxy
writes into `CHATKIT_TRUSTED_PROXY_HEADER` (never a header the proxy was not configured for: a
client could write any value into it).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string


def parse_limits(name: str, text: str) -> list[RateLimitItem]:
    """`120/10 seconds; 600/minute` as windows; empty or `off` for none."""
    text = text.strip()
    if not text or text.lower() in ("off", "none", "0"):
        return []
    try:
        return parse_many(text)
    except ValueError:
        raise SystemExit(f"{name} must be rate limits like '20/minute; 300/day', got {text!r}") from None


@dataclass(frozen=True)
class Refusal:
    """A full window: what to say and how long the client should wait."""

    retry_after: int
    limit: str


class RateLimiter:
    def __init__(self, storage_uri: str = "memory://"):
        scheme = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        self._storage = storage_from_string(scheme)
        self._strategy = SlidingWindowCounterRateLimiter(self._storage)

    async def hit(self, namespace: str, key: str, windows: list[RateLimitItem]) -> Refusal | None:
        """Count one request against every window, or refuse it (counting nothing)."""
        return await self.hit_all([(namespace, key, windows)])

    async def hit_all(self, groups: list[tuple[str, str, list[RateLimitItem]]]) -> Refusal | None:
        """Count one request against every window of every (namespace, key), or refuse it
        without counting it anywhere (a refused message does not use up the reader's quota)."""
        for namespace, key, windows in groups:
            for window in windows:
                if not await self._strategy.test(window, namespace, key):
                    stats = await self._strategy.get_window_stats(window, namespace, key)
                    wait = max(1, math.ceil(stats.reset_time - time.time()))
                    return Refusal(retry_after=wait, limit=str(window))
        for namespace, key, windows in groups:
            for window in windows:
                await self._strategy.hit(window, namespace, key)
        return None

    async def reset(self) -> None:
        await self._storage.reset()


def client_address(scope_client: tuple[str, int] | None, headers, header: str, hops: int) -> str:
    """The address to count a request against.

    Without a configured header, the TCP peer. With one (`X-Forwarded-For`, `X-Real-IP`,
    `CF-Connecting-IP`, ...), the entry that the trusted proxies wrote: for a comma-separated list
    each proxy appends the address it saw, so with `hops` proxies in front the client is the
    `hops`-th entry from the right; anything left of it was written by the client.
    """
    peer = scope_client[0] if scope_client else "unknown"
    if not header:
        return peer
    raw = headers.get(header.lower())
    if not raw:
        return peer
    entries = [e.strip() for e in raw.split(",") if e.strip()]
    if not entries:
        return peer
    return entries[-hops] if len(entries) >= hops else entries[0]
