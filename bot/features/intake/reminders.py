"""Intake reminders, a sweep job: one nudge two days after the member's last answer, one a week
after it, then silence. Each nudge repeats the question the member stopped at."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.parsing import format_when
from bot.core.ports import Destination
from bot.core.program import Program
from bot.delivery.outbox import Outbox
from bot.features.intake.conversation import get_profile
from bot.features.intake.questions import question_message
from bot.features.intake.steps import Turn
from storage.tables import Community, Intake, IntakeStatus, Member, ProfileStatus

FIRST_REMINDER = timedelta(days=2)
SECOND_REMINDER = timedelta(days=7)  # after the last answer, like the first


async def send_due_reminders(session: AsyncSession, now: datetime, program: Program, limit: int = 100) -> int:
    """One reminder two days after the last answer, one a week after it, then silence."""
    intakes = (
        (
            await session.execute(
                select(Intake)
                .where(col(Intake.status) == IntakeStatus.IN_PROGRESS.value, col(Intake.remind_at) <= now)
                .order_by(col(Intake.remind_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for intake in intakes:
        member = await session.get(Member, intake.member_id)
        community = await session.get(Community, intake.community_id)
        assert member is not None and community is not None and community.id is not None
        if intake.editing and await _signed_up(session, intake):
            intake.remind_at = None  # an abandoned edit changed nothing; no need to chase it
            continue
        number = intake.reminders_sent + 1
        intake.reminders_sent = number
        intake.remind_at = max(intake.updated_at + SECOND_REMINDER, now + timedelta(days=1)) if number == 1 else None
        turn = Turn(session, program, intake, member)
        since = format_when(intake.updated_at, community.timezone)
        nudge = msg.text(
            "You started signing up for ",
            msg.Strong(program.name),
            f" (last answer {since}). Pick up where you left off whenever you like — or type cancel.",
        )
        await Outbox(session, community.id, now).post(
            Destination.dm(member.platform_user_id),
            await question_message(turn, before=(nudge,)),
            dedupe_key=f"intake:{intake.id}:reminder:{number}:{int(intake.updated_at.timestamp())}",
        )
    return len(intakes)


async def _signed_up(session: AsyncSession, intake: Intake) -> bool:
    profile = await get_profile(session, intake.community_id, intake.member_id)
    return profile is not None and profile.status != ProfileStatus.LEFT.value


async def next_reminder(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(Intake.remind_at))).where(col(Intake.status) == IntakeStatus.IN_PROGRESS.value)
        )
    ).scalar_one_or_none()
