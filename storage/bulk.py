"""Bulk writes for sweeps that touch thousands of rows at once.

`insert_ignoring_duplicates` sends one `INSERT … ON CONFLICT DO NOTHING` through
the driver's own executemany. SQLAlchemy's per-row parameter processing cost
more than the database work itself at 20k rows, so values are converted here
once: aware datetimes become naive UTC (our `UTCDateTime` convention) — as text
in SQLite's storage format, as objects for PostgreSQL drivers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession


def _placeholders(paramstyle: str, count: int) -> str:
    if paramstyle == "qmark":
        return ", ".join("?" * count)
    if paramstyle in ("numeric_dollar",):
        return ", ".join(f"${i}" for i in range(1, count + 1))
    if paramstyle == "numeric":
        return ", ".join(f":{i}" for i in range(1, count + 1))
    return ", ".join(["%s"] * count)  # format / pyformat drivers


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # The text form SQLAlchemy's SQLite DateTime type writes and reads back.
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def _pg_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


async def insert_ignoring_duplicates(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING for many rows: a sweep re-run after a crash
    inserts only what is missing (unique keys make each row's identity)."""
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    convert = _sqlite_value if dialect.name == "sqlite" else _pg_value
    params = [tuple(convert(row[c]) for c in columns) for row in rows]
    quoted = ", ".join(dialect.identifier_preparer.quote(c) for c in columns)
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({quoted}) "
        f"VALUES ({_placeholders(dialect.paramstyle, len(columns))}) ON CONFLICT DO NOTHING"
    )
    await connection.exec_driver_sql(sql, params)
