"""`mentorbot backup PATH` and `mentorbot restore PATH`.

SQLite: sqlite3's online backup API copies a consistent snapshot page by page while
the bot keeps writing (WAL readers never block the writer). PostgreSQL: `pg_dump` in
its custom format, run when it is installed and printed either way so an operator can
run it elsewhere. Backup files hold member data: they are created 0600.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class OpsError(Exception):
    """An operator mistake or an unusable file; the message says what to do instead."""


@dataclass(frozen=True)
class Outcome:
    lines: list[str]


def _sqlite_path(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise OpsError("DATABASE_URL points at an in-memory SQLite database; there is nothing to back up")
    return Path(url.database).expanduser().resolve()


def _private_file(path: Path) -> None:
    """Create (or truncate) `path` readable by its owner only, before any data goes in."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT


def backup(database_url: str, target: Path) -> Outcome:
    url = make_url(database_url)
    target = target.expanduser().resolve()
    if target.is_dir():
        raise OpsError(f"{target} is a directory; give a file name, e.g. {target / 'mentorbot-backup.db'}")
    if not target.parent.is_dir():
        raise OpsError(f"{target.parent} does not exist; create it first (mode 0700)")
    if url.get_backend_name() == "sqlite":
        return _backup_sqlite(_sqlite_path(url), target)
    if url.get_backend_name() == "postgresql":
        return _backup_postgres(url, target)
    raise OpsError(f"backups support SQLite and PostgreSQL, not {url.get_backend_name()}")


def _backup_sqlite(source: Path, target: Path) -> Outcome:
    if not source.exists():
        raise OpsError(f"no database at {source}; check DATABASE_URL or run `mentorbot migrate` first")
    if source == target:
        raise OpsError("the backup path is the database itself; choose another file")
    partial = target.with_name(target.name + ".partial")
    _private_file(partial)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        # One step, one read transaction: in WAL mode the bot keeps writing meanwhile. A stepped copy
        # would restart from page one after every commit by another connection and never finish on a busy bot.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)
    os.chmod(target, 0o600)
    return Outcome([f"mentorbot: backed up {source} to {target} ({target.stat().st_size} bytes, mode 0600)"])


def _pg_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # never on the command line, where `ps` shows it
    return env


def _pg_conninfo(url: URL) -> list[str]:
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return args


def _backup_postgres(url: URL, target: Path) -> Outcome:
    cmd = ["pg_dump", "--format=custom", "--no-owner", *_pg_conninfo(url), "--file", str(target), url.database or ""]
    shown = shlex.join(cmd)
    if shutil.which("pg_dump") is None:
        return Outcome(
            [
                "mentorbot: pg_dump is not installed here; run this where it is (password in PGPASSWORD):",
                f"  {shown}",
            ]
        )
    _private_file(target)
    done = subprocess.run(cmd, env=_pg_env(url), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        said = done.stderr.strip().splitlines()
        raise OpsError(f"pg_dump failed: {said[-1] if said else done.returncode}")
    os.chmod(target, 0o600)
    return Outcome([f"mentorbot: ran {shown}", f"mentorbot: backed up to {target} (mode 0600)"])


def restore(database_url: str, source: Path, *, force: bool) -> Outcome:
    url = make_url(database_url)
    source = source.expanduser().resolve()
    if not source.is_file():
        raise OpsError(f"no backup file at {source}")
    if url.get_backend_name() == "sqlite":
        return _restore_sqlite(source, _sqlite_path(url), force=force)
    if url.get_backend_name() == "postgresql":
        return _restore_postgres(url, source, force=force)
    raise OpsError(f"restore supports SQLite and PostgreSQL, not {url.get_backend_name()}")


def _has_data(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    return bool(row and row[0])


def _restore_sqlite(source: Path, target: Path, *, force: bool) -> Outcome:
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        check = src.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise OpsError(f"{source} is not a SQLite backup ({exc})") from exc
    if not check or check[0] != "ok" or not _has_data(src):
        src.close()
        raise OpsError(f"{source} is not a usable mentorbot backup (empty or damaged)")
    if target == source:
        src.close()
        raise OpsError("the backup file is the database itself; nothing to restore")
    existed = target.exists()
    if not existed:
        _private_file(target)
    dst = sqlite3.connect(target, timeout=0.5)
    try:
        if existed and _has_data(dst) and not force:
            raise OpsError(
                f"{target} already holds a database; stop the bot and run `mentorbot restore {source} --force` "
                "to replace it (back it up first with `mentorbot backup`)"
            )
        try:
            dst.execute("BEGIN IMMEDIATE")  # a running bot holds or soon takes the write lock
            dst.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            raise OpsError(f"{target} is in use (the bot is writing to it); stop the bot, then restore") from exc
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)
    return Outcome([f"mentorbot: restored {target} from {source}"])


def _restore_postgres(url: URL, source: Path, *, force: bool) -> Outcome:
    conn = [*_pg_conninfo(url), "--dbname", url.database or ""]
    cmd = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *conn, str(source)]
    if shutil.which("pg_restore") is None or shutil.which("psql") is None:
        return Outcome(["mentorbot: pg_restore is not installed here; run this where it is:", f"  {shlex.join(cmd)}"])
    probe = subprocess.run(
        ["psql", *conn, "-tAc", "SELECT to_regclass('alembic_version') IS NOT NULL"],
        env=_pg_env(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        raise OpsError(f"cannot reach the database: {probe.stderr.strip() or probe.returncode}")
    if probe.stdout.strip() == "t" and not force:
        raise OpsError(
            f"database {url.database} already holds mentorbot data; stop the bot and run "
            f"`mentorbot restore {source} --force` to replace it"
        )
    done = subprocess.run(cmd, env=_pg_env(url), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise OpsError(f"pg_restore failed: {done.stderr.strip() or done.returncode}")
    return Outcome([f"mentorbot: ran {shlex.join(cmd)}", f"mentorbot: restored database {url.database}"])
