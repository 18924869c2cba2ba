"""Check-in nudges at each member's agreed cadence, with restraint.

Each member of an active pairing has a `CheckInPlan` whose `next_checkin_at` is
a due-time column. The sweep sends the due ones in bulk (100k pairs with 10%
due must be found and queued in about a second), but never at night in the
member's timezone and never while they are paused. A member who ignores two
check-ins in a row gets them half as often; answering restores the cadence
(reminder fatigue is the most common complaint about mentoring bots).
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, Message, UserText
from bot.core.ports import DestinationKind
from bot.core.questions import Answer, OpenQuestion, Question, normalise, one, typed_choice
from bot.core.router import ComponentId
from bot.features.meetings.log import length_question, record_meeting, unlog_checkin
from bot.features.pairs.pairs import members_of, report_if_at_risk
from storage.bulk import insert_ignoring_duplicates
from storage.tables import (
    CheckIn,
    CheckInAnswer,
    CheckInPlan,
    Community,
    Member,
    OutboxMessage,
    Pairing,
    PairingStatus,
    Profile,
    ProfileStatus,
)

CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 30}
DAY_STARTS, DAY_ENDS = time(9, 0), time(19, 0)  # "daytime" in the member's own timezone
PAUSE_DAYS = 14
# Plans per unit of work. The sweep runs on the event loop with SQLite in place: one unit of
# 20,000 plans held it ~1.2 s (every ack waited); a few hundred take ~15 ms, and the runtime
# wakes again 50 ms later for the rest (bench/checkins.py reports the longest unit).
BATCH = 250
ANSWER_LABELS = {
    CheckInAnswer.MET: "We met",
    CheckInAnswer.NOT_YET: "Not yet",
    CheckInAnswer.NEED_HELP: "Need help",
    CheckInAnswer.PAUSE: "Pause 2 weeks",
}
_zones: dict[str, ZoneInfo] = {}


def _zone(name: str | None) -> ZoneInfo:
    key = name or "UTC"
    if key not in _zones:
        try:
            _zones[key] = ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            _zones[key] = ZoneInfo("UTC")
    return _zones[key]


def next_daytime(moment: datetime, tz: str | None, jitter_minutes: int = 0) -> datetime | None:
    """None when `moment` is daytime for the member; else the next daytime start (UTC)."""
    zone = _zone(tz)
    local = moment.astimezone(zone)
    if DAY_STARTS <= local.time() < DAY_ENDS:
        return None
    day = local.date() if local.time() < DAY_STARTS else local.date() + timedelta(days=1)
    start = datetime.combine(day, DAY_STARTS, zone) + timedelta(minutes=jitter_minutes % 60)
    return start.astimezone(ZoneInfo("UTC"))


async def start_plans(session: AsyncSession, pairing: Pairing, now: datetime) -> None:
    """Called when a pairing starts: both members get their first check-in after one cadence."""
    days = CADENCE_DAYS.get(pairing.cadence, 14)
    for member_id in (pairing.mentee_member_id, pairing.mentor_member_id):
        assert pairing.id is not None
        session.add(
            CheckInPlan(
                community_id=pairing.community_id,
                pairing_id=pairing.id,
                member_id=member_id,
                next_checkin_at=now + timedelta(days=days),
                base_interval_days=days,
                interval_days=days,
            )
        )


_KEY, _NAME = "\u0000key\u0000", "\u0000name\u0000"


@lru_cache(maxsize=1)
def _checkin_template() -> tuple[str, str, str]:
    return msg.to_json(render_checkin(0, 0, _NAME, key=_KEY)), json.dumps(_KEY)[1:-1], json.dumps(_NAME)[1:-1]


def checkin_json(plan_id: int, sequence: int, partner_name: str) -> str:
    """`to_json(render_checkin(…))` from a template: the sweep queues thousands at once."""
    template, key, name = _checkin_template()
    escaped = json.dumps(partner_name, ensure_ascii=False)[1:-1]
    return template.replace(key, f"{plan_id}.{sequence}").replace(name, escaped)


def render_checkin(plan_id: int, sequence: int, partner_name: str, *, key: str | None = None) -> Message:
    key = key or f"{plan_id}.{sequence}"
    return Message(
        (
            msg.text("How is your mentorship with ", UserText(partner_name), " going?"),
            *(Button(label, str(ComponentId("checkin", key, answer.value))) for answer, label in ANSWER_LABELS.items()),
            msg.text("Want to add a line? Reply here with: note <what happened>."),
        )
    )


async def send_due_checkins(session: AsyncSession, now: datetime, settings: Any = None, *, limit: int = BATCH) -> int:
    """Find the due plans, queue their check-ins, and move each plan on. Returns check-ins queued."""
    partner = aliased(Member)
    me = aliased(Member)
    partner_id = case(
        (col(CheckInPlan.member_id) == Pairing.mentee_member_id, col(Pairing.mentor_member_id)),
        else_=col(Pairing.mentee_member_id),
    )
    rows = (
        await session.execute(
            select(
                col(CheckInPlan.id),
                col(CheckInPlan.community_id),
                col(CheckInPlan.pairing_id),
                col(CheckInPlan.member_id),
                col(CheckInPlan.sent_count),
                col(CheckInPlan.awaiting_answer),
                col(CheckInPlan.ignored_in_a_row),
                col(CheckInPlan.base_interval_days),
                col(CheckInPlan.interval_days),
                col(me.platform_user_id),
                col(me.timezone),
                col(Profile.timezone),
                col(Profile.status),
                col(Profile.paused_until),
                col(partner.display_name),
                col(Community.timezone),
            )
            .join(Pairing, col(Pairing.id) == CheckInPlan.pairing_id)
            .join(me, col(me.id) == CheckInPlan.member_id)
            .join(partner, col(partner.id) == partner_id)
            .join(Community, col(Community.id) == CheckInPlan.community_id)
            .outerjoin(Profile, col(Profile.member_id) == CheckInPlan.member_id)
            .where(col(CheckInPlan.active) == True, col(CheckInPlan.next_checkin_at) <= now)  # noqa: E712
            .where(col(Pairing.status) == PairingStatus.ACTIVE.value)
            .order_by(col(CheckInPlan.next_checkin_at))
            .limit(limit)
            .with_for_update(skip_locked=True, of=CheckInPlan)
        )
    ).all()
    plan_updates: list[dict[str, Any]] = []
    checkins: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    both_ignoring: set[int] = set()
    for (
        plan_id,
        community_id,
        pairing_id,
        member_id,
        sent,
        awaiting,
        ignored,
        base,
        interval,
        user_id,
        member_tz,
        profile_tz,
        status,
        paused_until,
        partner_name,
        community_tz,
    ) in rows:
        assert plan_id is not None  # a stored row's key
        if status == ProfileStatus.PAUSED.value and paused_until and paused_until > now:
            plan_updates.append({"id": plan_id, "next_checkin_at": paused_until})
            continue
        later = next_daytime(now, profile_tz or member_tz or community_tz, jitter_minutes=member_id)
        if later is not None:
            plan_updates.append({"id": plan_id, "next_checkin_at": later})
            continue
        if awaiting:
            ignored += 1
        interval = base * 2 if ignored >= 2 else base  # two ignored in a row: half as often
        sequence = sent + 1
        checkins.append(
            {
                "community_id": community_id,
                "pairing_id": pairing_id,
                "plan_id": plan_id,
                "member_id": member_id,
                "sequence": sequence,
                "sent_at": now,
                "note": "",
            }
        )
        outbox.append(
            {
                "community_id": community_id,
                "operation": "post",
                "destination_kind": DestinationKind.DM.value,
                "destination_target": user_id,
                "payload": checkin_json(plan_id, sequence, partner_name),
                "dedupe_key": f"checkin:{plan_id}:{sequence}",
                "status": "pending",
                "attempts": 0,
                "not_before": now,
                "created_at": now,
            }
        )
        plan_updates.append(
            {
                "id": plan_id,
                "next_checkin_at": now + timedelta(days=interval),
                "sent_count": sequence,
                "awaiting_answer": True,
                "ignored_in_a_row": ignored,
                "interval_days": interval,
            }
        )  # sent_count is applied as sent_count + 1 (rows are locked, so that equals `sequence`)
        if ignored >= 1:
            both_ignoring.add(pairing_id)
    await insert_ignoring_duplicates(session, CheckIn.__table__, checkins)  # type: ignore[attr-defined]  # SQLModel sets it; its stubs omit it
    await insert_ignoring_duplicates(session, OutboxMessage.__table__, outbox)  # type: ignore[attr-defined]  # SQLModel sets it; its stubs omit it
    if plan_updates:
        await _update_plans(session, plan_updates)
    if both_ignoring:
        await _report_ignored_by_both(session, both_ignoring, now)
    return len(checkins)


async def _update_plans(session: AsyncSession, updates: list[dict[str, Any]]) -> None:
    """Set-based: plans that get identical new values share one `UPDATE … WHERE id IN (…)`.

    After a sweep almost every plan moves to the same next time with the same
    counters, so thousands of rows cost a handful of statements (a per-row
    executemany was the slowest part of the sweep).
    """
    table = CheckInPlan.__table__  # type: ignore[attr-defined]  # SQLModel sets it; its stubs omit it
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for row in updates:
        same = tuple(sorted((k, v) for k, v in row.items() if k not in ("id", "sent_count")))
        groups.setdefault(same + (("bump", "sent_count" in row),), []).append(row["id"])
    for key, ids in groups.items():
        values = {k: v for k, v in key if k != "bump"}
        if dict(key)["bump"]:
            values["sent_count"] = table.c.sent_count + 1
        for start in range(0, len(ids), 5000):  # stay far below SQLite's bound-parameter limit
            await session.execute(update(table).where(table.c.id.in_(ids[start : start + 5000])).values(values))


async def _report_ignored_by_both(session: AsyncSession, pairing_ids: set[int], now: datetime) -> None:
    ids = list(pairing_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        both = (
            (
                await session.execute(
                    select(col(CheckInPlan.pairing_id))
                    .where(col(CheckInPlan.pairing_id).in_(chunk))
                    .group_by(col(CheckInPlan.pairing_id))
                    .having(func.min(col(CheckInPlan.ignored_in_a_row)) >= 1, func.count() == 2)
                )
            )
            .scalars()
            .all()
        )
        for pairing_id in both:
            pairing = await session.get(Pairing, pairing_id)
            if pairing is not None and pairing.at_risk_reported_at is None:
                await report_if_at_risk(session, pairing, now)


async def next_checkin_due(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(CheckInPlan.next_checkin_at))).where(col(CheckInPlan.active) == True)  # noqa: E712
        )
    ).scalar_one_or_none()


# --- answers --------------------------------------------------------------------------


@cache
def _checkin_by_button() -> Any:
    # Built once, on first use: every check-in answer runs it.
    return select(CheckIn).where(
        col(CheckIn.plan_id) == bindparam("plan"),
        col(CheckIn.sequence) == bindparam("sequence"),
        col(CheckIn.community_id) == bindparam("community"),
    )


async def on_checkin_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    plan_raw, _, seq_raw = cid.key.partition(".")
    if not (plan_raw.isdigit() and seq_raw.isdigit()) or cid.verb not in {a.value for a in CheckInAnswer}:
        raise InvalidInput("That check-in button is not valid any more.")
    keys = {"plan": int(plan_raw), "sequence": int(seq_raw), "community": ctx.community_id}
    checkin = (await ctx.session.execute(_checkin_by_button(), keys)).scalar_one_or_none()
    if checkin is None:
        raise NotFound("I can't find that check-in any more.")
    if checkin.member_id != ctx.member_id:
        raise InvalidInput("That check-in was for someone else.")
    pairing = await ctx.session.get(Pairing, checkin.pairing_id)
    plan = await ctx.session.get(CheckInPlan, checkin.plan_id)
    assert pairing is not None and plan is not None
    if pairing.status != PairingStatus.ACTIVE.value:
        return [msg.message("This mentorship has ended; thank you for answering anyway.")]
    answer = CheckInAnswer(cid.verb)
    changed = checkin.answer is not None
    if checkin.answer == CheckInAnswer.MET.value and answer is not CheckInAnswer.MET:
        await unlog_checkin(ctx.session, checkin.id or 0)
    checkin.answer, checkin.answered_at = answer.value, ctx.now
    ctx.session.add(checkin)
    latest = checkin.sequence == plan.sent_count
    if latest:
        plan.awaiting_answer = False
        plan.ignored_in_a_row = 0
        plan.interval_days = plan.base_interval_days  # answering restores the cadence
        plan.not_yet_in_a_row = plan.not_yet_in_a_row + 1 if answer is CheckInAnswer.NOT_YET else 0
    replies = [f"Thanks — noted: {ANSWER_LABELS[answer]}." if not changed else f"Changed to: {ANSWER_LABELS[answer]}."]
    logged = None
    if answer is CheckInAnswer.MET:  # the session log is what counts meetings (and the first is the kick-off)
        logged = await record_meeting(ctx.session, pairing, ctx.member_id, ctx.now, checkin_id=checkin.id)
    if answer is CheckInAnswer.PAUSE:
        until = ctx.now + timedelta(days=PAUSE_DAYS)
        for other in (
            await ctx.session.execute(select(CheckInPlan).where(col(CheckInPlan.pairing_id) == pairing.id))
        ).scalars():
            other.next_checkin_at = max(other.next_checkin_at, until)
            ctx.session.add(other)
        replies.append("Check-ins are paused for two weeks for both of you.")
    if answer is CheckInAnswer.NEED_HELP:
        replies.append("A moderator will get in touch.")
    ctx.session.add(plan)
    ctx.session.add(pairing)
    await ctx.session.flush()
    if answer in (CheckInAnswer.NOT_YET, CheckInAnswer.NEED_HELP):
        await report_if_at_risk(ctx.session, pairing, ctx.now)
    replies.append("Add a line any time: reply note <what happened>.")
    if logged is not None and logged.minutes is None:
        return [Message((msg.text(" ".join(replies)), *length_question(logged)))]
    return [msg.message(" ".join(replies))]


NOTE_MAX = 280
CHECKIN = "checkin"


def parse_checkin(text: str, strict: bool) -> tuple[Answer, ...]:
    """A check-in answered in words: "we met", "not yet", "need help", "pause"."""
    if normalise(text).startswith("note"):
        return ()  # a note for the check-in, not an answer
    verb = typed_choice(
        text,
        {
            CheckInAnswer.MET.value: ("we met", "met", "we've met", "we have met", "yes we met", "we did meet"),
            CheckInAnswer.NOT_YET.value: ("not yet", "we haven't met", "haven't met yet", "not met yet"),
            # not a bare "help": in a DM that word asks the bot for help, and inside a sentence it misleads
            CheckInAnswer.NEED_HELP.value: ("need help", "i need help", "we need help", "help needed", "please help"),
            CheckInAnswer.PAUSE.value: ("pause", "pause 2 weeks", "pause two weeks", "take a break"),
        },
        no=CheckInAnswer.NOT_YET.value,
        strict=strict,
    )
    return one(verb)


async def open_checkins(session: AsyncSession, community_id: int, member_id: int) -> list[OpenQuestion]:
    """The member's latest check-ins still unanswered (one per active plan): their own record is the question."""
    rows = (
        await session.execute(
            select(col(CheckIn.plan_id), col(CheckIn.sequence), col(CheckIn.sent_at))
            .join(CheckInPlan, col(CheckInPlan.id) == col(CheckIn.plan_id))
            .where(
                col(CheckIn.member_id) == member_id,
                col(CheckIn.community_id) == community_id,
                col(CheckIn.answer).is_(None),
                col(CheckInPlan.active).is_(True),
                col(CheckInPlan.sent_count) == col(CheckIn.sequence),
            )
        )
    ).all()
    return [(CHECKIN, f"{plan}.{sequence}", sent) for plan, sequence, sent in rows]


CHECKIN_QUESTION = Question(
    CHECKIN,
    "checkin",
    tuple(a.value for a in CheckInAnswer),
    parse_checkin,
    "How is your mentorship going? Reply we met, not yet, need help or pause — or note <what happened>.",
    open_for=open_checkins,
)


async def on_direct_text(ctx: Ctx, text: str) -> list[Message] | None:
    """`note …` in a DM attaches a one-line note to the member's latest check-in."""
    stripped = text.strip()
    if not stripped.lower().startswith("note"):
        return None
    body = stripped[4:].strip(" :")
    checkin = (
        await ctx.session.execute(
            select(CheckIn)
            .where(col(CheckIn.member_id) == ctx.member_id, col(CheckIn.community_id) == ctx.community_id)
            .order_by(col(CheckIn.sent_at).desc(), col(CheckIn.id).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if checkin is None:
        return None  # not about a check-in: let other handlers answer
    if not body:
        return [msg.message("Write the note after the word note, e.g. note we planned my portfolio review.")]
    if len(body) > NOTE_MAX:
        return [msg.message(f"Keep the note to one line (under {NOTE_MAX} characters); yours has {len(body)}.")]
    checkin.note = body
    ctx.session.add(checkin)
    return [msg.message(msg.text("Added to your check-in: ", UserText(body)))]


__all__ = ["send_due_checkins", "start_plans", "next_checkin_due", "members_of"]
