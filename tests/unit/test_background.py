"""Worker processes run at a lower OS priority than the bot (bot/core/worker_process.py): the heavy-work
worker and the picture worker, through the same real process pools the bot uses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.core.heavy import HeavyWork
from bot.core.worker_process import BACKGROUND_NICE
from bot.delivery.pictures import PictureWorker
from storage.db import Database

pytestmark = pytest.mark.skipif(not hasattr(os, "nice"), reason="no os.nice on this platform")


async def where_and_how_nice(_session: Any) -> tuple[int, int]:
    """A heavy-work job (module level: the worker imports it by name)."""
    return os.getpid(), os.nice(0)


def expected_niceness() -> int:
    return min(19, os.nice(0) + BACKGROUND_NICE)


async def test_the_heavy_work_worker_runs_at_background_priority(tmp_path: Path) -> None:
    before = os.nice(0)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    heavy = HeavyWork("process")
    try:
        pid, niceness = await heavy.run(where_and_how_nice, db)
    finally:
        heavy.close()
        await db.dispose()
    assert pid != os.getpid()
    assert niceness == expected_niceness()
    assert os.nice(0) == before  # the bot's own process keeps its priority


def test_the_picture_worker_runs_at_background_priority() -> None:
    pictures = PictureWorker("process")
    try:
        niceness = pictures._executor().submit(os.nice, 0).result(timeout=120)
    finally:
        pictures.close()
    assert niceness == expected_niceness()


async def test_thread_mode_leaves_the_priority_alone(tmp_path: Path) -> None:
    """A thread shares the bot's process: lowering its priority would lower the bot's."""
    before = os.nice(0)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    heavy = HeavyWork("thread")
    try:
        pid, niceness = await heavy.run(where_and_how_nice, db)
    finally:
        heavy.close()
        await db.dispose()
    assert (pid, niceness) == (os.getpid(), before)
