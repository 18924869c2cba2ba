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


class MigrationError(Exception):
    """A migration left the data inconsistent; nothing was committed."""


async def upgrade(db: Database, revision: str = "heads") -> None:
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            # SQLite alters a table by copying it and dropping the old one (Alembic's batch
            # mode); with foreign keys enforced, dropping a table that other rows point at
            # (the outbox, under polls) fails, so every database with data would refuse to
            # upgrade. The pragma only takes effect outside a transaction: it is the first
            # statement, and sqlite3 starts its transaction at the first write after it.
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))
            if db.is_sqlite:
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise MigrationError(f"a migration left {len(broken)} rows pointing nowhere: {broken[:3]}")
            await conn.commit()
        finally:
            if db.is_sqlite:
                await conn.rollback()  # no-op after the commit; ends any transaction before the pragma
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()


async def autogenerate(db: Database, message: str, rev_id: str) -> None:
    """Write a new migration from the difference between the tables and the database
    (developers: `mentorbot makemigration "<message>" --id 0005_feature`)."""
    async with db.engine.begin() as conn:
        await conn.run_sync(
            lambda sync_conn: command.revision(
                alembic_config(sync_conn), message=message, autogenerate=True, rev_id=rev_id
            )
        )
