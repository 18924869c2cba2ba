"""Pacing every platform method at its own rate limit.

Slack gives each Web API method a tier per workspace (Tier 2 ≈ 20/min, Tier 3 ≈
50/min, Tier 4 ≈ 100/min) and chat.postMessage about one message per second per
channel; Discord gives each route a bucket and the bot 50 requests per second in
all. `Pacer.turn(bucket, interval)` waits until the bucket's next slot and claims
it, so calls go out evenly at the limit instead of in a burst that earns 429s.

Slots live in process memory by default; with `DbPacingSlots` (storage) every
worker claims them from the same table, so four workers together still keep to
one tier. The clock and sleep are injected: tests and the bench run hours of
platform time on a scaled clock that the fakes share.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

# Slack's documented tiers, as seconds between calls of one method in one workspace,
# 2 % slower than the tier: a request that leaves on time can still arrive late behind
# a slow one, and the margin keeps any minute of arrivals inside the tier.
TIER_MARGIN = 1.02
SLACK_TIER_2 = 60.0 / 20 * TIER_MARGIN
SLACK_TIER_3 = 60.0 / 50 * TIER_MARGIN
SLACK_TIER_4 = 60.0 / 100 * TIER_MARGIN
SLACK_METHOD_INTERVALS: dict[str, float] = {
    "conversations.open": SLACK_TIER_3,
    "conversations.history": SLACK_TIER_3,
    "conversations.info": SLACK_TIER_3,
    "chat.update": SLACK_TIER_3,
    "pins.add": SLACK_TIER_2,
    "pins.remove": SLACK_TIER_2,
    "views.publish": SLACK_TIER_4,
}
SLACK_POST_INTERVAL = 1.0  # chat.postMessage: about one per second per channel
DISCORD_GLOBAL_INTERVAL = 1.0 / 50  # 50 requests per second for the whole bot


class DmChannelStore(Protocol):
    """Where opened DM channel ids are kept (storage.platform_state.DmChannels)."""

    async def get(self, community: str, user_ids: Iterable[str]) -> str | None: ...

    async def put(self, community: str, user_ids: Iterable[str], channel_id: str) -> None: ...


class PacingSlots(Protocol):
    async def claim(self, bucket: str, now: float, interval: float) -> float: ...

    async def hold(self, bucket: str, until: float) -> None: ...


class MemorySlots:
    """Slots of one process (a single worker, or tests without a database)."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}

    async def claim(self, bucket: str, now: float, interval: float) -> float:
        start = max(self._next.get(bucket, float("-inf")), now)
        self._next[bucket] = start + interval
        return start

    async def hold(self, bucket: str, until: float) -> None:
        self._next[bucket] = max(self._next.get(bucket, float("-inf")), until)


class Pacer:
    """Waits for a bucket's turn on the injected clock."""

    def __init__(
        self,
        slots: PacingSlots | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        scale: float = 1.0,
    ) -> None:
        self.slots: PacingSlots = slots or MemorySlots()
        self.scale = scale  # 0 turns pacing off (tests of other behaviour)
        self.clock = clock
        self.sleep = sleep
        self._held: dict[str, float] = {}  # Retry-After windows this process was given
        self._sent: dict[str, float] = {}  # when this process last actually called each bucket
        self.waited = 0.0  # seconds spent waiting for a turn (the bench reports it)

    async def turn(self, bucket: str, interval: float) -> None:
        """Claim the bucket's next slot and wait for it."""
        if not self.scale:
            return
        interval *= self.scale
        start = await self.slots.claim(bucket, self.clock(), interval)
        while True:
            wait = start - self.clock()
            if wait > 0:
                self.waited += wait
                await self.sleep(wait)
            # A Retry-After that arrived while we slept moves our turn behind it.
            held = self._held.get(bucket, float("-inf"))
            if self.clock() >= held:
                break
            start = await self.slots.claim(bucket, held, interval)
        # Slots say when to wake, not when we actually send: a busy event loop wakes
        # several waiters late and at once. Keep this process's real sends apart too.
        while (gap := self._sent.get(bucket, float("-inf")) + interval - self.clock()) > 0:
            self.waited += gap
            await self.sleep(gap)
        self._sent[bucket] = self.clock()

    async def hold(self, bucket: str, seconds: float) -> None:
        """The platform said Retry-After: no call in this bucket before it runs out."""
        if not self.scale:
            return
        until = self.clock() + seconds
        self._held[bucket] = max(self._held.get(bucket, float("-inf")), until)
        await self.slots.hold(bucket, until)


def slack_interval(method: str) -> float | None:
    return SLACK_METHOD_INTERVALS.get(method)
