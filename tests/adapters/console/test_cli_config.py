"""`mentorbot run` with an unusable configuration: one clear line on stderr, exit 2, no traceback,
and no attempt to start (nothing listens, nothing migrates) — through the real `mentorbot` process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GOOD_KEY = "gP1m4kFZ5Ew3lJb2Qn7pZr8dXv0sHcYtUa9oLi6eK1M="
SLACK_OAUTH = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "x"}


def mentorbot() -> list[str]:
    script = Path(sys.executable).with_name("mentorbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({**SLACK_OAUTH}, "set MENTORBOT_SECRET_KEY"),
        ({**SLACK_OAUTH, "MENTORBOT_SECRET_KEY": "  "}, "set MENTORBOT_SECRET_KEY"),
        ({**SLACK_OAUTH, "MENTORBOT_SECRET_KEY": "not-a-fernet-key"}, "MENTORBOT_SECRET_KEY is not a Fernet key"),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "MENTORBOT_SECRET_KEY": GOOD_KEY},
            "SLACK_SIGNING_SECRET",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "set SLACK_APP_TOKEN for Socket Mode or SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "x", "PORT": "eighty"}, "PORT must be a number"),
        ({"DISCORD_TOKEN": "abc", "DISCORD_GUILD_ID": "my-server"}, "DISCORD_GUILD_ID must be a Discord id"),
        ({"DISCORD_TOKEN": "abc", "DISCORD_SHARDS": "9"}, "DISCORD_SHARDS must be 'auto'"),
        ({"MENTORBOT_TIMEZONE": "Mars/Olympus"}, "MENTORBOT_TIMEZONE='Mars/Olympus'"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL='CHATTY' must be one of"),
        ({"DATABASE_URL": "mysql://root@db/x"}, "DATABASE_URL uses 'mysql'"),
        ({"DATABASE_URL": "::not a url::"}, "DATABASE_URL is not a database URL"),
        ({"MENTORBOT_SWEEP_SECONDS": "often"}, "MENTORBOT_SWEEP_SECONDS='often' must be a number"),
        ({"MENTORBOT_PROGRAM": "/nonexistent/program.toml"}, "MENTORBOT_PROGRAM="),
    ],
)
def test_run_with_a_configuration_problem_prints_one_line_and_exits_2(
    tmp_path: Path, env: dict[str, str], says: str
) -> None:
    result = subprocess.run(
        [*mentorbot(), "run"],
        cwd=tmp_path,  # no .env here
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        input="",
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mentorbot: configuration problem: ") and says in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "mentorbot.db").exists()  # stopped before touching the database
