"""Circles in the statistics, and what forget-me does to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.ports import Destination
from bot.delivery.outbox import Outbox
from bot.features.circles.circles import LIVE
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
            if circle.status == CircleStatus.OPEN.value and not await _seated(session, circle):
                await session.delete(circle)  # an offer nobody took yet
                continue
            # Seats point at it: running, or filled by a round still introducing (it never starts).
            if circle.status in LIVE:
                circle.status, circle.ended_at, circle.next_checkin_at = CircleStatus.ENDED.value, now, None
        session.add(circle)


async def _seated(session: AsyncSession, circle: Circle) -> bool:
    found = await session.execute(select(col(Pairing.id)).where(col(Pairing.circle_id) == circle.id).limit(1))
    return found.first() is not None


async def leave_circle_spaces(
    session: AsyncSession, community_id: int, member_id: int, user_id: str, now: datetime
) -> None:
    """Leave, and forget-me after the outbox is scrubbed of their id: take them out of every circle
    space they were in on the platform (kicked from the Slack channel, removed from the Discord thread).
    These rows alone keep their platform id, because the platform needs it to remove them."""
    seated = (
        select(col(Pairing.circle_id))
        .where(col(Pairing.community_id) == community_id, col(Pairing.mentee_member_id) == member_id)
        .where(col(Pairing.circle_id).is_not(None))
    )
    circles = await session.execute(
        select(Circle).where(
            col(Circle.community_id) == community_id,
            or_(col(Circle.id).in_(seated), col(Circle.mentor_member_id) == member_id),
            col(Circle.status) != CircleStatus.OPEN.value,
        )
    )
    outbox = Outbox(session, community_id, now)
    for circle in circles.scalars():
        space = Destination.space(f"circle-{circle.id}", circle.home_channel_id, [user_id])
        await outbox.remove_from_space(space, dedupe_key=f"circle:{circle.id}:remove:{member_id}")
