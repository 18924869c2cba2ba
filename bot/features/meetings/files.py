"""Attachments the meetings feature sends (calendar invites, certificates) at rest.

The outbox carries a path, so the file is written before the message is queued and
read when it is delivered (a restart in between loses nothing). Files are private
(0600 in 0700 folders) and named after the member they were made for and the time
(the bot's clock), so forget-me removes that member's files without reading any, and a
housekeeping sweep deletes copies older than `MENTORBOT_EXPORT_RETENTION_DAYS` (the
member has the file in their DM; the copy on disk only waits for delivery).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

STAMP = "%Y%m%d%H%M%S"


def attachment_path(data_dir: str | Path, community_id: int, member_id: int, name: str, now: datetime) -> Path:
    """`<data>/attachments/<community>/m<member>-<UTC time>-<name>`; the folders are made private."""
    folder = Path(data_dir) / "attachments" / str(community_id)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder / f"m{member_id}-{now.astimezone(UTC):{STAMP}}-{name}"


async def sweep_old_attachments(session: AsyncSession, now: datetime, env: Any) -> int:
    """Sweep job: delete attachment copies past the retention (housekeeping: counts as no work)."""
    settings = getattr(env, "settings", env)
    root = Path(settings.data_dir) / "attachments"
    if not root.is_dir():
        return 0
    oldest = now - timedelta(days=getattr(settings, "export_retention_days", 7))
    for path in root.glob("*/m*-*"):
        parts = path.name.split("-")
        try:
            made = datetime.strptime(parts[1], STAMP).replace(tzinfo=UTC)
        except (IndexError, ValueError):
            continue  # not one of ours: left alone
        if made < oldest:
            path.unlink(missing_ok=True)
    return 0


def write_private(path: Path, data: bytes) -> Path:
    """Write `data` so only this user can read it (0600), replacing an older copy."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return path


def forget_attachments(data_dir: str | Path, community_id: int, member_id: int) -> int:
    """Delete every attachment made for the member; returns how many."""
    folder = Path(data_dir) / "attachments" / str(community_id)
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob(f"m{member_id}-*"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
