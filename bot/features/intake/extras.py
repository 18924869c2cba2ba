"""Two intake questions whose answers live outside the profile: weekly availability and the spaces.

- Availability ("avail"): when the member is usually free each week, in their own time, read
  by the same parser as `/mentor availability` (which stays the editor). Skipping — or the
  "Any time" button — means any time in waking hours. Saved to the `availability` table, which
  slot finding reads; members who signed up before the question existed are asked it when
  they next edit, and once in the meeting-slot message meanwhile.
- Spaces ("spaces"): asked only when the program file names a community space the member may
  join; the answer is their opt-in ("participants,mentors", "participants", … or "none").
  Saved as `SpaceMember` choices, and the adds go out through the outbox (`spaces.sync_member`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.messages import Button, ButtonStyle, Part, Span
from bot.core.parsing import ParseError
from bot.core.program import Program
from bot.core.questions import NO, YES, normalise
from bot.features.meetings.slots import AVAILABILITY_HELP, describe_availability, parse_availability
from bot.features.spaces.spaces import NAMES, WORDS, choose, configured, offered, rows_of, sync_member
from storage.tables import Availability

AVAIL, SPACES = "avail", "spaces"
NONE = "none"
PRESETS = {  # button arg → the words they stand for (the member's own time)
    "evenings": ("Weekday evenings", "Mon-Fri 17:00-20:00"),
    "daytime": ("Weekday daytime", "Mon-Fri 09:00-17:00"),
    "weekends": ("Weekends", "Sat-Sun 10:00-18:00"),
}
ANY_WORDS = ("any", "any time", "anytime", "whenever", "flexible", "no preference", "skip")


class ExtraInvalid(ValueError):
    """An answer to one of these questions that cannot be stored: the reason, said politely."""


def waking_words(program: Program) -> str:
    start, end = program.waking_hours
    return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"


# --- availability ---------------------------------------------------------------------------


def availability_parts(cid: Any, program: Program) -> list[Part]:
    return [
        msg.text(
            "When are you usually free to meet each week, in your own time? "
            f'Type it like "Mon-Fri 18:00-20:00; Sat 10-14", choose one below, or click Any time '
            f"for any time in waking hours ({waking_words(program)}). /mentor availability changes it later."
        ),
        *(Button(label, cid(AVAIL, key)) for key, (label, _) in PRESETS.items()),
    ]


def parse_availability_text(text: str) -> str:
    """Typed availability → the words stored (any time: ""); `ExtraInvalid` when unclear."""
    said = " ".join(text.split())
    if normalise(said) in ANY_WORDS:
        return ""
    preset = next((words for label, words in PRESETS.values() if normalise(label) == normalise(said)), None)
    if preset is not None:  # a button's label typed
        return preset
    try:
        parse_availability(said)
    except ParseError as exc:  # its words quote the member's: say what to type instead
        raise ExtraInvalid(f"I can't read that as days and hours. {AVAILABILITY_HELP} Or click Any time.") from exc
    return said[:200]


def parse_availability_choice(arg: str) -> str:
    if arg in PRESETS:
        return PRESETS[arg][1]
    if arg == "any":
        return ""
    raise ExtraInvalid("That button is out of date — choose again, or type when you're free.")


def availability_spans(value: Any, program: Program) -> tuple[Span, ...]:
    if value is None:
        return (f"not given yet (any time in waking hours, {waking_words(program)})",)
    if not value:
        return (f"any time in waking hours ({waking_words(program)})",)
    try:
        return (describe_availability(parse_availability(str(value))) + " (your time)",)
    except ParseError:
        return (msg.UserText(str(value)),)


# --- spaces -----------------------------------------------------------------------------------


def spaces_parts(cid: Any, program: Program, answers: dict[str, Any]) -> list[Part]:
    spaces = offered(program, answers.get("role", ""))
    if len(spaces) == 1:
        space = spaces[0]
        return [
            msg.text(
                f"This program has {NAMES[space]}: "
                + ("a channel for everyone in the program" if space == "participants" else "a channel for mentors")
                + ". May I add you to it? You can leave any time with /mentor spaces."
            ),
            Button("Yes, add me", cid(SPACES, space), ButtonStyle.PRIMARY),
            Button("No thanks", cid(SPACES, NONE)),
        ]
    return [
        msg.text(
            "This program has two community spaces: the participants' space for everyone in the program, "
            "and the mentors' space for mentors to share practice. Which may I add you to? "
            "You can leave any time with /mentor spaces."
        ),
        Button("Both", cid(SPACES, ",".join(spaces)), ButtonStyle.PRIMARY),
        *(Button(f"{s.capitalize()} only", cid(SPACES, s)) for s in spaces),
        Button("Neither", cid(SPACES, NONE)),
    ]


def parse_spaces_text(text: str, program: Program, answers: dict[str, Any]) -> str:
    spaces = offered(program, answers.get("role", ""))
    said = normalise(text)
    words = set(said.split())
    if words & {"neither", "none"} or said in NO or said in ("not now", "no spaces"):
        return NONE
    named = [s for s in spaces if any(f" {w} " in f" {said} " for w in WORDS[s])]
    if named and not words & {"no", "not", "dont", "don't", "both", "all"}:
        return ",".join(named)
    if said in YES or said.split()[0] in YES or words & {"both", "all"} or said in ("add me", "yes add me"):
        return ",".join(spaces)
    choices = "yes or no" if len(spaces) == 1 else "both, participants, mentors or neither"
    raise ExtraInvalid(f"Answer {choices} (or click a button). I only add you where you say yes.")


def parse_spaces_choice(arg: str, program: Program, answers: dict[str, Any]) -> str:
    spaces = offered(program, answers.get("role", ""))
    picked = [] if arg == NONE else arg.split(",")
    if not all(s in spaces for s in picked):
        raise ExtraInvalid("That button is out of date — choose again.")
    return ",".join(picked) or NONE


def spaces_spans(value: Any) -> tuple[Span, ...]:
    if value is None:
        return ("not chosen yet (/mentor spaces)",)
    picked = [] if value in (None, "", NONE) else str(value).split(",")
    return (", ".join(NAMES[s] for s in picked if s in NAMES).capitalize() or "None",)


# --- loading and saving -------------------------------------------------------------------------


async def load_answers(session: AsyncSession, program: Program, member_id: int, answers: dict[str, Any]) -> None:
    """Add the stored availability and space choices to `answers` (an edit, the profile).
    Never asked: the key stays out, so an edit asks the question."""
    stored = await session.get(Availability, member_id)
    if stored is not None and (stored.windows or stored.asked_at is not None):
        answers[AVAIL] = stored.text if stored.windows else ""
    spaces = offered(program, answers.get("role", ""))
    rows = await rows_of(session, member_id)  # a row exists once they answered, yes or no
    if spaces and all(s in rows for s in spaces):  # a space they were never asked about: asked
        answers[SPACES] = ",".join(s for s in spaces if s in rows and rows[s].opted_in) or NONE


async def save_answers(ctx: Ctx, answers: dict[str, Any], now: datetime) -> None:
    """On confirm: availability to its table, space choices recorded and the adds/removals queued."""
    if AVAIL in answers:
        text = str(answers[AVAIL] or "")
        windows = parse_availability(text) if text else ()
        stored = await ctx.session.get(Availability, ctx.member_id) or Availability(
            member_id=ctx.member_id, community_id=ctx.community_id
        )
        stored.windows = [[w.weekday, w.start, w.end] for w in windows]
        stored.text, stored.updated_at = text, now
        stored.asked_at = stored.asked_at or now  # asked: the slot message does not ask again
        ctx.session.add(stored)
    if SPACES in answers and configured(ctx.program):
        picked = set(str(answers[SPACES]).split(","))
        spaces = offered(ctx.program, answers.get("role", ""))
        await choose(ctx.session, ctx.community_id, ctx.member_id, {s: s in picked for s in spaces}, now)
    await sync_member(ctx.session, ctx.outbox, ctx.program, ctx.member, now)
