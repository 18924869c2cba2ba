"""Schema migrations (Alembic), run programmatically by `mentorbot migrate` and `make run`.

The first feature tables arrived as independent Alembic branches off
`0001_foundation`, merged at `0007_merge_heads`; from `0010_profile_stats_order` on
the history is linear, one head (tests/test_migration_history.py checks it, and
says why the old revisions keep their ids). Upgrading to `heads` reaches it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from storage.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def upgrade(db: Database, revision: str = "heads") -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))


async def autogenerate(db: Database, message: str, rev_id: str) -> None:
    """Write a new migration from the difference between the tables and the database
    (developers: `mentorbot makemigration "<message>" --id 0005_feature`)."""
    async with db.engine.begin() as conn:
        await conn.run_sync(
            lambda sync_conn: command.revision(
                alembic_config(sync_conn), message=message, autogenerate=True, rev_id=rev_id
            )
        )
