"""Claimed outbox rows that wait longer than a lease for their turn stay claimed.

With several workers sharing one Slack tier, a worker's 50 claimed introductions
can wait minutes in its pacing queue; before the lease keeper, their leases ran out
and another worker took them over and opened the same group DM again, spending the
tier twice (4 workers on PostgreSQL: 341 conversations.open for 300 introductions).
The lease is shortened here so the wait is real but short; nothing is timed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.bootstrap import bootstrap
from bot.core import messages as msg
from bot.core.events import CommunityRef
from bot.core.ports import Delivered, Delivery, Destination
from bot.core.settings import Settings
from bot.delivery import deliverer as deliverer_module
from bot.delivery.deliverer import Deliverer
from bot.delivery.outbox import Outbox
from bot.mentorbot import ensure_community
from tests.support.db import DatabaseFactory


class SlowPlatform:
    """Every send takes a while (as if waiting for a paced turn); records what arrived."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.sent: Counter[str] = Counter()

    async def deliver(self, delivery: Delivery):  # type: ignore[no-untyped-def]
        await asyncio.sleep(self.seconds)
        self.sent[delivery.idempotency_key] += 1
        return Delivered(f"m{sum(self.sent.values())}")


async def test_rows_waiting_past_their_lease_are_not_taken_over(
    sqlite_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deliverer_module, "LEASE", timedelta(seconds=0.6))
    bot = await bootstrap(replace(Settings(), database_url=sqlite_factory.url))
    try:
        async with bot.db.unit() as session:
            community = await ensure_community(session, CommunityRef("slack", "T1"), bot.clock.now(), bot.settings)
            outbox = Outbox(session, community.id, bot.clock.now())  # type: ignore[arg-type]
            for i in range(6):
                note = msg.message(msg.text(f"introduction {i}"))
                await outbox.post(Destination.group_dm([f"U{2 * i}", f"U{2 * i + 1}"]), note, dedupe_key=f"intro:{i}")
        slow, other = SlowPlatform(0.5), SlowPlatform(0.0)
        # Two at a time, 0.5 s each: the last two rows wait 1 s, past the 0.6 s lease.
        first = Deliverer(bot.db, bot.clock, slow, concurrency=2)
        second = Deliverer(bot.db, bot.clock, other, concurrency=2)

        async def second_worker() -> None:
            for _ in range(8):
                await asyncio.sleep(0.2)
                await second.drain()

        await asyncio.gather(first.drain(), second_worker())
    finally:
        await bot.close()
    assert other.sent == Counter()  # nothing was taken over
    assert len(slow.sent) == 6 and set(slow.sent.values()) == {1}  # each sent once, by the first
