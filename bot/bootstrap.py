"""Composition root of the core: collect the features, wire the database, clock, router and sweeps.

Nothing is built at import time; adapters and tests call `bootstrap` with the
settings (and, in tests and the console, a manual clock). Adding a feature means
adding its package to `FEATURES`; everything it declares is picked up from there.
"""

from __future__ import annotations

from bot.core.clock import SystemClock
from bot.core.feature import Feature, Sweep, SweepEnv, check_table
from bot.core.heavy import heavy_worker
from bot.core.ports import Clock
from bot.core.program import Program, load_program
from bot.core.router import Router
from bot.core.settings import Settings
from bot.delivery.inbox import prune_inbox
from bot.delivery.sweeps import Sweeper
from bot.features import (
    admin,
    checkins,
    circles,
    completion,
    events,
    goals,
    intake,
    meetings,
    milestones,
    overview,
    pairs,
    polls,
    profile,
    recruit,
    rounds,
    spaces,
    stats,
)
from bot.mentorbot import MentorBot
from storage.db import Database
from storage.migrate import upgrade

# The order of the help text: as a member meets the program, then the moderators' tools.
FEATURES = (
    intake,
    profile,
    polls,
    rounds,
    pairs,
    goals,
    milestones,
    completion,
    checkins,
    circles,
    meetings,
    events,
    spaces,
    overview,
    stats,
    admin,
    recruit,
)


def all_features() -> list[Feature]:
    collected = [package.feature() for package in FEATURES]
    problems = check_table(collected)
    if problems:  # a programming mistake in a declaration: fail at start-up, not on first use
        raise ValueError("command table: " + "; ".join(problems))
    return collected


def build_router(collected: list[Feature] | None = None) -> Router:
    return Router.from_features(collected or all_features())


def all_sweeps(collected: list[Feature] | None = None) -> list[Sweep]:
    housekeeping = Sweep("prune the inbox", prune_inbox)
    return [s for f in collected or all_features() for s in f.sweeps] + [housekeeping]


async def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    migrate: bool = True,
    program: Program | None = None,
) -> MentorBot:
    """Read the program file, open the database (migrating it unless told not to).

    The program file is read first so that a mistake in it stops start-up before
    anything else happens, with the line and the problem.
    """
    program = program or load_program(settings.program_path)
    clock = clock or SystemClock()
    db = db or Database(settings.database_url)
    if migrate:
        await upgrade(db)
    collected = all_features()
    sweeper = Sweeper(db, clock, SweepEnv(settings, program), all_sweeps(collected), heavy_worker(settings.heavy_work))
    return MentorBot(db, clock, settings, build_router(collected), sweeper, program)
