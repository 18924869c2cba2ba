"""Matching rounds, step three: the introductions and the kick-off.

Approval (`approval.py`) queues one introduction per pairing under a per-pairing
outbox key. The pair's buttons confirm the partnership policy and record the
kick-off; a sweep reminds pairs without a kick-off, then tells the moderators.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
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
from bot.features.meetings.log import record_meeting
from bot.features.pairs.answers import KICKOFF
from bot.features.pairs.pairs import report_if_at_risk
from bot.features.pairs.policy import on_policy_component
from bot.features.rounds.proposal import RoundPolicy
from bot.features.rounds.proposal_view import members_by_id
from storage.tables import (
    Community,
    Member,
    Pairing,
    PairingStatus,
    Profile,
    ProfileStatus,
)

CADENCE_WORDS = {"weekly": "every week", "biweekly": "every two weeks", "monthly": "once a month"}
MODE_WORDS = {"chat": "chat", "video": "video call", "in_person": "meeting in person"}


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
