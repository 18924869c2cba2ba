"""`mentorbot backup` / `restore` through the real process: a consistent copy while a
writer keeps committing, restored with every row, refusals that say what to do."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BATCH = 20


def mentorbot(args: list[str], cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


class Writer(threading.Thread):
    """Commits batches of BATCH rows and a running total in one transaction each, as the bot's
    units of work do, until told to stop: a torn copy shows as a partial batch or a wrong total."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db, self.stop, self.batches = db, threading.Event(), 0

    def run(self) -> None:
        conn = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        while not self.stop.is_set() or self.batches < 5:
            self.batches += 1
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO ops_probe (batch, body) VALUES (?, ?)",
                [(self.batches, os.urandom(512).hex()) for _ in range(BATCH)],
            )
            conn.execute("UPDATE ops_total SET n = n + ?", (BATCH,))
            conn.execute("COMMIT")
        conn.close()


def seed(db: Path) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE ops_probe (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, body TEXT NOT NULL)")
    conn.execute("CREATE TABLE ops_total (n INTEGER NOT NULL)")
    conn.execute("INSERT INTO ops_total VALUES (0)")
    # Enough pages (~20 MB) that the writer commits many times while the copy runs.
    conn.execute("BEGIN")
    bodies = [(os.urandom(512).hex(),) for _ in range(20000)]
    conn.executemany("INSERT INTO ops_probe (batch, body) VALUES (0, ?)", bodies)
    conn.execute("UPDATE ops_total SET n = 20000")
    conn.execute("COMMIT")
    conn.close()


def rows(db: Path) -> tuple[int, list[tuple[int, int, str]]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    total = conn.execute("SELECT n FROM ops_total").fetchone()[0]
    found = conn.execute("SELECT id, batch, body FROM ops_probe ORDER BY id").fetchall()
    conn.close()
    return total, found


def test_backup_while_writing_then_restore_keeps_every_row(tmp_path: Path) -> None:
    live = tmp_path / "mentorbot.db"
    assert mentorbot(["migrate"], tmp_path, sqlite_url(live)).returncode == 0
    seed(live)
    writer = Writer(live)
    writer.start()
    try:
        result = mentorbot(["backup", "backups.db"], tmp_path, sqlite_url(live))
    finally:
        writer.stop.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "backups.db"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert not (tmp_path / "backups.db-wal").exists()  # one self-contained file

    total, saved = rows(copy)
    assert total == len(saved) and total >= 20000  # the total and the rows come from one moment
    batches: dict[int, int] = {}
    for _, batch, _ in saved:
        batches[batch] = batches.get(batch, 0) + 1
    assert all(n == BATCH for b, n in batches.items() if b)  # no half-copied transaction
    _, everything = rows(live)
    assert writer.batches > 5 and len(everything) > len(saved) - 1
    assert saved == everything[: len(saved)]  # the same rows, byte for byte

    # A fresh place: restore needs no --force, and brings back the schema too.
    fresh = tmp_path / "restored.db"
    done = mentorbot(["restore", "backups.db"], tmp_path, sqlite_url(fresh))
    assert done.returncode == 0, done.stderr
    assert rows(fresh) == (total, saved)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    conn = sqlite3.connect(fresh)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()
    conn.close()
    assert mentorbot(["migrate"], tmp_path, sqlite_url(fresh)).returncode == 0  # the bot can use it


def test_restore_refuses_a_database_with_data_unless_forced(tmp_path: Path) -> None:
    live = tmp_path / "mentorbot.db"
    assert mentorbot(["migrate"], tmp_path, sqlite_url(live)).returncode == 0
    seed(live)
    assert mentorbot(["backup", "b.db"], tmp_path, sqlite_url(live)).returncode == 0
    conn = sqlite3.connect(live)
    conn.execute("DELETE FROM ops_probe WHERE id > 10")
    conn.commit()
    conn.close()

    refused = mentorbot(["restore", "b.db"], tmp_path, sqlite_url(live))
    assert refused.returncode == 1
    assert "already holds a database" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert len(rows(live)[1]) == 10  # untouched

    forced = mentorbot(["restore", "b.db", "--force"], tmp_path, sqlite_url(live))
    assert forced.returncode == 0, forced.stderr
    assert len(rows(live)[1]) == 20000


def test_restore_refuses_while_the_bot_holds_the_write_lock(tmp_path: Path) -> None:
    live = tmp_path / "mentorbot.db"
    seed(live)
    assert mentorbot(["backup", "b.db"], tmp_path, sqlite_url(live)).returncode == 0
    conn = sqlite3.connect(live, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # a writer mid-transaction
    try:
        refused = mentorbot(["restore", "b.db", "--force"], tmp_path, sqlite_url(live))
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert refused.returncode == 1
    assert "in use" in refused.stderr and "stop the bot" in refused.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["restore", "missing.db"], "no backup file at"),
        (["restore", "junk.db"], "is not"),
        (["backup", "nowhere/b.db"], "does not exist"),
    ],
)
def test_mistakes_get_a_short_answer(tmp_path: Path, args: list[str], message: str) -> None:
    live = tmp_path / "mentorbot.db"
    seed(live)
    (tmp_path / "junk.db").write_text("not a database at all, just words\n" * 100)
    result = mentorbot(args, tmp_path, sqlite_url(live))
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_version_is_the_installed_package_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = mentorbot(["--version"], tmp_path, sqlite_url(tmp_path / "x.db"))
    assert result.returncode == 0
    assert result.stdout.strip() == f"mentorbot {version('mentorbot')}"


@pytest.mark.postgres
def test_postgres_backup_and_restore_with_pg_dump(tmp_path: Path) -> None:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set")
    from shutil import which

    if which("pg_dump") is None or which("psql") is None:
        pytest.skip("pg_dump/psql not installed")
    from sqlalchemy.engine import make_url

    admin = make_url(base)
    names = [f"mentorbot_ops_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    host = ["--host", admin.host or "127.0.0.1", "--port", str(admin.port or 5432)]
    host += ["--username", admin.username or "postgres"]

    def psql(db: str, sql: str) -> str:
        out = subprocess.run(["psql", *host, "--dbname", db, "-tAc", sql], capture_output=True, text=True, check=True)
        return out.stdout.strip()

    for name in names:
        psql(admin.database or "postgres", f"CREATE DATABASE {name}")
    try:
        source, target = (admin.set(database=n).render_as_string(hide_password=False) for n in names)
        assert mentorbot(["migrate"], tmp_path, source).returncode == 0
        psql(names[0], "CREATE TABLE ops_probe (id int primary key, body text)")
        psql(names[0], "INSERT INTO ops_probe SELECT g, md5(g::text) FROM generate_series(1, 5000) g")
        done = mentorbot(["backup", "pg.dump"], tmp_path, source)
        assert done.returncode == 0, done.stderr
        assert "pg_dump --format=custom" in done.stdout
        assert stat.S_IMODE((tmp_path / "pg.dump").stat().st_mode) == 0o600

        refused = mentorbot(["restore", "pg.dump"], tmp_path, source)
        assert refused.returncode == 1 and "--force" in refused.stderr
        restored = mentorbot(["restore", "pg.dump"], tmp_path, target)
        assert restored.returncode == 0, restored.stderr
        assert psql(names[1], "SELECT count(*), sum(length(body)) FROM ops_probe") == "5000|160000"
        assert psql(names[1], "SELECT count(*) FROM alembic_version") == "1"
    finally:
        for name in names:
            psql(admin.database or "postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
