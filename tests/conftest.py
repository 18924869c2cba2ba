"""Shared fixtures: a network guard, databases (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set) and a console chat that feature tests talk through."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.core.settings import Settings
from storage.db import Database

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # a Monday morning
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


# --- no test may touch the internet ------------------------------------------


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        host = address[0]
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return False


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_local(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_local(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield


# --- databases ----------------------------------------------------------------


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


@pytest.fixture
def sqlite_factory(tmp_path: Path) -> DatabaseFactory:
    return DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'mentorbot.db'}")


@asynccontextmanager
async def _postgres_schema() -> AsyncIterator[DatabaseFactory]:
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


@pytest.fixture
async def postgres_factory() -> AsyncIterator[DatabaseFactory]:
    async with _postgres_schema() as factory:
        yield factory


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DatabaseFactory]:
    """Runs the test once on SQLite and once on PostgreSQL (skipped without TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        yield DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'mentorbot.db'}")
        return
    async with _postgres_schema() as factory:
        yield factory


@pytest.fixture
def settings(sqlite_factory: DatabaseFactory) -> Settings:
    return replace(Settings(), database_url=sqlite_factory.url)


@pytest.fixture
async def chat(sqlite_factory: DatabaseFactory, tmp_path: Path) -> AsyncIterator["Chat"]:
    from tests.chat import Chat

    # Charts and exports go to the test's own directory, never into the working tree.
    session = await Chat.open(sqlite_factory, settings=Settings(data_dir=str(tmp_path / "data")))
    yield session
    await session.close()


@pytest.fixture
async def any_chat(any_factory: DatabaseFactory, tmp_path: Path) -> AsyncIterator["Chat"]:
    """The same chat on SQLite and on PostgreSQL."""
    from tests.chat import Chat

    session = await Chat.open(any_factory, settings=Settings(data_dir=str(tmp_path / "data")))
    yield session
    await session.close()
