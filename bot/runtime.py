"""The only module that uses APScheduler: it wakes the sweep and the deliverer.

One periodic job runs `sweep` then `deliver_outbox`. It runs once at start-up,
so work that fell due while the bot was down is done at once. After each run it
looks at the earliest due time in the database and, when that is sooner than
the next periodic run, adds a one-off wake-up for exactly then — a poll closes
on the minute, not up to a sweep interval late.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core import metrics
from bot.core.ports import Messenger
from bot.mentorbot import MentorBot

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, bot: MentorBot, messenger: Messenger, *, interval_seconds: float | None = None) -> None:
        self.bot = bot
        self.messenger = messenger
        self.interval = interval_seconds or bot.settings.sweep_seconds
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    def start(self) -> None:
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.interval,
            id="sweep",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),  # overdue work is done at start-up
        )
        self.scheduler.start()

    async def tick(self) -> None:
        async with self._lock:
            if self._stopped:
                return
            try:
                due = await self.bot.next_due()
                late = (self.bot.clock.now() - due).total_seconds() if due is not None else 0.0
                metrics.SWEEP_LAG.set(max(late, 0.0))
                metrics.SWEEPS.inc()
                started = time.monotonic()
                await self.bot.sweep()
                await self.bot.deliver_outbox(self.messenger)
                await self._schedule_wake()
                took = round((time.monotonic() - started) * 1000, 1)
                log.debug("sweep and delivery tick", extra={"event_kind": "sweep", "duration_ms": took})
            except Exception:
                log.exception("sweep/delivery tick failed; retrying at the next tick")

    def kick(self) -> None:
        """Deliver now (called by adapters right after handling an event)."""
        task = asyncio.get_running_loop().create_task(self._deliver())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self) -> None:
        async with self._lock:
            if self._stopped:
                return
            try:
                await self.bot.deliver_outbox(self.messenger)
                if self.bot.take_sweep_request():
                    await self._schedule_wake()
            except Exception:
                log.exception("delivery failed; retrying at the next tick")

    async def _schedule_wake(self) -> None:
        due = await self.bot.next_due()
        if due is None:
            return
        real_now = datetime.now(UTC)
        # The bot's clock may differ from the wall clock (tests); schedule by the gap.
        wait = max((due - self.bot.clock.now()).total_seconds(), 0.05)
        if wait < self.interval:
            self.scheduler.add_job(
                self.tick, "date", run_date=real_now + timedelta(seconds=wait), id="wake", replace_existing=True
            )

    @property
    def running(self) -> bool:
        """The scheduler is up and the runtime was not stopped (what /readyz reports)."""
        return bool(self.scheduler.running) and not self._stopped

    async def stop(self) -> None:
        """Stop waking up, and wait for a tick in progress so the database can close cleanly."""
        async with self._lock:  # let a tick in progress finish; later ticks return at once
            self._stopped = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for task in list(self._tasks):
            await asyncio.gather(task, return_exceptions=True)
