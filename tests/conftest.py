"""Shared fixtures: a network guard, databases (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), a console chat that feature tests talk through, and the
Hypothesis profiles (`dev` by default, `ci` when CI=true; see CONTRIBUTING.md)."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from bot.core.settings import Settings
from tests.support.chat import Chat
from tests.support.db import (
    DatabaseFactory,
    SharedCompiledSql,
    build_migrated_sqlite,
    postgres_schema,
    sqlite_copy,
    worker_database,
)

# --- Hypothesis: a quick loop on a laptop, full strength in CI -----------------
# `ci` keeps the 10,000 generated inputs per property the suite always had; `dev`
# runs a few hundred so `make test` stays quick. Expensive properties cap their
# examples in both (tests/support/profiles.py). HYPOTHESIS_PROFILE overrides.

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
hypothesis_settings.register_profile("ci", max_examples=10_000, **_COMMON)
hypothesis_settings.register_profile("dev", max_examples=200, **_COMMON)
_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _CI else "dev"))


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


@pytest.fixture(scope="session", autouse=True)
def postgres_worker_database() -> Iterator[None]:
    """Under pytest-xdist, this worker's own PostgreSQL database (tests/support/db.py)."""
    yield from worker_database()


@pytest.fixture(scope="session", autouse=True)
def shared_compiled_sql() -> Iterator[None]:
    """SQLite engines share compiled statements within a test process (tests/support/db.py)."""
    patch = pytest.MonkeyPatch()
    patch.setattr("storage.db.create_async_engine", SharedCompiledSql())
    yield
    patch.undo()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database at the migrations' head per run; see tests/support/db.py."""
    return build_migrated_sqlite(tmp_path_factory.mktemp("template") / "mentorbot.db")


@pytest.fixture
def sqlite_factory(tmp_path: Path, migrated_sqlite: Path) -> DatabaseFactory:
    return sqlite_copy(migrated_sqlite, tmp_path)


@pytest.fixture
async def postgres_factory() -> AsyncIterator[DatabaseFactory]:
    async with postgres_schema() as factory:
        yield factory


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DatabaseFactory]:
    """Runs the test once on SQLite and once on PostgreSQL (skipped without TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        yield DatabaseFactory(f"sqlite+aiosqlite:///{tmp_path / 'mentorbot.db'}")
        return
    async with postgres_schema() as factory:
        yield factory


@pytest.fixture
def settings(sqlite_factory: DatabaseFactory) -> Settings:
    return replace(Settings(), database_url=sqlite_factory.url)


@pytest.fixture
async def chat(sqlite_factory: DatabaseFactory, tmp_path: Path) -> AsyncIterator[Chat]:
    # Charts and exports go to the test's own directory, never into the working tree.
    session = await Chat.open(sqlite_factory, settings=Settings(data_dir=str(tmp_path / "data")))
    yield session
    await session.close()


@pytest.fixture
async def any_chat(any_factory: DatabaseFactory, tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[Chat]:
    """The same chat on SQLite (a copy of the migrated template) and on PostgreSQL."""
    if any_factory.url.startswith("sqlite"):
        shutil.copyfile(migrated_sqlite, tmp_path / "mentorbot.db")  # any_factory's file, not yet created
    session = await Chat.open(any_factory, settings=Settings(data_dir=str(tmp_path / "data")))
    yield session
    await session.close()
