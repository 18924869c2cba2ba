"""Alembic environment. `storage.migrate` passes an open connection in
`config.attributes["connection"]`; standalone use reads DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers every table on the metadata)
from storage.db import Database

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    db = Database(os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./mentorbot.db"))
    async with db.engine.begin() as conn:
        await conn.run_sync(_run)
    await db.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_standalone())
