"""Graceful stop: SIGTERM makes the real `mentorbot run` (Slack HTTP) stop taking events —
a new event gets 503 so Slack retries elsewhere, and is not saved — and exit cleanly."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import sys
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.core.clock import ManualClock
from bot.core.settings import Settings
from storage.tables import InboxEvent
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.support.db import START
from tests.support.slack_harness import FORM, SlackStack
from tests.support.slack_payloads import slash_command

ROOT = Path(__file__).resolve().parents[3]


async def test_while_stopping_a_new_event_gets_503_and_is_not_saved(fake: FakeSlack, settings: Settings) -> None:
    stack = await SlackStack.start(fake, settings, ManualClock(START))
    try:
        stack.services.adapter.stopping = True
        body = slash_command("help", user_id="U0BOB", channel_id="C0MENTOR", response_url=fake.response_url("late"))
        status, _ = await stack.post(body, FORM)
        assert status == 503
        async with stack.bot.db.unit() as session:
            assert (await session.execute(select(func.count()).select_from(InboxEvent))).scalar_one() == 0
    finally:
        await stack.stop()


async def test_sigterm_stops_the_real_process_cleanly(fake: FakeSlack, tmp_path: Path, migrated_sqlite: Path) -> None:
    shutil.copyfile(migrated_sqlite, tmp_path / "mentorbot.db")  # `run` then has no migration to start
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'mentorbot.db'}",
        "MENTORBOT_DATA_DIR": str(tmp_path / "data"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/slack/events"
    async with aiohttp.ClientSession() as session:
        for _ in range(1200):  # until it listens (an unsigned request is refused with 401)
            try:
                async with session.post(url, data="") as resp:
                    if resp.status == 401:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
        else:
            process.kill()
            raise AssertionError("mentorbot run did not start listening")
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "stopping: no new events" in log
    assert "Traceback" not in log
