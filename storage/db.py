"""Database engine and units of work.

`Database` owns one async engine. `unit()` is the unit of work: one session, one
transaction, committed when the block ends normally and rolled back otherwise.
Services receive the `Database` as a parameter; nothing is created at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite_checkpoint
from storage.sqlite_inline import DRIVER as INLINE_DRIVER
from storage.sqlite_inline import register as register_inline_sqlite


class Database:
    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        engine_url = self.url
        self.schema = schema
        self._checkpointed_file: str | None = None
        self._checkpointing = False
        kwargs: dict[str, Any] = {"echo": echo}
        self._autocommit: AsyncEngine | None = None
        self._connect_args: dict[str, Any] = {}
        if self.is_sqlite:
            # One file, many readers, one writer: WAL keeps readers from blocking on writes.
            kwargs["connect_args"] = {"timeout": 30}
            if self.url.get_driver_name() == "aiosqlite":
                # sqlite3 called in place instead of on aiosqlite's thread (see storage.sqlite_inline),
                # with one connection per process so no coroutine waits on another's lock.
                register_inline_sqlite()
                engine_url = self.url.set(drivername=f"sqlite+{INLINE_DRIVER}")
                kwargs["connect_args"]["check_same_thread"] = False
                if self.url.database not in (None, "", ":memory:"):
                    kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
                    self._checkpointed_file = self.url.database  # WAL checkpoints off the loop (see below)
        else:
            kwargs["pool_pre_ping"] = True
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
                self._connect_args = {"connect_args": kwargs["connect_args"]}
        self.engine: AsyncEngine = create_async_engine(engine_url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        if self._checkpointed_file is not None:
            event.listen(self.engine.sync_engine, "connect", self._checkpoint_off_the_loop)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[AsyncSession]:
        """One transaction. Commit on success, roll back on any exception."""
        async with self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    def autocommit_engine(self) -> AsyncEngine:
        """PostgreSQL: a small pool of autocommit connections for one-statement writes on a
        hot path (the pacing slots), without the main pool's ping before every checkout —
        that ping doubled each pacing turn's round trips. A connection found broken is
        dropped by SQLAlchemy; the caller runs its statement again once. Disposed with
        this database."""
        if self._autocommit is None:
            self._autocommit = create_async_engine(
                self.engine.url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=8, **self._connect_args
            )
        return self._autocommit

    async def dispose(self) -> None:
        if self._autocommit is not None:
            await self._autocommit.dispose()
            self._autocommit = None
        await self.engine.dispose()
        if self._checkpointing and self._checkpointed_file is not None:
            self._checkpointing = False
            sqlite_checkpoint.release(self._checkpointed_file)

    def _checkpoint_off_the_loop(self, dbapi_connection: Any, _record: Any) -> None:
        """In place, a commit that checkpoints stalls the event loop for two fsyncs: a running
        bot's connections leave that to a process of their own (storage/sqlite_checkpoint.py)."""
        if not sqlite_checkpoint.enabled():
            return
        cursor = dbapi_connection.cursor()
        cursor.execute(sqlite_checkpoint.CONNECT_PRAGMA)
        cursor.close()
        if not self._checkpointing and self._checkpointed_file is not None:
            self._checkpointing = True
            sqlite_checkpoint.acquire(self._checkpointed_file)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
