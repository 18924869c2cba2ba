"""Profiles: see, pause, resume, leave (forget-me is in `forget`).

- `/mentor profile` shows your own answers; `/mentor profile @member` is for
  moderators (members cannot see each other's answers — introductions share
  what is needed).
- `/mentor pause <weeks>` stops matching and nudges until a date; the sweep
  resumes the member by itself when it passes (`paused_until` is the due time).
- `/mentor leave` withdraws: pairings are ended through
  `bot.features.pairs.pairs.end_pairings_for_member` (the partner is told) and the moderators
  are told.
- `/mentor forget-me` deletes the member's personal data, after a confirmation
  click (see `forget`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Message, Part, UserText
from bot.core.parsing import format_when
from bot.core.ports import Destination
from bot.delivery.outbox import Outbox, moderator_destinations
from bot.features.intake import extras
from bot.features.intake.answers import answers_from_profile
from bot.features.intake.conversation import get_intake, get_profile
from bot.features.intake.questions import answer_rows
from bot.features.pairs.pairs import active_pairings_of, end_pairings_for_member
from bot.features.spaces.spaces import sync_member
from storage.tables import CheckInPlan, IntakeStatus, Member, Profile, ProfileStatus

MAX_PAUSE_WEEKS = 26
STATUS_WORDS = {
    ProfileStatus.WAITING.value: "waiting for a match",
    ProfileStatus.ACTIVE.value: "in a mentoring pair",
    ProfileStatus.PAUSED.value: "paused",
    ProfileStatus.LEFT.value: "left the program",
}


def _source_words(source: str) -> tuple[msg.Span, ...]:
    kind, _, name = source.partition(":")
    if kind == "poll":
        return (f"after interest poll #{name}",)
    if kind == "campaign":  # a moderator typed the name: it stays marked as typed text
        return ("from the announcement “", UserText(name), "”")
    return ({"greeting": "from the welcome message", "direct": "with /mentor join"}.get(kind, "") or "",)


# --- seeing profiles ---------------------------------------------------------------


async def render_profile(ctx: Ctx, member: Member, profile: Profile, *, own: bool) -> Message:
    answers = answers_from_profile(profile)
    await extras.load_answers(ctx.session, ctx.program, member.id or 0, answers)  # availability, spaces
    rows = await answer_rows(ctx.session, ctx.program, ctx.community_id, answers)
    status = STATUS_WORDS.get(profile.status, profile.status)
    if profile.status == ProfileStatus.PAUSED.value and profile.paused_until:
        status += f" until {format_when(profile.paused_until, ctx.tz)}"
    title: list[msg.Span] = (
        [msg.Strong("Your profile")] if own else [msg.Strong("Profile of "), UserText(member.display_name)]
    )
    parts: list[Part] = [
        msg.text(*title),
        msg.text(
            f"Status: {status}. Signed up {format_when(profile.signed_up_at, ctx.tz)} ",
            *_source_words(profile.source),
            ".",
        ),
        msg.Fields(rows),
    ]
    if own:
        parts.append(
            msg.text(
                "/mentor edit changes an answer · /mentor pause <weeks> takes a break · "
                "/mentor leave withdraws · /mentor forget-me deletes your data"
            )
        )
    return Message(tuple(parts))


async def find_member(session: AsyncSession, community_id: int, raw: str) -> Member | None:
    """A member named in a command: @name, a display name, or a platform mention <@U123>."""
    mention = re.fullmatch(r"<@!?(\w+)(?:\|[^>]*)?>", raw.strip())
    query = select(Member).where(col(Member.community_id) == community_id)
    if mention:
        query = query.where(col(Member.platform_user_id) == mention.group(1))
    else:
        name = raw.strip().lstrip("@")
        query = query.where(
            or_(func.lower(col(Member.display_name)) == name.casefold(), col(Member.platform_user_id) == name)
        )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def profile_command(ctx: Ctx, args: list[str]) -> list[Message]:
    if args:
        member = await find_member(ctx.session, ctx.community_id, " ".join(args))
        if member is None or member.id != ctx.member_id:
            ctx.require_moderator("see another member's profile")
            if member is None:
                return [msg.message(msg.text("I don't know a member called ", UserText(" ".join(args)[:60]), " here."))]
            assert member.id is not None
            profile = await get_profile(ctx.session, ctx.community_id, member.id)
            if profile is None:
                return [msg.message(msg.text(UserText(member.display_name), " hasn't signed up for the program."))]
            return [await render_profile(ctx, member, profile, own=False)]
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is None:
        intake = await get_intake(ctx.session, ctx.community_id, ctx.member_id)
        if intake is not None and intake.status == IntakeStatus.IN_PROGRESS.value:
            return [
                msg.message(
                    "You're partway through signing up; your profile appears once you confirm. /mentor join continues."
                )
            ]
        return [
            msg.message("You haven't signed up yet. /mentor join starts the sign-up — it takes about five minutes.")
        ]
    return [await render_profile(ctx, ctx.member, profile, own=True)]


# --- pause, resume, leave ------------------------------------------------------------


async def _own_profile(ctx: Ctx, action: str) -> Profile:
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is None:
        raise InvalidInput(f"You haven't signed up, so there is nothing to {action}. /mentor join signs you up.")
    if profile.status == ProfileStatus.LEFT.value:
        raise InvalidInput(f"You've left the program, so there is nothing to {action}. /mentor join brings you back.")
    return profile


async def pause_command(ctx: Ctx, args: list[str]) -> list[Message]:
    raw = " ".join(args).strip().casefold()
    match = re.fullmatch(r"(\d{1,3})\s*(?:w|wk|wks|week|weeks)?", raw)
    if not match or not 1 <= int(match.group(1)) <= MAX_PAUSE_WEEKS:
        raise InvalidInput(f"Say for how many weeks, from 1 to {MAX_PAUSE_WEEKS}: e.g. /mentor pause 4.")
    profile = await _own_profile(ctx, "pause")
    weeks = int(match.group(1))
    was_paused_until = profile.paused_until if profile.status == ProfileStatus.PAUSED.value else None
    profile.status = ProfileStatus.PAUSED.value
    profile.paused_until = ctx.now + timedelta(weeks=weeks)
    profile.updated_at = ctx.now
    ctx.session.add(profile)
    told = await _pause_pairings(ctx, profile.paused_until, was_paused_until)
    return [
        msg.message(
            f"Paused until {format_when(profile.paused_until, ctx.tz)}: no matching and no nudges until then. "
            + ("Your partner knows when you'll be back. " if told else "")
            + "/mentor resume brings you back earlier."
        )
    ]


async def _pause_pairings(ctx: Ctx, until: datetime, was_paused_until: datetime | None) -> int:
    """Every nudge of the member's pairs waits for their return, the partner is told once,
    and the pair's clocks move by the pause so a break never makes a pair "at risk"."""
    shift = until - max(ctx.now, was_paused_until or ctx.now)  # a longer pause shifts by the extra time only
    pairings = await active_pairings_of(ctx.session, ctx.community_id, ctx.member_id)
    for pairing in pairings:
        if shift > timedelta(0):
            if pairing.kickoff_at is None and pairing.kickoff_due_at is not None:
                pairing.kickoff_due_at += shift
            if pairing.midpoint_at is not None and pairing.midpoint_at < until:
                pairing.midpoint_at = until  # mid-point resources wait for them
            ctx.session.add(pairing)
        plans = (
            await ctx.session.execute(select(CheckInPlan).where(col(CheckInPlan.pairing_id) == pairing.id))
        ).scalars()
        for plan in plans:
            if plan.member_id == ctx.member_id:
                # An unanswered check-in from before the break is not "ignored".
                plan.next_checkin_at = max(plan.next_checkin_at, until)
                plan.awaiting_answer, plan.ignored_in_a_row = False, 0
                ctx.session.add(plan)
        partner_id = pairing.mentor_member_id if pairing.mentee_member_id == ctx.member_id else pairing.mentee_member_id
        partner = await ctx.session.get(Member, partner_id)
        if partner is None or was_paused_until is not None:
            continue  # told once: extending a pause does not message the partner again
        await ctx.outbox.post(
            Destination.dm(partner.platform_user_id),
            msg.message(
                msg.text(
                    UserText(ctx.member.display_name),
                    f" is taking a break until {format_when(until, ctx.tz).split(',')[0]}. "
                    "No check-ins or reminders about "
                    "your mentorship until then; it goes on as agreed when they're back.",
                )
            ),
            dedupe_key=f"pair:{pairing.id}:paused:{ctx.member_id}:{int(until.timestamp())}",
        )
    return len(pairings)


async def _unpause(session: AsyncSession, profile: Profile, now: datetime) -> None:
    # Back to "active" when a pairing went on during the pause, else back in the waiting pool.
    paired = await active_pairings_of(session, profile.community_id, profile.member_id)
    profile.status = ProfileStatus.ACTIVE.value if paired else ProfileStatus.WAITING.value
    profile.paused_until = None
    profile.updated_at = now


async def resume_command(ctx: Ctx, args: list[str]) -> list[Message]:
    profile = await _own_profile(ctx, "resume")
    if profile.status != ProfileStatus.PAUSED.value:
        return [msg.message("You're not paused — you're already in the program. /mentor pause <weeks> takes a break.")]
    await _unpause(ctx.session, profile, ctx.now)
    ctx.session.add(profile)
    return [msg.message("Welcome back! You're in matching again.")]


async def resume_due_pauses(session: AsyncSession, now: datetime, limit: int = 100) -> int:
    """Sweep: a pause ends by itself when `paused_until` passes."""
    profiles = (
        (
            await session.execute(
                select(Profile)
                .where(col(Profile.status) == ProfileStatus.PAUSED.value, col(Profile.paused_until) <= now)
                .order_by(col(Profile.paused_until))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for profile in profiles:
        until = profile.paused_until
        await _unpause(session, profile, now)
        member = await session.get(Member, profile.member_id)
        assert member is not None
        await Outbox(session, profile.community_id, now).post(
            Destination.dm(member.platform_user_id),
            msg.message("Your pause is over — you're back in matching. /mentor pause <weeks> takes another break."),
            dedupe_key=f"unpause:{profile.id}:{int(until.timestamp()) if until else 0}",
        )
    return len(profiles)


async def next_pause_end(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(Profile.paused_until))).where(col(Profile.status) == ProfileStatus.PAUSED.value)
        )
    ).scalar_one_or_none()


async def leave_command(ctx: Ctx, args: list[str]) -> list[Message]:
    profile = await _own_profile(ctx, "leave")
    ended = await end_pairings_for_member(ctx.session, ctx.member, ctx.now, "left")
    was = profile.role
    profile.status = ProfileStatus.LEFT.value
    profile.left_at = ctx.now
    profile.paused_until = None
    profile.updated_at = ctx.now
    ctx.session.add(profile)
    await sync_member(ctx.session, ctx.outbox, ctx.program, ctx.member, ctx.now, gone=True)  # out of the spaces
    intake = await get_intake(ctx.session, ctx.community_id, ctx.member_id)
    if intake is not None and intake.status == IntakeStatus.IN_PROGRESS.value:
        intake.status, intake.answers, intake.remind_at = IntakeStatus.CANCELLED.value, {}, None
    if not ended:  # with pairings, the hook has already told the moderators (and the partners)
        notice = Message(
            (
                msg.text(msg.Strong("A member left the program: "), UserText(ctx.member.display_name), f" ({was})."),
                msg.text("They had no active pairing."),
            )
        )
        for destination in await moderator_destinations(ctx.session, ctx.community):
            await ctx.outbox.post(
                destination, notice, dedupe_key=f"left:{ctx.member_id}:{int(ctx.now.timestamp())}:{destination.target}"
            )
    return [
        msg.message(
            "You've left the program — thank you for taking part. Your answers are kept in case you come back "
            "(/mentor join); /mentor forget-me deletes them."
        )
    ]
