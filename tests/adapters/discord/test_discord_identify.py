"""Shards identify as fast as Discord's session start limit allows: one IDENTIFY per 5 s in
each bucket (`shard_id % max_concurrency`), on a test clock."""

from __future__ import annotations

import asyncio

from adapters.discord.identify import IdentifyPacer
from tests.support.clocks import SleepClock


def _pacer(clock: SleepClock, concurrency: int, asked: list[int] | None = None) -> IdentifyPacer:
    async def ask() -> int:
        if asked is not None:
            asked.append(concurrency)
        return concurrency

    return IdentifyPacer(ask, clock=clock, sleep=clock.sleep)


async def test_one_bucket_spaces_every_identify_five_seconds() -> None:
    clock = SleepClock(100.0)
    pacer = _pacer(clock, 1)
    starts = []
    for shard in range(3):
        await pacer.before_identify(shard)
        starts.append(clock.now)
    assert starts == [100.0, 105.0, 110.0]


async def test_shards_in_different_buckets_identify_together() -> None:
    clock, asked = SleepClock(100.0), []
    pacer = _pacer(clock, 4, asked)
    starts = []
    for shard in range(6):
        await pacer.before_identify(shard)
        starts.append(clock.now)
    # shards 0-3 take the four buckets at once; 4 and 5 share buckets 0 and 1 and wait out their 5 s
    assert starts == [100.0, 100.0, 100.0, 100.0, 105.0, 105.0]
    assert asked == [4]  # GET /gateway/bot once, not once per shard


async def test_a_reconnect_waits_only_for_what_is_left_of_its_buckets_five_seconds() -> None:
    clock = SleepClock(100.0)
    pacer = _pacer(clock, 1)
    await pacer.before_identify(0)
    clock.now += 2.0
    await pacer.before_identify(0)  # reconnected 2 s later: 3 s to go
    assert clock.slept == [3.0]
    clock.now += 60.0
    await pacer.before_identify(None)  # a plain connection is shard 0; long after, no wait
    assert clock.slept == [3.0]


async def test_shards_launched_together_take_their_turns_in_order() -> None:
    clock = SleepClock(100.0)
    pacer = _pacer(clock, 1)
    await asyncio.gather(*(pacer.before_identify(shard) for shard in range(3)))
    assert clock.slept == [5.0, 5.0]


async def test_a_concurrency_below_one_is_taken_as_one() -> None:
    clock = SleepClock(100.0)
    pacer = _pacer(clock, 0)
    await pacer.before_identify(0)
    await pacer.before_identify(1)
    assert clock.slept == [5.0]
