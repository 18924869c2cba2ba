"""Test databases: a fresh SQLite file per test, and a throw-away PostgreSQL schema when
TEST_DATABASE_URL is set (CI sets it; see .ci/run). Also the clock start every test shares."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from storage.db import Database

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday morning
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


class DatabaseFactory:
    """Makes fresh `Database` objects on one test database (a restart opens a new one)."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        self.url = url
        self.schema = schema

    def __call__(self) -> Database:
        return Database(self.url, schema=self.schema)

    @property
    def backend(self) -> str:
        return "postgresql" if self.schema else "sqlite"


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[DatabaseFactory]:
    """A throw-away schema on the test PostgreSQL, dropped afterwards."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set; PostgreSQL storage tests run in CI (.ci/run sets it)")
    from sqlalchemy import text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield DatabaseFactory(PG_URL, schema)
    finally:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
