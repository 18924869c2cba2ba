"""The Slack App Home: the member card, and for moderators the overview, kept fresh.

Opening the Home (`app_home_opened`) reaches the core as the component
`mentor:home:<page>:open` and is answered with one card, which the Slack adapter
publishes with `views.publish`. The member's `HomeView` row remembers that they
have a Home; when their program state changes the row is marked stale (a flush
listener watches the rows that the card shows) and the home sweep republishes it
through the outbox — at most once per `DEBOUNCE` per member, so a burst of changes
costs one `views.publish` and a workspace stays far inside Slack's Tier 4 limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.core import messages as msg
from bot.core.feature import SweepEnv
from bot.core.messages import Message
from bot.core.ports import Destination, DestinationKind
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox
from bot.features.overview.moderator import moderator_card
from bot.features.overview.status import Viewer, member_card
from storage.tables import (
    CheckInPlan,
    Community,
    Goal,
    HomeView,
    MatchRound,
    Member,
    OutboxMessage,
    OutboxStatus,
    Pairing,
    Poll,
    Profile,
)

DEBOUNCE = timedelta(seconds=30)
BATCH = 50  # Homes republished per sweep; the deliverer paces the views.publish calls
# views.publish is Tier 4 (100+ a minute per workspace): the sweep republishes at most this
# many Homes of one community a minute, leaving room for the Homes members open themselves.
PER_MINUTE = 60
HOME = DestinationKind.HOME


def home_page_id(page: int) -> str:
    return str(ComponentId("home", str(page), "page"))


async def home_card(viewer: Viewer, page: int = 1) -> Message:
    """Everything the Home tab shows, as one neutral message."""
    card = await member_card(viewer)
    if not viewer.is_moderator:
        return card
    overview = await moderator_card(viewer, page, home_page_id)
    return Message(card.parts + (msg.Divider(),) + overview.parts)


async def opened(viewer: Viewer, page: int) -> Message:
    """The member opened (or paged) their Home: remember it, and answer with the card."""
    view = (
        await viewer.session.execute(
            select(HomeView).where(
                col(HomeView.community_id) == viewer.community_id, col(HomeView.member_id) == viewer.member.id
            )
        )
    ).scalar_one_or_none()
    if view is None:
        try:
            async with viewer.session.begin_nested():
                assert viewer.member.id is not None
                view = HomeView(community_id=viewer.community_id, member_id=viewer.member.id, opened_at=viewer.now)
                viewer.session.add(view)
                await viewer.session.flush()
        except IntegrityError:  # opened on two devices at once
            view = (
                await viewer.session.execute(select(HomeView).where(col(HomeView.member_id) == viewer.member.id))
            ).scalar_one()
    view.opened_at = view.published_at = viewer.now
    view.stale = False
    view.page = page
    viewer.session.add(view)
    return await home_card(viewer, page)


# --- keeping it fresh ----------------------------------------------------------------


async def republish_due(session: AsyncSession, now: datetime, env: SweepEnv) -> int:
    """Sweep: republish stale Homes whose last publish is older than the debounce window."""
    rows = (
        await session.execute(
            select(HomeView, Member, Community)
            .join(Member, col(Member.id) == HomeView.member_id)
            .join(Community, col(Community.id) == HomeView.community_id)
            .where(
                col(HomeView.stale) == True,  # noqa: E712
                or_(col(HomeView.published_at).is_(None), col(HomeView.published_at) <= now - DEBOUNCE),
            )
            .order_by(col(HomeView.published_at))
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=HomeView)
        )
    ).all()
    budget: dict[int, int] = {}
    republished = 0
    for view, member, community in rows:
        assert community.id is not None
        if community.id not in budget:
            budget[community.id] = PER_MINUTE - await _published_last_minute(session, community.id, now)
        if budget[community.id] <= 0:
            # Stays stale, due again in a minute (a publish time ahead of now is not counted
            # as a publish, and keeps the runtime from waking at once for it).
            view.published_at = now + timedelta(minutes=1) - DEBOUNCE
            session.add(view)
            continue
        budget[community.id] -= 1
        republished += 1
        view.stale = False
        view.published_at = now
        session.add(view)
        if community.platform != "slack":  # only Slack has a Home tab
            continue
        viewer = Viewer(session, community, member, now, env.program, member.is_moderator)
        card = await home_card(viewer, view.page)
        assert community.id is not None
        await Outbox(session, community.id, now).post(Destination(HOME, member.platform_user_id), card)
    return republished


async def _published_last_minute(session: AsyncSession, community_id: int, now: datetime) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(HomeView)
            .where(
                col(HomeView.community_id) == community_id,
                col(HomeView.published_at) > now - timedelta(minutes=1),
                col(HomeView.published_at) <= now,
            )
        )
    ).scalar_one()


async def next_republish(session: AsyncSession) -> datetime | None:
    oldest = (
        await session.execute(
            select(func.min(func.coalesce(col(HomeView.published_at), col(HomeView.opened_at)))).where(
                col(HomeView.stale) == True  # noqa: E712
            )
        )
    ).scalar_one_or_none()
    return oldest + DEBOUNCE if oldest is not None else None


# Which rows the cards show: a change to one of them makes the Homes that show it stale.
def _touched(objects: Iterable[Any]) -> tuple[set[int], set[int], set[int]]:
    """(members whose own card changed, pairings whose goals changed, communities whose moderators' cards changed)."""
    members: set[int] = set()
    goal_pairings: set[int] = set()
    communities: set[int] = set()
    for obj in objects:
        if isinstance(obj, Profile | CheckInPlan):
            members.add(obj.member_id)
        elif isinstance(obj, Pairing):
            members.update((obj.mentee_member_id, obj.mentor_member_id))
            communities.add(obj.community_id)
        elif isinstance(obj, Goal):
            goal_pairings.add(obj.pairing_id)
        elif isinstance(obj, MatchRound | Poll):
            communities.add(obj.community_id)
        elif (
            isinstance(obj, OutboxMessage)
            and obj.status == OutboxStatus.FAILED.value
            and obj.destination_kind != HOME.value  # a Home that cannot be published must not republish itself
        ):
            communities.add(obj.community_id)
    return {m for m in members if m}, {p for p in goal_pairings if p}, {c for c in communities if c}


def _mark_stale(session: Session, flush_context: Any, instances: Any) -> None:
    members, goal_pairings, communities = _touched(list(session.new) + list(session.dirty))
    if not (members or goal_pairings or communities):
        return
    connection = session.connection()
    if connection.execute(select(col(HomeView.id)).limit(1)).first() is None:
        return  # nobody has a Home (Discord, the console, or no one opened it yet): one cheap read
    for chunk in _chunks(sorted(goal_pairings)):
        for mentee, mentor in connection.execute(
            select(col(Pairing.mentee_member_id), col(Pairing.mentor_member_id)).where(col(Pairing.id).in_(chunk))
        ):
            members.update((mentee, mentor))
    # A sweep may touch thousands of rows in one flush: bound the parameters of each statement.
    for chunk in _chunks(sorted(members)):
        connection.execute(
            update(HomeView).where(col(HomeView.member_id).in_(chunk), col(HomeView.stale) == False).values(stale=True)  # noqa: E712
        )
    if communities:
        moderators = select(col(Member.id)).where(
            col(Member.community_id).in_(communities),
            col(Member.is_moderator) == True,  # noqa: E712
        )
        connection.execute(
            update(HomeView)
            .where(
                col(HomeView.community_id).in_(communities),
                col(HomeView.member_id).in_(moderators),
                col(HomeView.stale) == False,  # noqa: E712
            )
            .values(stale=True)
        )


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    return (ids[i : i + size] for i in range(0, len(ids), size))


def watch_changes() -> None:
    """Mark Homes stale when what they show changes (once per process; idempotent)."""
    if not event.contains(Session, "before_flush", _mark_stale):
        event.listen(Session, "before_flush", _mark_stale)
