"""`mentorbot doctor`: a healthy and a broken set-up on the fake Slack and the fake Discord,
and the core checks on their own. A failure names the check, says how to fix it, and makes
the exit status non-zero; secrets never appear.

The real process (`python -m adapters.cli doctor`, exit status, stdout, no traceback on
stderr) runs once per platform and once for the core checks, healthy and broken. The
other variants call the same entry point the CLI calls (`adapters.ops.doctor.doctor` with
the same environment, working directory and platform choice) in the test's process: each
real process costs a second of CPU for the imports, and two dozen of them were a tenth of
the suite. A warning logged with a traceback fails an in-process run as it fails a process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import stat
import sys
from pathlib import Path

import aiohttp

from bot.core.clock import ManualClock
from bot.core.settings import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.wire import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET
from tests.support.db import START
from tests.support.slack_harness import SlackStack

ROOT = Path(__file__).resolve().parents[3]


async def doctor(tmp_path: Path, env: dict[str, str], *, process: bool = False) -> tuple[int, str]:
    """`mentorbot doctor` with `env` and `tmp_path` as its working directory: its exit status
    and output. `process=True` runs the real command, without blocking the loop the fakes
    answer on; otherwise the CLI's own entry point runs here (see the module's docstring)."""
    full = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env}
    if process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "doctor",
            cwd=tmp_path, env=full, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert b"Traceback" not in err, err.decode()
        return proc.returncode or 0, out.decode()
    from adapters.cli import choose_platform
    from adapters.ops.doctor import doctor as run_doctor

    records = _Records()
    logging.getLogger().addHandler(records)
    here = Path.cwd()
    os.chdir(tmp_path)  # relative paths (the default data directory) as the process sees them
    try:
        healthy, lines = await asyncio.wait_for(run_doctor(full, choose_platform(full)), 120)
    finally:
        os.chdir(here)
        logging.getLogger().removeHandler(records)
    tracebacks = [r.getMessage() for r in records.seen if r.exc_info]
    assert not tracebacks, tracebacks
    return (0 if healthy else 1), "\n".join(lines) + "\n"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)  # what `mentorbot doctor` prints on stderr
        self.seen: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record)


async def migrated(tmp_path: Path, migrated_sqlite: Path | None = None) -> dict[str, str]:
    """A migrated SQLite database with the permissions doctor wants, and a private data dir:
    made by the real `mentorbot migrate`, or copied from the suite's migrated template."""
    db = tmp_path / "mentorbot.db"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{db}", "MENTORBOT_DATA_DIR": str(tmp_path / "data")}
    if migrated_sqlite is not None:
        shutil.copyfile(migrated_sqlite, db)
        db.chmod(0o600)  # as `mentorbot migrate` leaves it (the process run below checks that it does)
    else:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "migrate", cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert await proc.wait() == 0
    tidy(db, tmp_path / "data")
    return env


def tidy(db: Path, data: Path) -> None:
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # `mentorbot migrate` made it private
    data.mkdir(mode=0o700)


def spoil(tmp_path: Path, env: dict[str, str]) -> None:
    """Group-readable database and data directory, and a program file with mistakes."""
    Path(env["DATABASE_URL"].split("///", 1)[1]).chmod(0o644)
    (tmp_path / "data").chmod(0o755)
    (tmp_path / "program.toml").write_text("[program]\nname = 3\nbogus = true\n")


def line(out: str, name: str) -> str:
    found = [row for row in out.splitlines() if row.startswith(("[ok  ] " + name, "[FAIL] " + name))]
    assert found, f"no {name!r} check in:\n{out}"
    return found[0]


async def test_core_checks_pass_on_a_tidy_install(tmp_path: Path) -> None:
    env = await migrated(tmp_path)  # the real `mentorbot migrate`
    code, out = await doctor(tmp_path, env, process=True)
    assert code == 0, out
    for name in ("configuration", "program file", "database reachable", "migrations at head", "data directory"):
        assert line(out, name).startswith("[ok  ]")
    assert out.rstrip().endswith("all checks passed")


async def test_core_failures_each_come_with_a_fix(tmp_path: Path, migrated_sqlite: Path) -> None:
    env = await migrated(tmp_path, migrated_sqlite)
    spoil(tmp_path, env)
    env |= {"MENTORBOT_PROGRAM": str(tmp_path / "program.toml")}
    code, out = await doctor(tmp_path, env, process=True)
    assert code == 1
    assert line(out, "database file permissions").startswith("[FAIL]") and "chmod 600" in out
    assert line(out, "data directory").startswith("[FAIL]") and "chmod 700" in out
    assert line(out, "program file").startswith("[FAIL]") and "unset MENTORBOT_PROGRAM" in out
    assert "3 check(s) failed" in out


async def test_an_old_schema_and_a_bad_key_are_reported(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.touch(mode=0o600)
    code, out = await doctor(tmp_path, {"DATABASE_URL": f"sqlite+aiosqlite:///{db}", "MENTORBOT_SWEEP_SECONDS": "soon"})
    assert code == 1
    assert line(out, "configuration").startswith("[FAIL]") and "MENTORBOT_SWEEP_SECONDS" in out
    code, out = await doctor(tmp_path, {"DATABASE_URL": f"sqlite+aiosqlite:///{db}"})
    assert code == 1
    assert line(out, "migrations at head").startswith("[FAIL]") and "mentorbot migrate" in out


async def test_an_unreachable_postgres_is_reported(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://mentor:hunter2@127.0.0.1:9/mentorbot"
    code, out = await doctor(tmp_path, {"DATABASE_URL": url})
    assert code == 1
    assert line(out, "database reachable").startswith("[FAIL]") and "check DATABASE_URL" in out
    assert "hunter2" not in out


async def test_slack_healthy_and_broken(tmp_path: Path, migrated_sqlite: Path) -> None:
    env = await migrated(tmp_path, migrated_sqlite)
    async with FakeSlack() as slack:
        slack_env = {
            **env,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "s3cret",
            "SLACK_API_URL": slack.api_url,
        }
        code, out = await doctor(tmp_path, slack_env, process=True)
        assert code == 0, out
        assert line(out, "Slack auth.test").startswith("[ok  ]")
        assert line(out, "Slack scopes").startswith("[ok  ]")
        assert line(out, "clock").startswith("[ok  ]") and "platform's clock" in out
        assert any(c.method == "auth.test" for c in slack.calls)

        slack.granted_scopes.remove("files:write")  # an app installed before charts arrived
        code, out = await doctor(tmp_path, slack_env)
        assert code == 1
        assert line(out, "Slack scopes") == "[FAIL] Slack scopes: missing files:write"
        assert "reinstall the app" in out

        code, out = await doctor(tmp_path, {**slack_env, "SLACK_BOT_TOKEN": "xoxb-revoked-1"})
        assert code == 1
        assert line(out, "Slack auth.test").startswith("[FAIL]") and "invalid_auth" in out
        assert "xoxb-revoked-1" not in out and "s3cret" not in out

        code, out = await doctor(tmp_path, {**slack_env, "SLACK_SIGNING_SECRET": ""})
        assert code == 1  # HTTP mode without a secret: the adapter's own validation says so
        assert line(out, "Slack configuration").startswith("[FAIL]") and "SLACK_SIGNING_SECRET" in out


async def test_slack_oauth_mode_checks_the_secret_key(tmp_path: Path, migrated_sqlite: Path) -> None:
    env = await migrated(tmp_path, migrated_sqlite)
    oauth = {**env, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x", "SLACK_SIGNING_SECRET": "s"}
    code, out = await doctor(tmp_path, {**oauth, "MENTORBOT_SECRET_KEY": "not-a-key"})
    # The Slack settings refuse a bad key themselves, so the failing check names it.
    assert code == 1 and "[FAIL] Slack configuration: MENTORBOT_SECRET_KEY is not a Fernet key" in out
    from cryptography.fernet import Fernet

    code, out = await doctor(tmp_path, {**oauth, "MENTORBOT_SECRET_KEY": Fernet.generate_key().decode()})
    assert code == 0, out


async def test_discord_healthy_and_broken(tmp_path: Path, migrated_sqlite: Path) -> None:
    env = await migrated(tmp_path, migrated_sqlite)
    fake = FakeDiscord()
    await fake.start()
    try:
        discord_env = {**env, "DISCORD_TOKEN": fake.token, "DISCORD_API_BASE": fake.api_base}
        code, out = await doctor(tmp_path, discord_env)
        assert code == 1  # a new application: the bot has never synced its commands
        assert line(out, "Discord command tree").startswith("[FAIL] Discord command tree: /mentor is not registered")
        await sync_like_the_bot(fake, discord_env)
        code, out = await doctor(tmp_path, discord_env, process=True)
        assert code == 0, out
        assert line(out, "Discord command tree") == "[ok  ] Discord command tree: in sync (global)"
        assert line(out, "Discord token").startswith("[ok  ]") and fake.bot.id in out
        assert line(out, "Discord application id").startswith("[ok  ]")

        code, out = await doctor(tmp_path, {**discord_env, "DISCORD_TOKEN": "stale-token"})
        assert code == 1
        assert line(out, "Discord token") == "[FAIL] Discord token: Discord answered 401"
        assert "stale-token" not in out

        code, out = await doctor(tmp_path, {**discord_env, "DISCORD_APPLICATION_ID": "42"})
        assert code == 1 and f"set DISCORD_APPLICATION_ID={fake.application_id}" in out

        with_members = {**discord_env, "DISCORD_MEMBERS_INTENT": "1"}
        code, out = await doctor(tmp_path, with_members)
        assert code == 1 and line(out, "Discord Server Members intent").startswith("[FAIL]")
        fake.application_flags = 1 << 15
        code, out = await doctor(tmp_path, with_members)
        assert code == 0, out

        guild = fake.add_guild(channels=("introductions",))
        intro = next(iter(guild.channels))
        with_intro = {**discord_env, "DISCORD_INTRO_CHANNEL_ID": intro}
        code, out = await doctor(tmp_path, with_intro)
        assert code == 0, out
        assert line(out, "Discord intro channel") == "[ok  ] Discord intro channel: #introductions: permissions ok"
        # A moderator locks threads down for everyone in the channel: introductions would fail.
        guild.overwrites[intro] = [{"id": guild.id, "type": 0, "allow": 0, "deny": 1 << 36}]
        code, out = await doctor(tmp_path, with_intro)
        assert code == 1
        assert line(out, "Discord intro channel").endswith("missing create_private_threads")
        assert "channel settings → Permissions" in out
        # …and gives them back to the bot's own role.
        role = fake.add_role(guild, "mentorbot")
        guild.members[fake.bot.id] = [role]
        guild.overwrites[intro].append({"id": role, "type": 0, "allow": 1 << 36, "deny": 0})
        code, out = await doctor(tmp_path, with_intro)
        assert code == 0, out

        code, out = await doctor(tmp_path, {**discord_env, "DISCORD_INTRO_CHANNEL_ID": "123456789"})
        assert code == 1 and line(out, "Discord intro channel").startswith("[FAIL]") and "404" in out

        # An older copy of the bot synced the same application: one sub-command is gone.
        admin = next(c for c in fake.commands[None] if c["name"] == "mentor-admin")
        admin["options"] = [o for o in admin["options"] if o["name"] != "stats"]
        code, out = await doctor(tmp_path, discord_env)
        assert code == 1
        assert line(out, "Discord command tree") == (
            "[FAIL] Discord command tree: /mentor-admin differs (/mentor-admin stats missing) (global)"
        )
        assert "discord-commands-" in out and ".sha256" in out  # the fix says how to force a sync
        await sync_like_the_bot(fake, discord_env)

        # The moderators' channel a community chose (/mentor-admin modchannel) must take the bot's alerts.
        mods = fake.add_guild(channels=("mods",))
        mod_channel = next(iter(mods.channels))
        with sqlite3.connect(env["DATABASE_URL"].split("///", 1)[1]) as conn:
            conn.execute(
                "INSERT INTO community (platform, external_id, name, timezone, moderator_channel_id, created_at) "
                "VALUES ('discord', ?, 'Mods', 'UTC', ?, '2026-11-23 09:00:00.000000')",
                (mods.id, mod_channel),
            )
        code, out = await doctor(tmp_path, discord_env)
        assert code == 0, out
        assert line(out, "Discord moderators' channel") == "[ok  ] Discord moderators' channel: #mods: permissions ok"
        mods.overwrites[mod_channel] = [{"id": mods.id, "type": 0, "allow": 0, "deny": 1 << 14}]  # no embeds
        code, out = await doctor(tmp_path, discord_env)
        assert code == 1 and line(out, "Discord moderators' channel").endswith("missing embed_links")
    finally:
        await fake.stop()


async def sync_like_the_bot(fake: FakeDiscord, env: dict[str, str]) -> None:
    """PUT the commands as the bot's start-up sync does (discord.py's tree.sync payload)."""
    from adapters.discord.settings import DiscordSettings
    from adapters.ops.discord_tree import expected_commands

    payload = expected_commands(DiscordSettings.from_env(env))
    url = f"{fake.api_base}/applications/{fake.application_id}/commands"
    async with aiohttp.ClientSession() as http:
        async with http.put(url, json=payload, headers={"Authorization": f"Bot {fake.token}"}) as response:
            assert response.status == 200, await response.text()


async def test_slack_request_mode_socket_and_http(tmp_path: Path, migrated_sqlite: Path) -> None:
    env = await migrated(tmp_path, migrated_sqlite)
    async with FakeSlack() as slack:
        base = {**env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url}
        code, out = await doctor(tmp_path, {**base, "SLACK_APP_TOKEN": APP_TOKEN})
        assert code == 0, out
        assert line(out, "Slack request mode").startswith("[ok  ] Slack request mode: Socket Mode")
        code, out = await doctor(tmp_path, {**base, "SLACK_APP_TOKEN": "xapp-1-not-enabled"})
        assert code == 1 and "apps.connections.open says invalid_auth" in line(out, "Slack request mode")
        assert "Settings → Socket Mode" in out and "xapp-1-not-enabled" not in out

        http = {**base, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
        code, out = await doctor(tmp_path, http)
        assert code == 0, out  # nothing to try without the public URL; doctor says how to have it tried
        assert "set SLACK_REQUEST_URL" in line(out, "Slack request mode")

        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'running.db'}")
        stack = await SlackStack.start(slack, settings, ManualClock(START))
        try:
            code, out = await doctor(tmp_path, {**http, "SLACK_REQUEST_URL": stack.url})
            assert code == 0, out
            assert line(out, "Slack request mode").endswith("answers Slack's signed challenge")
            wrong = {**http, "SLACK_SIGNING_SECRET": "not-the-bots-secret", "SLACK_REQUEST_URL": stack.url}
            code, out = await doctor(tmp_path, wrong)
            assert code == 1 and "refused the signature (401)" in line(out, "Slack request mode")
        finally:
            await stack.stop()
        code, out = await doctor(tmp_path, {**http, "SLACK_REQUEST_URL": stack.url})  # the bot is stopped
        assert code == 1 and line(out, "Slack request mode").endswith("did not answer")
        assert "start the bot before this check" in out


def test_channel_permission_arithmetic_follows_discord() -> None:
    from adapters.ops.discord_permissions import channel_permissions

    view, send, threads = 1 << 10, 1 << 11, 1 << 36
    roles = [{"id": "g", "permissions": str(view | send | threads)}, {"id": "r", "permissions": "0"}]
    assert channel_permissions("g", roles, [], "b", []) == view | send | threads
    deny_everyone = [{"id": "g", "type": 0, "allow": "0", "deny": str(threads)}]
    assert channel_permissions("g", roles, ["r"], "b", deny_everyone) == view | send
    role_allows = [*deny_everyone, {"id": "r", "type": 0, "allow": str(threads), "deny": "0"}]
    assert channel_permissions("g", roles, ["r"], "b", role_allows) == view | send | threads
    member_denies = [*role_allows, {"id": "b", "type": 1, "allow": "0", "deny": str(view)}]
    assert channel_permissions("g", roles, ["r"], "b", member_denies) == send | threads
    admin = [{"id": "g", "permissions": "0"}, {"id": "a", "permissions": str(1 << 3)}]
    assert channel_permissions("g", admin, ["a"], "b", member_denies) == -1


def test_doctor_is_listed_in_help() -> None:
    from adapters.cli import _parser

    assert "doctor" in _parser().format_help()
    assert os.path.exists(ROOT / "adapters" / "slack" / "manifest.yml")
