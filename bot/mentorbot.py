"""`MentorBot`: the core's single entry point for adapters.

An adapter acknowledges the platform first, then calls `handle(event)`, shows the
returned private replies, and lets `deliver_outbox` send everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from functools import cache
from time import perf_counter
from typing import Any

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core import metrics
from bot.core.context import Ctx
from bot.core.errors import APOLOGY, InvalidInput, UserFacingError
from bot.core.events import (
    Actor,
    CommunityRef,
    ComponentAction,
    DirectText,
    Event,
    FormSubmission,
    MemberJoined,
    SlashCommand,
)
from bot.core.heavy import Prep, heavy_worker, large_community
from bot.core.messages import Message
from bot.core.parsing import ParseError, tokenize
from bot.core.ports import Clock, Messenger
from bot.core.program import Program, load_program
from bot.core.router import ComponentId, Router
from bot.core.settings import Settings, is_moderator_actor
from bot.delivery import doors
from bot.delivery.deliverer import Deliverer, due_at
from bot.delivery.inbox import AlreadyHandled, keep_replies, mark_handled, was_handled
from bot.delivery.outbox import Outbox
from bot.delivery.pictures import picture_worker
from bot.delivery.sweeps import Schedule, Sweeper
from storage.db import Database
from storage.tables import Community, Member

log = logging.getLogger(__name__)
# The `kind` label of the event metrics: a fixed set, never anything a member chose.
EVENT_KINDS: dict[type, str] = {
    SlashCommand: "command",
    ComponentAction: "action",
    FormSubmission: "form",
    DirectText: "dm",
    MemberJoined: "joined",
}


class MentorBot:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        router: Router,
        sweeper: Sweeper,
        program: Program | None = None,
    ) -> None:
        self.program = program or load_program(settings.program_path)
        self.db = db
        self.clock = clock
        self.settings = settings
        self.router = router
        self.sweeper = sweeper
        # A community's row id never changes: looked up by platform id once per process.
        self._community_ids: dict[tuple[str, str], int] = {}
        self._sweep_soon = False
        self.heavy = heavy_worker(settings.heavy_work)

    # --- inbound ---------------------------------------------------------

    async def handle(self, event: Event) -> list[Message]:
        """Do what the member asked; return the private replies for them."""
        if event.actor.is_bot:
            return []
        kind, outcome = EVENT_KINDS.get(type(event), "other"), "ok"
        started = perf_counter()
        prepared = await self._prepare(event)
        try:
            async with self.db.unit() as session:
                replies, wake = await self._handle(session, event, prepared)
                if event.event_id:  # kept with the handled mark until the adapter has sent them
                    await keep_replies(
                        session, event.community.platform, event.community.external_id, event.event_id, replies
                    )
            # Only once committed: a wake taken earlier would sweep before the work is visible.
            self._sweep_soon |= wake
            return replies
        except AlreadyHandled:
            outcome = "duplicate"
            log.info("ignored duplicate event %s", getattr(event, "event_id", ""))
            _discard(prepared)
            return []
        except UserFacingError as exc:
            outcome = "refused"
            _discard(prepared)
            return [msg.message(str(exc))]
        except Exception:
            outcome = "error"
            log.exception("failed to handle %s", type(event).__name__)
            _discard(prepared)
            return [msg.message(APOLOGY)]
        finally:
            metrics.EVENTS_HANDLED.labels(event.community.platform, kind, outcome).inc()
            metrics.EVENT_DURATION.labels(kind).observe(perf_counter() - started)

    async def _prepare(self, event: Event) -> Any:
        """A large community's heavy command (a round, an export): its heavy part in the worker,
        before the unit of work and outside any transaction (see bot/core/heavy.py); None: in place."""
        if not isinstance(event, SlashCommand | ComponentAction) or not self.heavy.usable_with(self.db):
            return None
        prepare, args, component = self._prepare_step(event)
        if prepare is None or not is_moderator_actor(event.actor, self.settings):
            return None
        key = (event.community.platform, event.community.external_id)
        async with self.db.unit() as session:
            community_id = self._community_ids.get(key) or await community_id_of(session, event.community)
            if community_id is None or not await large_community(session, community_id, self.settings):
                return None
            if event.event_id and await was_handled(session, *key, event.event_id):
                return None  # a retry or a resume of an applied event: nothing to compute
        prep = Prep(self.db, self.heavy, community_id, self.clock.now(), args, self.settings, self.program, component)
        try:
            return await prepare(prep)
        except Exception:  # the worker failed: the handler does it in place rather than not at all
            log.exception("heavy work for %s failed; running it in place", type(event).__name__)
            return None

    def _prepare_step(self, event: SlashCommand | ComponentAction) -> tuple[Any, list[str], ComponentId | None]:
        """The command's or the button's prepare step (None: it has none), its arguments, the button's id."""
        try:
            if isinstance(event, SlashCommand):
                command, args = self.router.resolve(tokenize(event.text))
                return (command.prepare if command else None), args, None
            cid = ComponentId.parse(event.component_id)
        except (ParseError, InvalidInput):
            return None, [], None
        route = self.router.components.get(cid.kind)
        return (route.prepare if route else None), [], cid

    async def _handle(self, session: AsyncSession, event: Event, prepared: Any = None) -> tuple[list[Message], bool]:
        """The replies, and whether the command left sweep work due now (`Ctx.sweep_soon`)."""
        now = self.clock.now()
        community, found = await self._community_and_member(session, event)
        assert community.id is not None
        if event.event_id:  # exactly once: the inbox row is marked in this same transaction
            await mark_handled(session, event.community.platform, event.community.external_id, event.event_id, now)
        is_moderator = is_moderator_actor(event.actor, self.settings)
        member = await ensure_member(session, community, event.actor, now, is_moderator, found)
        in_dm = isinstance(event, DirectText) or (isinstance(event, ComponentAction) and event.in_dm)
        ctx = Ctx(
            session=session,
            community=community,
            member=member,
            actor=event.actor,
            channel_id=getattr(event, "channel_id", ""),
            now=now,
            settings=self.settings,
            outbox=Outbox(session, community.id, now),
            is_moderator=is_moderator,
            in_dm=in_dm,
            program=self.program,
            prepared=prepared,
        )
        if isinstance(event, SlashCommand):
            replies = await self.router.command(ctx, event.text)
        elif isinstance(event, ComponentAction):
            replies = await self.router.component(ctx, event.component_id, event.values)
        elif isinstance(event, FormSubmission):
            replies = await self.router.form(ctx, event.form_id, event.fields)
        elif isinstance(event, DirectText):
            replies = await self.router.direct_text(ctx, event.text)
        elif isinstance(event, MemberJoined):
            if member.joined_at is None:
                member.joined_at = now  # the dashboard counts new members since the program started
            replies = await self.router.member_joined(ctx)
        else:  # pragma: no cover - the Event union is closed
            raise TypeError(type(event))
        # A member whose DMs were closed gets one retry and a heads-up when they use the bot.
        return replies + await doors.member_interacted(session, member, in_dm, now), ctx.sweep_soon

    async def _community_and_member(self, session: AsyncSession, event: Event) -> tuple[Community, Member | None]:
        """Every event needs both rows: one statement once the community's row id is known."""
        key = (event.community.platform, event.community.external_id)
        community_id = self._community_ids.get(key)
        if community_id is not None:
            row = (
                await session.execute(
                    _community_and_member_query(), {"community": community_id, "user": event.actor.user_id}
                )
            ).first()
            if row is not None:
                _rename(row[0], event.community)
                return row[0], row[1]
        community = await ensure_community(session, event.community, self.clock.now(), self.settings)
        if community.id is not None:
            self._community_ids[key] = community.id
        return community, None

    # --- outbound and schedule ------------------------------------------------

    async def deliver_outbox(
        self, messenger: Messenger, *, max_rows: int | None = None, concurrency: int | None = None
    ) -> int:
        """Send what is due; `concurrency` destinations at once (default: the setting; 1: strictly in order)."""
        at_once = concurrency if concurrency is not None else self.settings.delivery_concurrency
        pictures = picture_worker(self.settings.picture_worker)
        return await Deliverer(self.db, self.clock, messenger, concurrency=at_once, pictures=pictures).drain(
            max_rows=max_rows
        )

    async def sweep(self, only: Collection[str] | None = None) -> int:
        """Run the sweep jobs (`only`: the named ones first; see `Sweeper.run_due`)."""
        return await self.sweeper.run_due(only)

    def take_sweep_request(self) -> bool:
        """Whether a command since the last call left sweep work due now (then the runtime wakes)."""
        wanted, self._sweep_soon = self._sweep_soon, False
        return wanted

    async def schedule(self) -> Schedule:
        """When each sweep job and the outbox next have work, in one read."""
        async with self.db.unit() as session:
            return Schedule(await self.sweeper.schedule(session), await due_at(session))

    async def next_due(self) -> datetime | None:
        """The earliest moment anything becomes due (a sweep job or a queued message)."""
        return (await self.schedule()).next_due

    async def close(self) -> None:
        await self.db.dispose()


# Statements run on every event are built once (on first use) with bind parameters:
# building a statement and its cache key cost more than running it on SQLite.
@cache
def _community_and_member_query() -> Select[Community, Member]:
    return (
        select(Community, Member)
        .outerjoin(
            Member, and_(col(Member.community_id) == Community.id, col(Member.platform_user_id) == bindparam("user"))
        )
        .where(col(Community.id) == bindparam("community"))
    )


@cache
def _member_query() -> Select[Member]:
    return select(Member).where(
        col(Member.community_id) == bindparam("community"), col(Member.platform_user_id) == bindparam("user")
    )


def _discard(prepared: Any) -> None:
    """Prepared work the unit of work did not use (a duplicate, a refusal): remove what it left on disk."""
    discard = getattr(prepared, "discard", None)
    if callable(discard):
        discard()


async def community_id_of(session: AsyncSession, ref: CommunityRef) -> int | None:
    query = select(col(Community.id)).where(
        col(Community.platform) == ref.platform, col(Community.external_id) == ref.external_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def ensure_community(session: AsyncSession, ref: CommunityRef, now: datetime, settings: Settings) -> Community:
    """The community's row, created on first contact."""
    query = select(Community).where(
        col(Community.platform) == ref.platform, col(Community.external_id) == ref.external_id
    )
    community = (await session.execute(query)).scalar_one_or_none()
    if community is not None:
        _rename(community, ref)
        return community
    try:
        async with session.begin_nested():
            community = Community(
                platform=ref.platform,
                external_id=ref.external_id,
                name=ref.name[:200],
                timezone=settings.timezone,
                created_at=now,
            )
            session.add(community)
            await session.flush()
            return community
    except IntegrityError:  # created concurrently by another worker
        return (await session.execute(query)).scalar_one()


def _rename(community: Community, ref: CommunityRef) -> None:
    if ref.name and community.name != ref.name[:200]:
        community.name = ref.name[:200]


async def ensure_member(
    session: AsyncSession,
    community: Community,
    actor: Actor,
    now: datetime,
    is_moderator: bool,
    found: Member | None = None,
) -> Member:
    """The actor's member row, created on first contact and kept up to date (`found`: already loaded)."""
    keys = {"community": community.id, "user": actor.user_id}
    member = found if found is not None else (await session.execute(_member_query(), keys)).scalar_one_or_none()
    if member is None:
        try:
            async with session.begin_nested():
                assert community.id is not None
                member = Member(
                    community_id=community.id,
                    platform_user_id=actor.user_id,
                    display_name=actor.display_name[:200],
                    timezone=actor.timezone,
                    is_moderator=is_moderator,
                    created_at=now,
                )
                session.add(member)
                await session.flush()
                return member
        except IntegrityError:
            member = (await session.execute(_member_query(), keys)).scalar_one()
    if actor.display_name and member.display_name != actor.display_name[:200]:
        member.display_name = actor.display_name[:200]
    if actor.timezone and member.timezone != actor.timezone:
        member.timezone = actor.timezone
    if member.is_moderator != is_moderator:
        member.is_moderator = is_moderator
    return member
