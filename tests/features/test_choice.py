"""Choice rounds through the console: shortlists, picks, a decline, a silent mentor, the fallback."""

import pytest
from sqlalchemy import select

from bot.features.rounds import approval
from storage.tables import MenteeChoice, Pairing
from tests.support.chat import Chat
from tests.support.community import member_id, sign_up


async def _community(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(
        chat,
        "maria",
        "mentor",
        topics_offered=["Python"],
        capacity=1,
        years_experience=12,
        can_help_with="Testing and packaging Python libraries",
    )
    await sign_up(
        chat,
        "omar",
        "mentor",
        topics_offered=["Python"],
        capacity=1,
        years_experience=8,
        can_help_with="Web backends in Python and Django",
    )
    await sign_up(chat, "lin", "mentor", topics_offered=["Python"], capacity=1, years_experience=6)
    await sign_up(chat, "ann", "mentee", topics_wanted=["Python"], goals="learn testing in Python")
    await sign_up(chat, "ben", "mentee", topics_wanted=["Python"], goals="build a Django backend")
    await sign_up(chat, "cyd", "mentee", topics_wanted=["Python"])


async def _pairs(chat: Chat) -> set[tuple[int, int]]:
    async with chat.bot.db.unit() as s:
        return {(a, b) for a, b in (await s.execute(select(Pairing.mentee_member_id, Pairing.mentor_member_id))).all()}


async def test_choice_round_picks_decline_silence_and_fallback(any_factory) -> None:  # type: ignore[no-untyped-def]
    """On SQLite and on PostgreSQL (the deadline sweep claims rounds FOR UPDATE SKIP LOCKED there)."""
    chat = await Chat.open(any_factory)
    try:
        await _full_round(chat)
    finally:
        await chat.close()


async def _full_round(chat: Chat) -> None:
    await _community(chat)
    out = await chat("@carol /mentor match --choice")
    assert "Choice round #1 — waiting for approval" in out
    assert "3 mentees get a shortlist of up to 3 mentors" in out
    assert "[1] Send the shortlists" in out
    out = await chat("@carol click Send the shortlists")
    assert "Round #1 is open for choices: 3 shortlists on the way." in out
    assert "[DM ann] Choose your mentor" in out
    assert "suggested first" in out and "In their words: Testing and packaging Python libraries" in out
    assert "None of these fit" in out
    assert await _pairs(chat) == set()
    # a member cannot start another round meanwhile, and cannot click someone else's list
    assert "is open until" in await chat("@carol /mentor match")
    # ann picks her first suggestion; maria accepts
    out = await chat("@ann click Choose maria")
    assert "You chose maria" in out and "[DM maria] A mentee chose you: ann" in out
    out = await chat("@maria click Accept")
    assert "[DM ann] maria accepted!" in out
    # ben looks at his list again; cyd says none of these fit
    out = await chat("@ben /mentor choice")
    assert "You have not picked yet." in out
    out = await chat("@cyd click None of these fit")
    assert "you keep priority next round" in out
    await chat('@cyd /mentor choice none "I would like a mentor in my time zone"')
    out = await chat("@ben click 2")  # an alternative: maria, whose place ann has taken
    assert "places are already taken this round" in out
    out = await chat("@ben click 1")  # his first suggestion
    assert "You chose" in out
    # the moderators see the state
    out = await chat("@carol /mentor match show")
    assert "Choice round #1 — open for choices" in out
    assert "1 accepted" in out and "1 picked, waiting for the mentor" in out and "1 none of these fit" in out
    assert "I would like a mentor in my time zone" in out
    # the deadline: ben's mentor never answered (silence is not acceptance by default) → he falls back
    out = await chat("wait 8d")
    assert "Choice round #1 closed: " in out
    assert "2 chose their first suggestion, 0 an alternative, 1 none of them" in out
    assert "1 without an answer; 1 fell back to the optimum, 0 unplaced. 2 introductions on the way." in out
    pairs = await _pairs(chat)
    assert len(pairs) == 2  # ann with maria; ben falls back to whoever is still free; cyd withdrew
    async with chat.bot.db.unit() as s:
        states = sorted(c.state for c in (await s.execute(select(MenteeChoice))).scalars())
    assert states == ["accepted", "fell_back", "none"]
    assert "[DM ann+maria] Hello @ann and @maria!" in out


async def test_decline_lets_the_mentee_pick_again_and_close_early(chat: Chat) -> None:
    await _community(chat)
    await chat("@carol /mentor match --choice", "@carol click Send the shortlists")
    await chat("@ann click Choose maria")
    out = await chat("@maria click Decline")
    assert "[DM ann] maria can't take you on this round" in out
    out = await chat("@ann click Choose maria")
    assert "cannot take you on this round" in out
    out = await chat("@ann click 2")
    assert "You chose" in out
    out = await chat("@ann /mentor match close")
    assert "Only moderators can use /mentor match close" in out
    out = await chat("@carol /mentor match close")
    assert "This cannot be undone" in out and "Close now and introduce" in out
    out = await chat("@carol click Close now and introduce")
    assert "Choice round #1 closed" in out and "1 without an answer" in out
    assert "0 chose their first suggestion, 1 an alternative" in out and "1 declined by the mentor" in out
    pairs = await _pairs(chat)
    assert len(pairs) == 3  # everyone falls back to the optimum over who is free
    assert (await member_id(chat, "ann"), await member_id(chat, "maria")) not in pairs  # she declined ann
    assert "not open for choices" in await chat("@carol click Close now and introduce")


async def test_stats_count_first_suggestion_alternative_and_none(chat: Chat) -> None:
    await _community(chat)
    out = await chat("@carol /mentor stats")
    assert "Choice rounds" not in out  # no choice round yet: nothing to count
    await chat("@carol /mentor match --choice", "@carol click Send the shortlists")
    await chat("@ann click 1", "@ben click 2", "@cyd click None of these fit")
    out = await chat("@carol /mentor stats")
    assert "Choice rounds — what mentees did with their shortlists" in out
    assert "3 shortlists: chose the first suggestion 1 · an alternative 1 · none of them 1" in out


async def test_program_mode_choice_schedules_choice_rounds_and_silence_can_accept(sqlite_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace as dc_replace

    from bot.core.program import DEFAULT_PATH
    from bot.core.settings import Settings

    program_file = tmp_path / "program.toml"
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    text = text.replace("auto_approve = false", "auto_approve = true").replace('mode = "assign"', 'mode = "choice"')
    program_file.write_text(text.replace("silence_accepts = false", "silence_accepts = true"))
    chat = await Chat.open(sqlite_factory, settings=dc_replace(Settings(), program_path=str(program_file)))
    try:
        await _community(chat)
        out = await chat("@carol /mentor match --every 2w")
        assert "Choice round #1 — waiting for approval" in out  # the program's mode, no flag needed
        out = await chat("@carol /mentor match drop 1")
        assert "the mentees choose from their shortlists" in out
        out = await chat("@carol /mentor match recompute")
        assert "Choice round #2 — waiting for approval" in out  # recomputing keeps the mode
        await chat("@carol /mentor match discard")
        out = await chat("wait 14d")
        assert "[DM ann] Choose your mentor" in out  # auto_approve sends the shortlists
        out = await chat("@ann click 1", "@ben click 1")
        assert out.count("A mentee chose you") == 2
        out = await chat("@carol /mentor match --assign")
        assert "is open until" in out  # one choice round at a time
        out = await chat("wait 7d")
        assert "Choice round #3 closed: 2 chose their first suggestion" in out
        assert "2 without an answer" in out  # silence accepted (the program file says so)
        async with chat.bot.db.unit() as s:
            states = sorted(c.state for c in (await s.execute(select(MenteeChoice))).scalars())
        assert states == ["accepted", "accepted", "fell_back"]
    finally:
        await chat.close()


async def test_forget_me_removes_a_mentees_choice_and_reason(chat: Chat) -> None:
    await _community(chat)
    await chat("@carol /mentor match --choice", "@carol click Send the shortlists")
    await chat('@cyd /mentor choice none "my manager <!here> is a mentor here"')
    await chat("@cyd /mentor forget-me", "@cyd click 1")
    async with chat.bot.db.unit() as s:
        reasons = [c.reason for c in (await s.execute(select(MenteeChoice))).scalars()]
    assert len(reasons) == 2 and not any("manager" in r for r in reasons)
    out = await chat("@carol /mentor match close", "@carol click Close now and introduce")
    assert "Choice round #1 closed" in out


async def test_closing_early_asks_the_runtime_to_introduce_the_later_batches_at_once(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approval, "APPROVE_BATCH", 1)
    await _community(chat)
    await chat("@carol /mentor match --choice", "@carol click Send the shortlists", "@ann click Choose maria")
    chat.bot.take_sweep_request()  # whatever came before the close
    await chat("@carol /mentor match close", "@carol click Close now and introduce")
    assert len(await _pairs(chat)) == 1  # the close introduced one batch; the sweep does the rest
    assert chat.bot.take_sweep_request() is True
