"""Pacing every platform method at its own rate limit.

Slack gives each Web API method a tier per workspace (Tier 2 ≈ 20/min, Tier 3 ≈
50/min, Tier 4 ≈ 100/min) and chat.postMessage about one message per second per
channel; Discord gives each route a bucket and the bot 50 requests per second in
all. `Pacer.turn(bucket, interval)` waits until the bucket is free and takes
it, so calls go out evenly at the limit instead of in a burst that earns 429s.

Slots live in process memory by default; with `DbPacingSlots` (storage) every
worker takes them from the same table, so four workers together still keep to
one tier. The clock and sleep are injected: tests and the bench run hours of
platform time on a scaled clock that the fakes share.

A turn can also take the bucket's *lease* (`Pacer.turn(…, lease=seconds)`): the
request is in flight, and no worker takes the bucket again until `Pacer.release`
(with the answer's hold, in the same write) or until the lease runs out — a worker
that died mid-request blocks the bucket for `lease` seconds, no more. Discord's gate
uses it so an answer saying a bucket is empty is applied before any worker's next
request of that bucket can leave.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
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
    "conversations.create": SLACK_TIER_2,
    "conversations.invite": SLACK_TIER_3,  # circles' channels and the community spaces
    "conversations.kick": SLACK_TIER_3,
    "conversations.history": SLACK_TIER_3,
    "conversations.info": SLACK_TIER_3,
    "chat.update": SLACK_TIER_3,
    "pins.add": SLACK_TIER_2,
    "pins.remove": SLACK_TIER_2,
    "views.publish": SLACK_TIER_4,
}
# A turn taken late may be dated back to when the bucket fell free, by up to this much,
# so a slow wake-up (a busy loop, a database round trip, another worker winning the
# race) does not stretch every interval. It is safe inside the margin: n + 1 calls
# span at least n × interval − catch-up = 1.02 × window − 0.2 s > window for every
# tier above (Tier 2, 3 and 4 windows are 60 s: 61.2 s − 0.2 s), and it leaves 1 s of
# the margin for requests that arrive late behind a slow one (0.5 s left too little:
# 4 workers on a saturated machine, scaled clock, had 4 early arrivals). Per-channel
# posts and Discord's buckets take none.
TIER_CATCH_UP = 0.2
SLACK_POST_INTERVAL = 1.0  # chat.postMessage: about one per second per channel
# Discord: 50 requests per second for the whole bot, paced evenly with the tiers'
# margin (a request that leaves on time can arrive late behind a slow one: 20.4 ms
# apart, 51 requests span 1.02 s). A route's bucket allows `X-RateLimit-Limit` requests
# per window; it is kept by its lease, not by a margin (adapters/discord/gate.py): one
# request of a bucket in flight across all workers, and an answer saying the bucket is
# empty holds it shut until `Reset-After` before the next can leave. Its turns are only
# spread evenly over the window (Create DM at 10 a second: 100 ms apart).
DISCORD_GLOBAL_INTERVAL = 1.0 / 50 * TIER_MARGIN
DISCORD_ROUTE_MARGIN = 1.0
DISCORD_ROUTE_CATCH_UP = 0.25  # of a bucket's interval (see GlobalGate._before)
# A bucket's lease: the longest a request may stay unanswered before another worker may
# take the bucket (a worker that died mid-request); and how often a worker waiting on
# another worker's lease looks again once its turn has come.
DISCORD_LEASE = 2.0
LEASE_POLL = 0.005


class DmChannelStore(Protocol):
    """Where opened DM channel ids are kept (storage.platform_state.DmChannels)."""

    async def get(self, community: str, user_ids: Iterable[str]) -> str | None: ...

    async def put(self, community: str, user_ids: Iterable[str], channel_id: str) -> None: ...


class PacingSlots(Protocol):
    async def take(
        self,
        bucket: str,
        now: float,
        interval: float,
        catch_up: float = 0.0,
        *,
        owner: str = "",
        lease_until: float = 0.0,
        poll: float = LEASE_POLL,
    ) -> float:
        """Take the bucket if it is free at `now` (answer 0 and move it on to `interval`
        after the later of when it fell free and `now − catch_up`), else answer how many
        seconds to wait before asking again. With an `owner`, the bucket must also be
        out of lease, and the turn leases it to `owner` until `lease_until`; while
        another's lease holds it, the wait is at most `poll` once its turn has come."""
        ...

    async def hold(self, bucket: str, until: float) -> None: ...

    async def release(self, bucket: str, owner: str, until: float) -> None:
        """End `owner`'s lease (if still theirs) and hold the bucket until `until`, in one write."""
        ...


def lease_wait(free_at: float, leased_until: float, now: float, poll: float) -> float:
    """Seconds until a bucket that could not be taken should be asked again."""
    wait = free_at - now
    if leased_until > now:
        wait = max(wait, min(leased_until - now, poll))
    return max(wait, 1e-3)


class MemorySlots:
    """Slots of one process (a single worker, or tests without a database)."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._leases: dict[str, tuple[str, float]] = {}  # bucket -> (owner, until)

    async def take(
        self,
        bucket: str,
        now: float,
        interval: float,
        catch_up: float = 0.0,
        *,
        owner: str = "",
        lease_until: float = 0.0,
        poll: float = LEASE_POLL,
    ) -> float:
        free_at = self._next.get(bucket, float("-inf"))
        leased_until = self._leases[bucket][1] if owner and bucket in self._leases else float("-inf")
        if free_at > now or leased_until > now:
            return lease_wait(free_at, leased_until, now, poll)
        self._next[bucket] = max(free_at, now - catch_up) + interval
        if owner:
            self._leases[bucket] = (owner, lease_until)
        return 0.0

    async def hold(self, bucket: str, until: float) -> None:
        self._next[bucket] = max(self._next.get(bucket, float("-inf")), until)

    async def release(self, bucket: str, owner: str, until: float) -> None:
        await self.hold(bucket, until)
        if self._leases.get(bucket, ("", 0.0))[0] == owner:
            del self._leases[bucket]


class Pacer:
    """Waits for a bucket's turn on the injected clock.

    A call takes its bucket at the moment it is sent (not when it starts waiting):
    a late wake-up — a busy event loop, a slow database — then only delays later
    calls, it never bunches them, and several workers taking from one table stay an
    interval apart. Within a process, callers queue in order (asyncio locks are FIFO),
    so introductions go out in the order they were queued.
    """

    def __init__(
        self,
        slots: PacingSlots | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        scale: float = 1.0,
    ) -> None:
        self.slots: PacingSlots = slots or MemorySlots()
        self.clock = clock
        self.sleep = sleep
        self.scale = scale  # 0 turns pacing off (tests of other behaviour)
        self._queues: dict[str, asyncio.Lock] = {}
        self.waited = 0.0  # seconds spent waiting for a turn (the bench reports it)
        self._owner = uuid.uuid4().hex[:16]  # this pacer, in the leases it takes
        self._leases = itertools.count(1)

    async def turn(self, bucket: str, interval: float, catch_up: float = 0.0, *, lease: float = 0.0) -> str:
        """Wait until the bucket is free, and take it (`catch_up`: see TIER_CATCH_UP).
        With `lease` (seconds) the turn also leases the bucket: the answer is the lease's
        owner, to give to `release` once the request is answered ("" without a lease)."""
        if not self.scale:
            return ""
        interval *= self.scale
        catch_up *= self.scale
        owner = f"{self._owner}:{next(self._leases)}" if lease else ""
        async with self._queues.setdefault(bucket, asyncio.Lock()):
            while True:
                now = self.clock()
                until = now + lease * self.scale if lease else 0.0
                wait = await self.slots.take(
                    bucket, now, interval, catch_up, owner=owner, lease_until=until, poll=LEASE_POLL * self.scale
                )
                if wait <= 0:
                    return owner
                self.waited += wait
                await self.sleep(wait)

    async def hold(self, bucket: str, seconds: float) -> None:
        """The platform said Retry-After: no call in this bucket before it runs out."""
        if not self.scale:
            return
        await self.slots.hold(bucket, self.clock() + seconds)

    async def release(self, bucket: str, owner: str, hold: float = 0.0) -> None:
        """The leased request is answered: hold the bucket `hold` seconds (0: not at all)
        and let the next turn be taken — one write, so no turn comes between the two."""
        if not self.scale or not owner:
            return
        await self.slots.release(bucket, owner, self.clock() + hold if hold > 0 else float("-inf"))


def slack_interval(method: str) -> float | None:
    return SLACK_METHOD_INTERVALS.get(method)
