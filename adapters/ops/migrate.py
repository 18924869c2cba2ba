"""`mentorbot migrate`: say what will change, back up a SQLite database, then upgrade.

An operator upgrading a bot that holds months of a community's program should see which
revisions run before they run, and have a copy to go back to: migrations only go
forward. A SQLite database with data is copied first with the online backup API (the
same code as `mentorbot backup`; the file is 0600 in a 0700 folder under the data
directory). PostgreSQL is not dumped here — the plan names `mentorbot backup` for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from adapters.ops.backup import OpsError, backup
from bot.core.settings import Settings
from storage.db import Database
from storage.migrate import Plan, plan, upgrade


def backup_path(settings: Settings, database: Path, head: str, now: datetime) -> Path:
    """Where the copy taken before an upgrade goes: data/backups/<db>-before-<head>-<time>.db."""
    folder = Path(settings.data_dir).expanduser().resolve() / "backups"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder / f"{database.stem}-before-{head}-{now:%Y%m%dT%H%M%SZ}.db"


def backup_first(settings: Settings, database: str, head: str, now: datetime) -> list[str]:
    """Copy the SQLite database before it is upgraded (sqlite3's online backup: consistent
    even if a bot still writes to it); the lines to print, the way back included."""
    target = backup_path(settings, Path(database).expanduser().resolve(), head, now)
    lines = backup(settings.database_url, target).lines
    return [*lines, f"mentorbot: to go back, install the previous version and `mentorbot restore {target} --force`"]


def describe(p: Plan, shown: str) -> list[str]:
    """The plan in words: where the database is, where it goes, and each revision on the way."""
    head = ", ".join(p.heads)
    if p.up_to_date:
        return [f"mentorbot: {shown} is at {head} (head); nothing to migrate"]
    where = ", ".join(p.current) if p.current else ("an empty database" if not p.has_tables else "no revision")
    count = f"{len(p.pending)} migration" + ("s" if len(p.pending) != 1 else "")
    lines = [f"mentorbot: {shown}: {where} → {head}; {count} to apply:"]
    lines += [f"  {revision:<28} {about}".rstrip() for revision, about in p.pending]
    return lines


async def migrate(
    settings: Settings, *, dry_run: bool = False, out: Callable[[str], None] = print, now: datetime | None = None
) -> int:
    db = Database(settings.database_url)
    shown = db.url.render_as_string(hide_password=True)
    try:
        todo = await plan(db)
        for line in describe(todo, shown):
            out(line)
        if todo.up_to_date:
            return 0
        if dry_run:
            out("mentorbot: dry run; nothing changed")
            return 0
        if todo.has_tables and db.is_sqlite and db.url.database not in (None, "", ":memory:"):
            await db.dispose()  # the copy reads the file on its own connection
            try:
                for line in backup_first(settings, str(db.url.database), todo.heads[0], now or datetime.now(UTC)):
                    out(line)
            except OpsError as exc:
                out(f"mentorbot: no backup, so no migration: {exc}")
                return 1
        elif todo.has_tables and not db.is_sqlite:
            out("mentorbot: PostgreSQL is not dumped by migrate; take one first with `mentorbot backup PATH`")
        await upgrade(db)
        out(f"mentorbot: database is up to date ({shown})")
        return 0
    finally:
        await db.dispose()
