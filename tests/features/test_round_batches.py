"""A large round is introduced a batch per unit of work: the approval does the first, the sweep the rest.

The batch is shrunk to 2 pairs here so five pairs take three units of work; what members
and moderators see must not depend on where the batches fall.
"""

import pytest
from sqlalchemy import func, select

from bot.features.rounds import approval
from storage.tables import MatchRound, OutboxMessage, Pairing, Profile
from tests.support.chat import Chat
from tests.support.community import circle_and_pair, sign_up

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


def _introduced(chat: Chat) -> list[str]:
    return [line.split("]")[0] for line in chat.lines if "] Hello @" in line and "You are matched" in line]


async def test_the_approval_introduces_one_batch_and_the_sweep_the_rest_in_list_order(any_chat: Chat) -> None:
    chat = any_chat  # SQLite and PostgreSQL (the sweep claims the round with SKIP LOCKED there)
    await _community(chat)
    proposal = await chat("@carol /mentor match")
    order = [line.split(". ", 1)[1].split(" ← ")[0] for line in proposal.splitlines() if " ← " in line]
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
    last = [line.split(". ", 1)[1].split(" ← ")[0] for line in proposal.splitlines() if " ← " in line][-1]
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
    last = [line.split(". ", 1)[1].split(" ← ")[0] for line in proposal.splitlines() if " ← " in line][-1]
    await chat("@carol /mentor match approve")
    out = await chat("@carol /mentor match")
    assert "Round #1 is still introducing its pairs (2 so far). Try again in a minute" in out
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
    out = await chat("@carol /mentor match --dry-run")
    assert "still introducing" not in out


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
