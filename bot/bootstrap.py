"""Composition root of the core: wire the database, clock, router and sweeps.

Nothing is built at import time; adapters and tests call `bootstrap` with the
settings (and, in tests and the console, a manual clock).
"""

from __future__ import annotations

from bot import admin, checkins, completion, goals, milestones, pairs, polls, rounds, stats
from bot.app import MentorBot
from bot.clock import SystemClock
from bot.config import Settings
from bot.ports import Clock
from bot.router import Router
from bot.sweeps import SweepJob, Sweeper, prune_seen_events
from storage.db import Database
from storage.migrate import upgrade


def build_router() -> Router:
    return Router(
        commands=[
            *polls.commands(),
            *rounds.commands(),
            *pairs.commands(),
            *goals.commands(),
            *milestones.commands(),
            *completion.commands(),
            *stats.commands(),
            *admin.commands(),
        ],
        components=[
            *polls.components(),
            *rounds.components(),
            *checkins.components(),
            *goals.components(),
            *completion.components(),
        ],
        # Order matters: a conversation in progress gets the member's text first.
        text_handlers=[completion.on_direct_text, checkins.on_direct_text],
    )


def sweep_jobs() -> list[SweepJob]:
    return [
        SweepJob(
            "close polls",
            lambda session, now, settings: polls.close_due_polls(
                session, now, settings.mentee_mentor_ratio_warning
            ),
            polls.next_poll_close,
        ),
        SweepJob("kick-off reminders", rounds.remind_kickoffs, rounds.next_kickoff_due),
        SweepJob("scheduled matching rounds", rounds.run_scheduled_rounds, rounds.next_scheduled_round),
        SweepJob("check-ins", checkins.send_due_checkins, checkins.next_checkin_due),
        SweepJob("mid-point resources", completion.send_due_midpoints, completion.next_midpoint),
        SweepJob("completions", completion.complete_due_pairings, completion.next_completion),
        SweepJob("prune seen events", prune_seen_events),
    ]


async def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    migrate: bool = True,
) -> MentorBot:
    """Open the database (migrating it to the newest schema unless told not to)."""
    clock = clock or SystemClock()
    db = db or Database(settings.database_url)
    if migrate:
        await upgrade(db)
    return MentorBot(db, clock, settings, build_router(), Sweeper(db, clock, settings, sweep_jobs()))
