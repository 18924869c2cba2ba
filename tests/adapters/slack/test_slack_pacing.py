"""Slack tiers and opened DMs, through slack_sdk against the fake Slack enforcing the tiers.

The fake and the messenger share one injected clock (sleeping moves it), so a
minute of Slack's tiers takes no real time and nothing here is timed: the fake
counts calls and tier violations.
"""

from __future__ import annotations

from sqlalchemy import select

from adapters.pacing import SLACK_TIER_3, TIER_CATCH_UP, Pacer
from adapters.slack.messenger import SlackMessenger, make_web_client
from bot.core.messages import message
from bot.core.ports import Delivered, Delivery, Destination, Operation
from storage.migrate import upgrade
from storage.platform_state import DbPacingSlots, DmChannels, forget_dm_channels
from storage.tables import DmChannel
from tests.fakes.slack import BOT_TOKEN
from tests.support.clocks import SleepClock
from tests.support.db import DatabaseFactory
from tests.support.slack_storm import CeilingSlack, slack_ceiling

TEAM = "T0MENTOR"


def intro(users: list[str], key: str) -> Delivery:
    return Delivery(TEAM, Operation.POST, Destination.group_dm(users), message("Meet your mentor!"), key)


async def _fake(clock: SleepClock, people: int) -> CeilingSlack:
    fake = CeilingSlack(slack_ceiling(storm_fraction=0.0))
    fake.ceiling.clock = clock
    for i in range(people):
        fake.add_user(f"U{i:07d}", f"Member {i}")
    await fake.start()
    return fake


def _messenger(fake: CeilingSlack, clock: SleepClock, **kwargs) -> SlackMessenger:
    kwargs.setdefault("pacer", Pacer(clock=clock, sleep=clock.sleep))
    client = make_web_client(BOT_TOKEN, base_url=fake.api_url)
    return SlackMessenger(client, monotonic=clock, sleep=clock.sleep, **kwargs)


def _opens(fake: CeilingSlack) -> int:
    return sum(1 for call in fake.calls if call.method == "conversations.open")


async def test_a_round_of_group_dms_keeps_to_tier_3() -> None:
    clock = SleepClock(1_000.0)  # the fake's ceiling reads the same clock
    fake = await _fake(clock, 240)
    try:
        messenger = _messenger(fake, clock)
        pairs = [[f"U{2 * i:07d}", f"U{2 * i + 1:07d}"] for i in range(120)]
        results = [await messenger.deliver(intro(pair, f"intro:{i}")) for i, pair in enumerate(pairs)]
    finally:
        await fake.stop()
    assert all(isinstance(r, Delivered) for r in results)
    assert fake.ceiling.violations == []
    assert _opens(fake) == 120
    # 120 opens at 50 a minute cannot fit in less than 119 × 1.2 s of Slack's time.
    assert clock.now - 1_000.0 >= 119 * 1.2 - 0.01


async def test_without_pacing_the_fake_catches_tier_violations() -> None:
    """The check above can fail: the same round unpaced breaks Tier 3."""
    clock = SleepClock(1_000.0)
    fake = await _fake(clock, 240)
    try:
        messenger = _messenger(fake, clock, pacer=Pacer(clock=clock, sleep=clock.sleep, scale=0.0))
        for i in range(60):
            await messenger.deliver(intro([f"U{2 * i:07d}", f"U{2 * i + 1:07d}"], f"intro:{i}"))
    finally:
        await fake.stop()
    assert any(v.method == "conversations.open" for v in fake.ceiling.violations)


async def test_opened_dms_survive_a_restart_and_are_shared(sqlite_factory: DatabaseFactory) -> None:
    clock = SleepClock(1_000.0)
    fake = await _fake(clock, 4)
    db = sqlite_factory()
    await upgrade(db)
    try:
        first = _messenger(fake, clock, dm_channels=DmChannels(db, "slack"))
        await first.deliver(intro(["U0000000", "U0000001"], "intro:1"))
        await first.deliver(Delivery(TEAM, Operation.POST, Destination.dm("U0000002"), message("Welcome"), "dm:1"))
        # A restarted (or second) worker: new messenger, new cache, same database. A restart
        # takes a while: its first post to the group is not inside the first's per-channel second.
        await clock.sleep(1.0)
        again = sqlite_factory()
        second = _messenger(fake, clock, dm_channels=DmChannels(again, "slack"))
        await second.deliver(intro(["U0000001", "U0000000"], "intro:2"))  # same pair, other order
        await second.deliver(Delivery(TEAM, Operation.POST, Destination.dm("U0000002"), message("Again"), "dm:2"))
        await again.dispose()
    finally:
        await fake.stop()
    assert _opens(fake) == 2
    group = [c for c in fake.channels.values() if c.is_mpim]
    assert len(group) == 1 and [m["text"] for m in group[0].messages] == ["Meet your mentor!", "Meet your mentor!"]
    async with db.unit() as session:
        assert await forget_dm_channels(session, "slack", TEAM, "U0000001") == 1
    async with db.unit() as session:
        left = (await session.execute(select(DmChannel))).scalars().all()
    await db.dispose()
    assert [row.members for row in left] == ["U0000002"]


async def test_two_workers_share_the_tier_through_the_database(any_factory: DatabaseFactory) -> None:
    clock = SleepClock(1_000.0)
    fake = await _fake(clock, 160)
    db = any_factory()
    await upgrade(db)
    other = any_factory()
    try:
        workers = [
            _messenger(fake, clock, pacer=Pacer(DbPacingSlots(database), clock=clock, sleep=clock.sleep))
            for database in (db, other)
        ]
        for i in range(80):
            await workers[i % 2].deliver(intro([f"U{2 * i:07d}", f"U{2 * i + 1:07d}"], f"intro:{i}"))
    finally:
        await fake.stop()
        await db.dispose()
        await other.dispose()
    assert fake.ceiling.violations == []
    assert _opens(fake) == 80


async def test_pins_keep_to_tier_2() -> None:
    clock = SleepClock(1_000.0)
    fake = await _fake(clock, 1)
    fake.add_channel("C0MENTOR", "mentoring")
    try:
        messenger = _messenger(fake, clock)
        for i in range(30):
            posted = await messenger.deliver(
                Delivery(TEAM, Operation.POST, Destination.channel("C0MENTOR"), message(f"Poll {i}"), f"p:{i}")
            )
            assert isinstance(posted, Delivered)
            pin = Delivery(
                TEAM, Operation.PIN, Destination.channel("C0MENTOR"), None, f"pin:{i}", target_ref=posted.message_ref
            )
            pinned = await messenger.deliver(pin)
            assert isinstance(pinned, Delivered)
    finally:
        await fake.stop()
    assert fake.ceiling.violations == []
    assert sum(1 for call in fake.calls if call.method == "pins.add" and call.ok) == 30


class LateClock(SleepClock):
    """Every wake-up is late by a repeating amount (a busy loop, a slow database, a
    worker that lost the race): sleeping moves the clock by what was asked and more."""

    def __init__(self, lateness: list[float]) -> None:
        super().__init__(1_000.0)
        self.lateness = lateness
        self.wakes = 0

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds) + self.lateness[self.wakes % len(self.lateness)]
        self.wakes += 1


async def _late_turns(slots, clock: LateClock, turns: int) -> list[float]:
    pacer = Pacer(slots, clock=clock, sleep=clock.sleep)
    taken = []
    for _ in range(turns):
        await pacer.turn("slack:T:conversations.open", SLACK_TIER_3, TIER_CATCH_UP)
        taken.append(clock.now)
    return taken


def _most_in_a_minute(taken: list[float]) -> int:
    return max(sum(1 for t in taken[i:] if t < start + 60.0) for i, start in enumerate(taken))


async def test_late_wake_ups_neither_break_the_tier_nor_stretch_the_round(any_factory: DatabaseFactory) -> None:
    # Wake-ups late by up to 0.18 s: without the catch-up each turn would start from
    # its late wake-up and 300 opens would take ~7 % longer.
    db = any_factory()
    await upgrade(db)
    try:
        for slots in (None, DbPacingSlots(db)):
            clock = LateClock([0.0, 0.12, 0.18, 0.05, 0.1])
            taken = await _late_turns(slots, clock, 300)
            assert _most_in_a_minute(taken) <= 50  # Tier 3 in every window
            assert taken[-1] - taken[0] <= 299 * SLACK_TIER_3 + TIER_CATCH_UP + 0.18  # at the pace, not behind it
    finally:
        await db.dispose()


async def test_without_the_catch_up_late_wake_ups_stretch_the_round() -> None:
    # The control: the same lateness with no catch-up loses ~7 % of the ceiling.
    clock = LateClock([0.0, 0.12, 0.18, 0.05, 0.1])
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    taken = []
    for _ in range(300):
        await pacer.turn("slack:T:conversations.open", SLACK_TIER_3)
        taken.append(clock.now)
    assert taken[-1] - taken[0] > 299 * (SLACK_TIER_3 + 0.07)
