"""The community spaces and the availability question, as members meet them in the console.

Nobody is added to a space without their own yes (intake, a button, or typed words); leaving
and forget-me take them out, a pause does not; every add and removal is an outbox row.
Availability is asked in intake (typed, a preset button or Any time), kept in its own table,
shown in /mentor profile, and asked of members who signed up before it existed when they edit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.program import DEFAULT_PATH
from bot.core.settings import Settings
from storage.tables import Availability, OutboxMessage, SpaceMember
from tests.support.chat import Chat
from tests.support.community import sign_up
from tests.support.intake_flows import member_named, mentee_answers, mentor_answers


def _program(tmp_path: Path, spaces: str) -> Path:
    program = tmp_path / "program.toml"
    program.write_text(DEFAULT_PATH.read_text().replace("[spaces]\n", f"[spaces]\n{spaces}", 1))
    return program


@pytest.fixture
async def spaces_chat(sqlite_factory, tmp_path: Path) -> AsyncIterator[Chat]:  # type: ignore[no-untyped-def]
    program = _program(tmp_path, 'participants = "#participants"\nmentors = "#mentors"\n')
    chat = await Chat.open(
        sqlite_factory, settings=Settings(data_dir=str(tmp_path / "data"), program_path=str(program))
    )
    try:
        yield chat
    finally:
        await chat.close()


def _with_spaces(answers: list[str], user: str, choice: str) -> list[str]:
    """The shared intake answers, with the spaces question answered just before consent."""
    return [*answers[:-1], f"@{user} {choice}", answers[-1]]


async def _space_rows(chat: Chat) -> list[tuple[str, str]]:
    async with chat.bot.db.unit() as s:
        rows = await s.execute(
            select(OutboxMessage.operation, OutboxMessage.destination_target)
            .where(OutboxMessage.operation.in_(["space_add", "space_remove"]))  # type: ignore[attr-defined]
            .order_by(OutboxMessage.id)
        )
        return [(op, target) for op, target in rows.all()]


async def test_a_mentor_who_says_both_in_intake_is_added_to_both_spaces(spaces_chat: Chat) -> None:
    chat = spaces_chat
    out = await chat("@mia /mentor join", "@mia click Mentor", *mentor_answers("mia")[:-1])
    assert "This program has two community spaces" in out
    assert "[1] Both  [2] Participants only  [3] Mentors only  [4] Neither" in out
    out = await chat("@mia maybe later")  # unclear: asked again, nothing stored
    assert "Answer both, participants, mentors or neither" in out and "two community spaces" in out
    out = await chat("@mia yes, both", "@mia click Yes, introduce me")
    assert "Community spaces: The participants' space, the mentors' space" in out
    assert "was added by" not in out  # nothing happens before the member confirms
    out = await chat("@mia click Confirm")
    assert "[#participants] mia was added by mentorbot" in out and "[#mentors] mia was added by mentorbot" in out
    out = await chat("@mia /mentor profile")
    assert "Community spaces: The participants' space, the mentors' space" in out
    assert "Weekly availability: Mon–Fri 17:00–20:00 (your time)" in out


async def test_a_mentee_is_only_asked_about_the_participants_space_and_no_means_never_added(
    spaces_chat: Chat,
) -> None:
    chat = spaces_chat
    out = await chat("@ann /mentor join", "@ann click Mentee", *mentee_answers("ann")[:-1])
    assert "This program has the participants' space" in out and "mentors' space" not in out
    assert "[1] Yes, add me  [2] No thanks" in out
    out = await chat("@ann click No thanks", "@ann click Yes, introduce me", "@ann click Confirm")
    assert "Community spaces: None" in out and "was added" not in out
    assert await _space_rows(chat) == []  # declining writes nothing for any platform to do
    out = await chat("@ann /mentor spaces join mentors")
    assert "The mentors' space is for mentors." in out and "was added" not in out
    # The button and the typed words both work, and act once.
    out = await chat("@ann /mentor spaces")
    assert "The participants' space — a channel for everyone in the program" in out and "[1] Join participants" in out
    out = await chat("@ann click Join participants")
    assert "I'm adding you now: the participants' space." in out and "[#participants] ann was added by mentorbot" in out
    out = await chat("@ann /mentor spaces join")
    assert "You're already in: the participants' space." in out and "was added" not in out
    await chat("@ann /mentor spaces")
    out = await chat("@ann leave please")
    assert "I'm taking you out of the participants' space." in out and "[#participants] ann was removed" in out
    member = await member_named(chat, "ann")
    assert await _space_rows(chat) == [
        ("space_add", f"#participants|{member.platform_user_id}"),
        ("space_add", f"#participants|{member.platform_user_id}"),  # asked again: re-sent, a no-op when in
        ("space_remove", f"#participants|{member.platform_user_id}"),
    ]


async def test_pause_keeps_a_member_in_the_spaces_leave_takes_them_out(spaces_chat: Chat) -> None:
    chat = spaces_chat
    await chat("@mia /mentor join", "@mia click Mentor", *_with_spaces(mentor_answers("mia"), "mia", "mentors only"))
    out = await chat("@mia click Confirm")
    assert "[#mentors] mia was added by mentorbot" in out and "#participants" not in out
    out = await chat("@mia /mentor pause 2", "wait 15d")
    assert "removed" not in out
    out = await chat("@mia /mentor leave")
    assert "[#mentors] mia was removed by mentorbot" in out
    out = await chat("@mia /mentor spaces join mentors")
    assert "/mentor join signs you up first" in out and "was added" not in out


async def test_forget_me_takes_a_member_out_and_deletes_their_choices(spaces_chat: Chat) -> None:
    chat = spaces_chat
    await chat("@ann /mentor join", "@ann click Mentee", *_with_spaces(mentee_answers("ann"), "ann", "yes"))
    out = await chat("@ann click Confirm")
    assert "[#participants] ann was added by mentorbot" in out
    out = await chat("@ann /mentor forget-me", "@ann click Yes, delete my data")
    assert "[#participants] ann was removed by mentorbot" in out
    await chat("wait 1m")  # the sweep blanks the platform id in the sent removal
    async with chat.bot.db.unit() as s:
        assert (await s.execute(select(SpaceMember))).scalars().all() == []
        targets = (await s.execute(select(OutboxMessage.destination_target))).scalars().all()
    assert not any(t.endswith("|ann") for t in targets)
    assert any(t.startswith("#participants|forgotten:") for t in targets)


async def test_without_spaces_in_the_program_nothing_is_asked(chat: Chat) -> None:
    out = await chat("@ann /mentor join", "@ann click Mentee", *mentee_answers("ann"), "@ann click Confirm")
    assert "community space" not in out.casefold() and "You're signed up as a mentee" in out
    out = await chat("@ann /mentor spaces")
    assert "This program has no community spaces yet" in out
    assert await _space_rows(chat) == []


async def test_thanks_go_to_the_participants_space_without_a_thanks_channel(sqlite_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    program = _program(tmp_path, 'participants = "#participants"\n')
    chat = await Chat.open(
        sqlite_factory, settings=Settings(data_dir=str(tmp_path / "data"), program_path=str(program))
    )
    try:
        await chat("moderators: carol")
        await sign_up(chat, "maria", "mentor", topics_offered=["Tx"])
        await sign_up(chat, "ann", "mentee", topics_wanted=["Tx"])
        await chat("@carol /mentor match", "@carol /mentor match approve")
        out = await chat("@maria /mentor thanks on")
        assert "you'll be thanked by name in the participants' space" in out
        out = await chat("wait 9d")
        assert "[#participants] Thank you, mentors! In November these mentors gave their time: maria." in out
    finally:
        await chat.close()


# --- availability ------------------------------------------------------------------------------


async def test_availability_is_asked_in_intake_and_kept_for_finding_a_time(chat: Chat) -> None:
    answers = mentee_answers("ann")
    at = answers.index("@ann click Any time")
    out = await chat("@ann /mentor join", "@ann click Mentee", *answers[:at])
    assert "When are you usually free to meet each week, in your own time?" in out
    assert "[1] Weekday evenings  [2] Weekday daytime  [3] Weekends  [4] Any time" in out
    out = await chat("@ann click Weekends", *answers[at + 1 :], "@ann click Confirm")
    assert "Weekly availability: Sat–Sun 10:00–18:00 (your time)" in out
    out = await chat("@ann /mentor availability")
    assert "You're usually free: Sat–Sun 10:00–18:00 (your time)." in out
    await chat("@ann /mentor availability Tue 18-20")  # the command stays the editor
    out = await chat("@ann /mentor profile")
    assert "Weekly availability: Tue 18:00–20:00 (your time)" in out


async def test_any_time_means_waking_hours_and_is_not_asked_again(chat: Chat) -> None:
    await chat("@ann /mentor join", "@ann click Mentee", *mentee_answers("ann"), "@ann click Confirm")
    member = await member_named(chat, "ann")
    async with chat.bot.db.unit() as s:
        stored = await s.get(Availability, member.id)
    assert stored is not None and stored.windows == [] and stored.asked_at is not None
    out = await chat("@ann /mentor profile")
    assert "Weekly availability: any time in waking hours (08:00–20:00)" in out


async def test_members_who_signed_up_before_are_asked_when_they_edit(chat: Chat) -> None:
    await sign_up(
        chat,
        "omar",
        "mentor",
        can_help_with="Reviews of Python code and tests",
        career_stage="senior",
        hours_per_month=4,
        languages=["English"],
    )
    # (a profile from before the question existed: no availability stored)
    out = await chat("@omar /mentor profile")
    assert "Weekly availability: not given yet (any time in waking hours, 08:00–20:00)" in out
    out = await chat("@omar /mentor edit")
    assert "When are you usually free to meet each week" in out
    out = await chat("@omar Mon-Wed 12:00-13:00")
    assert "Weekly availability: Mon–Wed 12:00–13:00 (your time)" in out
    out = await chat("@omar click Save", "@omar /mentor availability")
    assert "You're usually free: Mon–Wed 12:00–13:00" in out


async def test_members_from_before_the_question_are_asked_once_in_the_slot_message(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor", topics_offered=["Tx"])  # no availability stored: never asked
    await sign_up(chat, "ann", "mentee", topics_wanted=["Tx"])
    out = await chat("@carol /mentor match", "@carol /mentor match approve")
    assert "Find a time:" in out and out.count("Tell me when you are usually free") == 1
    out = await chat("@ann /mentor schedule")
    assert "Find a time:" in out and "Tell me when you are usually free" not in out  # once, not every time


async def test_a_mentor_who_becomes_a_mentee_leaves_the_mentors_space_only(spaces_chat: Chat) -> None:
    chat = spaces_chat
    await chat("@mia /mentor join", "@mia click Mentor", *_with_spaces(mentor_answers("mia"), "mia", "both"))
    await chat("@mia click Confirm")
    out = await chat(
        "@mia /mentor edit role",
        "@mia click Mentee",
        "@mia pick Rust",
        "@mia Learn to give conference talks",
        "@mia click Save",
    )
    assert "[#mentors] mia was removed by mentorbot" in out and "#participants" not in out
    out = await chat("@mia /mentor spaces")
    assert "The participants' space" in out and "you're in" in out and "mentors' space" not in out
