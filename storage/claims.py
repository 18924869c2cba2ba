"""Claiming due rows so that each is handled by exactly one worker.

One statement does it: `UPDATE … WHERE id IN (SELECT id … FOR UPDATE SKIP LOCKED
LIMIT n) RETURNING id`. On PostgreSQL the sub-select skips rows another worker
has locked; on SQLite (one writer at a time, no FOR UPDATE) the single UPDATE is
atomic, so two workers can never both take a row — a separate SELECT then UPDATE
could, because SQLite reads outside the write transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession


def claim_statement(
    model: Any,
    where: list[ColumnElement[bool]],
    order_by: list[Any],
    limit: Any,
    values: dict[str, Any],
    *,
    token: Any = None,
) -> Any:
    """The claiming UPDATE: mark up to `limit` rows matching `where` with `values`.

    It returns (id, token) rows, where `token` is the value of the given column
    after the update (a fencing token: whoever holds the current token owns the
    row; a worker whose lease ran out finds a newer one). Callers build it once,
    with bind parameters, and run it with `run_claim`."""
    candidates = select(model.id).where(*where).order_by(*order_by).limit(limit).with_for_update(skip_locked=True)
    return (
        update(model)
        .where(model.id.in_(candidates.scalar_subquery()), *where)
        .values(**values)
        .returning(model.id, token if token is not None else model.id)
        .execution_options(synchronize_session=False)
    )


async def run_claim(
    session: AsyncSession, statement: Any, params: dict[str, Any] | None = None
) -> list[tuple[int, Any]]:
    """Execute a claim statement: (id, token) pairs in id order."""
    return sorted((row[0], row[1]) for row in (await session.execute(statement, params or {})).all())
