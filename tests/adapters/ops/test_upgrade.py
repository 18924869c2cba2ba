"""Upgrades keep data: a database at every earlier revision — each of the three heads the
early history had before they were merged at 0007 included, alone and together — holds a
small program written with plain SQL in that revision's schema, is migrated to head on
SQLite and on PostgreSQL, and keeps every row; then the bot opened on it shows the
member's status, delivers the message that was waiting, and sends the check-in that falls
due, through the console."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.core.settings import Settings
from storage.migrate import alembic_config, upgrade
from tests.support import history
from tests.support.chat import Chat
from tests.support.db import START, DatabaseFactory

SCRIPT = ScriptDirectory.from_config(alembic_config())
(HEAD,) = SCRIPT.get_heads()
# What `mentorbot migrate` (upgrade to "heads") left before the merge: all three branches.
PRE_MERGE = ("0002_slack_installations", "0003_intake", "0006_outbox_claim_token")
STATES = [(rev.revision,) for rev in SCRIPT.walk_revisions() if rev.revision != HEAD][::-1] + [PRE_MERGE]


def reached(state: tuple[str, ...], revision: str) -> bool:
    """Whether a database at `state` has `revision` applied."""
    return any(revision in {r.revision for r in SCRIPT.iterate_revisions(s, "base")} for s in state)


def test_every_earlier_revision_and_the_pre_merge_heads_are_covered() -> None:
    every = {rev.revision for rev in SCRIPT.walk_revisions()}
    assert {s[0] for s in STATES if len(s) == 1} == every - {HEAD}
    merge = SCRIPT.get_revision("0007_merge_heads")
    assert set(merge.down_revision) == set(PRE_MERGE)  # type: ignore[arg-type]


@pytest.mark.parametrize("state", STATES, ids=["+".join(s) for s in STATES])
async def test_an_old_database_upgrades_with_its_rows_and_the_bot_carries_on(
    state: tuple[str, ...], any_factory: DatabaseFactory, tmp_path: Path
) -> None:
    db = any_factory()
    for revision in state:
        await upgrade(db, revision)
    async with db.engine.begin() as conn:
        reached_state = {r[0] for r in await conn.execute(text("SELECT version_num FROM alembic_version"))}
        assert reached_state == set(state)  # a database really at the old revision, not a migrated copy
        written = await conn.run_sync(history.insert_rows)
    assert "member" in written and "outbox" in written and "poll" in written

    await upgrade(db)  # what `mentorbot migrate` does
    async with db.engine.connect() as conn:
        found = await conn.run_sync(history.read_rows, written)
        at = {r[0] for r in await conn.execute(text("SELECT version_num FROM alembic_version"))}
    await db.dispose()
    assert at == {HEAD}

    for table, rows in written.items():
        if table == "seen_event":  # 0011 replaced it by the inbox's own event keys, on purpose
            assert table not in found
            continue
        assert len(found[table]) == len(rows), table
        for before, after in zip(rows, found[table], strict=True):
            for column, value in before.items():
                if (table, column) in history.REWRITTEN and not reached(state, "0012_edges"):
                    continue
                assert after[column] == value, (table, column, after[column], value)
    if not reached(state, "0012_edges"):  # polls stored before it keep showing names unless anonymous
        assert found["poll"][0].get("show_voters", True) is not False

    chat = await Chat.open(any_factory, settings=Settings(data_dir=str(tmp_path / "data")), start=START)
    try:
        out = await chat("moderators: carol", "@bob /mentor profile", "@eve /mentor polls")
        assert f"[DM bob] {history.PENDING_TEXT}, bob." in out  # the message waiting at the upgrade
        assert history.POLL_QUESTION in out
        if "profile" in written:
            assert "[only bob] Your profile\n  Status: in a mentoring pair." in out
        if "checkin_plan" in written:
            assert "We met" not in out
            out = await chat("wait 1d")
            assert out.count("We met") == 2, out  # bob's and dana's check-ins, due tomorrow
            out = await chat("@bob click We met")
            assert "[DM bob] Thanks — noted: We met." in out
            async with chat.bot.db.engine.connect() as conn:
                answers = (await conn.execute(text("SELECT sequence, answer FROM checkin ORDER BY id"))).all()
            assert [tuple(a) for a in answers] == [(1, "met"), (1, "met"), (2, "met"), (2, None)]
        else:
            out = await chat("wait 1d")
            assert "We met" not in out
    finally:
        await chat.close()


async def test_sqlite_refuses_a_migration_that_leaves_rows_pointing_nowhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Foreign keys are off while SQLite migrates; a migration that breaks them is rolled back
    whole, while a dangling row that was there before does not stop the upgrade."""
    from alembic import command

    import storage.migrate as migrate

    db = DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")()  # empty, not the migrated template
    await upgrade(db, "0005_lifecycle")
    async with db.engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await conn.run_sync(history.insert_rows)
        await conn.exec_driver_sql(  # left by hand long ago: not the upgrade's doing
            "INSERT INTO poll_vote (poll_id, member_id, option_index, voted_at) VALUES (1, 99, 0, '2026-11-03')"
        )
        await conn.commit()
        await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    real = command.upgrade

    def careless(config, revision):  # type: ignore[no-untyped-def]
        real(config, revision)
        config.attributes["connection"].exec_driver_sql(
            "INSERT INTO goal (community_id, pairing_id, number, text, status, created_at) "
            "VALUES (1, 42, 2, 'orphan', 'open', '2026-11-23')"
        )

    monkeypatch.setattr(command, "upgrade", careless)
    with pytest.raises(migrate.MigrationError, match="1 rows pointing nowhere"):
        await upgrade(db)
    async with db.engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar() == "0005_lifecycle"
    monkeypatch.setattr(command, "upgrade", real)
    await upgrade(db)  # the old dangling vote alone does not block it
    async with db.engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar() == HEAD
        assert (await conn.exec_driver_sql("SELECT count(*) FROM goal WHERE text = 'orphan'")).scalar() == 0
    await db.dispose()
