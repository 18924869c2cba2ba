"""Restart without the wait: take back what a dead process had claimed, in seconds.

Inbox rows and outbox rows are claimed with a lease so that a worker that dies
mid-work leaves them to someone else. Waiting for the lease to run out (a minute
for the outbox) is what a restarted process used to do. Instead:

- **SQLite** has one process per file (the adapters' rule), so whoever starts is
  the only one: at start-up every lease is released at once (`release_all`).
- **PostgreSQL** may have many workers. Each writes a heartbeat row every few
  seconds (`Heartbeat`); a worker whose heartbeat is older than `DEAD_AFTER` is
  dead, and the inbox rows it held are released by whoever notices. Outbox rows
  do not record their holder, so they are released at start-up only when no other
  worker is alive (the usual restart of a single worker); with other live workers
  a dead one's outbox rows still wait for their lease.

Releasing is safe because the work behind a lease is idempotent: the core's
exactly-once mark on the inbox row, and the deliverer's idempotency key on resends.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col

from bot.core.ports import Clock
from bot.delivery.inbox import Inbox
from storage.db import Database
from storage.tables import OutboxMessage, OutboxStatus, WorkerHeartbeat

log = logging.getLogger(__name__)

BEAT_EVERY = 5.0  # seconds between heartbeats
DEAD_AFTER = timedelta(seconds=20)  # four missed beats: the worker is gone


def _wall() -> datetime:
    # Liveness is about real time, whatever clock the bot's schedule runs on (tests, demo).
    return datetime.now(UTC)


async def release_outbox_leases(db: Database, clock: Clock) -> int:
    """Every message being sent goes back to pending, due now (resends are idempotent)."""
    async with db.unit() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.SENDING.value)
            .values(status=OutboxStatus.PENDING.value, not_before=clock.now())
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def release_all(db: Database, clock: Clock, inbox: Inbox) -> tuple[int, int]:
    """SQLite start-up: this process is the only one; nothing anyone claimed is held any more."""
    inbox_rows = await inbox.release(everyone=True)
    outbox_rows = await release_outbox_leases(db, clock)
    if inbox_rows or outbox_rows:
        log.info("start-up: released %d inbox and %d outbox claims of the previous process", inbox_rows, outbox_rows)
    return inbox_rows, outbox_rows


class Heartbeat:
    """A PostgreSQL worker's proof of life, and the undertaker for workers without one."""

    def __init__(self, db: Database, clock: Clock, inbox: Inbox) -> None:
        self.db = db
        self.clock = clock
        self.inbox = inbox
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """First beat, bury the dead, and (when no one else is alive) release every outbox lease."""
        await self.beat()
        alone = await self.bury_the_dead()
        if alone:
            released = await release_outbox_leases(self.db, self.clock)
            if released:
                log.info("start-up: no other worker alive; released %d outbox claims", released)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(BEAT_EVERY)
            try:
                await self.beat()
                await self.bury_the_dead()
            except Exception:
                log.exception("heartbeat failed; trying again in %.0f s", BEAT_EVERY)

    async def beat(self) -> None:
        now = _wall()
        async with self.db.unit() as session:
            statement = pg_insert(WorkerHeartbeat).values(worker_id=self.inbox.worker_id, started_at=now, beat_at=now)
            await session.execute(statement.on_conflict_do_update(index_elements=["worker_id"], set_={"beat_at": now}))

    async def bury_the_dead(self) -> bool:
        """Release the inbox rows of workers whose heartbeat stopped; True when no other worker lives."""
        cutoff = _wall() - DEAD_AFTER
        async with self.db.unit() as session:
            beats = (await session.execute(select(col(WorkerHeartbeat.worker_id), col(WorkerHeartbeat.beat_at)))).all()
            dead = [worker for worker, beat_at in beats if beat_at < cutoff and worker != self.inbox.worker_id]
            if dead:
                await session.execute(delete(WorkerHeartbeat).where(col(WorkerHeartbeat.worker_id).in_(dead)))
        if dead:
            released = await self.inbox.release(holders=dead)
            log.info("released %d inbox claims of %d stopped worker(s)", released, len(dead))
        return all(worker == self.inbox.worker_id or worker in dead for worker, _ in beats)

    async def stop(self) -> None:
        """A clean stop: no heartbeat left behind, and this worker's unfinished rows released."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.inbox.release()
        async with self.db.unit() as session:
            await session.execute(delete(WorkerHeartbeat).where(col(WorkerHeartbeat.worker_id) == self.inbox.worker_id))


async def take_back_at_start(db: Database, clock: Clock, inbox: Inbox) -> Heartbeat | None:
    """What a starting process does before it resumes open work (SQLite: release all; PostgreSQL: heartbeat)."""
    await inbox.open()
    if db.is_sqlite:
        await release_all(db, clock, inbox)
        return None
    heartbeat = Heartbeat(db, clock, inbox)
    await heartbeat.start()
    return heartbeat
