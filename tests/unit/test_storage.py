"""Storage on SQLite and PostgreSQL: migrations, time, claiming, a full poll."""

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlmodel import SQLModel

import storage.tables  # noqa: F401
from bot.core import messages as msg
from bot.core.ports import Delivered, Delivery, Destination
from bot.delivery.deliverer import Deliverer
from bot.delivery.outbox import Outbox
from storage.migrate import alembic_config, upgrade
from storage.tables import Community, OutboxMessage
from tests.support.chat import Chat
from tests.support.db import DatabaseFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_migrations_build_exactly_the_tables_the_code_declares(any_factory: DatabaseFactory) -> None:
    db = any_factory()
    await upgrade(db)
    await upgrade(db)  # idempotent: a second `mentorbot migrate` is a no-op
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), SQLModel.metadata))
        applied = set(await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads()))
    assert diff == [], f"models and migrations disagree: {diff}"
    assert applied == set(ScriptDirectory.from_config(alembic_config()).get_heads())  # the database is at the head
    await db.dispose()


async def test_times_round_trip_as_aware_utc(any_factory: DatabaseFactory) -> None:
    db = any_factory()
    await upgrade(db)
    berlin = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    async with db.unit() as s:
        s.add(Community(platform="test", external_id="c1", created_at=berlin))
    async with db.unit() as s:
        stored = (await s.execute(select(Community.created_at))).scalar_one()
    assert stored == berlin and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    with pytest.raises(Exception, match="naive"):
        async with db.unit() as s:
            s.add(Community(platform="test", external_id="c2", created_at=datetime(2026, 1, 1)))
    await db.dispose()


class CountingMessenger:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def deliver(self, delivery: Delivery) -> Delivered:
        await asyncio.sleep(0.001)  # let the other worker interleave
        self.keys.append(delivery.idempotency_key)
        return Delivered(f"ref-{delivery.idempotency_key}")


class FixedClock:
    def now(self) -> datetime:
        return T0


async def test_two_deliverers_never_send_a_row_twice(any_factory: DatabaseFactory) -> None:
    db_a, db_b = any_factory(), any_factory()
    await upgrade(db_a)
    async with db_a.unit() as s:
        community = Community(platform="test", external_id="c1", created_at=T0)
        s.add(community)
        await s.flush()
        outbox = Outbox(s, community.id, T0)  # type: ignore[arg-type]
        for n in range(120):
            await outbox.post(Destination.dm(f"U{n}"), msg.message(f"hello {n}"))
    messenger = CountingMessenger()
    a = Deliverer(db_a, FixedClock(), messenger, batch=10)
    b = Deliverer(db_b, FixedClock(), messenger, batch=10)
    await asyncio.gather(a.drain(), b.drain())
    assert len(messenger.keys) == 120
    assert len(set(messenger.keys)) == 120
    async with db_a.unit() as s:
        statuses = set((await s.execute(select(OutboxMessage.status))).scalars())
    assert statuses == {"sent"}
    await db_a.dispose()
    await db_b.dispose()


async def test_poll_lifecycle_on_each_database(any_chat: Chat) -> None:
    await any_chat("moderators: carol", '@carol /mentor poll "Join?" --closes 1d')
    await any_chat("@alice click I'd mentor", "@bob click I'd like a mentor", "@bob click Both")
    out = await any_chat("restart", "wait 1d")
    assert "[#general] Poll results #1: Join?" in out
    assert "I'd mentor: 1 (50%)" in out and "Both: 1 (50%)" in out
    assert "[DM alice]" in out and "[DM bob]" in out


async def test_concurrent_units_on_one_sqlite_file_take_turns(sqlite_factory: DatabaseFactory) -> None:
    """SQLite runs in place on the event loop (storage.sqlite_inline) with one connection per
    process: two handlers writing at once take turns instead of failing with "database is locked"
    (or blocking the loop on a lock the other one holds)."""
    db = sqlite_factory()
    await upgrade(db)
    assert db.engine.dialect.driver == "mentorbot_inline"

    async def write(n: int) -> None:
        for i in range(20):
            async with db.unit() as session:
                session.add(Community(platform="t", external_id=f"c{n}-{i}", name="x", timezone="UTC", created_at=T0))
                await session.flush()
                await asyncio.sleep(0)  # hand the loop to the other writer mid-transaction
                session.add(Community(platform="t", external_id=f"d{n}-{i}", name="x", timezone="UTC", created_at=T0))

    await asyncio.wait_for(asyncio.gather(write(1), write(2), write(3)), timeout=30)
    async with db.unit() as session:
        ids = (await session.execute(select(Community.external_id))).scalars().all()
    assert len(ids) == 120 and len(set(ids)) == 120
    await db.dispose()
