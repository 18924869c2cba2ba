"""Schema migrations (Alembic), run programmatically by `mentorbot migrate` and `make run`.

The first feature tables arrived as independent Alembic branches off
`0001_foundation`, merged at `0007_merge_heads`; from `0010_profile_stats_order` on
the history is linear, one head (tests/test_migration_history.py checks it, and
says why the old revisions keep their ids). Upgrading to `heads` reaches it.

Alembic (with Mako and its script machinery, ~10 MB resident) is imported only when
the database is behind: a bot restarting on an up-to-date schema reads the version
table and the revision ids of the migration files, and never loads it.

`plan` says where a database stands and which revisions `upgrade` would apply (the
`mentorbot migrate` output). Every earlier revision is upgraded with rows in it by
tests/adapters/ops/test_upgrade.py, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from storage.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head_revisions() -> frozenset[str]:
    """The revisions no other migration builds on, read from the files' `revision` and
    `down_revision` assignments (what Alembic's script directory computes, without it)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
                continue
            target = node.targets[0]
            if not isinstance(target, ast.Name) or target.id not in ("revision", "down_revision"):
                continue
            value = ast.literal_eval(node.value)
            if target.id == "revision":
                revisions.add(value)
            elif value is not None:
                parents.update((value,) if isinstance(value, str) else value)
    return frozenset(revisions - parents)


async def is_current(db: Database) -> bool:
    """True when the database's version table names exactly the migration heads."""
    try:
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    except Exception:  # no version table yet (a fresh database), or no database: Alembic will say
        return False
    return frozenset(rows) == head_revisions()


@dataclass(frozen=True)
class Plan:
    """Where a database stands and what `upgrade` would apply, oldest first."""

    current: tuple[str, ...]  # the revisions recorded in alembic_version (several before the 0007 merge)
    heads: tuple[str, ...]
    pending: tuple[tuple[str, str], ...]  # (revision, the first paragraph of its description)
    has_tables: bool  # anything in the database at all (a new database has nothing to back up)

    @property
    def up_to_date(self) -> bool:
        return not self.pending


def _plan(conn: Connection) -> Plan:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    applied = {rev.revision for head in current for rev in script.iterate_revisions(head, "base")}
    pending = tuple(
        (rev.revision, " ".join((rev.doc or "").strip().split("\n\n")[0].split()))
        for rev in reversed(list(script.walk_revisions()))
        if rev.revision not in applied
    )
    return Plan(current, tuple(sorted(script.get_heads())), pending, bool(inspect(conn).get_table_names()))


def _sqlite_file_missing(db: Database) -> bool:
    return db.is_sqlite and db.url.database not in (None, "", ":memory:") and not Path(db.url.database).exists()


async def plan(db: Database) -> Plan:
    """What `upgrade` would do; a SQLite file that does not exist yet is not created."""
    if _sqlite_file_missing(db):
        empty = Database("sqlite+aiosqlite://")  # the same question asked of an empty database
        try:
            async with empty.engine.connect() as conn:
                return await conn.run_sync(_plan)
        finally:
            await empty.dispose()
    async with db.engine.connect() as conn:
        return await conn.run_sync(_plan)


class MigrationError(Exception):
    """A migration left the data inconsistent; nothing was committed."""


async def upgrade(db: Database, revision: str = "heads") -> None:
    if revision == "heads" and await is_current(db):
        return
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            # SQLite alters a table by copying it and dropping the old one (Alembic's batch
            # mode); with foreign keys enforced, dropping a table that other rows point at
            # (the outbox, under polls) fails, so every database with data would refuse to
            # upgrade. The pragma only takes effect outside a transaction: it is the first
            # statement, and sqlite3 starts its transaction at the first write after it.
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            # sqlite3 only opens a transaction before a data change, so Alembic's CREATE TABLE
            # of the copy would commit on its own and outlive a failed migration (the next try
            # then finds "_alembic_tmp_outbox already exists"). Begun here, DDL rolls back too.
            await conn.exec_driver_sql("BEGIN")
        try:
            await conn.run_sync(_upgrade, revision, db.is_sqlite)
            await conn.commit()
        finally:
            if db.is_sqlite:
                await conn.rollback()  # no-op after the commit; ends any transaction before the pragma
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()


def _upgrade(conn: Connection, revision: str, is_sqlite: bool) -> None:
    """Upgrade in the caller's transaction. On SQLite, with foreign keys off, the migrations
    must not leave a row pointing nowhere that was not so before (the check reads every
    table, so it runs only here, when something is applied)."""
    from alembic import command

    if not is_sqlite:
        command.upgrade(alembic_config(conn), revision)
        return
    before = len(conn.exec_driver_sql("PRAGMA foreign_key_check").all())
    command.upgrade(alembic_config(conn), revision)
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if len(broken) > before:
        raise MigrationError(f"the migration left {len(broken) - before} rows pointing nowhere, e.g. {broken[:3]}")


async def autogenerate(db: Database, message: str, rev_id: str) -> None:
    """Write a new migration from the difference between the tables and the database
    (developers: `mentorbot makemigration "<message>" --id 0005_feature`)."""
    from alembic import command

    async with db.engine.begin() as conn:
        await conn.run_sync(
            lambda sync_conn: command.revision(
                alembic_config(sync_conn), message=message, autogenerate=True, rev_id=rev_id
            )
        )
