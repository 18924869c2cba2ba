"""SQLite for the asyncio engine without a thread hop per statement.

aiosqlite runs every statement on a helper thread and hands the result back
to the event loop: two thread switches per statement. Measured here, that was
most of the cost of a small query (about 0.9 ms through aiosqlite against
0.17 ms calling sqlite3 directly, with two busy cores) and most of the time of
`mentorbot demo`, which is thousands of short transactions.

This dialect is the standard library's sqlite3 driver (SQLAlchemy's pysqlite
dialect) declared usable from the asyncio engine. SQLAlchemy runs the ORM
inside a greenlet and only needs the driver's calls to return; a synchronous
driver simply returns without awaiting. A statement then blocks the event loop
for its own duration, which for SQLite is microseconds to a few milliseconds.

What keeps that safe is the pool (see `storage.db`): one connection per
process, handed out by SQLAlchemy's asyncio-aware queue pool. Two coroutines
never hold SQLite connections at once in one process, so a statement never
waits on a lock held by a transaction of the same process that cannot run
(the event loop is blocked). Other processes (the crash test's checker, a
second worker) are waited for by SQLite's busy timeout, as before.

The URL keeps its usual spelling (`sqlite+aiosqlite:///…`); `storage.db`
swaps the driver in. Registered under the name `sqlite.mentorbot_inline`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool, StaticPool
from sqlalchemy.util import await_only as await_

DRIVER = "mentorbot_inline"


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """AsyncConnection.execute closes buffered cursors this way; sqlite3 buffers nothing to release."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)


class SQLiteDialect_inline(SQLiteDialect_pysqlite):
    driver = DRIVER
    is_async = True  # callable from AsyncEngine: every call returns without awaiting
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[Pool]:
        if cls._is_url_file_db(url):
            return AsyncAdaptedQueuePool  # waits for a free connection with asyncio, never blocking the loop
        return StaticPool  # one shared in-memory database

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        cparams.setdefault("factory", _Connection)
        return super().connect(*cargs, **cparams)

    # AsyncConnection.execute / exec_driver_sql insist that the driver awaited at least
    # once (a guard against sync drivers used by mistake); one already-finished await
    # per statement satisfies it for the cost of a greenlet switch, without the event loop.
    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        super().do_execute(cursor, statement, parameters, context)
        await_(_done())

    def do_executemany(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        super().do_executemany(cursor, statement, parameters, context)
        await_(_done())

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        super().do_execute_no_params(cursor, statement, context)
        await_(_done())


async def _done() -> None:
    return None


def register() -> None:
    """Make `sqlite+mentorbot_inline://` resolvable (idempotent)."""
    from sqlalchemy.dialects import registry

    registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_inline")
