"""Mentoring circles: offering one, a moderator starting one, the shared space and its introduction.

See the package docstring (bot/features/circles/__init__.py) for the design.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx, OutboxWriter
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Mention, Message, UserText
from bot.core.parsing import Arity, ParseError, parse_args
from bot.core.ports import Destination
from bot.features.profile.profile import find_member
from bot.features.rounds.introductions import CADENCE_WORDS, MONTHS
from bot.features.rounds.proposal import round_policy
from bot.features.rounds.proposal_view import members_by_id
from storage.tables import (
    Circle,
    CircleStatus,
    MatchRound,
    Member,
    Pairing,
    PairingStatus,
    Profile,
    ProfileStatus,
    RoundStatus,
)

CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 30}
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


def describe(circle: Circle) -> str:
    cadence = CADENCE_WORDS.get(circle.cadence, circle.cadence)
    return f"up to {circle.capacity} mentees, meeting {cadence}"


# --- /mentor circle offer ------------------------------------------------------------------


def _cadence(raw: str | None, default: str) -> str:
    if raw is None:
        return default
    cadence = CADENCE_WORDS_IN.get(raw.strip().lower())
    if cadence is None:
        raise ParseError("The cadence is weekly, biweekly or monthly, e.g. --cadence monthly.")
    return cadence


def _topic(raw: str | None) -> str | None:
    if raw is None:
        return None
    topic = " ".join(raw.split())
    if not topic:
        raise ParseError('Give the circle a topic, e.g. --topic "Data science".')
    if len(topic) > MAX_TOPIC:
        raise ParseError(f"The topic is {len(topic)} characters; keep it under {MAX_TOPIC}.")
    return topic


async def _mentor_profile(session: AsyncSession, community_id: int, member_id: int) -> Profile | None:
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
    profile = await _mentor_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is None:
        raise InvalidInput("Only mentors can offer a circle. Sign up as a mentor first with /mentor join mentor.")
    size_raw = parsed.one("size")
    size = DEFAULT_SIZE
    if size_raw is not None:
        if not size_raw.isdigit() or not MIN_SIZE <= int(size_raw) <= MAX_SIZE:
            raise ParseError(f"A circle has {MIN_SIZE} to {MAX_SIZE} mentees, e.g. --size 4.")
        size = int(size_raw)
    topic = _topic(parsed.one("topic")) or (profile.topics_offered[0] if profile.topics_offered else "")
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
    circle.cadence = _cadence(parsed.one("cadence"), circle.cadence if open_offer else "monthly")
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
    parts: list[msg.Part] = [msg.text(msg.Strong("Your circles"))]
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


# --- /mentor-admin circle create ------------------------------------------------------------


async def create_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor circle create @mentor @a @b … [--topic …] [--cadence …]` (moderators)."""
    ctx.require_moderator("create a circle")
    parsed = parse_args(args, CREATE_SPEC)
    names = [word for raw in parsed.positional for word in raw.split()]
    if not 2 <= len(names) <= 1 + MAX_SIZE:  # one mentee can start it; matching fills the other seats
        raise ParseError(f"Name the mentor and 1 to {MAX_SIZE} mentees, e.g. {CREATE_USAGE}")
    people: list[Member] = []
    for raw in names:
        member = await find_member(ctx.session, ctx.community_id, raw)
        if member is None:
            return [msg.message(msg.text("I don't know a member called ", UserText(raw[:60]), " here."))]
        if member.id in {p.id for p in people}:
            raise InvalidInput("Each member can be named once.")
        people.append(member)
    mentor, mentees = people[0], people[1:]
    assert mentor.id is not None
    if await _mentor_profile(ctx.session, ctx.community_id, mentor.id) is None:
        return [msg.message(msg.text(UserText(mentor.display_name), " is not signed up as a mentor."))]
    profiles = {
        p.member_id: p
        for p in (
            await ctx.session.execute(
                select(Profile).where(
                    col(Profile.community_id) == ctx.community_id,
                    col(Profile.member_id).in_([m.id for m in mentees]),
                )
            )
        ).scalars()
    }
    for mentee in mentees:
        profile = profiles.get(mentee.id or 0)
        if profile is None or profile.status == ProfileStatus.LEFT.value:
            # Nobody is put in a private space without having joined the program.
            return [msg.message(msg.text(UserText(mentee.display_name), " hasn't signed up for the program."))]
    paired = (
        await ctx.session.execute(
            select(col(Pairing.mentee_member_id)).where(
                col(Pairing.community_id) == ctx.community_id,
                col(Pairing.mentor_member_id) == mentor.id,
                col(Pairing.mentee_member_id).in_([m.id for m in mentees]),
                col(Pairing.status) == PairingStatus.ACTIVE.value,
            )
        )
    ).scalars()
    already = [m for m in mentees if m.id in set(paired)]
    if already:
        return [
            msg.message(
                msg.text(
                    UserText(already[0].display_name), " is already mentored by ", UserText(mentor.display_name), "."
                )
            )
        ]
    circle = (
        await ctx.session.execute(
            select(Circle).where(
                col(Circle.community_id) == ctx.community_id,
                col(Circle.mentor_member_id) == mentor.id,
                col(Circle.status) == CircleStatus.OPEN.value,
            )
        )
    ).scalar_one_or_none() or Circle(
        community_id=ctx.community_id,
        mentor_member_id=mentor.id,
        created_at=ctx.now,
        created_by_member_id=ctx.member_id,
        capacity=max(DEFAULT_SIZE, len(mentees)),
    )
    circle.topic = _topic(parsed.one("topic")) or circle.topic or "Mentoring circle"
    circle.cadence = _cadence(parsed.one("cadence"), circle.cadence or "monthly")
    circle.capacity = max(circle.capacity, len(mentees))
    if not ctx.in_dm:
        circle.home_channel_id = ctx.channel_id
    ctx.session.add(circle)
    await ctx.session.flush()
    round_ = MatchRound(
        community_id=ctx.community_id,
        status=RoundStatus.APPROVED.value,
        mode="circle",
        created_at=ctx.now,
        created_by_member_id=ctx.member_id,
        approved_at=ctx.now,
        approved_by_member_id=ctx.member_id,
        summary={"circle": circle.id},
    )
    ctx.session.add(round_)
    await ctx.session.flush()
    mentor_profile = await _mentor_profile(ctx.session, ctx.community_id, mentor.id)
    assert mentor_profile is not None and round_.id is not None
    for mentee in mentees:
        assert mentee.id is not None
        seat(ctx.session, circle, round_.id, profiles[mentee.id], mentor_profile, ctx.now)
    await start_circle(ctx.session, ctx.outbox, circle, ctx.now, ctx.program)
    return [
        msg.message(
            msg.text(
                f"Circle #{circle.id} started: ",
                UserText(mentor.display_name),
                f" with {msg.plural(len(mentees), 'mentee')} on ",
                UserText(circle.topic),
                ". I'm opening their private space and introducing them there.",
            )
        )
    ]


def shared_topics(mentee: Profile, mentor: Profile) -> list[dict[str, Any]]:
    shared = [t for t in mentee.topics_wanted if t in mentor.topics_offered]
    return [{"text": f"both on {', '.join(shared)}", "points": 1}] if shared else []


def seat(
    session: AsyncSession,
    circle: Circle,
    round_id: int,
    mentee: Profile,
    mentor: Profile,
    now: datetime,
    reasons: list[dict[str, Any]] | None = None,
) -> Pairing:
    """One mentee's seat: an ordinary pairing with the mentor, marked as part of the circle.
    Pair-only reminders (kick-off, mid-point) are off: the circle has its own check-ins."""
    length = mentee.program_length if mentee.program_length in MONTHS else "3-6"
    assert circle.id is not None
    pairing = Pairing(
        community_id=circle.community_id,
        round_id=round_id,
        mentee_member_id=mentee.member_id,
        mentor_member_id=mentor.member_id,
        reasons=reasons if reasons is not None else shared_topics(mentee, mentor),
        cadence=circle.cadence,
        communication="video",
        program_length=length,
        ends_on=now + timedelta(days=30 * MONTHS[length]),
        started_at=now,
        circle_id=circle.id,
    )
    session.add(pairing)
    for profile in (mentee, mentor):
        profile.status = ProfileStatus.ACTIVE.value
        profile.updated_at = now
        session.add(profile)
    mentee.waiting_since = None
    mentee.times_unmatched = 0
    return pairing


async def start_circle(
    session: AsyncSession, outbox: OutboxWriter, circle: Circle, now: datetime, program: Any
) -> None:
    """Activate the circle and introduce everyone once, in its space. New members placed in
    a running circle get an introduction of their own there (a new dedupe key per member set)."""
    await session.flush()
    first = circle.status != CircleStatus.ACTIVE.value
    circle.status = CircleStatus.ACTIVE.value
    circle.started_at = circle.started_at or now
    if circle.next_checkin_at is None:
        circle.next_checkin_at = now + timedelta(days=CADENCE_DAYS.get(circle.cadence, 30))
    session.add(circle)
    seats = await seats_of(session, circle)
    profiles = {
        p.member_id: p
        for p in (
            await session.execute(
                select(Profile).where(col(Profile.member_id).in_([s.mentee_member_id for s in seats]))
            )
        ).scalars()
    }
    members = await members_by_id(session, {circle.mentor_member_id, *(s.mentee_member_id for s in seats)})
    mentor = members[circle.mentor_member_id]
    policy = round_policy(program)
    parts: list[msg.Part] = [
        msg.text(
            msg.Strong(f"Mentoring circle #{circle.id}: "),
            UserText(circle.topic),
            " — welcome to your circle's private space in the ",
            UserText(policy.program_name),
            "! ",
            Mention(mentor.platform_user_id, mentor.display_name),
            f" mentors this circle of {msg.plural(len(seats), 'member')}, meeting "
            f"{CADENCE_WORDS.get(circle.cadence, circle.cadence)}."
            if first
            else " welcomes new members.",
        )
    ]
    for pairing in seats:
        mentee = members[pairing.mentee_member_id]
        profile = profiles.get(pairing.mentee_member_id)
        why = [r["text"] for r in pairing.reasons if r.get("points", 0) > 0][:3]
        spans: list[msg.Span] = ["• ", Mention(mentee.platform_user_id, mentee.display_name)]
        if why:
            spans += [" — ", UserText("; ".join(why))]
        if profile is not None and profile.goals:
            spans += [" — hopes to: ", UserText(profile.goals[:200])]
        parts.append(msg.Text(tuple(spans)))
    parts.append(
        msg.text(
            msg.Strong("First steps: "),
            "agree here on a time for your first meeting, and put shared goals on the circle's board with "
            '/mentor circle goal "…". I\'ll check in with your mentor now and then, and with all of you here.',
        )
    )
    key = "-".join(str(s.id) for s in seats)
    await outbox.post(
        await space_of(session, circle), Message(tuple(parts)), dedupe_key=f"circle:{circle.id}:intro:{key}"
    )
