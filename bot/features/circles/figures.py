"""Circles in the statistics, and what forget-me does to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from storage.tables import Circle, CircleStatus, Pairing


async def circle_figures(session: AsyncSession, community_id: int) -> str:
    """Circles by status and the members in them (empty when there never was one)."""
    by_status = dict(
        (
            await session.execute(
                select(col(Circle.status), func.count())
                .where(col(Circle.community_id) == community_id)
                .group_by(col(Circle.status))
            )
        ).all()
    )
    if not by_status:
        return ""
    members = dict(
        (
            await session.execute(
                select(col(Circle.status), func.count(func.distinct(col(Pairing.mentee_member_id))))
                .join(Circle, col(Circle.id) == col(Pairing.circle_id))
                .where(col(Circle.community_id) == community_id)
                .group_by(col(Circle.status))
            )
        ).all()
    )
    active, completed = CircleStatus.ACTIVE.value, CircleStatus.COMPLETED.value
    return (
        f"active {by_status.get(active, 0)} ({msg.plural(members.get(active, 0), 'member')}) · "
        f"completed {by_status.get(completed, 0)} ({msg.plural(members.get(completed, 0), 'member')}) · "
        f"open offers {by_status.get(CircleStatus.OPEN.value, 0)}"
    )


async def forget_in_circles(session: AsyncSession, community_id: int, member_id: int, now: datetime) -> None:
    """Forget-me: their goals on any board become "[removed]", their open offer goes, and a circle
    they mentored ends (its members' pairings were already ended and the members told)."""
    circles = (await session.execute(select(Circle).where(col(Circle.community_id) == community_id))).scalars().all()
    for circle in circles:
        if any(g.get("by") == member_id for g in circle.goals):
            circle.goals = [
                {**g, "text": "[removed]", "by": 0} if g.get("by") == member_id else g for g in circle.goals
            ]
        if circle.mentor_member_id == member_id:
            if circle.status == CircleStatus.OPEN.value:
                await session.delete(circle)
                continue
            if circle.status == CircleStatus.ACTIVE.value:
                circle.status, circle.ended_at, circle.next_checkin_at = CircleStatus.ENDED.value, now, None
        session.add(circle)
