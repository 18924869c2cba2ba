"""Rounds that need a moderator remind one; a round with nothing to approve asks nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.program import DEFAULT_PATH, ProgramError, parse_program
from bot.core.settings import Settings
from tests.support.chat import Chat
from tests.support.community import sign_up
from tests.support.db import DatabaseFactory


async def _community(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "maria", "mentor", topics_offered=["Python"], capacity=2)
    await sign_up(chat, "ann", "mentee", topics_wanted=["Python"])


def _reminders(out: str) -> list[str]:
    return [line for line in out.splitlines() if "Reminder: matching round" in line]


async def test_a_waiting_round_reminds_the_moderators_after_two_and_five_days_then_stays_quiet(chat: Chat) -> None:
    await _community(chat)
    await chat("@carol /mentor match")
    assert not _reminders(await chat("wait 47h"))
    out = await chat("wait 2h")
    assert _reminders(out) == [
        "[#general] Reminder: matching round #1 has waited 2 days for a moderator's approval"
        " — 1 pair not introduced yet."
    ], out
    assert "Show the round" in out and "Approve and introduce" in out and "last reminder" not in out
    assert not _reminders(await chat("wait 2d"))
    out = await chat("wait 1d")
    assert len(_reminders(out)) == 1 and "waited 5 days" in out and "This is the last reminder." in out
    assert not _reminders(await chat("wait 30d"))
    # The reminder's button shows the round as it stands; approving still works afterwards.
    out = await chat("@carol click Show the round")
    assert "Matching round #1 — waiting for approval" in out
    assert "Round #1 approved" in await chat("@carol /mentor match approve")


async def test_approving_or_discarding_stops_the_reminders(chat: Chat) -> None:
    await _community(chat)
    await chat("@carol /mentor match", "wait 3d")
    await chat("@carol /mentor match approve")
    assert not _reminders(await chat("wait 10d"))
    await sign_up(chat, "bea", "mentee", topics_wanted=["Python"])
    await chat("@carol /mentor match", "@carol /mentor match discard")
    assert not _reminders(await chat("wait 10d"))


async def test_a_round_with_no_pairs_says_why_and_asks_nothing(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "ann", "mentee", topics_wanted=["Haskell"])
    await sign_up(chat, "maria", "mentor", topics_offered=["Python"])
    out = await chat("@carol /mentor match")
    assert "Matching round #1 — 0 pairs, nothing to approve." in out
    assert "Why: 1 mentee is waiting, but no available mentor fits" in out and "Haskell" in out
    assert "(1 because no mentor offers their topic)" in out
    assert "Approve and introduce" not in out and "Review, then approve" not in out and "[1]" not in out
    assert not _reminders(await chat("wait 10d"))
    out = await chat("@carol /mentor match approve")
    assert "discarded" in out  # nothing to approve, said politely


async def test_no_mentee_waiting_is_the_reason_given(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor", topics_offered=["Python"])
    out = await chat("@carol /mentor match")
    assert "0 pairs, nothing to approve" in out and "no mentee is waiting for a mentor" in out


async def test_the_reminder_days_come_from_the_program_file(sqlite_factory: DatabaseFactory, tmp_path: Path) -> None:
    program = tmp_path / "program.toml"
    program.write_text(
        DEFAULT_PATH.read_text(encoding="utf-8").replace(
            "approval_reminder_days = [2, 5]", "approval_reminder_days = [1]"
        ),
        encoding="utf-8",
    )
    chat = await Chat.open(
        sqlite_factory, settings=Settings(data_dir=str(tmp_path / "data"), program_path=str(program))
    )
    try:
        await _community(chat)
        await chat("@carol /mentor match")
        out = await chat("wait 1d")
        assert "waited 1 day for" in out and "This is the last reminder." in out
        assert not _reminders(await chat("wait 10d"))
    finally:
        await chat.close()


@pytest.mark.parametrize("value", ["[5, 2]", "[0]", "[2, 2]", '"2d"', "[1, 2, 3, 4, 5, 6]"])
def test_reminder_days_must_rise_within_limits(value: str) -> None:
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace(
        "approval_reminder_days = [2, 5]", f"approval_reminder_days = {value}"
    )
    with pytest.raises(ProgramError, match="approval_reminder_days"):
        parse_program(text)
