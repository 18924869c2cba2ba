"""What the pair's session log says: the one source of meeting counts.

Check-in health, the at-risk signals, the completion summary, certificates and the
dashboard all count meetings here, so "met" means the same thing everywhere: a row
in `meeting_log` (a "We met" check-in answer, a kick-off click or `/mentor log`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.tables.meetings import MeetingLog, Pulse


@dataclass(frozen=True)
class Logged:
    """Meetings a pair logged and the minutes they gave (sessions without a length add none)."""

    meetings: int = 0
    minutes: int = 0
    last: datetime | None = None


async def logged_for(session: AsyncSession, pairing_ids: list[int]) -> Logged:
    """The log of one or more pairings, added up (a mentor's certificate spans their mentees)."""
    if not pairing_ids:
        return Logged()
    count, minutes, last = (
        await session.execute(
            select(
                func.count(), func.coalesce(func.sum(col(MeetingLog.minutes)), 0), func.max(col(MeetingLog.met_on))
            ).where(col(MeetingLog.pairing_id).in_(pairing_ids))
        )
    ).one()
    return Logged(int(count or 0), int(minutes or 0), last)


async def community_log(session: AsyncSession, community_id: int, since: datetime | None) -> tuple[int, int, int]:
    """(meetings, pairs that logged any, minutes since `since`) for the dashboard."""
    meetings, pairs = (
        await session.execute(
            select(func.count(), func.count(func.distinct(col(MeetingLog.pairing_id)))).where(
                col(MeetingLog.community_id) == community_id
            )
        )
    ).one()
    recent = select(func.coalesce(func.sum(col(MeetingLog.minutes)), 0)).where(
        col(MeetingLog.community_id) == community_id
    )
    if since is not None:
        recent = recent.where(col(MeetingLog.met_on) >= since)
    minutes = (await session.execute(recent)).scalar_one()
    return int(meetings or 0), int(pairs or 0), int(minutes or 0)


async def pulse_summary(session: AsyncSession, community_id: int) -> tuple[int, float | None, int]:
    """(pulses answered, their average, how many were 1 or 2): aggregates only."""
    answered, average, low = (
        await session.execute(
            select(
                func.count(col(Pulse.rating)),
                func.avg(col(Pulse.rating)),
                func.count(col(Pulse.rating)).filter(col(Pulse.rating) <= 2),
            ).where(col(Pulse.community_id) == community_id)
        )
    ).one()
    return int(answered or 0), None if average is None else float(average), int(low or 0)
