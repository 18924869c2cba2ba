"""A large round is introduced a batch per unit of work: the approval does the first, the sweep the rest.

The batch is shrunk to 2 pairs here so five pairs take three units of work; what members
and moderators see must not depend on where the batches fall.
"""

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.events import Actor, CommunityRef, SlashCommand
from bot.features.rounds import approval
from storage.tables import Circle, MatchRound, OutboxMessage, Pairing, Profile
from tests.support.chat import Chat
from tests.support.community import circle_and_pair, seed_profile, sign_up

NAMES = ["ann", "ben", "cyd", "dan", "eve"]


@pytest.fixture(autouse=True)
def two_pairs_a_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(approval, "APPROVE_BATCH", 2)


async def _community(chat: Chat) -> None:
    await chat("moderators: carol")
    for k, name in enumerate(NAMES):  # one topic per pair, so the proposal is fixed
        await sign_up(chat, f"m{name}", "mentor", topics_offered=[f"Topic {k}"])
        await sign_up(chat, name, "mentee", topics_wanted=[f"Topic {k}"])
    await sign_up(chat, "zoe", "mentee", topics_wanted=["Haskell"])  # nobody offers it


async def _count(chat: Chat, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


def _order(proposal: str) -> list[str]:
    """The mentees of a proposal, in its numbered order."""
    return [line.split(". ", 1)[1].split(" ← ")[0] for line in proposal.splitlines() if " ← " in line]


def _introduced(chat: Chat) -> list[str]:
    return [line.split("]")[0] for line in chat.lines if "] Hello @" in line and "You are matched" in line]


async def test_the_approval_introduces_one_batch_and_the_sweep_the_rest_in_list_order(any_chat: Chat) -> None:
    chat = any_chat  # SQLite and PostgreSQL (the sweep claims the round with SKIP LOCKED there)
    await _community(chat)
    proposal = await chat("@carol /mentor match")
    order = _order(proposal)
    assert sorted(order) == NAMES
    out = await chat("@carol /mentor match approve")
    assert "Round #1 approved: 5 introductions on the way." in out
    assert await _count(chat, Pairing) == 2  # one unit of work, one batch
    await chat("wait 1m")
    assert await _count(chat, Pairing) == 5
    intros = _introduced(chat)
    assert intros == [f"[DM {name}+m{name}" for name in order]  # each once, in the reviewed order
    assert await _count(chat, OutboxMessage, OutboxMessage.dedupe_key.like("intro:%")) == 5
    async with chat.bot.db.unit() as s:
        zoe = (await s.execute(select(Profile).where(Profile.status == "waiting"))).scalar_one()
        round_ = (await s.execute(select(MatchRound))).scalar_one()
    assert zoe.times_unmatched == 1  # counted once, when the last batch settles the round
    assert (round_.introduce_from, round_.introduced) == (None, 5)
    out = await chat("@carol /mentor match approve")
    assert "already approved" in out and "[DM" not in out


async def test_a_restart_between_batches_resumes_where_the_last_batch_ended(chat: Chat) -> None:
    await _community(chat)
    await chat("@carol /mentor match", "@carol /mentor match approve")
    assert await _count(chat, Pairing) == 2
    await chat("restart", "wait 1m")
    assert await _count(chat, Pairing) == 5
    assert sorted(_introduced(chat)) == [f"[DM {name}+m{name}" for name in NAMES]


async def test_a_member_who_left_before_their_batch_is_skipped(chat: Chat) -> None:
    await _community(chat)
    proposal = await chat("@carol /mentor match")
    last = _order(proposal)[-1]
    await chat("@carol /mentor match approve")
    await chat(f"@{last} /mentor leave", f"@{last} click Leave")
    await chat("wait 1m")
    assert await _count(chat, Pairing) == 4
    assert f"[DM {last}+m{last}" not in _introduced(chat)


async def test_no_new_round_while_one_is_still_introducing(chat: Chat) -> None:
    # A round computed now would not see the pairs still waiting for their batch and could pair
    # their members again; the moderator is told to wait, and a circle that took a waiting
    # mentee meanwhile keeps them (no second mentor).
    await _community(chat)
    proposal = await chat("@carol /mentor match")
    last = _order(proposal)[-1]
    await chat("@carol /mentor match approve")
    out = await chat("@carol /mentor match")
    assert "Round #1 is still introducing its pairs (2 of 5 so far). Try again in a minute" in out
    assert await _count(chat, MatchRound) == 1
    await sign_up(chat, "mzed", "mentor", topics_offered=["Topic 9"])
    out = await chat(f"@carol /mentor circle create @mzed @{last}")
    assert "Circle #1 started" in out
    await chat("wait 1m")
    assert f"[DM {last}+m{last}" not in _introduced(chat)
    async with chat.bot.db.unit() as s:
        mentors = (await s.execute(select(Pairing.mentor_member_id).where(Pairing.status == "active"))).scalars()
        taken = list(mentors)
    assert len(taken) == 5  # four pairs of the round and the circle seat: each mentee once
    out = await chat("@carol /mentor match")
    assert "still introducing" not in out and "Matching round #3 — 0 pairs" in out  # #2 seated the circle


async def test_a_circle_whose_seats_span_batches_is_introduced_once(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approval, "APPROVE_BATCH", 1)
    await circle_and_pair(chat)
    out = await chat("@carol /mentor match", "@carol /mentor match approve")
    out += await chat("wait 1m")
    assert out.count("Mentoring circle #1: Python together") == 1
    assert "@dana mentors this circle of 2 members" in out
    assert "welcomes new members" not in out


def _failing_for(monkeypatch: pytest.MonkeyPatch, mentees: set[str], times: int = 1_000) -> list[str]:
    """Introducing a pair with one of these mentees raises, `times` times; returns who was tried."""
    real, tried = approval._introduce_pair, []

    async def flaky(*args: Any) -> None:
        name = args[6][args[3].mentee_member_id].display_name  # members[pair.mentee_member_id]
        tried.append(name)
        if name in mentees and len([t for t in tried if t in mentees]) <= times:
            raise RuntimeError("the platform said no")
        await real(*args)

    monkeypatch.setattr(approval, "_introduce_pair", flaky)
    return tried


async def test_a_batch_that_fails_once_is_retried_and_the_round_finishes(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _community(chat)
    proposal = await chat("@carol /mentor match")
    third = _order(proposal)[2]
    _failing_for(monkeypatch, {third}, times=1)
    await chat("@carol /mentor match approve")
    out = await chat("wait 5m")
    assert await _count(chat, Pairing) == 5
    assert "stuck" not in out
    assert sorted(_introduced(chat)) == [f"[DM {name}+m{name}" for name in NAMES]  # each once
    async with chat.bot.db.unit() as s:
        round_ = (await s.execute(select(MatchRound))).scalar_one()
    assert (round_.introduce_from, round_.introduce_failures, round_.introduce_retry_at) == (None, 0, None)


async def test_a_batch_that_keeps_failing_is_reported_and_a_moderator_can_stop_the_round(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _community(chat)
    proposal = await chat("@carol /mentor match")
    third = _order(proposal)[2]
    tried = _failing_for(monkeypatch, {third})
    await chat("@carol /mentor match approve")
    out = await chat("wait 1m")
    assert "stuck" not in out  # one or two failures: retried quietly
    out = await chat("wait 10m")
    assert out.count("Matching round #1 is stuck: 2 of 5 pairs are introduced") == 1  # once, not per retry
    assert tried.count(third) >= 3 and await _count(chat, Pairing) == 2  # the failed batches left nothing behind
    out = await chat("@carol /mentor match")
    assert "Round #1 is stuck after 2 of 5 introductions. End it with /mentor match discard" in out
    out = await chat("@carol /mentor match discard")
    assert "has introduced 2 of 5 pairs. Stopping it now leaves the other 3 un-introduced" in out
    assert await _count(chat, MatchRound, MatchRound.introduce_from.is_not(None)) == 1  # nothing until confirmed
    out = await chat("@carol click Stop introducing")
    assert "Round #1 is stopped: 2 pairs introduced, 3 pairs not; their members wait for the next round." in out
    out = await chat("@carol click Stop introducing")  # a second click, or another moderator's
    assert "Round #1 has no introductions left to stop." in out
    monkeypatch.undo()
    out = await chat("wait 30m", "@carol /mentor match")
    assert await _count(chat, Pairing) == 2  # nothing more from round 1
    assert "Matching round #2" in out and third in out  # the left-out pairs are proposed again
    out = await chat("@carol /mentor match approve", "wait 1m")
    assert await _count(chat, Pairing) == 5
    assert sorted(_introduced(chat)) == [f"[DM {name}+m{name}" for name in NAMES]


async def test_a_stuck_round_does_not_hold_up_another_communitys_round(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approval, "APPROVE_BATCH", 1)
    await _community(chat)
    other = CommunityRef("console", "another-community")
    boss = Actor("olga", "olga", platform_moderator=True)
    for name in ("pia", "quin", "rex"):
        await seed_profile(chat.bot, other, Actor(f"m{name}", f"m{name}"), "mentor", chat.now, topics_offered=[name])
        await seed_profile(chat.bot, other, Actor(name, name), "mentee", chat.now, topics_wanted=[name])
    proposal = await chat("@carol /mentor match")
    first = _order(proposal)[0]
    _failing_for(monkeypatch, set(NAMES) - {first})  # the console round stalls after its first pair
    await chat("@carol /mentor match approve")
    for text in ("match", "match approve"):  # approved later, so behind the console round in the queue
        await chat.bot.handle(SlashCommand(other, boss, "#general", text))
    await chat("wait 10m")
    async with chat.bot.db.unit() as s:
        rounds = (await s.execute(select(MatchRound).order_by(MatchRound.id))).scalars().all()
    assert [(r.introduced, r.introduce_from is None) for r in rounds] == [(1, False), (3, True)]
    assert rounds[0].introduce_failures >= 3


async def test_a_circle_mentor_who_forgets_themselves_between_batches_leaves_no_circle_behind(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The round seated a mentee in dana's offered circle, which starts only after the last batch.
    await circle_and_pair(chat)
    await chat("@carol /mentor match", "@carol /mentor match approve")
    async with chat.bot.db.unit() as s:
        seated = (await s.execute(select(func.count()).where(Pairing.circle_id.is_not(None)))).scalar_one()
    assert seated >= 1 and await _count(chat, MatchRound, MatchRound.introduce_from.is_not(None)) == 1
    out = await chat("@dana /mentor forget-me", "@dana click Yes, delete my data")
    assert "deleted from my records" in out and "something went wrong" not in out
    out = await chat("wait 1m")
    assert "Mentoring circle #1" not in out  # never introduced without its mentor
    async with chat.bot.db.unit() as s:
        circle = (await s.execute(select(Circle))).scalar_one()
        round_ = (await s.execute(select(MatchRound))).scalar_one()
    assert circle.status == "ended" and round_.introduce_from is None
    assert "[DM omar+maria" in "\n".join(_introduced(chat))  # the round's pair still introduced


async def test_a_scheduled_round_that_finds_one_still_introducing_runs_minutes_later_not_a_period_later(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _community(chat)
    await chat("@carol /mentor modchannel")
    proposal = await chat("@carol /mentor match --every 1d")
    third = _order(proposal)[2]
    _failing_for(monkeypatch, {third})  # round #1 is still introducing when the schedule comes due
    await chat("@carol /mentor match approve")
    out = await chat("wait 1d")
    assert "Matching round #2" not in out
    monkeypatch.undo()
    await chat("@carol /mentor match discard", "@carol click Stop introducing")
    out = await chat("wait 10m")
    assert "[#general] Matching round #2 — waiting for approval" in out


async def test_two_workers_checking_for_a_round_in_progress_take_turns(postgres_factory) -> None:  # type: ignore[no-untyped-def]
    # Check, then act: without a lock two workers could both see no round in progress and
    # approve two rounds of one community at once (PostgreSQL: each worker has its own connection).
    import asyncio

    chat = await Chat.open(postgres_factory)
    try:
        await _community(chat)
        await chat("@carol /mentor match --dry-run")  # the community's row exists
        async with chat.bot.db.unit() as s:
            round_ = (await s.execute(select(MatchRound))).scalar_one()
            community_id = round_.community_id
        first_checked = asyncio.Event()
        second: list[MatchRound | None] = []

        async def first_worker() -> None:
            async with chat.bot.db.unit() as s:
                assert await approval.round_in_progress(s, community_id) is None
                first_checked.set()
                await asyncio.sleep(0.5)  # the other worker checks meanwhile
                row = await s.get(MatchRound, round_.id)
                assert row is not None
                row.dry_run, row.status, row.introduce_from = False, "approved", 1
                s.add(row)

        async def second_worker() -> None:
            await first_checked.wait()
            async with chat.bot.db.unit() as s:
                second.append(await approval.round_in_progress(s, community_id))

        await asyncio.gather(first_worker(), second_worker())
        assert second[0] is not None and second[0].id == round_.id  # it waited, then saw the first's round
    finally:
        await chat.close()
