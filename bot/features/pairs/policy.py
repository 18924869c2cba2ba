"""Changing a pair's partnership policy: how often they meet, how, and until when.

A member clicks "Propose changes" on the introduction, picks what to change
(buttons whose ids carry the choice, so a restart loses nothing: the draft lives
on the pairing), and sends it; the partner gets Accept / Decline. An accepted
change moves the check-in plans and the end date and is confirmed to both. A
moderator sets the policy directly with `/mentor pair <id> set --cadence 2w
--ends 2027-03-01 --channel video`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import Arity, ParseError, format_when, parse_args, parse_when
from bot.core.ports import Destination
from bot.core.questions import ask as ask_question
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox
from bot.features.pairs.answers import DRAFT, PROPOSAL
from bot.features.pairs.pairs import group_of, members_of
from storage.tables import CheckInPlan, Pairing

# The agreed lengths (program.toml keys) and what a pair may choose from; pairs may extend.
MONTHS = {"3-6": 3, "6-9": 6, "9-12": 9}
CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 30}
CADENCE_WORDS = {"weekly": "every week", "biweekly": "every two weeks", "monthly": "once a month"}
MODE_WORDS = {"chat": "chat", "video": "video call", "in_person": "meeting in person"}
_CADENCE_TYPED = {
    "1w": "weekly",
    "weekly": "weekly",
    "week": "weekly",
    "7d": "weekly",
    "2w": "biweekly",
    "biweekly": "biweekly",
    "fortnightly": "biweekly",
    "14d": "biweekly",
    "4w": "monthly",
    "monthly": "monthly",
    "month": "monthly",
    "30d": "monthly",
    "1m": "monthly",
}
_MODE_TYPED = {
    "chat": "chat",
    "text": "chat",
    "video": "video",
    "call": "video",
    "in-person": "in_person",
    "in_person": "in_person",
    "person": "in_person",
    "in person": "in_person",
}
LATEST_END_DAYS = 400  # a moderator may extend up to a year and a month from the start


def policy_words(cadence: str, communication: str, ends_on: datetime, tz: str) -> str:
    return (
        f"meet {CADENCE_WORDS.get(cadence, cadence)} by {MODE_WORDS.get(communication, communication)}, "
        f"until {format_when(ends_on, tz).split(',')[0]}"
    )


def _end_for(pairing: Pairing, length: str) -> datetime:
    return pairing.started_at + timedelta(days=30 * MONTHS[length])


async def apply_policy(
    session: AsyncSession,
    pairing: Pairing,
    now: datetime,
    *,
    cadence: str | None,
    communication: str | None,
    ends_on: datetime | None,
) -> None:
    """Set the new policy; the check-in plans follow the cadence from now on."""
    if communication:
        pairing.communication = communication
    if ends_on is not None:
        pairing.ends_on = ends_on
        if pairing.midpoint_at is not None:  # the mid-point has not come yet: it moves with the end
            pairing.midpoint_at = max(now, pairing.started_at + (ends_on - pairing.started_at) / 2)
    if cadence and cadence != pairing.cadence:
        pairing.cadence = cadence
        days = CADENCE_DAYS[cadence]
        for plan in (
            await session.execute(select(CheckInPlan).where(col(CheckInPlan.pairing_id) == pairing.id))
        ).scalars():
            plan.base_interval_days = plan.interval_days = days
            plan.next_checkin_at = min(plan.next_checkin_at, now + timedelta(days=days))
            session.add(plan)
    pairing.policy_change = {}
    session.add(pairing)


# --- the member's proposal -----------------------------------------------------------


def _choice_buttons(pairing: Pairing, tz: str) -> list[Button]:
    pid = str(pairing.id)
    buttons = [
        Button(f"Meet {words}", str(ComponentId("pair", pid, "draft", f"cadence={key}")))
        for key, words in CADENCE_WORDS.items()
        if key != pairing.cadence
    ]
    buttons += [
        Button(f"By {words}", str(ComponentId("pair", pid, "draft", f"communication={key}")))
        for key, words in MODE_WORDS.items()
        if key != pairing.communication
    ]
    buttons += [
        Button(
            f"Until {format_when(_end_for(pairing, key), tz).split(',')[0]}",
            str(ComponentId("pair", pid, "draft", f"length={key}")),
        )
        for key in MONTHS
        if _end_for(pairing, key) != pairing.ends_on
    ]
    buttons.append(Button("Send to my partner", str(ComponentId("pair", pid, "propose")), ButtonStyle.PRIMARY))
    return buttons


async def on_policy_component(ctx: Ctx, pairing: Pairing, cid: ComponentId) -> list[Message]:
    """The "Propose changes" buttons: change, draft, propose, accept, decline."""
    change = dict(pairing.policy_change or {})
    if cid.verb == "change":
        if change.get("sent") and change.get("by") != ctx.member_id:
            return [
                msg.message("Your partner has proposed a change already: accept or decline it first (see your DMs).")
            ]
        pairing.policy_change = {"by": ctx.member_id}
        ctx.session.add(pairing)
        await ask_question(ctx.session, ctx.community_id, [ctx.member_id], DRAFT, str(pairing.id), ctx.now)
        return [
            Message(
                (
                    msg.text(
                        "Now: ", policy_words(pairing.cadence, pairing.communication, pairing.ends_on, ctx.tz), "."
                    ),
                    msg.text(
                        "What would you change? Click what you'd like (one of each), then send it to your partner."
                    ),
                    *_choice_buttons(pairing, ctx.tz),
                )
            )
        ]
    if cid.verb == "draft":
        if change.get("by") != ctx.member_id or change.get("sent"):
            return [msg.message("Click Propose changes on your introduction to start a new proposal.")]
        field, _, value = cid.arg.partition("=")
        choices: dict[str, Mapping[str, object]] = {
            "cadence": CADENCE_WORDS,
            "communication": MODE_WORDS,
            "length": MONTHS,
        }
        allowed = choices.get(field, {})
        if value not in allowed:
            raise InvalidInput("That choice is not valid any more.")
        change[field] = value
        pairing.policy_change = change
        ctx.session.add(pairing)
        return [msg.message(f"Noted. {_draft_words(pairing, change, ctx.tz)} Click more, or Send to my partner.")]
    if cid.verb == "propose":
        return await _send_proposal(ctx, pairing, change)
    if cid.verb in ("accept", "decline"):
        return await _answer_proposal(ctx, pairing, change, accepted=cid.verb == "accept")
    raise InvalidInput("That button is not valid any more.")


def _digest(change: dict) -> str:
    """Tells two proposals made at the same moment apart in their outbox keys."""
    return ",".join(f"{k}={change[k]}" for k in sorted(change) if k in ("by", "cadence", "communication", "length"))


def _draft_words(pairing: Pairing, change: dict, tz: str) -> str:
    ends = _end_for(pairing, change["length"]) if change.get("length") in MONTHS else pairing.ends_on
    return (
        "Proposed: "
        + policy_words(
            change.get("cadence") or pairing.cadence, change.get("communication") or pairing.communication, ends, tz
        )
        + "."
    )


async def _send_proposal(ctx: Ctx, pairing: Pairing, change: dict) -> list[Message]:
    if change.get("by") != ctx.member_id or change.get("sent"):
        return [msg.message("Click Propose changes on your introduction to start a new proposal.")]
    if not any(change.get(k) for k in ("cadence", "communication", "length")):
        await ask_question(ctx.session, ctx.community_id, [ctx.member_id], DRAFT, str(pairing.id), ctx.now)
        return [msg.message("Pick at least one change first (how often, how, or until when).")]
    change["sent"] = True
    pairing.policy_change = change
    ctx.session.add(pairing)
    mentee, mentor = await members_of(ctx.session, pairing)
    partner = mentor if ctx.member_id == mentee.id else mentee
    pid = str(pairing.id)
    await ask_question(ctx.session, ctx.community_id, [partner.id], PROPOSAL, pid, ctx.now)  # type: ignore[list-item]
    await ctx.outbox.post(
        Destination.dm(partner.platform_user_id),
        Message(
            (
                msg.text(UserText(ctx.member.display_name), " proposes a change to your partnership policy."),
                msg.text(_draft_words(pairing, change, ctx.tz)),
                Button("Accept", str(ComponentId("pair", pid, "accept")), ButtonStyle.PRIMARY),
                Button("Decline", str(ComponentId("pair", pid, "decline"))),
            )
        ),
        dedupe_key=f"pair:{pairing.id}:policy-proposal:{ctx.now.isoformat()}:{_digest(change)}",
    )
    return [msg.message(msg.text("Sent to ", UserText(partner.display_name), ". I'll tell you both when they answer."))]


async def _answer_proposal(ctx: Ctx, pairing: Pairing, change: dict, *, accepted: bool) -> list[Message]:
    if not change.get("sent"):
        return [msg.message("There is no proposed change waiting for an answer.")]
    if change.get("by") == ctx.member_id:
        return [msg.message("Your partner answers your proposal; you can't accept it for them.")]
    mentee, mentor = await members_of(ctx.session, pairing)
    if accepted:
        length = change.get("length")
        await apply_policy(
            ctx.session,
            pairing,
            ctx.now,
            cadence=change.get("cadence"),
            communication=change.get("communication"),
            ends_on=_end_for(pairing, length) if length in MONTHS else None,
        )
        if length in MONTHS:
            pairing.program_length = length
        text = msg.text(
            UserText(ctx.member.display_name),
            " accepted the change. Your partnership policy is now: ",
            policy_words(pairing.cadence, pairing.communication, pairing.ends_on, ctx.tz),
            ".",
        )
    else:
        pairing.policy_change = {}
        ctx.session.add(pairing)
        text = msg.text(
            UserText(ctx.member.display_name),
            " declined the proposed change. Your policy stays: ",
            policy_words(pairing.cadence, pairing.communication, pairing.ends_on, ctx.tz),
            ".",
        )
    await ctx.outbox.post(
        group_of(mentee, mentor),
        msg.message(text),
        dedupe_key=f"pair:{pairing.id}:policy-answer:{ctx.now.isoformat()}:{_digest(change)}:{accepted}",
    )
    return [msg.message("Accepted — I told you both." if accepted else "Declined — I told you both.")]


# --- the moderator's `/mentor pair <id> set …` -----------------------------------------------


async def moderator_set(ctx: Ctx, pairing: Pairing, args: list[str]) -> list[Message]:
    parsed = parse_args(args, {"cadence": Arity.ONE, "ends": Arity.ONE, "channel": Arity.ONE})
    if parsed.positional:
        raise ParseError("Say what to set, e.g. /mentor pair 4 set --cadence 2w --ends 2027-03-01 --channel video.")
    raw_cadence, raw_ends, raw_channel = parsed.one("cadence"), parsed.one("ends"), parsed.one("channel")
    if not (raw_cadence or raw_ends or raw_channel):
        raise ParseError("Say what to set: --cadence 1w|2w|4w, --ends <date>, --channel chat|video|in-person.")
    cadence = _CADENCE_TYPED.get(raw_cadence.casefold()) if raw_cadence else None
    if raw_cadence and cadence is None:
        raise ParseError("--cadence takes 1w (weekly), 2w (every two weeks) or 4w (monthly).")
    channel = _MODE_TYPED.get(raw_channel.casefold()) if raw_channel else None
    if raw_channel and channel is None:
        raise ParseError("--channel takes chat, video or in-person.")
    ends = None
    if raw_ends:
        ends = parse_when(raw_ends, ctx.now, ctx.tz, max_ahead=timedelta(days=LATEST_END_DAYS))
        if ends > pairing.started_at + timedelta(days=LATEST_END_DAYS):
            raise ParseError(f"A pairing can run at most {LATEST_END_DAYS} days from its start.")
    await apply_policy(ctx.session, pairing, ctx.now, cadence=cadence, communication=channel, ends_on=ends)
    mentee, mentor = await members_of(ctx.session, pairing)
    words = policy_words(pairing.cadence, pairing.communication, pairing.ends_on, ctx.tz)
    await Outbox(ctx.session, ctx.community_id, ctx.now).post(
        group_of(mentee, mentor),
        msg.message(f"A moderator changed your partnership policy: {words}."),
        dedupe_key=f"pair:{pairing.id}:policy-set:{ctx.now.isoformat()}",
    )
    return [msg.message(f"Pairing #{pairing.id} now: {words}. Both were told.")]
