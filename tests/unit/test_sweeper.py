"""A failing sweep job is retried after a growing pause, without holding up the others."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.feature import Sweep, SweepEnv
from bot.delivery.sweeps import Sweeper
from tests.support.chat import Chat


async def test_a_failing_job_waits_longer_each_time_and_the_others_go_on(chat: Chat) -> None:
    clock = chat.session.clock
    tries: list[datetime] = []
    done: list[datetime] = []
    broken = True

    async def fails(session: AsyncSession, now: datetime, env: SweepEnv) -> int:
        tries.append(now)
        if broken:
            raise RuntimeError("the round's batch cannot be written")
        return 1

    async def works(session: AsyncSession, now: datetime, env: SweepEnv) -> int:
        done.append(now)
        return 0

    async def always_due(session: AsyncSession) -> datetime:
        return clock.now() - timedelta(minutes=1)  # its work stays due while it fails

    sweeper = Sweeper(
        chat.bot.db,
        clock,
        chat.bot.sweeper.env,
        [Sweep("introduce", fails, always_due), Sweep("check-ins", works)],
    )
    start = clock.now()
    await sweeper.run_due()
    async with chat.bot.db.unit() as session:
        assert (await sweeper.schedule(session))["introduce"] == start + timedelta(seconds=1)
    await sweeper.run_due()  # at once again: the failed job waits, the other runs
    assert (len(tries), len(done)) == (1, 2)
    clock.advance(timedelta(seconds=1))
    await sweeper.run_due()
    assert len(tries) == 2
    async with chat.bot.db.unit() as session:
        assert (await sweeper.schedule(session))["introduce"] == clock.now() + timedelta(seconds=2)
    for _ in range(20):  # the pause stops growing at five minutes
        clock.advance(timedelta(minutes=10))
        await sweeper.run_due()
    async with chat.bot.db.unit() as session:
        assert (await sweeper.schedule(session))["introduce"] == clock.now() + timedelta(minutes=5)
    broken = False
    clock.advance(timedelta(minutes=5))
    assert await sweeper.run_due() == 1
    async with chat.bot.db.unit() as session:
        assert (await sweeper.schedule(session))["introduce"] == clock.now() - timedelta(minutes=1)


async def test_a_failing_job_whose_work_went_away_starts_afresh(chat: Chat) -> None:
    clock = chat.session.clock
    tries: list[datetime] = []
    due: list[datetime | None] = [clock.now()]

    async def fails_first(session: AsyncSession, now: datetime, env: SweepEnv) -> int:
        tries.append(now)
        if len(tries) <= 10:
            raise RuntimeError("the round's batch cannot be written")
        return 1

    async def next_due(session: AsyncSession) -> datetime | None:
        return due[0]

    sweeper = Sweeper(chat.bot.db, clock, chat.bot.sweeper.env, [Sweep("introduce", fails_first, next_due)])
    for _ in range(10):  # ten failures: the pause has grown to minutes
        clock.advance(timedelta(minutes=10))
        await sweeper.run_due()
    assert len(tries) == 10
    due[0] = None  # a moderator stopped the round
    async with chat.bot.db.unit() as session:
        assert await sweeper.schedule(session) == {}
    due[0] = clock.now()  # a new round is approved a moment later
    assert await sweeper.run_due() == 1  # at once, not after the old pause
