"""When a shard may IDENTIFY: Discord's session-start limit, honoured per bucket.

Discord allows one IDENTIFY per 5 seconds in each rate-limit bucket, and a bot has
`max_concurrency` buckets (`shard_id % max_concurrency`; 1 for most bots, 16 and more for
large ones, told by GET /gateway/bot under `session_start_limit`). discord.py's own hook
waits 5 s before every shard but the first whatever the bot's concurrency, so a bot
with 64 shards and a concurrency of 16 would take five minutes to connect instead of
fifteen seconds. `IdentifyPacer` waits only when the shard's own bucket identified less
than 5 s ago — also on a reconnect, where discord.py always waits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

IDENTIFY_INTERVAL = 5.0  # seconds between two IDENTIFYs in one bucket (Discord's gateway docs)


class IdentifyPacer:
    """Holds each shard's IDENTIFY until its bucket's 5 s have passed (one pacer per client)."""

    def __init__(
        self,
        max_concurrency: Callable[[], Awaitable[int]],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._ask = max_concurrency  # asked once, on the first IDENTIFY
        self._concurrency: int | None = None
        self._clock = clock
        self._sleep = sleep
        self._last: dict[int, float] = {}  # bucket -> when it last identified
        self._lock = asyncio.Lock()

    async def before_identify(self, shard_id: int | None) -> None:
        async with self._lock:  # shards launched together take their turns in order
            if self._concurrency is None:
                self._concurrency = max(1, await self._ask())
            bucket = (shard_id or 0) % self._concurrency
            last = self._last.get(bucket)
            if last is not None and (wait := last + IDENTIFY_INTERVAL - self._clock()) > 0:
                await self._sleep(wait)
            self._last[bucket] = self._clock()
