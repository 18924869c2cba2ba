"""A running bot's SQLite checkpoints happen in a child process, not inside commits on the loop.

What is checked is behaviour, not speed (bench/ack.py measures that): the bot's own
connections no longer checkpoint, the child does (the committed pages reach the database
file), the child goes away with the database or with the bot, and nothing changes for
a process that did not ask for it (tests, one-off commands)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import sqlite_checkpoint
from storage.db import Database

ROOT = Path(__file__).resolve().parents[2]


async def until(predicate, seconds: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return bool(predicate())


async def write_rows(db: Database, rows: int) -> None:
    async with db.unit() as s:
        await s.execute(text("CREATE TABLE IF NOT EXISTS t (x TEXT)"))
    for _ in range(rows // 100):
        async with db.unit() as s:
            for _ in range(100):
                await s.execute(text("INSERT INTO t VALUES (:x)"), {"x": "y" * 400})


def children(path: Path) -> list[int]:
    out = subprocess.run(["pgrep", "-f", f"sqlite_checkpoint.py {path}"], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


async def test_a_running_bot_checkpoints_in_a_child_not_in_its_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_checkpoint, "_enabled", True)
    path = tmp_path / "bot.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.unit() as s:
        assert (await s.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
    size = path.stat().st_size
    await write_rows(db, 3000)  # ~1.3 MB: past SQLite's own 1,000-page trigger
    assert children(path), "no checkpoint process for the database file"
    # The committed pages reach the database file: the child copied the WAL into it.
    assert await until(lambda: path.stat().st_size > size + 1_000_000)
    async with db.unit() as s:
        assert (await s.execute(text("SELECT count(*) FROM t"))).scalar() == 3000
    await db.dispose()
    assert await until(lambda: not children(path)), "the checkpoint process outlived the database"


async def test_the_child_goes_when_the_bot_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    bot = textwrap.dedent(
        f"""
        import asyncio
        from sqlalchemy import text
        from storage import sqlite_checkpoint
        from storage.db import Database

        async def main():
            sqlite_checkpoint.enable()
            db = Database("sqlite+aiosqlite:///{path}")
            async with db.unit() as s:
                await s.execute(text("CREATE TABLE t (x TEXT)"))
            print("ready", flush=True)
            await asyncio.sleep(600)

        asyncio.run(main())
        """
    )
    # The bot to kill, as a child process (blocking Popen on purpose: it returns once forked).
    process = subprocess.Popen([sys.executable, "-c", bot], cwd=ROOT, stdout=subprocess.PIPE, text=True)  # noqa: ASYNC220
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        assert await until(lambda: bool(children(path)))
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert await until(lambda: not children(path)), "the checkpoint process outlived a killed bot"


async def test_other_processes_keep_sqlites_own_checkpoints(tmp_path: Path) -> None:
    assert not sqlite_checkpoint.enabled()  # tests, migrations, the console: nothing changes
    path = tmp_path / "plain.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.unit() as s:
        assert (await s.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 1000
    assert not children(path)
    await db.dispose()
