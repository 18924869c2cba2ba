"""Graceful stop on Discord: SIGTERM makes the real `mentorbot run` finish what it holds, release
its inbox claims, close the gateway and exit cleanly (within 10 s by construction: STOP_SECONDS
in adapters/discord/main.py; no timed assertion here)."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import sys
from pathlib import Path

from tests.fakes.discord import FakeDiscord
from tests.support.discord_program import invocation

ROOT = Path(__file__).resolve().parents[3]


def _env(fake: FakeDiscord, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'mentorbot.db'}",
        "MENTORBOT_DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "INFO",
    }


async def _start(fake: FakeDiscord, tmp_path: Path) -> asyncio.subprocess.Process:
    await fake.drop_connections()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "run",
        cwd=tmp_path,
        env=_env(fake, tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await fake.wait_connected(timeout=120)
    return process


async def _stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "stopping:" in log and "Traceback" not in log
    return log


def _rows(tmp_path: Path, sql: str) -> int:
    with sqlite3.connect(tmp_path / "mentorbot.db") as conn:
        return int(conn.execute(sql).fetchone()[0])


async def test_sigterm_finishes_releases_and_exits_cleanly(
    fake: FakeDiscord, tmp_path: Path, migrated_sqlite: Path
) -> None:
    shutil.copyfile(migrated_sqlite, tmp_path / "mentorbot.db")  # `run` then has no migration to start
    guild = fake.add_guild("Mentor Guild", channels=("general",))
    general = next(iter(guild.channels))
    process = await _start(fake, tmp_path)
    top, sub, options = invocation('poll "Join the program?" --closes 3d')
    interaction = await fake.slash(guild, general, guild.owner_id, sub, options, command=top)
    await fake.wait_for_call("PATCH", rf"^/webhooks/\d+/{interaction['token']}/messages/@original$", timeout=120)
    await _stop(process)
    assert _rows(tmp_path, "SELECT count(*) FROM poll") == 1
    assert _rows(tmp_path, "SELECT count(*) FROM inbox WHERE finished_at IS NULL") == 0
    assert _rows(tmp_path, "SELECT count(*) FROM inbox WHERE claimed_by IS NOT NULL") == 0
