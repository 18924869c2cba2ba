"""Pairings after the introduction: finding "my" pairing, ending one politely,
at-risk detection and the moderator's `/mentor pair <id> end|rematch|note`.

At-risk signals (program guide: relationships need nurturing; ghosting is the
most common complaint): no kick-off after the reminders, two "Not yet" in a row,
a "Need help", check-ins ignored by both, a low rating. A pair is reported once
to the moderators, with the signals and what they can do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import ParseError, format_when
from bot.core.ports import Destination
from bot.core.questions import ask as ask_question
from bot.core.questions import close as close_questions
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox, moderator_destinations
from bot.features.pairs.answers import NEXT_ROUND, PAIRING_QUESTIONS
from storage.meeting_log import logged_for
from storage.tables import (
    CheckIn,
    CheckInPlan,
    Community,
    Feedback,
    Goal,
    Member,
    Pairing,
    PairingStatus,
    PairNote,
    Profile,
    ProfileStatus,
)
from storage.tables.meetings import Pulse, hours


async def members_of(session: AsyncSession, pairing: Pairing) -> tuple[Member, Member]:
    """(mentee, mentor) of a pairing."""
    mentee = await session.get(Member, pairing.mentee_member_id)
    mentor = await session.get(Member, pairing.mentor_member_id)
    assert mentee is not None and mentor is not None
    return mentee, mentor


def group_of(mentee: Member, mentor: Member) -> Destination:
    return Destination.group_dm([mentee.platform_user_id, mentor.platform_user_id])


async def active_pairings_of(session: AsyncSession, community_id: int, member_id: int) -> list[Pairing]:
    return list(
        (
            await session.execute(
                select(Pairing)
                .where(
                    col(Pairing.community_id) == community_id,
                    col(Pairing.status) == PairingStatus.ACTIVE.value,
                    or_(col(Pairing.mentee_member_id) == member_id, col(Pairing.mentor_member_id) == member_id),
                )
                .order_by(col(Pairing.id))
            )
        ).scalars()
    )


async def my_pairing(ctx: Ctx, pair_arg: str | None, what: str) -> Pairing:
    """The caller's active pairing; `--pair <id>` chooses when they have several."""
    pairings = await active_pairings_of(ctx.session, ctx.community_id, ctx.member_id)
    if pair_arg is not None:
        if not pair_arg.lstrip("#").isdigit():
            raise ParseError("--pair takes the number of your pairing, e.g. --pair 4.")
        chosen = [p for p in pairings if p.id == int(pair_arg.lstrip("#"))]
        if not chosen:
            raise NotFound(f"You have no active pairing #{pair_arg.lstrip('#')}.")
        return chosen[0]
    if not pairings:
        raise InvalidInput(await _why_no_pairing(ctx, what))
    if len(pairings) > 1:
        listing = ", ".join(f"#{p.id}" for p in pairings)
        raise InvalidInput(f"You are in several pairings ({listing}); add --pair <number> to say which.")
    return pairings[0]


async def _why_no_pairing(ctx: Ctx, what: str) -> str:
    """Someone signed up is told where they stand, not asked to sign up again."""
    profile = (
        await ctx.session.execute(select(Profile).where(col(Profile.member_id) == ctx.member_id))
    ).scalar_one_or_none()
    status = profile.status if profile is not None else None
    if status == ProfileStatus.WAITING.value and profile is not None and profile.next_round not in ("asked", "no"):
        return f"You're on the waiting list for the next matching round; once you're paired you can {what} here."
    if status == ProfileStatus.WAITING.value:
        return (
            f"Your mentorship has ended, so there is nothing to {what}. "
            "Say yes to the next-round question to be matched again."
        )
    if status == ProfileStatus.PAUSED.value:
        return (
            f"You're paused and not in a mentorship right now, so there is nothing to {what}. "
            "/mentor resume ends the break."
        )
    return f"You need an active mentorship to {what}. /mentor join signs you up for the next round."


# --- ending a pairing early ------------------------------------------------------


async def end_pairing(
    session: AsyncSession,
    pairing: Pairing,
    now: datetime,
    *,
    reason: str,
    ended_by: Member | None,
    rematch_priority: bool = True,
) -> None:
    """End early: the pair is told, the mentee goes back to the waiting list with priority."""
    if pairing.status != PairingStatus.ACTIVE.value:
        return
    pairing.status = PairingStatus.ENDED.value
    pairing.ended_at = now
    pairing.end_reason = reason[:200]
    session.add(pairing)
    await deactivate_checkin_plans(session, pairing)
    mentee, mentor = await members_of(session, pairing)
    outbox = Outbox(session, pairing.community_id, now)
    by_partner = ended_by is not None and ended_by.id in (mentee.id, mentor.id)
    asked: set[int] = set()
    for person, partner in ((mentee, mentor), (mentor, mentee)):
        if ended_by is not None and person.id == ended_by.id:
            continue
        if person.dm_status != "ok" and person.id != mentee.id:
            continue
        text = _ended_words(reason, partner, by_partner)
        parts: tuple[msg.Part, ...] = ()
        if pairing.circle_id is not None and person.id == mentor.id:
            # A circle's mentor loses one member, not their mentorship: no next-round question.
            text = _left_circle_words(reason, partner, by_partner, pairing.circle_id)
        elif person.id == mentee.id and rematch_priority:
            text.append(" You are back on the waiting list with priority for the next matching round.")
        else:
            parts = next_round_question(pairing, "mentee" if person.id == mentee.id else "mentor")
            assert person.id is not None
            asked.add(person.id)
        await outbox.post(
            Destination.dm(person.platform_user_id),
            Message((msg.Text(tuple(text)), *parts)),
            dedupe_key=f"pair:{pairing.id}:ended:{person.id}",
        )
    await after_pairing_ends(session, pairing, now, rematch_priority=rematch_priority, ask=frozenset(asked))


def _ended_words(reason: str, partner: Member, partner_acted: bool) -> list[msg.Span]:
    """What the partner left behind reads: who acted, and never themselves as their own partner."""
    thanks = " Thank you for the time you gave it."
    if reason == "forgotten":  # their name is being deleted: nothing that identifies them
        return ["Your partner left the program, so your mentorship has ended." + thanks]
    if not partner_acted:
        return ["A moderator ended your mentorship with ", UserText(partner.display_name), "." + thanks]
    if reason == "left":
        return [UserText(partner.display_name), " left the program, so your mentorship has ended." + thanks]
    return [UserText(partner.display_name), " ended your mentorship." + thanks]


def _left_circle_words(reason: str, member: Member, member_acted: bool, circle_id: int) -> list[msg.Span]:
    if reason == "forgotten":
        return [f"A member left the program and your circle #{circle_id}."]
    if not member_acted:
        return ["A moderator took ", UserText(member.display_name), f" out of your circle #{circle_id}."]
    return [UserText(member.display_name), f" left your circle #{circle_id}."]


async def deactivate_checkin_plans(session: AsyncSession, pairing: Pairing) -> None:
    """Stop the pairing's check-ins (it ended or completed); the plans stay for the record."""
    plans = (await session.execute(select(CheckInPlan).where(col(CheckInPlan.pairing_id) == pairing.id))).scalars()
    for plan in plans:
        plan.active = False
        session.add(plan)


async def after_pairing_ends(
    session: AsyncSession,
    pairing: Pairing,
    now: datetime,
    *,
    rematch_priority: bool,
    ask: frozenset[int] = frozenset(),
) -> None:
    """Put both people back where they belong once a pairing is over (ended here or completed):
    back to waiting unless they left, paused or are still in another pairing.

    Those in `ask` were asked whether they want another round: they stay out of
    the pool until they answer yes (a finished member is never re-queued silently)."""
    both = [pairing.mentee_member_id, pairing.mentor_member_id]
    await close_questions(
        session, both, key=str(pairing.id), names=PAIRING_QUESTIONS
    )  # nothing about it stands any more
    await ask_question(session, pairing.community_id, ask, NEXT_ROUND, str(pairing.id), now)
    for member_id, is_mentee in ((pairing.mentee_member_id, True), (pairing.mentor_member_id, False)):
        profile = (
            await session.execute(select(Profile).where(col(Profile.member_id) == member_id))
        ).scalar_one_or_none()
        if profile is None or profile.status in (ProfileStatus.LEFT.value, ProfileStatus.PAUSED.value):
            continue
        still_active = await active_pairings_of(session, pairing.community_id, member_id)
        if still_active:
            continue
        profile.status = ProfileStatus.WAITING.value
        profile.updated_at = now
        if member_id in ask:
            profile.next_round = "asked"
        if is_mentee and rematch_priority:
            profile.waiting_since = profile.waiting_since or pairing.started_at  # counts as having waited long
            profile.times_unmatched += 1
        session.add(profile)


async def pairing_of_button(ctx: Ctx, key: str) -> Pairing:
    """The pairing a button names, in this community, and only for its two members."""
    pairing = await ctx.session.get(Pairing, int(key)) if key.isdigit() else None
    if pairing is None or pairing.community_id != ctx.community_id:
        raise NotFound("I can't find that mentorship any more.")
    if ctx.member_id not in (pairing.mentee_member_id, pairing.mentor_member_id):
        raise InvalidInput("That button belongs to someone else's mentorship.")
    return pairing


def next_round_question(pairing: Pairing, role: str) -> tuple[msg.Part, ...]:
    """The re-join question every finished member gets, inside their one end-of-pairing message."""
    pid = str(pairing.id)
    ask = (
        "Would you like another mentor in the next round?"
        if role == "mentee"
        else "Would you like to mentor someone else in the next round?"
    )
    return (
        msg.text(ask),
        Button("Yes, next round", str(ComponentId("nextround", pid, "yes")), ButtonStyle.PRIMARY),
        Button("Not now", str(ComponentId("nextround", pid, "no"))),
    )


async def on_next_round_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    await pairing_of_button(ctx, cid.key)  # only the pairing's two members may answer
    if cid.verb not in ("yes", "no"):
        raise InvalidInput("That button is not valid any more.")
    profile = (
        await ctx.session.execute(select(Profile).where(col(Profile.member_id) == ctx.member_id))
    ).scalar_one_or_none()
    if profile is None or profile.status == ProfileStatus.LEFT.value:
        return [
            msg.message(
                "You've left the program, so there is no next round for you yet. /mentor join signs you up again."
            )
        ]
    profile.next_round = cid.verb
    profile.updated_at = ctx.now
    if cid.verb == "yes":
        profile.waiting_since = profile.waiting_since or ctx.now
        ctx.session.add(profile)
        return [msg.message("Great — you're in the pool for the next matching round.")]
    ctx.session.add(profile)
    return [
        msg.message(
            "Noted: you won't be matched in the next round. Changed your mind? Click Yes, next round on that message."
        )
    ]


async def end_pairings_for_member(session: AsyncSession, member: Member, now: datetime, reason: str) -> int:
    """Hook for `/mentor leave` and forget-me: end every active pairing politely."""
    assert member.id is not None
    pairings = await active_pairings_of(session, member.community_id, member.id)
    for pairing in pairings:
        await end_pairing(session, pairing, now, reason=reason, ended_by=member)
    if pairings:
        community = await session.get(Community, member.community_id)
        assert community is not None
        outbox = Outbox(session, member.community_id, now)
        notice = msg.message(
            msg.text(
                UserText(member.display_name),
                f" left the program; {msg.plural(len(pairings), 'active pairing')} ended and the partners were told.",
            )
        )
        for destination in await moderator_destinations(session, community):
            await outbox.post(
                destination, notice, dedupe_key=f"left:{member.id}:{now.isoformat()}:{destination.target}"
            )
    return len(pairings)


# --- at-risk ---------------------------------------------------------------------


STALE_DAYS = 42  # no session logged for six weeks is a signal on its own


async def risk_signals(session: AsyncSession, pairing: Pairing, now: datetime | None = None) -> list[str]:
    signals: list[str] = []
    if now is not None:
        last = (await logged_for(session, [pairing.id])).last or pairing.started_at  # type: ignore[list-item]
        if (now - last).days >= STALE_DAYS:
            signals.append(f"no meeting logged for {(now - last).days // 7} weeks")
    mentee, mentor = await members_of(session, pairing)
    names = {mentee.id: mentee.display_name, mentor.id: mentor.display_name}
    if pairing.kickoff_at is None and pairing.kickoff_reminders_sent >= 2:
        signals.append("no kick-off after two reminders")
    plans = (
        (await session.execute(select(CheckInPlan).where(col(CheckInPlan.pairing_id) == pairing.id))).scalars().all()
    )
    for plan in plans:
        if plan.not_yet_in_a_row >= 2:
            signals.append(f'{names.get(plan.member_id, "a member")} answered "Not yet" twice in a row')
    help_asked = (
        (
            await session.execute(
                select(col(CheckIn.member_id)).where(
                    col(CheckIn.pairing_id) == pairing.id, col(CheckIn.answer) == "need_help"
                )
            )
        )
        .scalars()
        .all()
    )
    for member_id in sorted(set(help_asked)):
        signals.append(f"{names.get(member_id, 'a member')} asked for help")
    if len(plans) == 2 and all(p.ignored_in_a_row >= 1 for p in plans):
        signals.append("both ignored their latest check-in")
    low = (
        await session.execute(
            select(col(Feedback.member_id), col(Feedback.rating)).where(
                col(Feedback.pairing_id) == pairing.id, col(Feedback.rating) <= 2
            )
        )
    ).all()
    for member_id, rating in low:
        signals.append(f"{names.get(member_id, 'a member')} rated it {rating}/5")
    pulses = (
        await session.execute(
            select(col(Pulse.member_id), col(Pulse.rating)).where(
                col(Pulse.pairing_id) == pairing.id, col(Pulse.rating) <= 2
            )
        )
    ).all()
    for member_id, rating in pulses:
        signals.append(f"{names.get(member_id, 'a member')} answered {rating}/5 at the half-way pulse")
    return signals


async def report_if_at_risk(session: AsyncSession, pairing: Pairing, now: datetime) -> bool:
    """Tell the moderators once per pairing, with the signals and suggested actions."""
    if pairing.at_risk_reported_at is not None:
        return False
    signals = await risk_signals(session, pairing, now)
    if not signals:
        return False
    pairing.at_risk_reported_at = now
    session.add(pairing)
    mentee, mentor = await members_of(session, pairing)
    community = await session.get(Community, pairing.community_id)
    assert community is not None
    alert = Message(
        (
            msg.text(
                msg.Strong("At-risk pair "),
                f"#{pairing.id}: ",
                UserText(mentee.display_name),
                " ← ",
                UserText(mentor.display_name),
            ),
            msg.text("Signals: ", UserText("; ".join(signals)), "."),
            msg.text(
                f"Suggested: message them both; or /mentor pair {pairing.id} end, or /mentor pair {pairing.id} rematch "
                f'(the mentee keeps priority); note what you did with /mentor pair {pairing.id} note "…".'
            ),
        )
    )
    outbox = Outbox(session, pairing.community_id, now)
    for destination in await moderator_destinations(session, community):
        await outbox.post(destination, alert, dedupe_key=f"pair:{pairing.id}:at-risk:{destination.target}")
    return True


# --- /mentor pair <id> [end|rematch|note "…"] ---------------------------------------------


async def describe_pairing(ctx: Ctx, pairing: Pairing) -> Message:
    mentee, mentor = await members_of(ctx.session, pairing)
    goals = (
        (await ctx.session.execute(select(Goal).where(col(Goal.pairing_id) == pairing.id).order_by(col(Goal.number))))
        .scalars()
        .all()
    )
    answers = (
        await ctx.session.execute(
            select(col(CheckIn.answer), func.count())
            .where(col(CheckIn.pairing_id) == pairing.id)
            .group_by(col(CheckIn.answer))
        )
    ).all()
    notes = (
        (
            await ctx.session.execute(
                select(PairNote).where(col(PairNote.pairing_id) == pairing.id).order_by(col(PairNote.created_at))
            )
        )
        .scalars()
        .all()
    )
    answered = {a or "unanswered": n for a, n in answers}
    logged = await logged_for(ctx.session, [pairing.id])  # type: ignore[list-item]
    parts: list[msg.Part] = [
        msg.text(
            msg.Strong(f"Pairing #{pairing.id}"),
            " — ",
            UserText(mentee.display_name),
            " ← ",
            UserText(mentor.display_name),
            f" ({pairing.status})",
        ),
        msg.text(
            f"Started {format_when(pairing.started_at, ctx.tz)}; ends {format_when(pairing.ends_on, ctx.tz)}; "
            f"kick-off {'held' if pairing.kickoff_at else 'not yet'}; "
            f"meetings logged: {logged.meetings} ({hours(logged.minutes)} h); "
            f"check-ins: {answered.get('met', 0)} met, {answered.get('not_yet', 0)} not yet, "
            f"{answered.get('need_help', 0)} need help, {answered.get('unanswered', 0)} unanswered."
        ),
    ]
    for goal in goals:
        parts.append(msg.text(f"Goal {goal.number} ({goal.status}): ", UserText(goal.text)))
    for note in notes:
        parts.append(msg.text(f"{note.kind} note {note.created_at:%d %b}: ", UserText(note.text)))
    return Message(tuple(parts))
