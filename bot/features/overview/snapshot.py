"""The program at a glance: `/mentor stats`'s headline figures, kept fresh by a sweep.

Opening a moderator's Home (or `/mentor overview`) must not count 100k profiles,
so the figures are counted here, off the open path, at most every
`SNAPSHOT_EVERY`, and only for communities that asked for them once: the first
overview writes an empty snapshot that is due at once (the database is the
schedule), and the sweep fills it within a tick.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.feature import SweepEnv
from bot.core.heavy import Prep, large_community
from bot.features.stats.figures import Dashboard, Filters
from bot.features.stats.queries import build_dashboard
from storage.tables import HomeView, Member, StatsSnapshot

SNAPSHOT_EVERY = timedelta(minutes=15)
NEVER = datetime(2000, 1, 1, tzinfo=UTC)  # an empty snapshot: due at once
BATCH = 5  # communities counted per sweep: each costs the whole dashboard


async def snapshot_for(session: AsyncSession, community_id: int) -> StatsSnapshot | None:
    """The latest figures, or None while they are being counted (and then asks for them)."""
    found = await session.get(StatsSnapshot, community_id)
    if found is None:
        try:
            async with session.begin_nested():
                session.add(StatsSnapshot(community_id=community_id, computed_at=NEVER, figures={}))
                await session.flush()
        except IntegrityError:  # another moderator asked at the same moment
            pass
        return None
    return found if found.figures else None


def headline(board: Any) -> dict[str, Any]:
    """Aggregates only, as plain JSON: the figures the overview shows."""
    answered = board.checkins_answered
    return {
        "signups": board.signups,
        "waiting": board.by_status.get("waiting", 0),
        "active_members": board.by_status.get("active", 0),
        "paused": board.by_status.get("paused", 0),
        "mentors": board.by_role.get("mentor", 0) + board.by_role.get("both", 0),
        "mentees": board.by_role.get("mentee", 0) + board.by_role.get("both", 0),
        "pairs_active": board.by_pairing_status.get("active", 0),
        "pairs_completed": board.by_pairing_status.get("completed", 0),
        "at_risk": board.at_risk,
        "checkins_sent": board.checkins_sent,
        "response_rate": round(100 * answered / board.checkins_sent) if board.checkins_sent else None,
        "goals_set": board.goals_set,
        "goals_done": board.goals_done,
        "shortfall_topics": [t.topic for t in board.topics if t.shortfall > 0][:3],
    }


def _due(now: datetime) -> Any:
    return (
        select(StatsSnapshot)
        .where(col(StatsSnapshot.computed_at) <= now - SNAPSHOT_EVERY)
        .order_by(col(StatsSnapshot.computed_at))
        .limit(BATCH)
    )


async def prepare_snapshots(prep: Prep, env: SweepEnv) -> dict[int, Dashboard]:
    """Before the sweep's unit of work: the due large communities' figures, counted in the
    heavy-work worker (the dashboard over a million check-ins takes seconds; in place, every
    ack would wait for it every `SNAPSHOT_EVERY`). Small communities are counted in place."""
    async with prep.db.unit() as session:
        due = [snapshot.community_id for snapshot in (await session.execute(_due(prep.now))).scalars().all()]
        large = [community_id for community_id in due if await large_community(session, community_id, env.settings)]
    return {community_id: await prep.run(count_job, community_id, prep.now) for community_id in large}


async def count_job(session: AsyncSession, community_id: int, now: datetime) -> Dashboard:
    """Runs in the worker."""
    return await build_dashboard(session, community_id, now, Filters())


async def refresh_snapshots(session: AsyncSession, now: datetime, env: SweepEnv) -> int:
    """Sweep: count the figures of communities whose snapshot is due, then refresh their moderators' Homes."""
    due = (await session.execute(_due(now).with_for_update(skip_locked=True))).scalars().all()
    counted: dict[int, Dashboard] = env.prepared or {}
    for snapshot in due:
        board = counted.get(snapshot.community_id) or await build_dashboard(
            session, snapshot.community_id, now, Filters()
        )
        snapshot.figures = headline(board)
        snapshot.computed_at = now
        session.add(snapshot)
        moderators = select(col(Member.id)).where(
            col(Member.community_id) == snapshot.community_id,
            col(Member.is_moderator) == True,  # noqa: E712
        )
        await session.execute(
            update(HomeView)
            .where(col(HomeView.community_id) == snapshot.community_id, col(HomeView.member_id).in_(moderators))
            .values(stale=True)
        )
    return len(due)


async def next_snapshot_due(session: AsyncSession) -> datetime | None:
    oldest = (await session.execute(select(func.min(StatsSnapshot.computed_at)))).scalar_one_or_none()
    return oldest + SNAPSHOT_EVERY if oldest is not None else None
