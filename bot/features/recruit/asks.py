"""Targeted, respectful asks: one DM each to the members most likely to say yes.

From a shortage alert, one moderator click asks, about its topic: members who voted
"I'd mentor" or "Both" in a poll that was not anonymous and never finished sign-up;
mentors with free places who mention the topic in what they can help with (to add
it); and mentees who completed a mentorship in it (alumni). `/mentor recruit lapsed`
invites back members who took part in an earlier round and did not sign up again.

The limits hold for every ask: one member is asked about one topic at most once in
`ask_every_days`; "never ask me" ends all asks; people who left, paused or used
forget-me, and people whose DMs are closed, are never picked. Anonymous polls'
votes are never read here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.ports import Destination
from bot.core.program import Program
from bot.core.router import ComponentId
from bot.features.intake.answers import answers_from_profile
from bot.features.intake.conversation import start_or_resume
from bot.features.recruit.shortage import campaign_of
from storage.tables import (
    Member,
    Pairing,
    PairingStatus,
    Poll,
    PollVote,
    Profile,
    ProfileStatus,
    RecruitAlert,
    RecruitAsk,
)

ANSWERS = {"yes": "yes", "notnow": "not_now", "never": "never"}


async def blocked_members(session: AsyncSession, community_id: int, topic: str, now: datetime, days: int) -> set[int]:
    """Who may not be asked about `topic` now: "never", or asked about it within `days`."""
    rows = await session.execute(
        select(col(RecruitAsk.member_id)).where(
            col(RecruitAsk.community_id) == community_id,
            or_(
                col(RecruitAsk.answer) == "never",
                (col(RecruitAsk.topic) == topic) & (col(RecruitAsk.asked_at) > now - timedelta(days=days)),
            ),
        )
    )
    return set(rows.scalars().all())


def reachable(member: Member) -> bool:
    return not member.platform_user_id.startswith("forgotten:") and member.dm_status == "ok"


def _mentions(program: Program, topic: str, text: str) -> bool:
    found = program.find_topic(topic)
    words = [topic, *(found.aliases if found else ())]
    folded = f" {' '.join(text.casefold().split())} "
    return any(f" {w.casefold()} " in folded or f" {w.casefold()}," in folded for w in words)


async def candidates(ctx: Ctx, topic: str) -> list[tuple[Member, str]]:
    """(member, reason) for everyone who may be asked about `topic`, most likely first."""
    session, cid = ctx.session, ctx.community_id
    blocked = await blocked_members(session, cid, topic, ctx.now, ctx.program.recruiting.ask_every_days)
    picked: dict[int, tuple[Member, str]] = {}
    profiled = select(col(Profile.member_id)).where(col(Profile.community_id) == cid)
    votes = await session.execute(
        select(Member, Poll, PollVote)
        .join(PollVote, col(PollVote.member_id) == Member.id)
        .join(Poll, col(Poll.id) == PollVote.poll_id)
        .where(
            col(Poll.community_id) == cid,
            col(Poll.anonymous) == False,  # noqa: E712 — an anonymous poll's votes never pick anyone
            col(Member.id).not_in(profiled),
        )
        .order_by(col(PollVote.voted_at).desc())
    )
    for member, poll, vote in votes:
        options = poll.options or []
        role = options[vote.option_index].get("role") if 0 <= vote.option_index < len(options) else None
        if role in ("mentor", "both"):
            picked.setdefault(member.id, (member, "poll"))  # type: ignore[arg-type]
    load = (
        select(col(Pairing.mentor_member_id))
        .where(col(Pairing.community_id) == cid, col(Pairing.status) == PairingStatus.ACTIVE.value)
        .subquery()
    )
    mentors = await session.execute(
        select(Member, Profile)
        .join(Profile, col(Profile.member_id) == Member.id)
        .where(
            col(Profile.community_id) == cid,
            col(Profile.role).in_(["mentor", "both"]),
            col(Profile.status).in_([ProfileStatus.WAITING.value, ProfileStatus.ACTIVE.value]),
        )
        .order_by(col(Member.id))
    )
    active = [m for m in (await session.execute(select(load.c.mentor_member_id))).scalars()]
    for member, profile in mentors:
        free = profile.capacity - active.count(member.id)
        text = f"{profile.can_help_with} {profile.topics_other}"
        if free > 0 and topic not in profile.topics_offered and _mentions(ctx.program, topic, text):
            picked.setdefault(member.id, (member, "related"))  # type: ignore[arg-type]
    alumni = await session.execute(
        select(Member, Profile)
        .join(Profile, col(Profile.member_id) == Member.id)
        .join(Pairing, col(Pairing.mentee_member_id) == Member.id)
        .where(
            col(Profile.community_id) == cid,
            col(Profile.role) == "mentee",
            col(Profile.status) == ProfileStatus.WAITING.value,
            col(Pairing.status) == PairingStatus.COMPLETED.value,
        )
        .order_by(col(Pairing.ended_at).desc())
    )
    for member, profile in alumni:
        if topic in profile.topics_wanted:
            picked.setdefault(member.id, (member, "alumni"))  # type: ignore[arg-type]
    return [(m, r) for m, r in picked.values() if m.id not in blocked and reachable(m)]


def ask_message(program: Program, ask: RecruitAsk, waiting: int) -> Message:
    topic = ask.topic
    why = {
        "poll": "You said in a poll that you'd like to mentor.",
        "related": "You mentor here already, and what you can help with sounds close to it.",
        "alumni": "You've been through the program as a mentee — you know what a good mentor makes possible.",
    }[ask.reason]
    action = "Add it to my topics" if ask.reason == "related" else "Yes, sign me up"
    aid = str(ask.id)
    return Message(
        (
            msg.text(msg.Strong("Could you mentor "), UserText(topic), msg.Strong("?")),
            msg.text(
                f"{waiting} {'member is' if waiting == 1 else 'members are'} waiting for a ",
                UserText(topic),
                f" mentor in {program.name}. {why} It takes about two hours a month, for a few months.",
            ),
            msg.text("I'll ask about this at most once in a while, and never again if you say so."),
            Button(action, str(ComponentId("rask", aid, "yes")), ButtonStyle.PRIMARY),
            Button("Not now", str(ComponentId("rask", aid, "notnow"))),
            Button("Never ask me", str(ComponentId("rask", aid, "never"))),
        )
    )


async def ask_for_alert(ctx: Ctx, alert: RecruitAlert) -> list[Message]:
    """The moderator's one click: one DM each, within the limits, and the alert counts them."""
    ctx.require_moderator("ask members to mentor")
    people = (await candidates(ctx, alert.topic))[: ctx.program.recruiting.max_asks]
    reasons: dict[str, int] = {}
    for member, reason in people:
        ask = RecruitAsk(
            community_id=ctx.community_id,
            member_id=member.id,  # type: ignore[arg-type]
            topic=alert.topic,
            reason=reason,
            asked_at=ctx.now,
            alert_id=alert.id,
        )
        ctx.session.add(ask)
        await ctx.session.flush()
        await ctx.outbox.post(
            Destination.dm(member.platform_user_id),
            ask_message(ctx.program, ask, alert.waiting),
            dedupe_key=f"recruit-ask:{ask.id}",
        )
        reasons[reason] = reasons.get(reason, 0) + 1
    alert.asked += len(people)
    ctx.session.add(alert)
    if not people:
        return [
            msg.message(
                msg.text(
                    "Nobody to ask about ",
                    UserText(alert.topic),
                    " right now: everyone likely was asked lately, said no for good, or is paused or gone.",
                )
            )
        ]
    words = {"poll": "from polls", "related": "mentors with room", "alumni": "alumni"}
    detail = ", ".join(f"{n} {words[r]}" for r, n in sorted(reasons.items()))
    return [
        msg.message(
            msg.text(f"Asked {msg.plural(len(people), 'member')} by DM ({detail}) about ", UserText(alert.topic), ".")
        )
    ]


async def on_ask_answer(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """A member's answer to an ask: kept, and "yes" acts at once."""
    ask = await ctx.session.get(RecruitAsk, int(cid.key)) if cid.key.isdigit() else None
    if ask is None or ask.community_id != ctx.community_id or ask.member_id != ctx.member_id:
        raise InvalidInput("That question was for someone else, or it is no longer open.")
    answer = ANSWERS.get(cid.verb)
    if answer is None:
        raise InvalidInput("That button is from an older version.")
    ask.answer = answer
    ask.answered_at = ctx.now
    ctx.session.add(ask)
    if answer == "never":
        return [msg.message("Understood — I won't ask you to mentor again. Thank you for letting me know.")]
    if answer == "not_now":
        return [msg.message("No problem. I won't ask about this again for a good while.")]
    return await _say_yes(ctx, ask)


async def _say_yes(ctx: Ctx, ask: RecruitAsk) -> list[Message]:
    alert = await ctx.session.get(RecruitAlert, ask.alert_id) if ask.alert_id else None
    source = f"campaign:{campaign_of(alert)}" if alert is not None else f"campaign:{ask.reason}"
    profile = (
        await ctx.session.execute(select(Profile).where(col(Profile.member_id) == ctx.member_id))
    ).scalar_one_or_none()
    if ask.reason == "lapsed" and profile is not None and profile.status == ProfileStatus.WAITING.value:
        profile.next_round = "yes"
        profile.waiting_since = profile.waiting_since or ctx.now
        ctx.session.add(profile)
        return [msg.message("Welcome back — you're in the pool for the next matching round.")]
    if profile is not None and profile.role in ("mentor", "both") and profile.status != ProfileStatus.LEFT.value:
        if ask.topic and ask.topic not in profile.topics_offered:
            profile.topics_offered = [*profile.topics_offered, ask.topic]
            profile.updated_at = ctx.now
            ctx.session.add(profile)
        return [msg.message(msg.text("Thank you! ", UserText(ask.topic), " is now one of the topics you mentor."))]
    preset: dict[str, object] = {}
    if profile is not None and profile.status == ProfileStatus.WAITING.value:
        preset = carried_over(ctx.program, profile, ask.topic)
        return await start_or_resume(ctx, source=source, role="mentor", preset=preset, become=True)
    if profile is not None:
        return [msg.message("You're paused or have left the program; /mentor resume or /mentor join brings you back.")]
    if ask.topic:
        preset["offer"] = [ask.topic]
    return await start_or_resume(ctx, source=source, role="mentor", preset=preset)


def alumni_topics(program: Program, profile: Profile) -> list[str]:
    """What a finished mentee has since learned: the topics they wanted and those their goal names."""
    named = [t.name for t in program.topics if _mentions(program, t.name, profile.goals)]
    return [t for t in dict.fromkeys([*profile.topics_wanted, *named]) if program.find_topic(t)]


def carried_over(program: Program, profile: Profile, topic: str = "") -> dict[str, object]:
    """A mentee's answers as the start of their mentor sign-up: everything but the mentee side."""
    answers = answers_from_profile(profile)
    for key in ("role", "consent", "want", "goals"):
        answers.pop(key, None)
    answers["offer"] = [t for t in dict.fromkeys([*([topic] if topic else []), *alumni_topics(program, profile)])]
    return answers
