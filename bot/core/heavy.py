"""Heavy work off the event loop: a large matching round and a large CSV export.

The event loop that runs the core also acknowledges every platform request within
its three seconds, and SQLite runs in place on it (storage/sqlite_inline.py). A
20k-member round (load 20k profiles, then a 3–5 s solve) or an export streaming a
million check-ins into CSV would hold every acknowledgement that long.

So a command may declare a `prepare` step (`Command.prepare`). `MentorBot.handle`
runs it *before* the event's unit of work, outside any transaction: on SQLite
the unit of work takes the write lock with its first statement (the inbox's
exactly-once mark), and the inbox's save before an ack needs that lock, so the
long part must not run while it is held. The step sends its job to a worker
process (`HeavyWork`), which opens its own connection to the same database,
reads, computes and returns a small picklable result; the handler then stores
it and queues its messages in the ordinary unit of work (results go out through
the outbox as every message does). Nothing is kept outside the database: a
crash during the step leaves the event open in the inbox and the resume runs it
again.

Small communities do not pay for a second interpreter: below
`Settings.heavy_work_min_members` the command runs in place as before (a round of
a few hundred members solves in milliseconds). An in-memory SQLite database is
not visible to another process, so it always runs in place.

`bench/heavy.py` measured process against thread; see bench/RESULTS.md. The worker
process runs at a lower OS priority than the bot (bot/core/worker_process.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.component_id import ComponentId
from bot.core.program import Program
from bot.core.settings import Settings
from bot.core.worker_process import worker_pool
from storage.db import Database
from storage.tables import Member

log = logging.getLogger(__name__)

MODES = ("process", "thread", "inline")

Job = Callable[..., Awaitable[Any]]  # async (session, *args) -> picklable result, defined at module level


@dataclass(frozen=True)
class Prep:
    """What a command's prepare step knows: no session (it runs outside the unit of work)."""

    db: Database
    heavy: HeavyWork
    community_id: int
    now: datetime
    args: list[str]
    settings: Settings
    program: Program
    component: ComponentId | None = None  # a click's parsed id (`args` is then empty)

    async def run(self, job: Job, *args: Any) -> Any:
        """`job(session, *args)` on its own connection in the worker, in one transaction; its result."""
        return await self.heavy.run(job, self.db, *args)

    async def run_with_database(self, job: Job, *args: Any) -> Any:
        """`job(database, *args)` in the worker: a job that writes opens its own short transactions."""
        return await self.heavy.run(job, self.db, *args, own_units=True)


PrepareHandler = Callable[[Prep], Awaitable[Any]]


async def large_community(session: AsyncSession, community_id: int, settings: Settings) -> bool:
    """Worth the hop to the worker: at least `heavy_work_min_members` members (a small round or
    dashboard takes milliseconds in place, less than the hop)."""
    query = select(func.count()).select_from(Member).where(col(Member.community_id) == community_id)
    return int((await session.execute(query)).scalar_one()) >= settings.heavy_work_min_members


def in_own_database(job: Job, url: str, schema: str | None, args: tuple[Any, ...], own_units: bool = False) -> Any:
    """Runs in the worker: a fresh event loop, a connection of its own, one read transaction
    (or, with `own_units`, the database itself: the job opens its transactions)."""

    async def main() -> Any:
        db = Database(url, schema=schema)
        try:
            if own_units:
                return await job(db, *args)
            async with db.unit() as session:
                return await job(session, *args)
        finally:
            await db.dispose()

    return asyncio.run(main())


class HeavyWork:
    """One worker process (default), one thread, or nothing (in place)."""

    def __init__(self, mode: str = "process") -> None:
        if mode not in MODES:
            raise ValueError(f"heavy work must run in one of {MODES}, not {mode!r}")
        self.mode = mode
        self.jobs = 0  # jobs run off the loop in this process (tests and benches read it)
        self._pool: Executor | None = None

    def usable_with(self, db: Database) -> bool:
        """False when the job must run in place: configured so, or a database only this process sees."""
        if self.mode == "inline":
            return False
        return not (db.is_sqlite and db.url.database in (None, "", ":memory:"))

    def _executor(self) -> Executor:
        if self._pool is None:
            if self.mode == "process":
                self._pool = worker_pool()  # at background priority, ends with the bot
            else:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heavy")
        return self._pool

    async def run(self, job: Job, db: Database, *args: Any, own_units: bool = False) -> Any:
        url = db.url.render_as_string(hide_password=False)
        self.jobs += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._executor(), in_own_database, job, url, db.schema, args, own_units
            )
        except Exception:
            if self.mode == "process":
                self.close()  # a broken process pool stays broken: start a new one next time
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


_shared: dict[str, HeavyWork] = {}


def heavy_worker(mode: str = "process") -> HeavyWork:
    """The process-wide worker for `mode`."""
    if mode not in _shared:
        _shared[mode] = HeavyWork(mode)
    return _shared[mode]
