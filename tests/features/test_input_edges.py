"""Very long, unicode, empty and whitespace-only answers, through the console chat.

For every free-text field a member fills — poll question, poll option, goal, goal
progress, check-in note, feedback text — a table of inputs: unicode (RTL text,
bidi controls, emoji with joiners, zero-width characters) must be stored exactly
as typed; over-long text must be refused with a sentence that names the limit;
empty and whitespace-only text must be refused or ignored, never stored as an
answer, never reach the internal-error apology.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from bot.mentorbot import APOLOGY
from storage.tables import CheckIn, Feedback, Goal, PairNote, Poll
from tests.support.chat import Chat
from tests.support.community import member_id, sign_up

UNICODE = [
    "שלום, מי רוצה להנחות?",  # Hebrew (RTL)
    "مرحبا بالجميع 2026",  # Arabic (RTL) with digits
    "abc \u202eevil\u202c def",  # a right-to-left override inside Latin text
    "Team 👩\u200d👩\u200d👧 and 🧑🏽\u200d💻 welcome",  # emoji with joiners and skin tone
    "zero\u200bwidth\u200dhere\ufeff",  # zero-width space, joiner, BOM
    "Ünïcödé ß ç ø 漢字 かな",
]
BLANK = ["", " ", "   \t  ", "\u3000"]  # \u3000: ideographic space


async def _rows(chat: Chat, model, *where):  # type: ignore[no-untyped-def]
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(model).where(*where))).scalars().all()


async def _paired(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "maria", "mentor")
    await sign_up(chat, "ann", "mentee")
    out = await chat("@carol /mentor match", "@carol /mentor match approve")
    assert "1 introduction" in out


# Each field: how to type `value` into it (returns the bot's answer) and where it is stored.
async def poll_question(chat: Chat, value: str) -> tuple[str, list[str]]:
    await chat("moderators: carol")
    out = await chat(f'@carol /mentor poll "{value}" --options "Mentor" "Mentee"')
    return out, [p.question for p in await _rows(chat, Poll)]


async def poll_option(chat: Chat, value: str) -> tuple[str, list[str]]:
    await chat("moderators: carol")
    out = await chat(f'@carol /mentor poll "Who joins?" --options "{value}" "Mentee"')
    return out, [o["label"] for p in await _rows(chat, Poll) for o in p.options if o["label"] != "Mentee"]


async def goal(chat: Chat, value: str) -> tuple[str, list[str]]:
    await _paired(chat)
    out = await chat(f'@ann /mentor goal set "{value}"')
    return out, [g.text for g in await _rows(chat, Goal)]


async def goal_progress(chat: Chat, value: str) -> tuple[str, list[str]]:
    await _paired(chat)
    await chat('@ann /mentor goal set "Ship a PR"')
    out = await chat(f'@maria /mentor goal update "{value}"')
    return out, [n.text for n in await _rows(chat, PairNote, PairNote.kind == "progress")]


async def checkin_note(chat: Chat, value: str) -> tuple[str, list[str]]:
    await _paired(chat)
    await chat("wait 14d", "@ann click We met")
    out = await chat(f"@ann note {value}")
    ann = await member_id(chat, "ann")
    return out, [c.note for c in await _rows(chat, CheckIn, CheckIn.member_id == ann) if c.note]


async def feedback_text(chat: Chat, value: str) -> tuple[str, list[str]]:
    await _paired(chat)
    await chat("@maria /mentor wrap-up", "@maria click Yes, wrap up", "@ann click 5")
    out = await chat(f"@ann {value}")
    return out, [f.worked for f in await _rows(chat, Feedback) if f.worked]


Field = Callable[[Chat, str], Awaitable[tuple[str, list[str]]]]
FIELDS: dict[str, tuple[Field, int]] = {  # field -> (how to fill it, a length certainly too long)
    "poll question": (poll_question, 301),
    "poll option": (poll_option, 76),
    "goal": (goal, 301),
    "goal progress": (goal_progress, 501),
    "check-in note": (checkin_note, 400),
    "feedback text": (feedback_text, 5000),
}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", UNICODE, ids=[f"unicode{i}" for i in range(len(UNICODE))])
async def test_unicode_is_stored_exactly(chat: Chat, field: str, value: str) -> None:
    fill, _ = FIELDS[field]
    out, stored = await fill(chat, value)
    assert APOLOGY not in out
    assert stored == [value], out


@pytest.mark.parametrize("field", FIELDS)
async def test_very_long_text_is_refused_clearly(chat: Chat, field: str) -> None:
    fill, too_long = FIELDS[field]
    value = ("Lorem ipsum dolor sit amet " * 400)[:too_long].strip() + "z"
    out, stored = await fill(chat, value)
    assert APOLOGY not in out
    assert stored == [], "over-long text must not be stored"
    assert any(word in out for word in ("characters", "Keep", "shorter", "long")), out


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", BLANK, ids=["empty", "space", "spaces-tab", "ideographic-space"])
async def test_empty_and_blank_answers_are_not_stored(chat: Chat, field: str, value: str) -> None:
    fill, _ = FIELDS[field]
    out, stored = await fill(chat, value)
    assert APOLOGY not in out
    assert stored == [], out
