"""The sweep: the database is the schedule.

Every future action is a due-time column on its row (a poll's `closes_at`, …).
Each `SweepJob` asks the database what is due *now* and handles it in its own
unit of work, claiming rows with `FOR UPDATE SKIP LOCKED` where it matters so
several workers can sweep one PostgreSQL database. Overdue work found at
start-up (the bot was down at the due time) is simply due, and done at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from bot.core.ports import Clock
from storage.db import Database
from bot.delivery.inbox import prune_inbox

log = logging.getLogger(__name__)

RunDue = Callable[[AsyncSession, datetime, Settings], Awaitable[int]]
NextDue = Callable[[AsyncSession], Awaitable[datetime | None]]


@dataclass(frozen=True)
class SweepJob:
    name: str
    run_due: RunDue
    next_due: NextDue | None = None  # None: housekeeping that never wakes the bot by itself


class Sweeper:
    def __init__(self, db: Database, clock: Clock, settings: Settings, jobs: list[SweepJob]) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.jobs = jobs

    async def run_due(self) -> int:
        handled = 0
        for job in self.jobs:
            try:
                async with self.db.unit() as session:
                    handled += await job.run_due(session, self.clock.now(), self.settings)
            except Exception:
                # One failing job must not starve the others; it is retried next sweep.
                log.exception("sweep job %s failed", job.name)
        return handled

    async def next_due(self) -> datetime | None:
        times: list[datetime] = []
        async with self.db.unit() as session:
            for job in self.jobs:
                if job.next_due is not None:
                    when = await job.next_due(session)
                    if when is not None:
                        times.append(when)
        return min(times) if times else None


# The inbox's finished rows replace the seen-events table; bootstrap still names the job by its old name.
prune_seen_events = prune_inbox
