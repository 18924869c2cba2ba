"""Purging a workspace that removed the app: after the grace period every row of the
community goes, its files too, and on SQLite neither the database file nor its WAL
still holds a member's id or words. Installing again within the grace period keeps it all."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import SQLModel

from bot.features.admin.purge import Uninstalls
from storage.purge import purge_community_rows, purge_plan
from storage.tables import Community, Member, Profile
from tests.support.chat import Chat
from tests.support.intake_flows import member_named, sign_up_mentee, sign_up_mentor

GOAL = "Quasar-goal-about-compilers-5521"
TEAM = "Zanzibar-Widgets-7742"


def test_every_table_is_covered_by_the_purge() -> None:
    """A new table holding community data must be reachable from the community (a
    `community_id` column, or a foreign key into a table that has one) or be named in
    storage/purge.py; this fails until it is."""
    plan = purge_plan()
    assert set(plan) == {t.name for t in SQLModel.metadata.sorted_tables}
    assert [name for name, how in plan.items() if how == "uncovered"] == []
    for table in SQLModel.metadata.sorted_tables:
        if "community_id" in table.c:
            assert plan[table.name] in ("scoped", "community"), table.name


async def console_community(chat: Chat) -> Community:
    async with chat.bot.db.unit() as session:
        return (await session.execute(select(Community).where(Community.platform == "console"))).scalar_one()


async def count(chat: Chat, model: type[SQLModel], community_id: int) -> int:
    async with chat.bot.db.unit() as session:
        column = model.community_id  # type: ignore[attr-defined]
        return int((await session.execute(select(func.count()).where(column == community_id))).scalar_one())


async def fill(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up_mentee(chat, "quincy", goals=GOAL, team=TEAM)
    await sign_up_mentor(chat, "alice")
    await chat('@carol /mentor poll "Join?" --closes 1d', "@carol /mentor export", "@carol /mentor stats")


async def test_the_purge_runs_after_the_grace_period_and_leaves_nothing_on_disk(chat: Chat) -> None:
    bot = chat.bot
    data_dir = Path(bot.settings.data_dir)
    await fill(chat)
    community = await console_community(chat)
    quincy = await member_named(chat, "quincy")
    # Another workspace in the same database is untouched.
    async with bot.db.unit() as session:
        other = Community(platform="slack", external_id="T0KEEP", name="Keep", created_at=chat.now)
        session.add(other)
        await session.flush()
        session.add(
            Member(
                community_id=other.id,
                platform_user_id="U0KEEPME",
                display_name="keeper",
                joined_at=chat.now,
                created_at=chat.now,
            )
        )
    assert list((data_dir / "exports").iterdir())

    uninstalls = Uninstalls(bot.db, bot.clock, bot.settings)
    due = await uninstalls.removed("console", community.external_id)
    assert due == chat.now + timedelta(days=30)
    # The second event (tokens_revoked after app_uninstalled) never postpones it.
    bot.clock.advance(timedelta(days=1))
    assert await uninstalls.removed("console", community.external_id) == due
    assert await bot.next_due() is not None and await bot.next_due() <= due

    bot.clock.advance(timedelta(days=28))
    await bot.sweep()
    assert await count(chat, Member, community.id) > 0, "nothing is deleted within the grace period"

    bot.clock.advance(timedelta(days=1, minutes=1))
    await bot.sweep()
    assert await count(chat, Member, community.id) == 0
    assert await count(chat, Profile, community.id) == 0
    async with bot.db.unit() as session:
        kept = (await session.execute(select(Member).where(Member.platform_user_id == "U0KEEPME"))).scalar_one()
        row = await session.get(Community, community.id)
    assert kept.display_name == "keeper"
    assert row is None
    assert not (data_dir / "exports").exists() or not list((data_dir / "exports").iterdir())
    assert not list(data_dir.rglob(f"stats-{community.id}-*"))

    # The database file and its WAL: neither the member's id nor their words.
    database = Path(str(bot.db.url.database))
    files = [database, Path(f"{database}-wal")]
    assert files[0].exists()
    needles = [GOAL.encode(), TEAM.encode(), f"console:{quincy.platform_user_id}".encode(), b"quincy"]
    for path in files:
        if path.exists():
            content = path.read_bytes()
            assert [n for n in needles if n in content] == [], path.name


async def test_installing_again_within_the_grace_period_cancels_the_purge(chat: Chat) -> None:
    bot = chat.bot
    await fill(chat)
    community = await console_community(chat)
    uninstalls = Uninstalls(bot.db, bot.clock, bot.settings)
    await uninstalls.removed("console", community.external_id)
    bot.clock.advance(timedelta(days=3))
    assert await uninstalls.returned("console", community.external_id) is True
    assert await uninstalls.returned("console", community.external_id) is False
    bot.clock.advance(timedelta(days=60))
    await bot.sweep()
    assert await count(chat, Member, community.id) == 3
    assert (await member_named(chat, "quincy")).display_name == "quincy"


async def test_a_workspace_the_bot_never_knew_is_nothing_to_purge(chat: Chat) -> None:
    uninstalls = Uninstalls(chat.bot.db, chat.bot.clock, chat.bot.settings)
    assert await uninstalls.removed("slack", "T0NEVER") is None


async def test_the_purge_deletes_every_row_on_both_databases(any_chat: Chat) -> None:
    chat = any_chat
    await fill(chat)
    community = await console_community(chat)
    uninstalls = Uninstalls(chat.bot.db, chat.bot.clock, chat.bot.settings)
    await uninstalls.removed("console", community.external_id)
    chat.bot.clock.advance(timedelta(days=31))
    await chat.bot.sweep()
    async with chat.bot.db.unit() as session:
        for table in SQLModel.metadata.sorted_tables:
            if "community_id" in table.c:
                left = (
                    await session.execute(
                        select(func.count()).select_from(table).where(table.c.community_id == community.id)
                    )
                ).scalar_one()
                assert left == 0, table.name


async def test_a_purge_in_small_batches_deletes_the_same(chat: Chat) -> None:
    await fill(chat)
    community = await console_community(chat)
    batches = 0
    finished = False
    while not finished:
        async with chat.bot.db.unit() as session:
            deleted, finished = await purge_community_rows(session, community, budget=3)
        assert deleted <= 3 + 1  # the budget, and the community row with the last batch
        batches += 1
    assert batches > 5
    assert await count(chat, Member, community.id) == 0
    assert await console_community_or_none(chat) is None


async def console_community_or_none(chat: Chat) -> Community | None:
    async with chat.bot.db.unit() as session:
        return (await session.execute(select(Community).where(Community.platform == "console"))).scalar_one_or_none()
