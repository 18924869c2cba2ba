"""Mentor training: a first-time mentor's first two weeks, four short lessons from the library.

A mentor is enrolled when their first mentorship starts (they never mentored before);
the lessons arrive by DM on days 1, 4, 9 and 13 of it, each a guide from the resource
library with a "Done" button. Moderators see who is trained (every lesson done) and who
is in training in `/mentor stats`. The sweep enrols and sends; the database holds the
schedule (`MentorTraining.next_due_at`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.feature import SweepEnv
from bot.core.messages import Button, ButtonStyle, Message
from bot.core.ports import Destination
from bot.core.program import Program
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox
from bot.features.milestones.milestones import render_guide
from storage.bulk import insert_ignoring_duplicates
from storage.tables import Member, MentorTraining, Pairing, PairingStatus, Profile, ProfileStatus

# (library key, day of the first mentorship it arrives on)
LESSONS = (
    ("mentor-first-conversation", 1),  # the day after the introduction, before the kick-off
    ("good-check-in", 4),
    ("feedback", 9),
    ("stalled-or-mismatched", 13),
)
BATCH = 100
LESSON_MINUTES = 15  # what one lesson counts for on a certificate (read it, think it over, mark it done)


def lessons(program: Program) -> list[tuple[str, int]]:
    """The lessons this program's library still has (a hidden guide is skipped)."""
    return [(key, day) for key, day in LESSONS if program.resource(key) is not None]


def lesson_message(program: Program, training: MentorTraining, step: int) -> Message:
    path = lessons(program)
    key, _ = path[step]
    resource = program.resource(key)
    assert resource is not None
    guide = render_guide(resource)
    done = ComponentId("train", str(training.member_id), "done", key)  # the training row's key is the member
    return Message(
        (
            msg.text(
                msg.Strong(f"Mentor training {step + 1} of {len(path)}"), " — a few minutes, for your first weeks"
            ),
            *guide.parts,
            Button("Done — I've read it", str(done), ButtonStyle.PRIMARY),
        )
    )


async def _enrol(session: AsyncSession, now: datetime) -> None:
    """Mentors whose first mentorship is active and who have no training row yet."""
    rows = await session.execute(
        select(col(Pairing.mentor_member_id), col(Pairing.community_id), func.min(Pairing.started_at))
        .where(*_unenrolled())
        .group_by(col(Pairing.mentor_member_id), col(Pairing.community_id))
        .limit(BATCH)
    )
    new_rows = [
        {
            "member_id": member_id,
            "community_id": community_id,
            "started_at": started,
            "next_step": 0,
            "next_due_at": max(started + timedelta(days=LESSONS[0][1]), now),
            "done": "[]",  # the JSON text: this insert bypasses the ORM's conversion
        }
        for member_id, community_id, started in rows.all()
    ]
    # Another worker may enrol the same mentor at the same moment: the first row wins.
    await insert_ignoring_duplicates(session, MentorTraining.__table__, new_rows)  # type: ignore[attr-defined]  # SQLModel sets it; its stubs omit it


async def send_due_lessons(session: AsyncSession, now: datetime, env: SweepEnv) -> int:
    await _enrol(session, now)
    path = lessons(env.program)
    due = (
        (
            await session.execute(
                select(MentorTraining)
                .where(col(MentorTraining.next_due_at) <= now)
                .order_by(col(MentorTraining.next_due_at))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for training in due:
        profile = (
            await session.execute(select(Profile).where(col(Profile.member_id) == training.member_id))
        ).scalar_one_or_none()
        if profile is not None and profile.status == ProfileStatus.PAUSED.value and profile.paused_until:
            if profile.paused_until > now:  # a pause stops every nudge: the lesson waits for their return
                training.next_due_at = profile.paused_until
                session.add(training)
                continue
        step = training.next_step
        member = await session.get(Member, training.member_id)
        if member is not None and step < len(path) and not member.platform_user_id.startswith("forgotten:"):
            await Outbox(session, training.community_id, now).post(
                Destination.dm(member.platform_user_id),
                lesson_message(env.program, training, step),
                dedupe_key=f"training:{training.member_id}:{step}",
            )
        training.next_step = step + 1
        more = training.next_step < len(path)
        training.next_due_at = training.started_at + timedelta(days=path[training.next_step][1]) if more else None
        if training.next_due_at is not None and training.next_due_at < now:
            training.next_due_at = now + timedelta(days=1)  # never a burst: one lesson a day at most
        session.add(training)
    return len(due)


def _unenrolled() -> Any:
    """Active pairings of mentors who never mentored before and have no training row yet."""
    seasoned = select(col(Pairing.mentor_member_id)).where(
        col(Pairing.status).in_([PairingStatus.COMPLETED.value, PairingStatus.ENDED.value])
    )
    return (
        col(Pairing.status) == PairingStatus.ACTIVE.value,
        col(Pairing.mentor_member_id).not_in(seasoned),
        col(Pairing.mentor_member_id).not_in(select(col(MentorTraining.member_id))),
    )


async def next_lesson(session: AsyncSession) -> datetime | None:
    """The next lesson due, or the day a new first-time mentor's first lesson falls due."""
    lesson = (await session.execute(select(func.min(MentorTraining.next_due_at)))).scalar_one_or_none()
    started = (await session.execute(select(func.min(Pairing.started_at)).where(*_unenrolled()))).scalar_one_or_none()
    enrol = started + timedelta(days=LESSONS[0][1]) if started is not None else None
    return min((t for t in (lesson, enrol) if t is not None), default=None)


async def on_done(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    training = await ctx.session.get(MentorTraining, int(cid.key)) if cid.key.isdigit() else None
    if training is None or training.member_id != ctx.member_id or training.community_id != ctx.community_id:
        raise InvalidInput("That lesson belongs to someone else's training.")
    keys = [key for key, _ in lessons(ctx.program)]
    if cid.verb != "done" or cid.arg not in keys:
        raise InvalidInput("That lesson is no longer part of the training.")
    if cid.arg not in training.done:
        training.done = [*training.done, cid.arg]
        ctx.session.add(training)
    left = len([k for k in keys if k not in training.done])
    if left == 0:
        return [msg.message("That's the whole training — thank you, and enjoy mentoring!")]
    return [msg.message(f"Noted. {msg.plural(left, 'lesson')} to go; the next arrives in a few days.")]


async def training_counts(session: AsyncSession, community_id: int, program: Program) -> tuple[int, int]:
    """(trained, in training): every lesson done, or enrolled and not yet."""
    keys = {key for key, _ in lessons(program)}
    rows = (
        (await session.execute(select(MentorTraining).where(col(MentorTraining.community_id) == community_id)))
        .scalars()
        .all()
    )
    trained = sum(1 for row in rows if keys <= set(row.done))
    return trained, len(rows) - trained


async def lessons_done(session: AsyncSession, community_id: int, member_id: int, program: Program) -> int:
    """How many of today's lessons this mentor marked done (a certificate counts their time)."""
    training = await session.get(MentorTraining, member_id)
    if training is None or training.community_id != community_id:
        return 0
    return len({key for key, _ in lessons(program)} & set(training.done))
