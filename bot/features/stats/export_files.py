"""CSV exports at rest: they hold personal data, so they expire and forget-me reaches them.

`/mentor export` writes `<data dir>/exports/<community>-<YYYYmmdd-HHMMSS>-<id>/` and
sends the files to the moderator; the copy on disk is only needed until it is sent.

- `sweep_old_exports` (a sweep job) deletes export folders older than
  `MENTORBOT_EXPORT_RETENTION_DAYS` (default 7), by the time in their name (the
  bot's clock) — or by the folder's own time when the name is not ours.
- `forget_in_exports` deletes every export folder with a file that holds the member
  (their platform id, or one of the texts that identify them).

Charts hold aggregates only (counts per week and status), never a name or a text.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)


def exports_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "exports"


def _made_at(folder: Path) -> datetime:
    parts = folder.name.split("-")
    if len(parts) >= 3:
        try:
            return datetime.strptime(f"{parts[1]}-{parts[2]}", "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(folder.stat().st_mtime, UTC)


async def sweep_old_exports(session: AsyncSession, now: datetime, env: Any) -> int:
    """Sweep job: delete export folders past the retention (housekeeping: counts as no work)."""
    settings = getattr(env, "settings", env)
    root = exports_dir(settings.data_dir)
    if not root.is_dir():
        return 0
    keep = timedelta(days=getattr(settings, "export_retention_days", 7))
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and _made_at(folder) < now - keep:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        log.info("deleted %d export folder(s) older than %s", removed, keep)
    return 0


def forget_in_exports(data_dir: str | Path, community_id: int, tokens: list[str]) -> int:
    """Delete the community's export folders whose files mention any of `tokens`; returns how many."""
    root = exports_dir(data_dir)
    if not root.is_dir():
        return 0
    needles = [t for t in tokens if t and len(t) >= 2]
    removed = 0
    for folder in root.glob(f"{community_id}-*"):
        if folder.is_dir() and any(_mentions(path, needles) for path in folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _mentions(path: Path, needles: list[str]) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(needle in text for needle in needles)
