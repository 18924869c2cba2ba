"""Deleting every row of one community (a workspace or server that removed the app).

The plan is read from the table metadata itself, so a table added later is covered
without editing a list here:

- a table with a `community_id` column: its rows of the community;
- a table without one whose foreign keys point at such a table (poll votes, proposed
  pairs, choice offers): its rows that point at the community's rows;
- a table keyed by the platform's own ids (`PLATFORM_KEYED`): its rows of that workspace;
- `NOT_COMMUNITY_DATA`: process-wide rows that hold nothing of any community.

`purge_plan()` says how each table is handled; a table it cannot place is "uncovered",
and a test fails on that. The community row goes last; a later install of the same
workspace starts a new one (the core's cached row id is checked against the row).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, and_, delete, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

import storage.tables  # noqa: F401  (registers every table on the metadata)
from storage.tables import Community, DmChannel, InboxEvent, PacingSlot, SlackInstallation

COMMUNITY = "community"
# Rows keyed by the platform's workspace / guild id instead of the community row's id.
PLATFORM_KEYED = frozenset({InboxEvent.__tablename__, DmChannel.__tablename__, PacingSlot.__tablename__})
PLATFORM_KEYED |= {SlackInstallation.__tablename__}
# Process-wide rows: live workers, OAuth `state` values of installs in progress (minutes long).
NOT_COMMUNITY_DATA = frozenset({"worker_heartbeat", "slack_oauth_state", "alembic_version"})


def _scoped(table: Table) -> bool:
    return "community_id" in table.c


def _child_keys(table: Table) -> list[tuple[str, Table, str]]:
    """(column, parent table, parent column) of each foreign key into a community-scoped table."""
    found = []
    for fk in table.foreign_keys:
        parent = fk.column.table
        if isinstance(parent, Table) and _scoped(parent):
            found.append((fk.parent.name, parent, fk.column.name))
    return found


def purge_plan() -> dict[str, str]:
    """How each table's rows of a community are found: scoped, child, platform, community, none or uncovered."""
    plan: dict[str, str] = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name == COMMUNITY:
            plan[table.name] = "community"
        elif _scoped(table):
            plan[table.name] = "scoped"
        elif _child_keys(table):
            plan[table.name] = "child"
        elif table.name in PLATFORM_KEYED:
            plan[table.name] = "platform"
        elif table.name in NOT_COMMUNITY_DATA:
            plan[table.name] = "none"
        else:
            plan[table.name] = "uncovered"
    return plan


async def purge_community_rows(
    session: AsyncSession, community: Community, budget: int | None = None
) -> tuple[int, bool]:
    """Delete rows of `community`, children before parents: at most about `budget` rows (None:
    all). Returns (rows deleted, finished); the community row goes when nothing else is left.

    A budget keeps each transaction short: SQLite runs on the event loop and holds the write
    lock while it deletes, so a large community is deleted in batches, committed one by one."""
    cid = community.id
    sqlite = session.bind is not None and session.bind.dialect.name == "sqlite"
    if sqlite:
        # Deleted cells and freed pages are zeroed, so deleted texts do not linger in the file's
        # free space; only for the purge (the connection is shared with everything else).
        await session.execute(text("PRAGMA secure_delete=ON"))
    removed, finished = 0, True
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name == COMMUNITY:
            continue
        where = _rows_of(table, community)
        if where is None:
            continue
        keys = list(table.primary_key.columns)
        left = None if budget is None else budget - removed
        if left is not None and len(keys) == 1:
            # At most `left` rows (DELETE … LIMIT is not portable: a key subquery is).
            statement = delete(table).where(keys[0].in_(select(keys[0]).where(where).limit(left)))
        else:
            statement = delete(table).where(where)
        result = await session.execute(statement)
        removed += int(getattr(result, "rowcount", 0) or 0)
        if budget is not None and removed >= budget:
            finished = False
            break
    if finished:
        await session.execute(delete(Community).where(col(Community.id) == cid))
        removed += 1
    if sqlite:
        await session.execute(text("PRAGMA secure_delete=OFF"))
    return removed, finished


def _rows_of(table: Table, community: Community) -> ColumnElement[bool] | None:
    cid = community.id
    if _scoped(table):
        return table.c.community_id == cid
    if keys := _child_keys(table):
        return or_(
            *(
                table.c[column].in_(select(parent.c[key]).where(parent.c.community_id == cid))
                for column, parent, key in keys
            )
        )
    if table.name in PLATFORM_KEYED:
        return _platform_rows(table, community)
    return None


def _platform_rows(table: Table, community: Community) -> ColumnElement[bool] | None:
    platform, external_id = community.platform, community.external_id
    if table.name == InboxEvent.__tablename__:
        return and_(table.c.platform == platform, table.c.team_id == external_id)
    if table.name == DmChannel.__tablename__:
        return and_(table.c.platform == platform, table.c.community_external_id == external_id)
    if table.name == PacingSlot.__tablename__:
        return table.c.bucket.startswith(f"{platform}:{external_id}:", autoescape=True)
    if table.name == SlackInstallation.__tablename__ and platform == "slack":
        return table.c.team_id == external_id
    return None


async def checkpoint_wal(session: AsyncSession) -> None:
    """SQLite: copy the WAL into the database file and empty it, so no deleted row stays in it.

    Call after the purge is committed (a checkpoint cannot pass an open write transaction)."""
    if session.bind is not None and session.bind.dialect.name == "sqlite":
        await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
