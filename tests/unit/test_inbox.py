"""The inbox and restart without the wait, on SQLite and PostgreSQL: a retry is saved once,
the core applies an event once however often it is offered, and what a dead process held
is taken back at start-up (SQLite) or when its heartbeat stops (PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.core.clock import ManualClock
from bot.delivery.inbox import AlreadyHandled, Inbox, MemberTurns, mark_handled
from bot.delivery.leases import DEAD_AFTER, Heartbeat, _wall, release_all
from storage.migrate import upgrade
from storage.tables import Community, InboxEvent, OutboxMessage, WorkerHeartbeat
from tests.support.db import START, DatabaseFactory


async def migrated(factory: DatabaseFactory):  # type: ignore[no-untyped-def]
    db = factory()
    await upgrade(db)
    return db


async def test_a_retry_is_saved_once_and_applied_once(any_factory: DatabaseFactory) -> None:
    db = await migrated(any_factory)
    inbox = Inbox(db, ManualClock(START), worker_id="a")
    try:
        first = await inbox.receive("slack", "T1", "Ev1", "U1", "dm", {"text": "hello"})
        again = await inbox.receive("slack", "T1", "Ev1", "U1", "dm", {"text": "hello"})
        assert first.fresh and not again.fresh and first.id == again.id
        async with db.unit() as session:
            await mark_handled(session, "slack", "T1", "Ev1", START)
        with pytest.raises(AlreadyHandled):
            async with db.unit() as session:
                await mark_handled(session, "slack", "T1", "Ev1", START)
        # An event that never went through an adapter's inbox (the console) is de-duplicated the same way.
        async with db.unit() as session:
            await mark_handled(session, "console", "c", "ev-direct", START)
        with pytest.raises(AlreadyHandled):
            async with db.unit() as session:
                await mark_handled(session, "console", "c", "ev-direct", START)
    finally:
        await inbox.close()
        await db.dispose()


async def test_sqlite_start_up_takes_back_every_claim_at_once(sqlite_factory: DatabaseFactory) -> None:
    db = await migrated(sqlite_factory)
    clock = ManualClock(START)
    dead = Inbox(db, clock, worker_id="killed")
    await dead.receive("slack", "T1", "Ev1", "U1", "dm", {})
    async with db.unit() as session:
        session.add(Community(id=1, platform="slack", external_id="T1", created_at=START))
        await session.flush()
        session.add(
            OutboxMessage(
                community_id=1,
                operation="post",
                destination_kind="dm",
                destination_target="U1",
                status="sending",
                not_before=START + timedelta(seconds=60),
                created_at=START,
            )
        )
    await dead.close()
    restarted = Inbox(db, clock, worker_id="new")
    assert await restarted.claim_open() == []  # still under the dead process's lease
    assert await release_all(db, clock, restarted) == (1, 1)
    (row,) = await restarted.claim_open()
    assert row.event_key == "Ev1" and not row.handled
    async with db.unit() as session:
        message = (await session.execute(select(OutboxMessage))).scalar_one()
    assert (message.status, message.not_before) == ("pending", START)
    await restarted.close()
    await db.dispose()


async def test_postgres_workers_release_a_dead_workers_claims(postgres_factory: DatabaseFactory) -> None:
    db = await migrated(postgres_factory)
    clock = ManualClock(START)
    dead, alive = Inbox(db, clock, worker_id="dead"), Inbox(db, clock, worker_id="alive")
    await dead.receive("slack", "T1", "Ev1", "U1", "dm", {})
    await Heartbeat(db, clock, dead).beat()
    survivor = Heartbeat(db, clock, alive)
    await survivor.beat()
    assert await survivor.bury_the_dead() is False  # the other worker still beats: nothing released
    assert await alive.claim_open() == []
    async with db.unit() as session:
        await session.execute(
            update(WorkerHeartbeat)
            .where(WorkerHeartbeat.worker_id == "dead")
            .values(beat_at=_wall() - DEAD_AFTER - timedelta(seconds=1))
        )
    assert await survivor.bury_the_dead() is True
    (row,) = await alive.claim_open()
    assert row.event_key == "Ev1"
    async with db.unit() as session:
        assert (await session.execute(select(InboxEvent.claimed_by))).scalar_one() == "alive"
    for inbox in (dead, alive):
        await inbox.close()
    await db.dispose()


async def test_a_members_events_take_turns_in_inbox_order_and_others_do_not_wait() -> None:
    turns = MemberTurns()
    order: list[str] = []
    for member, row in (("ann", 1), ("ann", 2), ("ann", 3), ("ben", 4)):
        turns.arrived(member, row)
    first_done = asyncio.Event()

    async def work(member: str, row: int, hold: asyncio.Event | None = None) -> None:
        async with turns.turn(member, row):
            order.append(f"{member}{row}")
            if hold is not None:
                await hold.wait()

    later = [asyncio.create_task(work("ann", 3)), asyncio.create_task(work("ann", 2))]
    ben = asyncio.create_task(work("ben", 4))
    first = asyncio.create_task(work("ann", 1, first_done))
    await ben  # another member never waits for ann
    await asyncio.sleep(0)
    assert "ben4" in order
    assert "ann2" not in order and "ann3" not in order  # ann's later answers wait for her first
    first_done.set()
    await asyncio.gather(first, *later)
    assert [o for o in order if o.startswith("ann")] == ["ann1", "ann2", "ann3"]
