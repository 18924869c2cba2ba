"""Matching rounds reviewed by a moderator, and the introductions they send."""

import asyncio

from sqlalchemy import func, select

from adapters.console.session import COMMUNITY
from bot.core.events import ComponentAction
from storage.tables import OutboxMessage, Pairing, Profile
from tests.support.chat import Chat
from tests.support.community import sign_up


async def _small_community(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor", topics_offered=["Python", "Rust"], capacity=2, years_experience=12)
    await sign_up(chat, "omar", "mentor", topics_offered=["Go"], capacity=1, years_experience=8)
    await sign_up(chat, "ann", "mentee", topics_wanted=["Python"], goals="learn testing in Python")
    await sign_up(chat, "ben", "mentee", topics_wanted=["Go"])
    await sign_up(chat, "cyd", "mentee", topics_wanted=["Haskell"])


async def _count(chat: Chat, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_members_cannot_run_rounds(chat: Chat) -> None:
    await _small_community(chat)
    out = await chat("@ann /mentor match")
    assert "Only moderators can use /mentor match" in out
    out = await chat("@ann /mentor match approve")
    assert "Only moderators can use /mentor match approve" in out


async def test_proposal_shows_pairs_reasons_unmatched_and_gaps(chat: Chat) -> None:
    await _small_community(chat)
    out = await chat("@carol /mentor match")
    assert "[only carol] Matching round #1 — waiting for approval" in out
    assert "2 pairs" in out and "1 mentee without a mentor this round" in out
    assert "ann ← maria" in out and "ben ← omar" in out
    assert "Python" in out  # a reason names the shared topic
    assert "cyd: " in out and "Haskell" in out  # the unmatched mentee and why
    assert "[1] Approve and introduce  [2] Recompute  [3] Discard" in out
    assert await _count(chat, Pairing) == 0  # nothing happens before approval
    assert "[DM" not in out


async def test_dry_run_never_introduces(chat: Chat) -> None:
    await _small_community(chat)
    out = await chat("@carol /mentor match --dry-run")
    assert "dry run — nobody will be introduced" in out and "Approve" not in out
    out = await chat("@carol /mentor match approve")
    assert "is a dry run" in out
    assert await _count(chat, Pairing) == 0


async def test_approve_introduces_each_pair_once_even_when_pressed_twice(chat: Chat) -> None:
    await _small_community(chat)
    await chat("@carol /mentor match")
    out = await chat("@carol click Approve and introduce")
    assert "Round #1 approved: 2 introductions on the way." in out
    assert "[DM ann+maria] Hello @ann and @maria! You are matched" in out
    assert "[DM ben+omar]" in out
    assert "Partnership policy to agree: meet every two weeks by video call" in out
    assert "[1] Confirm the policy  [2] Propose changes  [3] We've had our kick-off" in out
    out = await chat("@carol /mentor match approve")
    assert "already approved" in out and "[DM" not in out
    # a stale click on the old proposal's button as well
    replies = await chat.bot.handle(
        ComponentAction(COMMUNITY, chat.session.actor("carol"), "#general", "mentor:round:1:approve")
    )
    assert "already approved" in replies[0].plain_text()
    assert await _count(chat, Pairing) == 2
    assert await _count(chat, OutboxMessage, OutboxMessage.dedupe_key.like("intro:%")) == 2
    async with chat.bot.db.unit() as s:
        statuses = dict((await s.execute(select(Profile.member_id, Profile.status))).all())
        cyd = (await s.execute(select(Profile).where(Profile.status == "waiting"))).scalar_one()
    assert sorted(statuses.values()).count("active") == 4
    assert cyd.times_unmatched == 1  # keeps priority next round


async def test_concurrent_double_approval_creates_one_set_of_pairings(chat: Chat) -> None:
    await _small_community(chat)
    await chat("@carol /mentor match")
    click = ComponentAction(COMMUNITY, chat.session.actor("carol"), "#general", "mentor:round:1:approve")
    first, second = await asyncio.gather(chat.bot.handle(click), chat.bot.handle(click))
    texts = sorted([first[0].plain_text(), second[0].plain_text()])
    assert any("approved: 2 introductions" in t for t in texts)
    assert any("already approved" in t or "just approved by someone else" in t for t in texts)
    assert await _count(chat, Pairing) == 2


async def test_restart_in_the_middle_of_sending_introductions_loses_and_duplicates_nothing(chat: Chat) -> None:
    await _small_community(chat)
    await chat("@carol /mentor match")
    # Approve without delivering, deliver one message, then "crash".
    click = ComponentAction(COMMUNITY, chat.session.actor("carol"), "#general", "mentor:round:1:approve")
    await chat.bot.handle(click)
    await chat.bot.deliver_outbox(chat.session.messenger, max_rows=1, concurrency=1)
    out = await chat("restart", "wait 1m")
    everything = "\n".join(chat.lines)
    assert everything.count("[DM ann+maria] Hello") == 1
    assert everything.count("[DM ben+omar] Hello") == 1
    assert "restarted" in out


async def test_drop_and_swap(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor", topics_offered=["Python"])
    await sign_up(chat, "max", "mentor", topics_offered=["Python"])
    await sign_up(chat, "ann", "mentee", topics_wanted=["Python"])
    await sign_up(chat, "amy", "mentee", topics_wanted=["Python"])
    out = await chat("@carol /mentor match")
    before = {line.split(". ", 1)[1].split(" (fit")[0] for line in out.splitlines() if " ← " in line}
    out = await chat("@carol /mentor match swap 1 2")
    assert "Swapped the mentors of pairs 1 and 2." in out
    after = {line.split(". ", 1)[1].split(" (fit")[0] for line in out.splitlines() if " ← " in line}
    assert before != after and len(after) == 2
    out = await chat("@carol /mentor match drop 2")
    # The proposal shown again counts only the kept pair and names the dropped one.
    assert "Pair 2 is dropped" in out and "1 pair, average fit" in out and "Dropped: 2." in out
    assert sum(" ← " in line for line in out.splitlines()) == 1
    out = await chat("@carol /mentor match approve")
    assert "approved: 1 introduction on the way" in out
    assert await _count(chat, Pairing) == 1


async def test_swap_that_breaks_a_hard_rule_is_refused(chat: Chat) -> None:
    await _small_community(chat)
    await chat("@carol /mentor match")
    out = await chat("@carol /mentor match swap 1 2")  # Go mentor for a Python mentee: no shared topic
    assert "would break a hard rule" in out
    out = await chat("@carol /mentor match swap 1 9", "@carol /mentor match drop x")
    assert "has no pair 9" in out and "is not a pair number" in out


async def test_previously_paired_members_are_not_rematched_unless_allowed(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor", capacity=2)
    await sign_up(chat, "ann", "mentee")
    await chat("@carol /mentor match", "@carol /mentor match approve")
    async with chat.bot.db.unit() as s:
        pairing = (await s.execute(select(Pairing))).scalar_one()
        pairing.status = "ended"
    await sign_up(chat, "ann", "mentee")  # back on the waiting list
    out = await chat("@carol /mentor match")
    assert "0 pairs" in out
    out = await chat("@carol /mentor match --rematch")
    assert "ann ← maria" in out


async def test_only_the_pair_can_press_their_buttons_and_kickoff_is_recorded_once(chat: Chat) -> None:
    await _small_community(chat)
    await chat("@carol /mentor match", "@carol /mentor match approve")
    replies = await chat.bot.handle(
        ComponentAction(COMMUNITY, chat.session.actor("ben"), "dm:ann,maria", "mentor:pair:1:kickoff", in_dm=True)
    )
    assert "belongs to someone else's introduction" in replies[0].plain_text()
    out = await chat("@ann click We've had our kick-off")
    assert "[DM ann] Kick-off recorded" in out and "[DM ann+maria] ann recorded your kick-off" in out
    out = await chat("@maria click We've had our kick-off")
    assert "already recorded" in out
    out = await chat("@ann click Confirm the policy", "@maria click Confirm the policy")
    assert "You both confirmed the partnership policy" in out


async def test_kickoff_reminders_then_moderator_alert(chat: Chat) -> None:
    await _small_community(chat)
    await chat("@carol /mentor modchannel", "@carol /mentor match", "@carol /mentor match approve")
    out = await chat("wait 6d")
    assert "have you had your kick-off" not in out
    out = await chat("wait 1d")
    assert out.count("A friendly nudge: have you had your kick-off yet?") == 2  # both pairs
    out = await chat("@ben click We've had our kick-off", "wait 7d")
    assert out.count("second reminder") == 1  # only ann+maria still without a kick-off
    out = await chat("wait 7d")
    assert "[#general] At-risk pair #1: ann ← maria" in out and "no kick-off after two reminders" in out
    assert "ben ← omar" not in out
    out = await chat("wait 30d")
    assert "A friendly nudge" not in out and "no kick-off" not in out  # then quiet


async def test_scheduled_rounds_wait_for_approval(chat: Chat) -> None:
    await _small_community(chat)
    out = await chat("@carol /mentor modchannel", "@carol /mentor match --every 2w")
    assert "A new round will be computed every 14 days" in out
    await chat("@carol /mentor match discard")
    out = await chat("wait 14d")
    assert "[#general] Matching round #2 — waiting for approval" in out
    assert await _count(chat, Pairing) == 0
    out = await chat("@carol /mentor match --stop")
    assert "Scheduled rounds are stopped" in out


async def test_scheduled_round_with_auto_approve_introduces_and_sends_resources(sqlite_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace as dc_replace

    from bot.core.program import DEFAULT_PATH
    from bot.core.settings import Settings

    program_file = tmp_path / "program.toml"
    program_file.write_text(
        DEFAULT_PATH.read_text(encoding="utf-8").replace("auto_approve = false", "auto_approve = true")
    )
    chat = await Chat.open(sqlite_factory, settings=dc_replace(Settings(), program_path=str(program_file)))
    try:
        await _small_community(chat)
        out = await chat("@carol /mentor modchannel", "@carol /mentor match --every 2w")
        assert "approved automatically (auto_approve)" in out
        await chat("@carol /mentor match discard")
        out = await chat("wait 14d")
        assert "[#general] Matching round #2 — approved" in out
        assert "[DM ann+maria] Hello @ann and @maria!" in out
        assert "[DM ann] Resources for your kick-off" in out
        assert await _count(chat, Pairing) == 2
    finally:
        await chat.close()


async def test_the_program_files_weights_reach_the_proposal(sqlite_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Weights are read by the core (bot.core.program) and handed to the engine by the rounds feature."""
    from dataclasses import replace as dc_replace

    from bot.core.program import DEFAULT_PATH
    from bot.core.settings import Settings

    default = DEFAULT_PATH.read_text(encoding="utf-8")
    block = default[default.index("[matching.weights]") : default.index("# --- the skills/topics taxonomy")]
    only_topics = (
        "[matching.weights]\n"
        + "".join(
            f"{name} = {100 if name == 'topics' else 0}\n"
            for name in (
                "topics",
                "goals",
                "seniority",
                "waking_hours",
                "cadence",
                "program_length",
                "communication",
                "commitment",
                "waiting",
            )
        )
        + "\n"
    )
    program_file = tmp_path / "program.toml"
    program_file.write_text(default.replace(block, only_topics), encoding="utf-8")
    chat = await Chat.open(sqlite_factory, settings=dc_replace(Settings(), program_path=str(program_file)))
    try:
        await _small_community(chat)
        out = await chat("@carol /mentor match")
        # Only the shared topic scores: full marks, and it is the only reason given.
        assert "2 pairs, average fit 100/100" in out
        assert "1. ann ← maria (fit 100): offers Python\n" in out
    finally:
        await chat.close()
