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
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.feature import Sweep, SweepEnv
from bot.core.heavy import HeavyWork, Prep
from bot.core.ports import Clock
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    """When each sweep job next has work (a job without `next_due` is not listed) and when the
    outbox's next message is due. Read from the database alone, never from the clock."""

    jobs: Mapping[str, datetime]
    outbox: datetime | None = None

    @property
    def next_due(self) -> datetime | None:
        times = [*self.jobs.values(), *([self.outbox] if self.outbox is not None else [])]
        return min(times) if times else None

    def due_jobs(self, now: datetime) -> frozenset[str]:
        return frozenset(name for name, when in self.jobs.items() if when <= now)


FIRST_RETRY = timedelta(seconds=1)
LAST_RETRY = timedelta(minutes=5)


class Sweeper:
    def __init__(
        self, db: Database, clock: Clock, env: SweepEnv, jobs: list[Sweep], heavy: HeavyWork | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.env = env
        self.jobs = jobs
        self.heavy = heavy  # the heavy-work worker, for sweeps with a prepare step
        # A failing job whose work stays due would be woken for at once, again and again: it
        # waits 1 s, 2 s, 4 s … up to 5 minutes between tries instead (kept in memory: a
        # restart tries again at once).
        self._failures: dict[str, tuple[int, datetime]] = {}

    async def run_due(self, only: Collection[str] | None = None) -> int:
        """Run every job; with `only`, just the named ones (those the schedule says are due),
        and every job after one that did some work, since that work may have made theirs due."""
        handled = 0
        for job in self.jobs:
            if only is not None and handled == 0 and job.name not in only:
                continue
            if self._waiting(job.name):
                continue
            try:
                env = await self._prepared(job)
                async with self.db.unit() as session:
                    handled += await job.run(session, self.clock.now(), env)
                self._failures.pop(job.name, None)
            except Exception:
                # One failing job must not starve the others; it is retried after a pause.
                tries = self._failures.get(job.name, (0, self.clock.now()))[0] + 1
                pause = min(FIRST_RETRY * 2 ** min(tries - 1, 16), LAST_RETRY)
                self._failures[job.name] = (tries, self.clock.now() + pause)
                log.exception("sweep job %s failed (%d in a row); next try in %s", job.name, tries, pause)
        return handled

    def _waiting(self, name: str) -> bool:
        failed = self._failures.get(name)
        return failed is not None and failed[1] > self.clock.now()

    async def _prepared(self, job: Sweep) -> SweepEnv:
        """The env for this run: with the prepare step's result, when the job has one and a
        worker can take it (else the sweep does its work in place, as it always could)."""
        if job.prepare is None or self.heavy is None or not self.heavy.usable_with(self.db):
            return self.env
        # community 0: a sweep looks at every community; its prepare step finds which are due.
        prep = Prep(self.db, self.heavy, 0, self.clock.now(), [], self.env.settings, self.env.program)
        try:
            return replace(self.env, prepared=await job.prepare(prep, self.env))
        except Exception:
            log.exception("heavy work for sweep job %s failed; running it in place", job.name)
            return self.env

    async def schedule(self, session: AsyncSession) -> dict[str, datetime]:
        """Each job's next due time, for the jobs that can tell."""
        times: dict[str, datetime] = {}
        for job in self.jobs:
            if job.next_due is not None:
                when = await job.next_due(session)
                if when is None:
                    # The work that kept failing is gone (a moderator stopped it): new work
                    # must not wait out the old pause.
                    self._failures.pop(job.name, None)
                else:
                    failed = self._failures.get(job.name)
                    times[job.name] = max(when, failed[1]) if failed is not None else when
        return times
