"""Test databases: a fresh SQLite file per test, and a throw-away PostgreSQL schema when
TEST_DATABASE_URL is set (CI sets it; see .ci/run). Also the clock start every test shares.

Under pytest-xdist each worker has its own PostgreSQL database on the TEST_DATABASE_URL
server (`worker_database_url`), created for the session by `worker_database`.

A test's SQLite file starts as a copy of one database migrated once per run
(`migrated_sqlite`): running every migration costs a fifth of a second of CPU, paid
by hundreds of tests otherwise. The bot still runs `upgrade()` on start-up (a no-op
at the head); the migrations themselves run from an empty database in
tests/unit/test_storage.py and tests/unit/test_migration_history.py.

Every test opens its own engines, and SQLAlchemy keys compiled statements by the engine's
dialect object, so each test compiled the bot's statements afresh: a fifth of a feature
test's CPU. `SharedCompiledSql` lets the SQLite engines of one test process share the first
engine's dialect and statement cache (same driver, same settings, so the same SQL text);
every statement still runs on the test's own connection and file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.db import Database
from storage.migrate import upgrade

T = TypeVar("T")

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday morning
SERVER_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


def worker_database_url(url: str, worker: str, run: str) -> str:
    """The test database of one pytest-xdist worker: `<database>_<worker>_<run>` on the same
    server (`test_gw0_1a2b3c4d`), so parallel workers, and parallel runs, never share one.
    Without xdist (`worker` empty) it is `url` itself."""
    if not url or not worker:
        return url
    from sqlalchemy.engine import make_url

    server = make_url(url)
    name = f"{server.database or 'postgres'}_{worker}_{run[:8]}".lower()
    return server.set(database=name).render_as_string(hide_password=False)


PG_URL = worker_database_url(
    SERVER_URL, os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("PYTEST_XDIST_TESTRUNUID", "")
)


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


class SharedCompiledSql:
    """Stands in for `storage.db.create_async_engine` in the test process (tests/conftest.py):
    a new SQLite engine adopts the dialect and compiled-statement cache of the first one of
    its driver, once that one has connected (its dialect is then initialised). PostgreSQL
    engines, whose dialect learns each schema's defaults, and engines with their own
    isolation level are left as they are."""

    def __init__(self) -> None:
        self._shared: dict[str, tuple[Any, Any]] = {}

    def __call__(self, url: Any, **kwargs: Any) -> AsyncEngine:
        engine = create_async_engine(url, **kwargs)
        sync = engine.sync_engine
        if sync.dialect.name != "sqlite" or "isolation_level" in kwargs:
            return engine
        driver = sync.dialect.driver
        if driver in self._shared:
            sync.dialect, sync._compiled_cache = self._shared[driver]
        else:

            def adopt(*_: Any) -> None:
                self._shared.setdefault(driver, (sync.dialect, sync._compiled_cache))

            # Listened after SQLAlchemy's own first-connect hook, so the dialect is initialised.
            event.listen(sync.pool, "connect", adopt, once=True)
        return engine


def build_migrated_sqlite(path: Path) -> Path:
    """Migrate a new SQLite file at `path` to the head (once per test run)."""

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade(db)
        await db.dispose()  # the last connection closes: the WAL is folded into the file

    run_apart(build())
    return path


def worker_database() -> Iterator[None]:
    """Create this xdist worker's database (PG_URL) for the session and drop it afterwards;
    nothing to do without xdist or without TEST_DATABASE_URL."""
    if PG_URL == SERVER_URL:
        yield
        return
    from sqlalchemy.engine import make_url

    name = make_url(PG_URL).database

    async def admin(statement: str) -> None:
        server = Database(SERVER_URL)
        async with server.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql(statement)
        await server.dispose()

    run_apart(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    run_apart(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield
    finally:
        run_apart(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_apart(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end on its own event loop (a thread), whatever the caller runs:
    for fixtures that prepare a database once for many tests."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def sqlite_copy(template: Path, directory: Path) -> DatabaseFactory:
    """A test's own database, starting as a copy of the migrated template."""
    path = directory / "mentorbot.db"
    shutil.copyfile(template, path)
    return DatabaseFactory(f"sqlite+aiosqlite:///{path}")


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
