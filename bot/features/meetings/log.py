"""The pair's session log: "We met" with a date, a length and a one-line note for the pair.

Every meeting count in the bot comes from this log (`storage.meeting_log`): check-in
health, at-risk signals, the completion summary, certificates and the dashboard. A
"We met" check-in answer or the kick-off button logs a session at once; one more tap
gives its length. `/mentor log 45m "résumé review" --on 2026-12-01` logs one by command,
and `/mentor log` alone shows the pair their log (notes are for the pair only: moderator
views and exports count sessions, never show the notes).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, Message, UserText
from bot.core.parsing import Arity, ParseError, parse_args
from bot.core.questions import close as close_questions
from bot.core.router import ComponentId
from bot.features.pairs.answers import KICKOFF
from bot.features.pairs.pairs import my_pairing
from storage.meeting_log import logged_for
from storage.tables import MeetingLog, Pairing

NOTE_MAX = 200
SAME_SESSION = timedelta(days=7)  # a partner's "We met" this close to one's own is the same session
LONGEST = 8 * 60  # one session; longer is almost surely a typo
ONE_TAP = ((30, "30 min"), (45, "45 min"), (60, "1 hour"), (90, "1½ hours"))
_LENGTH = re.compile(r"^(?:(\d{1,2}(?:[.,]\d)?)\s*h(?:ours?|rs?)?)?\s*(?:(\d{1,3})\s*m(?:in(?:ute)?s?)?)?$")
LOG_HELP = 'Try /mentor log 45m "résumé review" --on 2026-12-01 (the date is optional: today).'


def parse_length(text: str) -> int:
    """`45m`, `1h`, `1.5h`, `1h30m`, `90 min` → minutes (1 to 8 hours)."""
    raw = text.strip().lower().replace(" ", "")
    match = _LENGTH.match(raw)
    if not raw or not match or not (match.group(1) or match.group(2)):
        raise ParseError(f"I can't read {text!r} as the length of a meeting. {LOG_HELP}")
    minutes = round(float((match.group(1) or "0").replace(",", ".")) * 60) + int(match.group(2) or 0)
    if not 1 <= minutes <= LONGEST:
        raise ParseError("A meeting's length must be between 1 minute and 8 hours.")
    return minutes


def parse_day(text: str, now: datetime, tz: str) -> datetime:
    """`2026-12-01`, `today`, `yesterday` → noon of that day in `tz` (UTC); never in the future."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        day = today - timedelta(days=1 if word == "yesterday" else 0)
    else:
        try:
            day = date.fromisoformat(word)
        except ValueError as exc:
            raise ParseError(f"{text!r} is not a date: write it as YYYY-MM-DD, today or yesterday.") from exc
    if day > today:
        raise ParseError("That date is still to come: log a meeting after it happened.")
    return min(datetime.combine(day, time(12, 0), zone).astimezone(ZoneInfo("UTC")), now)


def minutes_words(minutes: int) -> str:
    """90 → "1 h 30 min"; 45 → "45 min"."""
    h, m = divmod(minutes, 60)
    return " ".join(w for w in (f"{h} h" if h else "", f"{m} min" if m else "") if w) or "0 min"


async def record_meeting(
    session: AsyncSession,
    pairing: Pairing,
    member_id: int,
    now: datetime,
    *,
    met_on: datetime | None = None,
    minutes: int | None = None,
    note: str = "",
    checkin_id: int | None = None,
) -> MeetingLog:
    """Log a session (one per check-in: a second "We met" on the same check-in finds the first)."""
    entry = None
    if checkin_id is not None:
        entry = (
            await session.execute(select(MeetingLog).where(col(MeetingLog.checkin_id) == checkin_id))
        ).scalar_one_or_none()
        # Both members answer "We met" about the same session: the second answer joins the first.
        entry = (
            entry
            or (
                await session.execute(
                    select(MeetingLog)
                    .where(
                        col(MeetingLog.pairing_id) == pairing.id,
                        col(MeetingLog.logged_by_member_id) != member_id,
                        col(MeetingLog.checkin_id).is_not(None),
                        col(MeetingLog.met_on) >= now - SAME_SESSION,
                    )
                    .order_by(col(MeetingLog.met_on).desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        )
    if entry is None:
        entry = MeetingLog(
            community_id=pairing.community_id,
            pairing_id=pairing.id,  # type: ignore[arg-type]
            logged_by_member_id=member_id,
            met_on=met_on or now,
            minutes=minutes,
            note=note,
            checkin_id=checkin_id,
            created_at=now,
        )
        session.add(entry)
    if pairing.kickoff_at is None:  # the first session logged is the kick-off
        pairing.kickoff_at, pairing.kickoff_due_at = met_on or now, None
        session.add(pairing)
        both = [pairing.mentee_member_id, pairing.mentor_member_id]  # nobody is asked about it any more
        await close_questions(session, both, key=str(pairing.id), names=[KICKOFF])
    await session.flush()
    return entry


async def unlog_checkin(session: AsyncSession, checkin_id: int) -> None:
    """A "We met" answer changed to something else: that session did not happen after all."""
    await session.execute(delete(MeetingLog).where(col(MeetingLog.checkin_id) == checkin_id))


def length_question(entry: MeetingLog) -> tuple[msg.Part, ...]:
    """The optional one tap after "We met": how long it was (the date is the day of the click)."""
    key = str(entry.id)
    return (
        msg.text("How long was it? (optional — one tap)"),
        *(Button(label, str(ComponentId("met", key, "len", str(m)))) for m, label in ONE_TAP),
        msg.text('Another date or a note for the two of you: /mentor log 45m "what you did" --on 2026-12-01.'),
    )


async def on_met_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """`mentor:met:<log id>:len:<minutes>` — the length of a session just logged."""
    if not cid.key.isdigit() or cid.verb != "len" or not cid.arg.isdigit():
        raise InvalidInput("That button is not valid any more.")
    entry = await ctx.session.get(MeetingLog, int(cid.key))
    if entry is None or entry.community_id != ctx.community_id:
        raise NotFound("I can't find that meeting any more (it may have been changed to another answer).")
    pairing = await ctx.session.get(Pairing, entry.pairing_id)
    if pairing is None or ctx.member_id not in (pairing.mentee_member_id, pairing.mentor_member_id):
        raise InvalidInput("That meeting belongs to another pair.")
    entry.minutes = min(int(cid.arg), LONGEST)
    ctx.session.add(entry)
    return [
        msg.message(f"Logged: {minutes_words(entry.minutes)} on {entry.met_on.astimezone(ZoneInfo(ctx.tz)):%a %d %b}.")
    ]


async def log_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor log <length> ["note"] [--on <date>] [--pair <n>]`; bare: the pair's log."""
    parsed = parse_args(args, {"on": Arity.ONE, "pair": Arity.ONE})
    pairing = await my_pairing(ctx, parsed.one("pair"), "log a meeting")
    if not parsed.positional:
        if parsed.one("on"):
            raise ParseError(f"Say how long you met. {LOG_HELP}")
        return [await pair_log(ctx, pairing)]
    if len(parsed.positional) > 2:
        raise ParseError(f"Put the note in quotes. {LOG_HELP}")
    minutes = parse_length(parsed.positional[0])
    note = parsed.positional[1].strip() if len(parsed.positional) == 2 else ""
    if len(note) > NOTE_MAX or "\n" in note:
        raise ParseError(f"Keep the note to one line under {NOTE_MAX} characters.")
    met_on = parse_day(parsed.one("on") or "today", ctx.now, ctx.tz)
    if met_on < pairing.started_at - timedelta(days=1):
        raise ParseError("That date is before your mentorship started.")
    await record_meeting(ctx.session, pairing, ctx.member_id, ctx.now, met_on=met_on, minutes=minutes, note=note)
    total = await logged_for(ctx.session, [pairing.id])  # type: ignore[list-item]
    said: list[msg.Span] = [f"Logged {minutes_words(minutes)} on {met_on.astimezone(ZoneInfo(ctx.tz)):%a %d %b}"]
    if note:
        said += [": ", UserText(note)]
    said.append(f". Your pair has logged {msg.plural(total.meetings, 'meeting')} ({minutes_words(total.minutes)}).")
    return [msg.message(msg.Text(tuple(said)))]


async def pair_log(ctx: Ctx, pairing: Pairing) -> Message:
    """The pair's own log, notes included (only the two of them can ask for it)."""
    rows = (
        (
            await ctx.session.execute(
                select(MeetingLog)
                .where(col(MeetingLog.pairing_id) == pairing.id, col(MeetingLog.community_id) == ctx.community_id)
                .order_by(col(MeetingLog.met_on).desc(), col(MeetingLog.id).desc())
                .limit(20)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return msg.message(f"No meetings logged yet. {LOG_HELP}")
    total = await logged_for(ctx.session, [pairing.id])  # type: ignore[list-item]
    parts: list[msg.Part] = [
        msg.text(
            msg.Strong("Your meetings"),
            f" — {msg.plural(total.meetings, 'meeting')}, {minutes_words(total.minutes)} logged:",
        )
    ]
    zone = ZoneInfo(ctx.tz)
    for row in rows:
        length = minutes_words(row.minutes) if row.minutes else "length not given"
        line: list[msg.Span] = [f"{row.met_on.astimezone(zone):%a %d %b %Y} — {length}"]
        if row.note:
            line += [": ", UserText(row.note)]
        parts.append(msg.Text(tuple(line)))
    return Message(tuple(parts))
