"""A server that removes the bot: GUILD_DELETE without `unavailable` schedules the purge
of its data after the grace period; an outage (unavailable=true) purges nothing; the bot
added back (GUILD_CREATE) within the grace period cancels it.

`mentorbot run` for Discord (`serve`: the real discord.py client and core) against the
fake Discord's gateway."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from storage.tables import Community, Member, Profile
from tests.fakes.discord import FakeDiscord
from tests.support.discord_program import START, Program


async def due_at(program: Program) -> object:
    async with program.store.db.unit() as session:
        row = (
            await session.execute(
                select(Community).where(Community.platform == "discord", Community.external_id == program.guild.id)
            )
        ).scalar_one_or_none()
    return "gone" if row is None else row.purge_due_at


def due_as(found: object, expected: object) -> bool:
    """A due time matches within the minute after `expected` (the program's clock moves with
    real time); `None` and "gone" match exactly."""
    if isinstance(expected, datetime) and isinstance(found, datetime):
        return expected <= found < expected + timedelta(minutes=1)
    return found == expected


async def wait_for(program: Program, expected: object) -> None:
    for _ in range(500):
        if due_as(await due_at(program), expected):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"purge_due_at never became {expected!r}: {await due_at(program)!r}")


async def test_a_server_that_removes_the_bot_is_purged_after_the_grace_period(
    program: Program, fake: FakeDiscord
) -> None:
    await program.seed(fake.add_member(program.guild, "ann"), "mentee", goals="Learn the Tarantula-7712 framework")
    assert await due_at(program) is None

    # An outage is not a removal: nothing is scheduled.
    assert await fake.dispatch("GUILD_DELETE", {"id": program.guild.id, "unavailable": True}, guild_id=program.guild.id)
    await asyncio.sleep(0.3)
    assert await due_at(program) is None

    # Then removed for real.
    await fake.dispatch("GUILD_DELETE", {"id": program.guild.id}, guild_id=program.guild.id)
    await wait_for(program, START + timedelta(days=30))

    program.clock.advance(timedelta(days=29))
    await program.store.sweep()
    assert await program.count(Profile) == 1
    program.clock.advance(timedelta(days=1, minutes=1))
    await program.store.sweep()
    assert await due_at(program) == "gone"
    assert await program.count(Profile) == 0 and await program.count(Member) == 0


async def test_adding_the_bot_back_within_the_grace_period_cancels_the_purge(
    program: Program, fake: FakeDiscord
) -> None:
    await program.seed(fake.add_member(program.guild, "ann"), "mentee")
    await fake.dispatch("GUILD_DELETE", {"id": program.guild.id}, guild_id=program.guild.id)
    await wait_for(program, START + timedelta(days=30))
    program.clock.advance(timedelta(days=3))
    await fake.dispatch("GUILD_CREATE", fake.guild_payload(program.guild), guild_id=program.guild.id)
    await wait_for(program, None)
    program.clock.advance(timedelta(days=60))
    await program.store.sweep()
    assert await program.count(Profile) == 1


async def test_a_server_that_removed_the_bot_while_it_was_down_is_scheduled_at_start_up(
    program: Program, fake: FakeDiscord
) -> None:
    await program.seed(fake.add_member(program.guild, "ann"), "mentee")
    async with program.store.db.unit() as session:
        session.add(Community(platform="discord", external_id="424242424242424242", name="Gone", created_at=START))
    await program.stop()
    await program.start()

    async def gone_due() -> object:
        async with program.store.db.unit() as session:
            row = (
                await session.execute(select(Community).where(Community.external_id == "424242424242424242"))
            ).scalar_one()
        return row.purge_due_at

    for _ in range(500):
        if await gone_due() is not None:
            break
        await asyncio.sleep(0.02)
    assert due_as(await gone_due(), START + timedelta(days=30))
    assert await due_at(program) is None, "the server the bot is still in is kept"
