"""Mentoring circles: offering one, a moderator starting one, the shared space and its introduction.

See the package docstring (bot/features/circles/__init__.py) for the design.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Message, UserText
from bot.core.parsing import Arity, ParseError, parse_args
from bot.core.ports import Destination
from storage.tables import (
    Circle,
    CircleStatus,
    Member,
    Pairing,
    PairingStatus,
    Profile,
    ProfileStatus,
)

CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 30}
# As a pair's introduction says them (rounds/introductions.py imports this module, not the reverse).
CADENCE_WORDS = {"weekly": "every week", "biweekly": "every two weeks", "monthly": "once a month"}
MONTHS = {"3-6": 3, "6-9": 6, "9-12": 9}
CADENCE_WORDS_IN = {"weekly": "weekly", "biweekly": "biweekly", "2w": "biweekly", "monthly": "monthly", "1w": "weekly"}
MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 2, 8, 4
MAX_TOPIC = 100
OFFER_SPEC = {"topic": Arity.ONE, "size": Arity.ONE, "cadence": Arity.ONE}
CREATE_SPEC = {"topic": Arity.ONE, "cadence": Arity.ONE}
OFFER_USAGE = '/mentor circle offer --topic "Data science" --size 4 --cadence monthly'
CREATE_USAGE = '/mentor circle create @mentor @ann @bob [--topic "Data science"]'
LIVE = (CircleStatus.OPEN.value, CircleStatus.ACTIVE.value)


# --- reading circles ------------------------------------------------------------------------


async def seats_of(session: AsyncSession, circle: Circle) -> list[Pairing]:
    """The circle's members' pairings (active ones while it runs; all once it has ended)."""
    query = select(Pairing).where(col(Pairing.circle_id) == circle.id).order_by(col(Pairing.id))
    if circle.status == CircleStatus.ACTIVE.value:
        query = query.where(col(Pairing.status) == PairingStatus.ACTIVE.value)
    return list((await session.execute(query)).scalars())


async def space_of(session: AsyncSession, circle: Circle) -> Destination:
    """The circle's private space: its mentor and current members."""
    seats = [s for s in await seats_of(session, circle) if s.end_reason != "forgotten"]
    members = await members_by_id(session, {circle.mentor_member_id, *(s.mentee_member_id for s in seats)})
    ids = [members[circle.mentor_member_id].platform_user_id] + [
        members[s.mentee_member_id].platform_user_id for s in seats if s.mentee_member_id in members
    ]
    return Destination.space(f"circle-{circle.id}", circle.home_channel_id, ids)


async def circles_of(session: AsyncSession, community_id: int, member_id: int) -> list[Circle]:
    """Circles the member leads or sits in (any status), newest first."""
    seated = select(col(Pairing.circle_id)).where(
        col(Pairing.community_id) == community_id,
        col(Pairing.mentee_member_id) == member_id,
        col(Pairing.circle_id).is_not(None),
    )
    rows = await session.execute(
        select(Circle)
        .where(col(Circle.community_id) == community_id)
        .where(or_(col(Circle.mentor_member_id) == member_id, col(Circle.id).in_(seated)))
        .order_by(col(Circle.id).desc())
    )
    return list(rows.scalars())


async def circle_for(ctx: Ctx, raw: str | None, *, action: str) -> Circle:
    """The circle a member acts on: the number they gave, else their one active circle.
    Someone who is not in it (and not a moderator) is told it is not theirs."""
    if raw is not None:
        if not raw.lstrip("#").isdigit():
            raise ParseError(f"Give the circle's number, e.g. 2 (see /mentor circle list), to {action}.")
        circle = (
            await ctx.session.execute(
                select(Circle).where(
                    col(Circle.id) == int(raw.lstrip("#")), col(Circle.community_id) == ctx.community_id
                )
            )
        ).scalar_one_or_none()
        if circle is None:
            raise NotFound(f"There is no circle #{raw.lstrip('#')} here. /mentor circle list shows yours.")
        if not ctx.is_moderator and circle.id not in {
            c.id for c in await circles_of(ctx.session, ctx.community_id, ctx.member_id)
        }:
            raise InvalidInput("That circle is not yours. /mentor circle list shows the circles you are in.")
        return circle
    active = [
        c
        for c in await circles_of(ctx.session, ctx.community_id, ctx.member_id)
        if c.status == CircleStatus.ACTIVE.value
    ]
    if not active:
        raise NotFound("You are not in an active circle. /mentor circle list shows your circles and open offers.")
    if len(active) > 1:
        numbers = ", ".join(f"#{c.id}" for c in active)
        raise InvalidInput(f"You are in several circles ({numbers}); add --circle <number> to {action}.")
    return active[0]


async def members_by_id(session: AsyncSession, member_ids: set[int]) -> dict[int, Member]:
    """The members with these ids, in one query (rounds/ has the same; importing it would be circular)."""
    if not member_ids:
        return {}
    rows = (await session.execute(select(Member).where(col(Member.id).in_(member_ids)))).scalars()
    return {m.id: m for m in rows if m.id is not None}


def describe(circle: Circle) -> str:
    cadence = CADENCE_WORDS.get(circle.cadence, circle.cadence)
    return f"up to {circle.capacity} mentees, meeting {cadence}"


# --- /mentor circle offer ------------------------------------------------------------------


def parse_cadence(raw: str | None, default: str) -> str:
    if raw is None:
        return default
    cadence = CADENCE_WORDS_IN.get(raw.strip().lower())
    if cadence is None:
        raise ParseError("The cadence is weekly, biweekly or monthly, e.g. --cadence monthly.")
    return cadence


def parse_topic(raw: str | None) -> str | None:
    if raw is None:
        return None
    topic = " ".join(raw.split())
    if not topic:
        raise ParseError('Give the circle a topic, e.g. --topic "Data science".')
    if len(topic) > MAX_TOPIC:
        raise ParseError(f"The topic is {len(topic)} characters; keep it under {MAX_TOPIC}.")
    return topic


async def mentor_profile(session: AsyncSession, community_id: int, member_id: int) -> Profile | None:
    profile = (
        await session.execute(
            select(Profile).where(col(Profile.community_id) == community_id, col(Profile.member_id) == member_id)
        )
    ).scalar_one_or_none()
    if profile is None or profile.role not in ("mentor", "both") or profile.status == ProfileStatus.LEFT.value:
        return None
    return profile


async def offer_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor circle offer [--topic …] [--size 4] [--cadence monthly]`: a mentor offers a circle."""
    parsed = parse_args(args, OFFER_SPEC)
    if parsed.positional:
        raise ParseError(f"Give the details as options, e.g. {OFFER_USAGE}")
    profile = await mentor_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is None:
        raise InvalidInput("Only mentors can offer a circle. Sign up as a mentor first with /mentor join mentor.")
    size_raw = parsed.one("size")
    size = DEFAULT_SIZE
    if size_raw is not None:
        if not size_raw.isdigit() or not MIN_SIZE <= int(size_raw) <= MAX_SIZE:
            raise ParseError(f"A circle has {MIN_SIZE} to {MAX_SIZE} mentees, e.g. --size 4.")
        size = int(size_raw)
    topic = parse_topic(parsed.one("topic")) or (profile.topics_offered[0] if profile.topics_offered else "")
    if not topic:
        raise ParseError(f"Say what the circle is about, e.g. {OFFER_USAGE}")
    open_offer = (
        await ctx.session.execute(
            select(Circle).where(
                col(Circle.community_id) == ctx.community_id,
                col(Circle.mentor_member_id) == ctx.member_id,
                col(Circle.status) == CircleStatus.OPEN.value,
            )
        )
    ).scalar_one_or_none()
    circle = open_offer or Circle(
        community_id=ctx.community_id,
        mentor_member_id=ctx.member_id,
        created_at=ctx.now,
        created_by_member_id=ctx.member_id,
    )
    circle.topic, circle.capacity = topic, size
    circle.cadence = parse_cadence(parsed.one("cadence"), circle.cadence if open_offer else "monthly")
    ctx.session.add(circle)
    await ctx.session.flush()
    again = "updated" if open_offer else "open"
    return [
        msg.message(
            msg.text(
                f"Your circle offer #{circle.id} is {again}: ",
                UserText(circle.topic),
                f", {describe(circle)}. Matching can place mentees with you as a circle (as many as your capacity "
                f"of {profile.capacity} allows; /mentor edit changes it), or a moderator starts it with "
                "/mentor circle create.",
            )
        )
    ]


# --- /mentor circle list --------------------------------------------------------------------


async def list_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """Your circles (with who is in them), then open offers (topic, mentor and free seats only)."""
    if args:
        raise ParseError("/mentor circle list takes nothing after it.")
    mine = await circles_of(ctx.session, ctx.community_id, ctx.member_id)
    heading = "Your circles"
    if ctx.is_moderator:  # moderators see every circle of the community with its members
        heading = "Circles (moderators see them all)"
        mine = list(
            (
                await ctx.session.execute(
                    select(Circle).where(col(Circle.community_id) == ctx.community_id).order_by(col(Circle.id).desc())
                )
            ).scalars()
        )
    parts: list[msg.Part] = [msg.text(msg.Strong(heading))]
    if not mine:
        parts.append(msg.text("You are in no circle yet."))
    for circle in mine:
        seats = await seats_of(ctx.session, circle)
        names = await members_by_id(ctx.session, {circle.mentor_member_id, *(s.mentee_member_id for s in seats)})
        who: list[msg.Span] = []
        for seat in seats:
            if seat.mentee_member_id in names and seat.end_reason != "forgotten":
                who += [", " if who else "", UserText(names[seat.mentee_member_id].display_name)]
        parts.append(
            msg.text(
                f"#{circle.id} ",
                UserText(circle.topic),
                f" ({circle.status}) — mentor ",
                UserText(names[circle.mentor_member_id].display_name),
                "; members: ",
                *(who or ["none yet"]),
            )
        )
    offers = (
        await ctx.session.execute(
            select(Circle)
            .where(col(Circle.community_id) == ctx.community_id, col(Circle.status).in_(LIVE))
            .order_by(col(Circle.id))
            .limit(20)
        )
    ).scalars()
    shown = []
    for circle in offers:
        free = circle.capacity - len(await seats_of(ctx.session, circle))
        if free > 0 and circle.id not in {c.id for c in mine}:
            shown.append((circle, free))
    if shown:
        parts.append(msg.text(msg.Strong("Open circles")))
        mentors = await members_by_id(ctx.session, {c.mentor_member_id for c, _ in shown})
        for circle, free in shown:
            parts.append(
                msg.text(
                    f"#{circle.id} ",
                    UserText(circle.topic),
                    " with ",
                    UserText(mentors[circle.mentor_member_id].display_name),
                    f" — {msg.plural(free, 'seat')} free, meeting {CADENCE_WORDS.get(circle.cadence, circle.cadence)}",
                )
            )
        parts.append(msg.text("Matching places waiting mentees in circles that fit them; ask a moderator to join one."))
    return [Message(tuple(parts))]
