"""The `mentorbot` command line: platform choice, invite URL, console script runs."""

import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli import choose_platform, main

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("env", "platform"),
    [
        ({}, "console"),
        ({"SLACK_BOT_TOKEN": "xoxb-test"}, "slack"),
        ({"SLACK_APP_TOKEN": "xapp-test"}, "slack"),
        ({"SLACK_CLIENT_ID": "1.2"}, "slack"),
        ({"DISCORD_TOKEN": "abc"}, "discord"),
        ({"SLACK_BOT_TOKEN": "", "DISCORD_TOKEN": "abc"}, "discord"),  # an empty Slack key selects nothing
        ({"DISCORD_TOKEN": "  "}, "console"),
    ],
)
def test_run_picks_the_configured_platform(env: dict[str, str], platform: str) -> None:
    assert choose_platform(env) == platform


def test_discord_invite_prints_a_least_permission_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "unused-when-the-id-is-given")
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "123456789012345678")
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    assert main(["discord-invite"]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("https://discord.com/oauth2/authorize?client_id=123456789012345678")
    assert "applications.commands" in url and "permissions=" in url


def test_bad_configuration_is_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "console", "--db", str(tmp_path / "x.db")],
        cwd=tmp_path,
        env={"MENTORBOT_TIMEZONE": "Mars/Olympus", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        input="",
    )
    assert result.returncode == 2
    assert "configuration problem: MENTORBOT_TIMEZONE='Mars/Olympus' is not an IANA timezone name" in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script_from_a_pipe(tmp_path: Path) -> None:
    script = 'moderators: carol\n@carol /mentor poll "Join?" --closes 1d\n@alice click 1\nwait 1d\n'
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "adapters.cli",
            "console",
            "--db",
            str(tmp_path / "x.db"),
            "--start",
            "2026-11-23T09:00Z",
        ],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        input=script,
    )
    assert result.returncode == 0, result.stderr
    assert "[#general] Poll results #1: Join?" in result.stdout
    assert "[DM alice] Thanks for saying you'd like to mentor" in result.stdout
