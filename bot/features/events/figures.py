"""Community events in the dashboard: how many, and how many members said they are going."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from storage.tables import CommunityEvent, EventRsvp, EventStatus


async def event_figures(session: AsyncSession, community_id: int, now: datetime) -> str:
    """`3 events (1 upcoming, 1 cancelled) · going: 12 RSVPs by 9 members` (empty when there was none)."""
    rows = (
        await session.execute(
            select(col(CommunityEvent.status), col(CommunityEvent.start_at)).where(
                col(CommunityEvent.community_id) == community_id
            )
        )
    ).all()
    if not rows:
        return ""
    cancelled = sum(1 for status, _ in rows if status == EventStatus.CANCELLED.value)
    upcoming = sum(1 for status, start in rows if status == EventStatus.SCHEDULED.value and start > now)
    # Attendance is RSVP "going" to events that were not cancelled: the bot cannot see who came.
    going, people = (
        await session.execute(
            select(func.count(), func.count(func.distinct(col(EventRsvp.member_id))))
            .join(CommunityEvent, col(CommunityEvent.id) == EventRsvp.event_id)
            .where(
                col(EventRsvp.community_id) == community_id,
                col(EventRsvp.going).is_(True),
                col(CommunityEvent.status) == EventStatus.SCHEDULED.value,
            )
        )
    ).one()
    return (
        f"{msg.plural(len(rows), 'event')} ({upcoming} upcoming, {cancelled} cancelled) · "
        f"going: {msg.plural(int(going), 'RSVP')} by {msg.plural(int(people), 'member')}"
    )
