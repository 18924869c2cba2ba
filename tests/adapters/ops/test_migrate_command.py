"""`mentorbot migrate` through the real command: it says where the database is and which
revisions it will apply, copies a SQLite database that holds data before touching it
(0600, in a 0700 folder), and does nothing — no copy either — when there is nothing to do."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from storage.db import Database
from storage.migrate import alembic_config, upgrade
from tests.support import history

ROOT = Path(__file__).resolve().parents[3]
PRE_MERGE = ("0002_slack_installations", "0003_intake", "0006_outbox_claim_token")
SCRIPT = ScriptDirectory.from_config(alembic_config())
(HEAD,) = SCRIPT.get_heads()
EVERY = [rev.revision for rev in SCRIPT.walk_revisions()]
AFTER_MERGE = [
    r
    for r in EVERY[::-1]
    if r not in {"0001_foundation", "0002_profiles", "0004_pairings", "0005_lifecycle", *PRE_MERGE}
]


def mentorbot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite+aiosqlite:///{cwd / 'm.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


async def old_database(path: Path) -> None:
    """A database left by a bot from before the 0007 merge, with a program in it."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    for revision in PRE_MERGE:
        await upgrade(db, revision)
    async with db.engine.begin() as conn:
        await conn.run_sync(history.insert_rows)
    await db.dispose()


def revisions(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_migrate_says_what_it_will_do_backs_up_then_upgrades(tmp_path: Path) -> None:
    asyncio.run(old_database(tmp_path / "m.db"))

    dry = mentorbot("migrate", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    first = dry.stdout.splitlines()[0]
    assert f"0002_slack_installations, 0003_intake, 0006_outbox_claim_token → {HEAD}" in first, first
    assert f"{len(AFTER_MERGE)} migrations to apply:" in first
    listed = [line.split()[0] for line in dry.stdout.splitlines()[1:-1]]
    assert listed == AFTER_MERGE and listed[0] == "0007_merge_heads" and listed[-1] == HEAD
    assert "0005_lifecycle" not in listed  # already applied on the lifecycle branch
    assert dry.stdout.splitlines()[-1] == "mentorbot: dry run; nothing changed"
    assert revisions(tmp_path / "m.db") == set(PRE_MERGE) and not (tmp_path / "data" / "backups").exists()

    done = mentorbot("migrate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[: len(listed) + 1] == dry.stdout.splitlines()[:-1]  # the same plan, then it
    (copy,) = (tmp_path / "data" / "backups").iterdir()
    assert copy.name.startswith(f"m-before-{HEAD}-") and copy.suffix == ".db"
    assert f"backed up {tmp_path / 'm.db'} to {copy}" in done.stdout
    assert f"mentorbot restore {copy} --force" in done.stdout
    assert mode(copy) == 0o600 and mode(copy.parent) == 0o700
    assert revisions(copy) == set(PRE_MERGE)  # the copy is the database as it was
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM member").fetchone()[0] == len(history.ROWS["member"])
    assert revisions(tmp_path / "m.db") == {HEAD}
    assert mode(tmp_path / "m.db") == 0o600
    assert done.stdout.splitlines()[-1].startswith("mentorbot: database is up to date")

    again = mentorbot("migrate", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith(f"is at {HEAD} (head); nothing to migrate")
    assert len(list((tmp_path / "data" / "backups").iterdir())) == 1  # no copy when nothing changes


def test_a_new_database_is_created_without_a_backup(tmp_path: Path) -> None:
    done = mentorbot("migrate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f": an empty database → {HEAD}; {len(EVERY)} migrations to apply:" in done.stdout.splitlines()[0]
    assert "backed up" not in done.stdout and not (tmp_path / "data" / "backups").exists()
    assert revisions(tmp_path / "m.db") == {HEAD} and mode(tmp_path / "m.db") == 0o600


def test_postgres_is_planned_and_migrated_with_a_pointer_to_pg_dump(tmp_path: Path) -> None:
    """PostgreSQL (a database of its own on the test server): the same plan, no file copy."""
    import uuid

    from sqlalchemy.engine import make_url

    from tests.support.db import PG_URL

    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set; PostgreSQL tests run in CI (.ci/run sets it)")
    name = f"mb_{uuid.uuid4().hex[:10]}"
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    async def admin(statement: str) -> None:
        server = Database(PG_URL)
        async with server.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql(statement)
        await server.dispose()

    async def old(url: str) -> None:
        db = Database(url)
        await upgrade(db, "0005_lifecycle")
        async with db.engine.begin() as conn:
            await conn.run_sync(history.insert_rows)
        await db.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(old(url))
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
        done = subprocess.run(
            [sys.executable, "-m", "adapters.cli", "migrate"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert f"0005_lifecycle → {HEAD}" in done.stdout.splitlines()[0]
        assert "take one first with `mentorbot backup PATH`" in done.stdout
        assert "backed up" not in done.stdout and not (tmp_path / "data").exists()
        assert done.stdout.splitlines()[-1].startswith("mentorbot: database is up to date")
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
