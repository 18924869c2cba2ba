"""/healthz, /readyz and /metrics scraped over HTTP from the real `mentorbot run` process:
Slack in HTTP mode (on its own port) against the fake Slack, and Discord (on METRICS_PORT)
against the fake Discord. Metrics move when the bot works, and carry no member data."""

from __future__ import annotations

import asyncio
import shutil
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, FakeSlack, signed_headers
from tests.support.slack_payloads import slash_command

ROOT = Path(__file__).resolve().parents[3]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_bot(tmp_path: Path, migrated: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`mentorbot run` on a copy of the migrated template (it then has no migration to run)."""
    shutil.copyfile(migrated, tmp_path / "m.db")
    full = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/m.db"}
    full |= {"MENTORBOT_DATA_DIR": str(tmp_path / "data"), **env}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "run", cwd=tmp_path, env=full,
        stdout=asyncio.subprocess.DEVNULL, stderr=(tmp_path / "bot.log").open("wb"),
    )  # fmt: skip


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as resp:
        return resp.status, await resp.text()


def read(log: Path) -> str:
    return log.read_text(errors="replace")


async def until(condition, what: str, proc: asyncio.subprocess.Process, log: Path) -> None:  # type: ignore[no-untyped-def]
    """Poll until the condition holds; a bot that died or never gets there fails with its log."""
    deadline = time.monotonic() + 60
    while not await condition():
        assert proc.returncode is None, f"the bot exited:\n{read(log)}"
        assert time.monotonic() < deadline, f"{what} never happened:\n{read(log)}"
        await asyncio.sleep(0.2)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the Prometheus text format (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))  # the exposition sorts labels
    for row in text.splitlines():
        if row.startswith("#"):
            continue
        key, _, value = row.rpartition(" ")
        if key == (f"{name}{{{want}}}" if want else name):
            return float(value)
    return 0.0


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)


async def test_slack_http_mode_serves_health_and_metrics_on_its_port(tmp_path: Path, migrated_sqlite: Path) -> None:
    async with FakeSlack() as slack:
        slack.add_user("U0CAROL", "Carol Admin", is_admin=True)
        slack.add_user("U0ALICE", "Alice Mentor")
        slack.add_channel("C0MENTOR", "mentorship", members=("U0ALICE", "U0CAROL"))
        port = free_port()
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url}
        proc = await start_bot(tmp_path, migrated_sqlite, {**env, "PORT": str(port)})
        base, log = f"http://127.0.0.1:{port}", tmp_path / "bot.log"
        try:
            async with aiohttp.ClientSession() as http:

                async def up() -> bool:
                    try:
                        return (await get(http, f"{base}/healthz"))[0] == 200
                    except aiohttp.ClientConnectionError:
                        return False

                await until(up, "/healthz answering", proc, log)
                status, body = await get(http, f"{base}/readyz")
                assert status == 200 and '"database": true' in body and '"scheduler": true' in body
                assert '"platform"' not in body  # HTTP mode: Slack reaches us, this answer is the connection

                slack.rate_limit("chat.postMessage", retry_after=1, times=1)  # the first post is paced
                text = 'poll "Would you join a mentorship program?" --closes 3d'
                form = slash_command(text, user_id="U0CAROL", channel_id="C0MENTOR", response_url=slack.response_url())
                async with http.post(f"{base}/slack/events", data=form, headers={**FORM, **signed_headers(form)}) as r:
                    assert r.status == 200

                async def delivered() -> bool:
                    metrics = (await get(http, f"{base}/metrics"))[1]
                    return sample(metrics, "mentorbot_delivery_latency_seconds_count", platform="slack") >= 1

                await until(delivered, "the poll delivered and counted", proc, log)
                status, metrics = await get(http, f"{base}/metrics")
                assert status == 200
                assert (
                    sample(
                        metrics, "mentorbot_platform_rate_limited_total", platform="slack", method="chat.postMessage"
                    )
                    == 1
                )
                assert (
                    sample(metrics, "mentorbot_delivery_retries_total", platform="slack", method="chat.postMessage")
                    == 1
                )
                assert sample(metrics, "mentorbot_sweeps_total") >= 1
                assert "mentorbot_outbox_depth " in metrics and "mentorbot_outbox_oldest_age_seconds " in metrics
                assert "mentorbot_sweep_lag_seconds " in metrics
                assert sample(metrics, "mentorbot_events_received_total", platform="slack", kind="command") == 1
                handled = {"platform": "slack", "kind": "command", "outcome": "ok"}
                assert sample(metrics, "mentorbot_events_handled_total", **handled) == 1
                assert sample(metrics, "mentorbot_event_handling_seconds_count", kind="command") == 1
                assert "mentorbot_inbox_depth " in metrics and "mentorbot_inbox_oldest_age_seconds " in metrics
                for private in ("U0CAROL", "U0ALICE", "C0MENTOR", "mentorship program", BOT_TOKEN):
                    assert private not in metrics
                assert slack.messages("C0MENTOR"), "the poll reached the channel"
        finally:
            await stop(proc)


async def test_slack_socket_mode_is_ready_once_its_websocket_is_connected(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    async with FakeSlack() as slack:
        port = free_port()
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": slack.api_url}
        proc = await start_bot(tmp_path, migrated_sqlite, {**env, "METRICS_PORT": str(port)})
        base, log = f"http://127.0.0.1:{port}", tmp_path / "bot.log"
        try:
            async with aiohttp.ClientSession() as http:

                async def ready() -> bool:
                    try:
                        return (await get(http, f"{base}/readyz"))[0] == 200
                    except aiohttp.ClientConnectionError:
                        return False

                await until(ready, "/readyz ready", proc, log)
                status, body = await get(http, f"{base}/readyz")
                assert '"platform": true' in body and '"scheduler": true' in body
        finally:
            await stop(proc)


async def test_discord_serves_health_and_metrics_on_metrics_port(tmp_path: Path, migrated_sqlite: Path) -> None:
    fake = FakeDiscord()
    guild = fake.add_guild("Mentor Guild", channels=("general",))
    ana = fake.add_member(guild, "ana")
    await fake.start()
    port = free_port()
    env = {"DISCORD_TOKEN": fake.token, "DISCORD_API_BASE": fake.api_base, "METRICS_PORT": str(port)}
    proc = await start_bot(tmp_path, migrated_sqlite, env)
    base, log = f"http://127.0.0.1:{port}", tmp_path / "bot.log"
    try:
        async with aiohttp.ClientSession() as http:

            async def ready() -> bool:
                try:
                    return (await get(http, f"{base}/readyz"))[0] == 200  # scheduler runs after login
                except aiohttp.ClientConnectionError:
                    return False

            await until(ready, "/readyz ready", proc, log)
            status, body = await get(http, f"{base}/readyz")
            assert status == 200 and '"platform": true' in body  # the gateway is connected
            assert (await get(http, f"{base}/healthz"))[0] == 200
            status, metrics = await get(http, f"{base}/metrics")
            assert status == 200 and "# TYPE mentorbot_delivery_latency_seconds histogram" in metrics
            assert sample(metrics, "mentorbot_outbox_depth") == 0
            assert sample(metrics, "mentorbot_inbox_depth") == 0

            async def synced() -> bool:
                return fake.registered("mentor", guild.id) is not None

            await until(synced, "the command tree synced", proc, log)
            await fake.slash(guild, next(iter(guild.channels)), ana.id, "help")

            async def handled() -> bool:
                text = (await get(http, f"{base}/metrics"))[1]
                return (
                    sample(text, "mentorbot_events_handled_total", platform="discord", kind="command", outcome="ok")
                    >= 1
                )

            await until(handled, "the command handled and counted", proc, log)
            metrics = (await get(http, f"{base}/metrics"))[1]
            assert sample(metrics, "mentorbot_events_received_total", platform="discord", kind="command") == 1
            assert ana.id not in metrics and '"ana"' not in metrics  # no member in any label
    finally:
        await stop(proc)
        await fake.stop()


@pytest.mark.parametrize("raw", ["http", "0", "70000"])
def test_a_bad_metrics_port_is_a_configuration_problem(raw: str) -> None:
    from bot.core.settings import ConfigError, Settings

    with pytest.raises(ConfigError, match="METRICS_PORT"):
        Settings.from_env({"METRICS_PORT": raw})
