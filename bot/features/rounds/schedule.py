"""Matching rounds on a schedule: `/mentor match --every 4w` stores a `RoundSchedule`;
the sweep computes each due round, approves it when the program file says
`auto_approve`, and posts it to the moderators.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.delivery.outbox import Outbox, moderator_destinations
from bot.features.rounds.introductions import approve_round
from bot.features.rounds.proposal import RoundPolicy, compute_round, render_proposal
from storage.tables import Community, RoundSchedule


async def schedule_of(session: AsyncSession, community_id: int) -> RoundSchedule | None:
    """The community's round schedule, if a moderator set one."""
    return (
        await session.execute(select(RoundSchedule).where(col(RoundSchedule.community_id) == community_id))
    ).scalar_one_or_none()


async def run_scheduled_rounds(
    session: AsyncSession, now: datetime, settings: Any, policy: RoundPolicy | None = None, program: Any = None
) -> int:
    policy = policy or RoundPolicy()
    schedules = (
        (
            await session.execute(
                select(RoundSchedule).where(col(RoundSchedule.next_run_at) <= now).with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for schedule in schedules:
        community = await session.get(Community, schedule.community_id)
        assert community is not None and community.id is not None
        round_ = await compute_round(session, community.id, now, policy, created_by=schedule.created_by_member_id)
        outbox = Outbox(session, community.id, now)
        if policy.auto_approve:
            await approve_round(session, round_, now, policy, approved_by=None, program=program)
        proposal = await render_proposal(session, round_)
        for destination in await moderator_destinations(session, community):
            await outbox.post(destination, proposal, dedupe_key=f"round:{round_.id}:posted:{destination.target}")
        while schedule.next_run_at <= now:  # after downtime, run once and move on, no burst
            schedule.next_run_at += timedelta(days=schedule.every_days)
        session.add(schedule)
    return len(schedules)


async def next_scheduled_round(session: AsyncSession) -> datetime | None:
    return (await session.execute(select(func.min(RoundSchedule.next_run_at)))).scalar_one_or_none()
