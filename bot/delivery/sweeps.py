"""The sweep: the database is the schedule.

Every future action is a due-time column on its row (a poll's `closes_at`, …).
Each feature declares its `Sweep`s (`bot/core/feature.py`); each asks the database
what is due *now* and handles it in its own unit of work, claiming rows with
`FOR UPDATE SKIP LOCKED` where it matters so several workers can sweep one
PostgreSQL database. Overdue work found at
start-up (the bot was down at the due time) is simply due, and done at once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core.feature import Sweep, SweepEnv
from bot.core.ports import Clock
from storage.db import Database

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, db: Database, clock: Clock, env: SweepEnv, jobs: list[Sweep]) -> None:
        self.db = db
        self.clock = clock
        self.env = env
        self.jobs = jobs

    async def run_due(self) -> int:
        handled = 0
        for job in self.jobs:
            try:
                async with self.db.unit() as session:
                    handled += await job.run(session, self.clock.now(), self.env)
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
