"""Starting a circle: a moderator by hand, or a matching round seating mentees with a mentor
who offers one; then its one introduction, in its private space."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx, OutboxWriter
from bot.core.errors import InvalidInput
from bot.core.messages import Mention, Message, UserText
from bot.core.parsing import ParseError, parse_args
from bot.features.circles.circles import (
    CADENCE_DAYS,
    CADENCE_WORDS,
    CREATE_SPEC,
    CREATE_USAGE,
    DEFAULT_SIZE,
    LIVE,
    MAX_SIZE,
    MONTHS,
    members_by_id,
    mentor_profile,
    parse_cadence,
    parse_topic,
    seats_of,
    space_of,
)
from bot.features.profile.profile import find_member
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
    if await mentor_profile(ctx.session, ctx.community_id, mentor.id) is None:
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
        if profile.role not in ("mentee", "both"):
            return [msg.message(msg.text(UserText(mentee.display_name), " signed up to mentor, not to be mentored."))]
    # A mentee has one mentor at a time, in a pair or a circle (as matching keeps it).
    mentored_by = dict(
        (
            await ctx.session.execute(
                select(col(Pairing.mentee_member_id), Pairing).where(
                    col(Pairing.community_id) == ctx.community_id,
                    col(Pairing.mentee_member_id).in_([m.id for m in mentees]),
                    col(Pairing.status) == PairingStatus.ACTIVE.value,
                )
            )
        ).all()
    )
    for mentee in mentees:
        if mentee.id not in mentored_by:
            continue
        pairing = mentored_by[mentee.id]
        if pairing.mentor_member_id == mentor.id:
            return [
                msg.message(
                    msg.text(
                        UserText(mentee.display_name), " is already mentored by ", UserText(mentor.display_name), "."
                    )
                )
            ]
        return [
            msg.message(
                msg.text(
                    UserText(mentee.display_name),
                    " already has a mentor, and a member has one at a time. Leave them out, or end that "
                    f"mentorship first with /mentor pair {pairing.id} end.",
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
    circle.topic = parse_topic(parsed.one("topic")) or circle.topic or "Mentoring circle"
    circle.cadence = parse_cadence(parsed.one("cadence"), circle.cadence or "monthly")
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
    lead = await mentor_profile(ctx.session, ctx.community_id, mentor.id)
    assert lead is not None and round_.id is not None
    for mentee in mentees:
        assert mentee.id is not None
        seat(ctx.session, circle, round_.id, profiles[mentee.id], lead, ctx.now)
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


async def circles_with_seats(session: AsyncSession, community_id: int) -> dict[int, Circle]:
    """Mentor id → their live circle (offered or running), for a matching round to fill."""
    rows = await session.execute(
        select(Circle)
        .where(col(Circle.community_id) == community_id, col(Circle.status).in_(LIVE))
        .order_by(col(Circle.id))
    )
    return {c.mentor_member_id: c for c in rows.scalars()}


async def has_seat(session: AsyncSession, circle: Circle) -> bool:
    return len(await seats_of(session, circle)) < circle.capacity


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
    program_name = str(getattr(program, "name", "") or "mentorship program")
    parts: list[msg.Part] = [
        msg.text(
            msg.Strong(f"Mentoring circle #{circle.id}: "),
            UserText(circle.topic),
            " — welcome to your circle's private space in the ",
            UserText(program_name),
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
            "find a time for your first meeting with /mentor circle schedule, and put shared goals on the "
            "circle's board with /mentor circle goal \"…\". I'll check in with your mentor now and then, and with "
            "all of you here.",
        )
    )
    key = "-".join(str(s.id) for s in seats)
    await outbox.post(
        await space_of(session, circle), Message(tuple(parts)), dedupe_key=f"circle:{circle.id}:intro:{key}"
    )
