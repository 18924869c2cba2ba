"""Composition root of the core: wire the database, clock, router and sweeps.

Nothing is built at import time; adapters and tests call `bootstrap` with the
settings (and, in tests and the console, a manual clock).
"""

from __future__ import annotations

from bot.features.admin import admin
from bot.features.checkins import checkins
from bot.features.completion import completion
from bot.features.goals import goals
from bot.features.intake import campaigns as intake_campaigns
from bot.features.intake import conversation as intake
from bot.features.milestones import milestones
from bot.features.pairs import pairs
from bot.features.polls import polls
from bot.features.profile import profile as intake_privacy
from bot.features.rounds import introductions as round_introductions
from bot.features.rounds import proposal as round_proposal
from bot.features.rounds import review as rounds
from bot.features.rounds import schedule as round_schedule
from bot.features.stats import dashboard as stats
from bot.mentorbot import MentorBot
from bot.core.clock import SystemClock
from bot.core.settings import Settings
from bot.core.ports import Clock
from bot.core.program import Program, load_program
from bot.core.router import Router
from bot.delivery.sweeps import SweepJob, Sweeper, prune_seen_events
from storage.db import Database
from storage.migrate import upgrade


def build_router() -> Router:
    return Router(
        commands=[
            *intake.commands(),
            *intake_privacy.commands(),
            *intake_campaigns.commands(),
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
            *intake.components(),
            *intake_campaigns.components(),
            *intake_privacy.components(),
            *rounds.components(),
            *checkins.components(),
            *goals.components(),
            *completion.components(),
        ],
        # Order matters: a conversation in progress gets the member's text first. Intake
        # only claims text while the member is mid-sign-up (or says "join").
        text_handlers=[intake.on_direct_text, completion.on_direct_text, checkins.on_direct_text],
        join_handlers=[intake_campaigns.greet_new_member],
    )


def sweep_jobs(program: Program) -> list[SweepJob]:
    policy = round_proposal.round_policy(program)
    return [
        SweepJob(
            "remind unfinished intakes",
            lambda session, now, settings: intake.send_due_reminders(session, now, program),
            intake.next_reminder,
        ),
        SweepJob(
            "end pauses",
            lambda session, now, settings: intake_privacy.resume_due_pauses(session, now),
            intake_privacy.next_pause_end,
        ),
        SweepJob(
            "close polls",
            lambda session, now, settings: polls.close_due_polls(
                session, now, settings.mentee_mentor_ratio_warning
            ),
            polls.next_poll_close,
        ),
        # The program file's kick-off days, matching rules and resources reach the lifecycle sweeps.
        SweepJob(
            "kick-off reminders",
            lambda session, now, settings: round_introductions.remind_kickoffs(session, now, settings, policy),
            round_introductions.next_kickoff_due,
        ),
        SweepJob(
            "scheduled matching rounds",
            lambda session, now, settings: round_schedule.run_scheduled_rounds(session, now, settings, policy, program),
            round_schedule.next_scheduled_round,
        ),
        SweepJob("check-ins", checkins.send_due_checkins, checkins.next_checkin_due),
        SweepJob(
            "mid-point resources",
            lambda session, now, settings: completion.send_due_midpoints(session, now, settings, program),
            completion.next_midpoint,
        ),
        SweepJob(
            "completions",
            lambda session, now, settings: completion.complete_due_pairings(session, now, settings, program),
            completion.next_completion,
        ),
        SweepJob("prune seen events", prune_seen_events),
    ]


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
    sweeper = Sweeper(db, clock, settings, sweep_jobs(program))
    return MentorBot(db, clock, settings, build_router(), sweeper, program)
