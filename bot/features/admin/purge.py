"""Purging a workspace's data after the app was removed from it.

Slack `app_uninstalled` / `tokens_revoked` (in either order) and a Discord
GUILD_DELETE without `unavailable` (the server removed the bot; an outage is not a
removal) call `Uninstalls.removed`: the community's `purge_due_at` is set to now plus
`MENTORBOT_PURGE_GRACE_DAYS` (an earlier due time is kept, so a second event never
postpones it). Installing the app again before then (a Slack installation saved, a
Discord GUILD_CREATE) calls `Uninstalls.returned`, which clears it. A Discord server
that removed the bot while it was down is missing from the guilds at start-up
(`Uninstalls.absent`), which schedules it the same way.

The database is the schedule: the "workspace purge" sweep deletes every row of each
community that fell due (storage/purge.py reads the plan from the table metadata),
its export, attachment and chart files, and then, on SQLite, checkpoints the WAL with
TRUNCATE so no deleted token or text stays in it.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.ports import Clock
from bot.core.settings import Settings
from storage.db import Database
from storage.purge import checkpoint_wal, purge_community_rows
from storage.tables import Community

log = logging.getLogger(__name__)

# Rows deleted per transaction: each batch holds SQLite's write lock (and, SQLite running in
# place, the event loop) for a fraction of a second; bench/purge.py measures it.
PURGE_BATCH = 2000


class Uninstalls:
    """What the adapters call when the app leaves or comes back to a workspace."""

    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    async def removed(self, platform: str, external_id: str) -> datetime | None:
        """Schedule the purge; returns its due time (None: the bot never knew this workspace)."""
        due = self.clock.now() + timedelta(days=self.settings.purge_grace_days)
        async with self.db.unit() as session:
            community = await _community(session, platform, external_id)
            if community is None:
                return None
            if community.purge_due_at is None or community.purge_due_at > due:
                community.purge_due_at = due
            when = community.purge_due_at
        log.warning("mentorbot was removed from %s %s: its data will be deleted at %s", platform, external_id, when)
        return when

    async def absent(self, platform: str, present: set[str]) -> int:
        """At start-up: a known workspace the platform no longer lists removed the app while
        the bot was down (no event was replayed); schedule those. Returns how many."""
        due = self.clock.now() + timedelta(days=self.settings.purge_grace_days)
        async with self.db.unit() as session:
            rows = (
                await session.execute(
                    select(Community).where(col(Community.platform) == platform, col(Community.purge_due_at).is_(None))
                )
            ).scalars()
            missing = [row for row in rows if row.external_id not in present]
            for row in missing:
                row.purge_due_at = due
        for row in missing:
            log.warning(
                "mentorbot is no longer in %s %s: its data will be deleted at %s", platform, row.external_id, due
            )
        return len(missing)

    async def returned(self, platform: str, external_id: str) -> bool:
        """Cancel a scheduled purge; True if one was cancelled."""
        async with self.db.unit() as session:
            result = await session.execute(
                update(Community)
                .where(
                    col(Community.platform) == platform,
                    col(Community.external_id) == external_id,
                    col(Community.purge_due_at).is_not(None),
                )
                .values(purge_due_at=None)
            )
            cancelled = bool(getattr(result, "rowcount", 0))
        if cancelled:
            log.warning("mentorbot is back in %s %s: its data is kept", platform, external_id)
        return cancelled


async def _community(session: AsyncSession, platform: str, external_id: str) -> Community | None:
    return (
        await session.execute(
            select(Community).where(col(Community.platform) == platform, col(Community.external_id) == external_id)
        )
    ).scalar_one_or_none()


async def purge_due(session: AsyncSession, now: datetime, env: Any) -> int:
    """Sweep job: delete every community whose purge fell due; returns how many were purged."""
    due = (
        (
            await session.execute(
                select(Community)
                .where(col(Community.purge_due_at).is_not(None), col(Community.purge_due_at) <= now)
                .order_by(col(Community.id))
            )
        )
        .scalars()
        .all()
    )
    if not due:
        return 0
    data_dir = env.settings.data_dir
    for community in due:
        rows, finished = 0, False
        while not finished:
            deleted, finished = await purge_community_rows(session, community, PURGE_BATCH)
            rows += deleted
            await session.commit()
            await asyncio.sleep(0)  # SQLite runs on the loop: let acks in between batches
        files = delete_community_files(data_dir, community.id or 0)
        log.warning("purged community %s: %d rows, %d files", community.id, rows, files)
    await checkpoint_wal(session)
    return len(due)


async def next_purge_due(session: AsyncSession) -> datetime | None:
    when: datetime | None = (await session.execute(select(func.min(col(Community.purge_due_at))))).scalar_one_or_none()
    return when


def delete_community_files(data_dir: str | Path, community_id: int) -> int:
    """The community's CSV exports, attachments (invites, certificates) and cached charts."""
    root = Path(data_dir)
    found = [
        *(root / "exports").glob(f"{community_id}-*"),
        root / "attachments" / str(community_id),
        *(root / "charts").glob(f"stats-{community_id}-*"),
    ]
    removed = 0
    for path in found:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
        elif path.exists():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
