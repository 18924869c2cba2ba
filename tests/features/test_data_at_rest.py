"""Data at rest: forget-me reaches the files in the data directory (CSV exports), exports
expire, and the real `mentorbot` process keeps its files to itself (0600 files, 0700 folders)."""

from __future__ import annotations

import stat
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.features.stats.export_files import sweep_old_exports
from tests.support.chat import Chat
from tests.support.intake_flows import member_named, sign_up_mentee, sign_up_mentor

ROOT = Path(__file__).resolve().parents[2]
GOAL = "Quasar-goal-about-compilers-5521"
TEAM = "Zanzibar-Widgets-7742"


def files_mentioning(data_dir: Path, needles: list[str]) -> list[str]:
    found = []
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes().decode("utf-8", errors="replace")
            found += [f"{path.relative_to(data_dir)}: {n}" for n in needles if n in content or n in path.name]
    return found


async def test_after_forget_me_no_file_in_the_data_dir_holds_the_member(chat: Chat) -> None:
    data_dir = Path(chat.bot.settings.data_dir)
    await chat("moderators: carol")
    await sign_up_mentee(chat, "quincy", goals=GOAL, team=TEAM)
    await sign_up_mentor(chat, "alice")
    await chat("@carol /mentor export", "@carol /mentor stats")
    quincy = await member_named(chat, "quincy")
    needles = ["quincy", GOAL, TEAM]
    assert files_mentioning(data_dir, needles), "the export should hold quincy before forget-me"
    await chat("@quincy /mentor forget-me", "@quincy click Yes, delete my data")
    assert files_mentioning(data_dir, needles + [f",{quincy.id},"]) == []
    assert list(data_dir.rglob("*.png")), "the chart (aggregates only) stays"


async def test_exports_are_deleted_after_the_retention(chat: Chat) -> None:
    data_dir = Path(chat.bot.settings.data_dir)
    await chat("moderators: carol")
    await sign_up_mentor(chat, "alice")
    await chat("@carol /mentor export")
    (export,) = (data_dir / "exports").iterdir()
    settings = replace(chat.bot.settings, export_retention_days=7)
    now = chat.bot.clock.now()
    async with chat.bot.db.unit() as session:
        await sweep_old_exports(session, now + timedelta(days=6), settings)
        assert export.exists()
        await sweep_old_exports(session, now + timedelta(days=7, minutes=1), settings)
    assert not export.exists()


def test_the_real_process_creates_private_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "old-export.csv").write_text("left readable by an earlier version\n")
    (data / "old-export.csv").chmod(0o644)
    script = tmp_path / "script.txt"
    script.write_text('moderators: carol\n@carol /mentor poll "Join?" --closes 1d\n@carol /mentor export\n')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "adapters.cli",
            "console",
            "--db",
            str(tmp_path / "mentorbot.db"),
            "--script",
            str(script),
        ],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "MENTORBOT_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    created = [tmp_path / "mentorbot.db", *data.rglob("*")]
    assert any(p.name.endswith(".csv") and p.parent != data for p in created), "the export should have written files"
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in created if p.exists()}
    assert all(mode == (0o700 if (tmp_path / name).is_dir() else 0o600) for name, mode in modes.items()), modes
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
