"""A large community's round, export and dashboard queries run in the heavy-work worker (bot/core/heavy.py):
the moderator sees exactly what the in-place path shows, and the worker really ran.

The threshold is set to 0 members so a small test community takes the worker path."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.settings import Settings
from tests.support.chat import Chat
from tests.support.community import sign_up
from tests.support.db import DatabaseFactory


async def _open(factory: DatabaseFactory, tmp_path: Path, mode: str, minimum: int) -> Chat:
    settings = Settings(data_dir=str(tmp_path / f"data-{mode}"), heavy_work=mode, heavy_work_min_members=minimum)
    return await Chat.open(factory, settings=settings)


async def _community(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor", topics_offered=["Python", "Rust"], capacity=2, years_experience=12)
    await sign_up(chat, "omar", "mentor", topics_offered=["Go"], capacity=1, years_experience=8)
    await sign_up(chat, "ann", "mentee", topics_wanted=["Python"], goals="=learn testing in Python")
    await sign_up(chat, "ben", "mentee", topics_wanted=["Go"])
    await sign_up(chat, "cyd", "mentee", topics_wanted=["Haskell"])


async def _both(script: tuple[str, ...], *chats: Chat) -> list[tuple[list[str], int]]:
    """Each chat's community, then the script: its comparable outputs and the jobs its worker ran."""
    outs = []
    for chat in chats:
        await _community(chat)
        before = chat.bot.heavy.jobs
        outs.append(([_comparable(await chat(line)) for line in script], chat.bot.heavy.jobs - before))
    return outs


def _comparable(out: str) -> str:
    """The transcript without what differs between two runs by design (export folder names)."""
    out = re.sub(r"\(file ([a-z]+\.csv): [^)]*\)", r"(file \1)", out)
    return out.replace("data-process", "data").replace("data-thread", "data").replace("data-inline", "data")


@pytest.fixture(params=["process", "thread"])
async def worker_chat(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Chat]:
    factory = DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}")
    chat = await _open(factory, tmp_path, request.param, 0)
    yield chat
    await chat.close()


@pytest.fixture
async def thread_chat(tmp_path: Path) -> AsyncIterator[Chat]:
    """The worker as a thread: for the sweeps' prepare steps, whose jobs and results are the ones
    the process-mode tests above already send through pickling (a round, a dashboard)."""
    factory = DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'thread.db'}")
    chat = await _open(factory, tmp_path, "thread", 0)
    yield chat
    await chat.close()


@pytest.fixture
async def inline_chat(tmp_path: Path) -> AsyncIterator[Chat]:
    factory = DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    chat = await _open(factory, tmp_path, "inline", 0)
    yield chat
    await chat.close()


async def test_round_and_export_off_the_loop_show_what_the_in_place_path_shows(
    worker_chat: Chat, inline_chat: Chat
) -> None:
    script = (
        "@carol /mentor match",
        "@carol click Recompute",
        "@carol /mentor match --dry-run --rematch",
        "@carol /mentor match recompute",
        "@carol /mentor export",
        "@carol /mentor stats",
    )
    (worker_out, worker_jobs), (inline_out, inline_jobs) = await _both(script, worker_chat, inline_chat)
    outs = [worker_out, inline_out]
    assert outs[0] == outs[1]
    assert "Matching round #1 — waiting for approval" in outs[0][0] and "maria" in outs[0][0]
    assert "Matching round #2 — waiting for approval" in outs[0][1]  # the button's recompute
    assert "Matching round (dry run — nobody will be introduced) #4 — waiting for approval" in outs[0][3]
    assert "Program export — 5 members" in outs[0][4]
    assert (worker_jobs, inline_jobs) == (6, 0)
    # The worker's files are real, private copies like the in-place ones.
    paths = re.findall(r"\(file members\.csv: ([^)]*)\)", await worker_chat("@carol /mentor export"))
    assert paths and "'=learn testing in Python" in Path(paths[0]).read_text(encoding="utf-8")


async def test_members_and_small_communities_never_start_the_worker(tmp_path: Path) -> None:
    factory = DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'small.db'}")
    chat = await _open(factory, tmp_path, "process", 2000)
    try:
        await _community(chat)
        before = chat.bot.heavy.jobs
        out = await chat("@carol /mentor match", "@carol /mentor export", "@ann /mentor export")
        assert "Program export — 5 members" in out and "Only moderators can use /mentor export" in out
        assert chat.bot.heavy.jobs == before
    finally:
        await chat.close()


async def test_a_member_cannot_make_the_worker_run(tmp_path: Path) -> None:
    factory = DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'member.db'}")
    chat = await _open(factory, tmp_path, "thread", 0)
    try:
        await _community(chat)
        before = chat.bot.heavy.jobs
        out = await chat("@ann /mentor match", "@ann /mentor export")
        assert "Only moderators can use /mentor match" in out
        assert chat.bot.heavy.jobs == before
    finally:
        await chat.close()


async def test_a_round_the_worker_stored_but_nobody_published_is_shown_nowhere_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash between the worker's writes and the handler's unit of work (rounds/storing.py)."""
    from sqlalchemy import select

    from bot.features.rounds import proposal, storing
    from storage.tables import Community, MatchRound, ProposedPair

    monkeypatch.setattr(storing, "ROWS_PER_TRANSACTION", 1)  # every pair its own transaction
    factory = DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'orphan.db'}")
    chat = await _open(factory, tmp_path, "inline", 0)
    try:
        await _community(chat)
        db = chat.bot.db
        async with db.unit() as session:
            community_id = (await session.execute(select(Community.id))).scalar_one()
        options = storing.RoundOptions(dry_run=False, allow_rematch=False, choice=False)
        orphan = await proposal.solve_and_store_job(
            db, community_id, chat.bot.clock.now(), proposal.round_policy(chat.bot.program), options
        )
        assert orphan.status == "proposed"
        async with db.unit() as session:
            stored = await session.get(MatchRound, orphan.round_id)
            assert stored is not None and stored.status == "storing"
            pairs = (await session.execute(select(ProposedPair).where(ProposedPair.round_id == orphan.round_id))).all()
            assert len(pairs) == 2  # ann–maria and ben–omar, one transaction each

        out = await chat("@carol /mentor match approve", "@carol /mentor overview")
        assert "There is no matching round here yet" in out and "No matching round is waiting" in out

        out = await chat("@carol /mentor match")
        assert f"Matching round #{orphan.round_id + 1} — waiting for approval" in out
        async with db.unit() as session:
            statuses = dict((await session.execute(select(MatchRound.id, MatchRound.status))).all())
        assert statuses == {orphan.round_id: "discarded", orphan.round_id + 1: "proposed"}
    finally:
        await chat.close()


async def test_a_scheduled_round_is_solved_in_the_worker_and_posted_as_in_place(
    thread_chat: Chat, inline_chat: Chat
) -> None:
    """The sweep's prepare step (rounds/schedule.py): the same post, and the worker ran it."""
    script = (
        "@carol /mentor modchannel",
        "@carol /mentor match --every 2w",
        "@carol /mentor match discard",
        "wait 14d",
        "@carol /mentor match show",
    )
    (worker_out, worker_jobs), (inline_out, inline_jobs) = await _both(script, thread_chat, inline_chat)
    assert worker_out == inline_out
    assert "[#general] Matching round #2 — waiting for approval" in worker_out[3]
    assert "maria" in worker_out[4]
    assert (worker_jobs, inline_jobs) == (2, 0)  # /mentor match, then the scheduled round


async def test_the_overviews_headline_figures_are_counted_in_the_worker(thread_chat: Chat, inline_chat: Chat) -> None:
    """The snapshot sweep's prepare step (overview/snapshot.py): the same figures, counted off the loop."""
    script = ("@carol /mentor overview", "wait 1m", "@carol /mentor overview")
    (worker_out, worker_jobs), (inline_out, inline_jobs) = await _both(script, thread_chat, inline_chat)
    assert worker_out == inline_out
    assert "being counted" in worker_out[0] and "Signed up: 5 (2 mentoring, 3 mentored)" in worker_out[2]
    assert (worker_jobs, inline_jobs) == (1, 0)
