"""Schema migrations (Alembic), run programmatically by `mentorbot migrate` and `make run`.

The first feature tables arrived as independent Alembic branches off
`0001_foundation`, merged at `0007_merge_heads`; from `0010_profile_stats_order` on
the history is linear, one head (tests/test_migration_history.py checks it, and
says why the old revisions keep their ids). Upgrading to `heads` reaches it.

Alembic (with Mako and its script machinery, ~10 MB resident) is imported only when
the database is behind: a bot restarting on an up-to-date schema reads the version
table and the revision ids of the migration files, and never loads it.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

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


async def upgrade(db: Database, revision: str = "heads") -> None:
    if revision == "heads" and await is_current(db):
        return
    from alembic import command

    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))


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
