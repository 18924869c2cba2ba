"""Matching rounds, step three: approval, introductions and the kick-off.

Approval creates one `Pairing` per proposed pair — a unique constraint and a
conditional status update make a second "approve" (or a restart mid-way)
harmless — and queues one introduction per pairing under a per-pairing outbox
key. The pair's buttons confirm the partnership policy and record the kick-off;
a sweep reminds pairs without a kick-off, then tells the moderators.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, ButtonStyle, Mention, Message, UserText
from bot.core.parsing import format_when
from bot.core.ports import Destination
from bot.core.questions import ask as ask_question
from bot.core.questions import close as close_questions
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox
from bot.delivery.pace import introduction_offset
from bot.features.checkins.checkins import start_plans
from bot.features.circles.start import circles_with_seats, has_seat, seat, start_circle
from bot.features.matching.profiles import CADENCES, COMMUNICATION_MODES
from bot.features.meetings.log import record_meeting
from bot.features.meetings.schedule import plan_slots
from bot.features.milestones.milestones import send_milestone
from bot.features.pairs.answers import KICKOFF, POLICY
from bot.features.pairs.pairs import report_if_at_risk
from bot.features.pairs.policy import on_policy_component
from bot.features.rounds.proposal import RoundPolicy
from bot.features.rounds.proposal_view import members_by_id
from storage.tables import (
    Community,
    MatchRound,
    Member,
    Pairing,
    PairingStatus,
    Profile,
    ProfileStatus,
    ProposedPair,
    RoundStatus,
)

MONTHS = {"3-6": 3, "6-9": 6, "9-12": 9}  # the committed minimum; pairs may extend
CADENCE_WORDS = {"weekly": "every week", "biweekly": "every two weeks", "monthly": "once a month"}
MODE_WORDS = {"chat": "chat", "video": "video call", "in_person": "meeting in person"}


async def approve_round(
    session: AsyncSession,
    round_: MatchRound,
    now: datetime,
    policy: RoundPolicy,
    *,
    approved_by: int | None,
    program: Any = None,
) -> int | None:
    """Create the pairings and queue their introductions. None when another click won the race."""
    won = await session.execute(
        update(MatchRound)
        .where(col(MatchRound.id) == round_.id, col(MatchRound.status) == RoundStatus.PROPOSED.value)
        .values(status=RoundStatus.APPROVED.value, approved_at=now, approved_by_member_id=approved_by)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], won).rowcount != 1:
        return None
    await session.refresh(round_)
    community = await session.get(Community, round_.community_id)
    assert community is not None and community.id is not None
    outbox = Outbox(session, community.id, now)
    pairs = (
        (
            await session.execute(
                select(ProposedPair)
                .where(col(ProposedPair.round_id) == round_.id, col(ProposedPair.dropped) == False)  # noqa: E712
                .order_by(col(ProposedPair.position))
            )
        )
        .scalars()
        .all()
    )
    profiles = {
        p.member_id: p
        for p in (await session.execute(select(Profile).where(col(Profile.community_id) == community.id))).scalars()
    }
    members = await members_by_id(session, {p.mentee_member_id for p in pairs} | {p.mentor_member_id for p in pairs})
    circles = await circles_with_seats(session, community.id)  # mentors who offer a circle
    filled = {}
    created = 0
    for pair in pairs:
        mentee, mentor = profiles.get(pair.mentee_member_id), profiles.get(pair.mentor_member_id)
        if mentee is None or mentor is None or ProfileStatus.LEFT.value in (mentee.status, mentor.status):
            continue  # someone left between proposal and approval
        circle = circles.get(pair.mentor_member_id)
        if circle is not None and round_.id is not None and await has_seat(session, circle):
            # A mentee matched to a mentor with a circle takes a seat in it (capacity counts as for pairs):
            # one introduction in the circle's space for everyone placed, instead of a pair introduction.
            seat(session, circle, round_.id, mentee, mentor, now, pair.reasons)
            filled[circle.id] = circle
            created += 1
            continue
        length = mentee.program_length if mentee.program_length in MONTHS else "3-6"
        assert round_.id is not None
        pairing = Pairing(
            community_id=community.id,
            round_id=round_.id,
            mentee_member_id=pair.mentee_member_id,
            mentor_member_id=pair.mentor_member_id,
            score=pair.score,
            reasons=pair.reasons,
            cadence=mentee.cadence if mentee.cadence in CADENCES else "biweekly",
            communication=mentee.communication if mentee.communication in COMMUNICATION_MODES else "video",
            program_length=length,
            ends_on=now + timedelta(days=30 * MONTHS[length]),
            started_at=now,
            kickoff_due_at=now + timedelta(days=policy.kickoff_reminder_days),
            midpoint_at=now + timedelta(days=15 * MONTHS[length]),
        )
        session.add(pairing)
        await session.flush()
        await start_plans(session, pairing, now)
        for profile in (mentee, mentor):
            profile.status = ProfileStatus.ACTIVE.value
            profile.updated_at = now
            session.add(profile)
        mentee.waiting_since = None
        mentee.times_unmatched = 0
        # Due in list order at the platform's pace (bot/delivery/pace.py).
        due = now + introduction_offset(community.platform, created)
        _, slots = await plan_slots(session, pairing, now, program)  # three times for the kick-off
        await introduce(
            outbox,
            pairing,
            members[pair.mentee_member_id],
            members[pair.mentor_member_id],
            community,
            policy,
            not_before=due,
            slots=slots,
        )
        both = [pairing.mentee_member_id, pairing.mentor_member_id]
        for question in (KICKOFF, POLICY):  # the introduction's buttons take words too; a plain yes confirms
            await ask_question(session, community.id, both, question, str(pairing.id), now, fresh=True)
        # Mentees get the mentee resources, mentors the mentor guide, ready for the kick-off.
        await send_milestone(session, outbox, pairing, "kickoff", program)
        created += 1
    for circle in filled.values():
        await start_circle(session, outbox, circle, now, program)
    for u in round_.summary.get("unmatched", []):
        waiting = profiles.get(u["member_id"])
        if waiting is not None and waiting.status == ProfileStatus.WAITING.value:
            waiting.times_unmatched += 1  # priority next round
            session.add(waiting)
    return created


async def introduce(
    outbox: Outbox,
    pairing: Pairing,
    mentee: Member,
    mentor: Member,
    community: Community,
    policy: RoundPolicy,
    *,
    not_before: datetime | None = None,
    slots: tuple[msg.Part, ...] = (),
) -> None:
    """One group introduction per pairing (idempotent by its outbox key); `slots` offer kick-off times."""
    pid = str(pairing.id)
    why = [r["text"] for r in sorted(pairing.reasons, key=lambda r: -r.get("points", 0)) if r.get("points", 0) > 0][:4]
    parts: list[msg.Part] = [
        msg.text(
            "Hello ",
            Mention(mentee.platform_user_id, mentee.display_name),
            " and ",
            Mention(mentor.platform_user_id, mentor.display_name),
            "! You are matched in the ",
            UserText(policy.program_name),
            ": ",
            UserText(mentor.display_name),
            " will mentor ",
            UserText(mentee.display_name),
            ".",
        ),
    ]
    if why:
        parts.append(msg.text(msg.Strong("Why you two: "), UserText("; ".join(why)), "."))
    parts.append(
        msg.text(
            msg.Strong("Partnership policy to agree: "),
            f"meet {CADENCE_WORDS.get(pairing.cadence, pairing.cadence)} "
            f"by {MODE_WORDS.get(pairing.communication, pairing.communication)}, "
            f"until {format_when(pairing.ends_on, community.timezone).split(',')[0]} "
            f"({pairing.program_length.replace('-', '–')} months). Confirm it, or say what you'd change.",
        )
    )
    parts.append(
        msg.text(
            msg.Strong("First step: "),
            "book a 30-minute kick-off this week, then agree on a first shared goal and record it with "
            '/mentor goal set "…".',
        )
    )
    parts.extend(
        [
            Button("Confirm the policy", str(ComponentId("pair", pid, "confirm")), ButtonStyle.PRIMARY),
            Button("Propose changes", str(ComponentId("pair", pid, "change"))),
            Button("We've had our kick-off", str(ComponentId("pair", pid, "kickoff"))),
            *slots,
        ]
    )
    await outbox.post(
        Destination.group_dm([mentee.platform_user_id, mentor.platform_user_id]),
        Message(tuple(parts)),
        dedupe_key=f"intro:{pairing.id}",
        not_before=not_before,
    )


# --- the pair's buttons -----------------------------------------------------------------


async def _pairing_for(ctx: Ctx, key: str) -> Pairing:
    if not key.isdigit():
        raise InvalidInput("That button is not valid any more.")
    pairing = (
        await ctx.session.execute(
            select(Pairing).where(col(Pairing.id) == int(key), col(Pairing.community_id) == ctx.community_id)
        )
    ).scalar_one_or_none()
    if pairing is None:
        raise NotFound("I can't find that mentorship any more.")
    if ctx.member_id not in (pairing.mentee_member_id, pairing.mentor_member_id):
        raise InvalidInput("That button belongs to someone else's introduction.")
    return pairing


async def on_pair_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    pairing = await _pairing_for(ctx, cid.key)
    if pairing.status != PairingStatus.ACTIVE.value:
        return [msg.message("This mentorship has ended, so there is nothing to change here.")]
    members = await members_by_id(ctx.session, {pairing.mentee_member_id, pairing.mentor_member_id})
    group = Destination.group_dm(
        [members[pairing.mentee_member_id].platform_user_id, members[pairing.mentor_member_id].platform_user_id]
    )
    if cid.verb == "confirm":
        if ctx.member_id in pairing.policy_confirmed_by:
            return [msg.message("You already confirmed the partnership policy.")]
        pairing.policy_confirmed_by = [*pairing.policy_confirmed_by, ctx.member_id]
        ctx.session.add(pairing)
        if len(set(pairing.policy_confirmed_by)) == 2:
            await ctx.outbox.post(
                group,
                msg.message("You both confirmed the partnership policy. Enjoy your mentorship!"),
                dedupe_key=f"pair:{pairing.id}:policy-agreed",
            )
            return [msg.message("Confirmed — you both agree now.")]
        return [msg.message("Confirmed. I'll let you both know when your partner confirms too.")]
    if cid.verb in ("change", "draft", "propose", "accept", "decline"):
        return await on_policy_component(ctx, pairing, cid)
    if cid.verb == "notyet":  # typed to a kick-off reminder: nothing to record
        return [msg.message("No problem — book 30 minutes soon, and tell me we had our kick-off once you have.")]
    if cid.verb == "kickoff":
        both = [pairing.mentee_member_id, pairing.mentor_member_id]
        await close_questions(ctx.session, both, key=str(pairing.id), names=[KICKOFF])
        if pairing.kickoff_at is not None:
            return [msg.message(f"Your kick-off is already recorded ({format_when(pairing.kickoff_at, ctx.tz)}).")]
        await record_meeting(ctx.session, pairing, ctx.member_id, ctx.now)  # the log counts it (length: /mentor log)
        await ctx.outbox.post(
            group,
            msg.message(
                msg.text(
                    UserText(ctx.member.display_name),
                    " recorded your kick-off. Great start — I'll check in with you both now and then.",
                )
            ),
            dedupe_key=f"pair:{pairing.id}:kickoff",
        )
        return [msg.message("Kick-off recorded. Thank you!")]
    raise InvalidInput("That button is not valid any more.")


# --- the kick-off reminder sweep -----------------------------------------------------------


async def remind_kickoffs(
    session: AsyncSession, now: datetime, settings: Any, policy: RoundPolicy | None = None
) -> int:
    """No kick-off after the configured days: remind the pair twice, then tell the moderators."""
    policy = policy or RoundPolicy()
    due = (
        (
            await session.execute(
                select(Pairing)
                .where(
                    col(Pairing.status) == PairingStatus.ACTIVE.value,
                    col(Pairing.kickoff_at).is_(None),
                    col(Pairing.kickoff_due_at) <= now,
                )
                .order_by(col(Pairing.kickoff_due_at))
                .limit(200)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for pairing in due:
        community = await session.get(Community, pairing.community_id)
        assert community is not None and community.id is not None
        outbox = Outbox(session, community.id, now)
        back = await _back_from_pause(session, pairing, now)
        if back is not None:  # a member is on a break: no nudges, and the clock waits for them
            pairing.kickoff_due_at = back
            session.add(pairing)
            continue
        members = await members_by_id(session, {pairing.mentee_member_id, pairing.mentor_member_id})
        mentee, mentor = members[pairing.mentee_member_id], members[pairing.mentor_member_id]
        step = pairing.kickoff_reminders_sent + 1
        if step <= 2:
            await outbox.post(
                Destination.group_dm([mentee.platform_user_id, mentor.platform_user_id]),
                Message(
                    (
                        msg.text(
                            "A friendly nudge: have you had your kick-off yet? "
                            + ("" if step == 1 else "It is the second reminder. ")
                            + "Book 30 minutes this week — ",
                            UserText(mentor.display_name),
                            ", as the mentor, could you propose a time?",
                        ),
                        Button("We've had our kick-off", str(ComponentId("pair", str(pairing.id), "kickoff"))),
                    )
                ),
                dedupe_key=f"pair:{pairing.id}:kickoff-reminder:{step}",
            )
            both = [pairing.mentee_member_id, pairing.mentor_member_id]
            await ask_question(session, community.id, both, KICKOFF, str(pairing.id), now)
            pairing.kickoff_due_at = now + timedelta(days=policy.kickoff_reminder_days)
        else:
            # Two reminders and still nothing: an at-risk signal for the moderators (reported once).
            pairing.kickoff_reminders_sent = step
            await report_if_at_risk(session, pairing, now)
            pairing.kickoff_due_at = None
        pairing.kickoff_reminders_sent = step
        session.add(pairing)
    return len(due)


async def _back_from_pause(session: AsyncSession, pairing: Pairing, now: datetime) -> datetime | None:
    """When the later of the pair's paused members is back (None: nobody is paused now)."""
    until = (
        await session.execute(
            select(func.max(col(Profile.paused_until))).where(
                col(Profile.member_id).in_([pairing.mentee_member_id, pairing.mentor_member_id]),
                col(Profile.status) == ProfileStatus.PAUSED.value,
                col(Profile.paused_until) > now,
            )
        )
    ).scalar_one_or_none()
    return until


async def next_kickoff_due(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(Pairing.kickoff_due_at))).where(
                col(Pairing.status) == PairingStatus.ACTIVE.value,
                col(Pairing.kickoff_at).is_(None),
            )
        )
    ).scalar_one_or_none()
