"""Matching rounds on a schedule: `/mentor match --every 4w` stores a `RoundSchedule`;
the sweep computes each due round (a choice round when the program file's mode is
"choice"), approves it when the program file says `auto_approve` (for a choice round:
sends the shortlists), and posts it to the moderators.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.feature import SweepEnv
from bot.core.heavy import Prep, large_community
from bot.delivery.outbox import Outbox, moderator_destinations
from bot.features.rounds.approval import approve_round, round_in_progress
from bot.features.rounds.choice import send_shortlists
from bot.features.rounds.proposal import RoundPolicy, compute_round, round_policy, solve_and_store_job
from bot.features.rounds.proposal_view import render_proposal
from bot.features.rounds.storing import RoundOptions, StoredRound, publish
from storage.tables import Community, MatchRound, RoundSchedule

BUSY_RETRY = timedelta(minutes=5)  # a scheduled run that found a round still in progress


async def schedule_of(session: AsyncSession, community_id: int) -> RoundSchedule | None:
    """The community's round schedule, if a moderator set one."""
    return (
        await session.execute(select(RoundSchedule).where(col(RoundSchedule.community_id) == community_id))
    ).scalar_one_or_none()


async def prepare_scheduled_rounds(prep: Prep, env: SweepEnv) -> dict[int, StoredRound]:
    """Before the sweep's unit of work: each due round of a large community solved, stored and
    rendered in the heavy-work worker, as `/mentor match` does (small ones stay in place)."""
    policy = round_policy(env.program)
    async with prep.db.unit() as session:
        due_now = col(RoundSchedule.next_run_at) <= prep.now
        due = (await session.execute(select(col(RoundSchedule.community_id)).where(due_now))).scalars().all()
        large = [
            community_id
            for community_id in due
            if await large_community(session, community_id, env.settings)
            and await round_in_progress(session, community_id) is None
        ]
    options = RoundOptions(dry_run=False, allow_rematch=False, choice=policy.mode == "choice")
    return {
        community_id: await prep.run_with_database(solve_and_store_job, community_id, prep.now, policy, options)
        for community_id in large
    }


async def run_scheduled_rounds(
    session: AsyncSession,
    now: datetime,
    settings: Any,
    policy: RoundPolicy | None = None,
    program: Any = None,
    prepared: dict[int, StoredRound] | None = None,
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
        # An open choice round has promised its mentors' places, an introducing one holds its
        # pairs' members: this run waits for it (a few minutes, or the choice deadline), it is
        # not skipped for a whole period.
        busy = await round_in_progress(session, community.id)
        if busy is not None:
            schedule.next_run_at = max(now + BUSY_RETRY, busy.closes_at or now)
            session.add(schedule)
            continue
        stored = (prepared or {}).get(community.id)
        await _run_one(session, community, now, policy, program, schedule.created_by_member_id, stored)
        while schedule.next_run_at <= now:  # after downtime, run once and move on, no burst
            schedule.next_run_at += timedelta(days=schedule.every_days)
        session.add(schedule)
    return len(schedules)


async def _run_one(
    session: AsyncSession,
    community: Community,
    now: datetime,
    policy: RoundPolicy,
    program: Any,
    by: int | None,
    stored: StoredRound | None = None,
) -> None:
    assert community.id is not None
    choice = policy.mode == "choice"  # the program file's mode decides for scheduled rounds
    round_ = None
    if stored is not None and await publish(session, stored, community.id, by):
        round_ = await session.get(MatchRound, stored.round_id)
    if round_ is None:
        round_ = await compute_round(session, community.id, now, policy, created_by=by, choice=choice)
    outbox = Outbox(session, community.id, now)
    if policy.auto_approve and choice:
        await send_shortlists(session, round_, now, policy)
    elif policy.auto_approve:
        await approve_round(session, round_, now, policy, approved_by=None, program=program)
    proposal = await render_proposal(session, round_)
    for destination in await moderator_destinations(session, community):
        await outbox.post(destination, proposal, dedupe_key=f"round:{round_.id}:posted:{destination.target}")


async def next_scheduled_round(session: AsyncSession) -> datetime | None:
    return (await session.execute(select(func.min(RoundSchedule.next_run_at)))).scalar_one_or_none()
