"""Benchmark: resident memory of an idle *running* bot, next to bare library processes.

In one run, against the local fakes (no internet), each of these is started as a
process of its own, given time to settle, and measured from /proc while it idles:

- `mentorbot run` in Slack HTTP mode (bot token + signing secret, SLACK_API_URL at
  the fake Slack, a fresh SQLite database migrated at start);
- `mentorbot run` on Discord (DISCORD_TOKEN, DISCORD_API_BASE at the fake Discord,
  its own fresh SQLite database), ready when it has synced its app commands;
- a bare slack-bolt AsyncApp serving HTTP with the same token against the same fake;
- the library floor: the same bare Bolt app that also imports SQLModel and opens an
  async SQLAlchemy engine on SQLite with one table (what any Bolt app storing its
  state through the libraries mentorbot uses holds before a line of its own code);
- a bare discord.py client connected to the fake Discord's gateway.

Figures: rss_mb (VmRSS while idle, after `--settle` seconds), peak_mb (VmHWM), and
ready_s (exec until the process answers HTTP / reports ready). One JSON line each,
then one with the ratio bot/bare Bolt. The machine is shared: load is reported.

    .venv/bin/python -m bench.idle [--settle 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.support.bench_api import BOT_TOKEN, SIGNING_SECRET, FakeDiscord, FakeSlack

ROOT = Path(__file__).resolve().parents[1]

BARE_BOLT = """
import sys
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
app = AsyncApp(client=AsyncWebClient(token=sys.argv[1], base_url=sys.argv[3]), signing_secret=sys.argv[2])
@app.command("/mentor")
async def mentor(ack):
    await ack("hi")
app.start(port=int(sys.argv[4]))
"""

BOLT_WITH_DATABASE = """
import asyncio, sys
import sqlmodel
from sqlalchemy.ext.asyncio import create_async_engine
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
class Note(sqlmodel.SQLModel, table=True):
    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    text: str = ""
engine = create_async_engine("sqlite+aiosqlite:///" + sys.argv[5])
async def setup():
    async with engine.begin() as conn:
        await conn.run_sync(sqlmodel.SQLModel.metadata.create_all)
asyncio.run(setup())
app = AsyncApp(client=AsyncWebClient(token=sys.argv[1], base_url=sys.argv[3]), signing_secret=sys.argv[2])
@app.command("/mentor")
async def mentor(ack):
    await ack("hi")
app.start(port=int(sys.argv[4]))
"""

BARE_DISCORD = """
import asyncio, sys
import discord
from discord.http import Route
Route.BASE = sys.argv[2]
import yarl
from discord.gateway import DiscordWebSocket
class Bare(discord.Client):
    async def setup_hook(self):
        _, url, _ = await self.http.get_bot_gateway()  # the fake's gateway, not Discord's
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
    async def on_ready(self):
        print("ready", flush=True)
asyncio.run(Bare(intents=discord.Intents.none()).start(sys.argv[1]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def wait_http(port: int, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"http://127.0.0.1:{port}/slack/events"):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise TimeoutError(f"nothing answered on port {port}")


async def log_line(proc, words: str, limit: float = 90.0) -> None:
    """Ready when the process logs a line containing `words` (stderr)."""

    async def find() -> None:
        while line := await proc.stderr.readline():
            if words in line.decode(errors="replace"):
                return
        raise RuntimeError(f"exited before logging {words!r}")

    await asyncio.wait_for(find(), limit)


async def measure(
    name: str, argv: list[str], env: dict[str, str], ready, settle: float, *, stderr: bool = False
) -> dict[str, object]:
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *argv,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE if stderr else asyncio.subprocess.DEVNULL,
    )
    try:
        await ready(proc)
        ready_s = time.monotonic() - start
        await asyncio.sleep(settle)
        if proc.returncode is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode} while idle")
        rss, peak = memory(proc.pid)
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()
    figures = {"rss_mb": round(rss, 1), "peak_mb": round(peak, 1), "ready_s": round(ready_s, 2)}
    return {"bench": "idle", "process": name, **figures}


async def run(settle: float) -> None:
    """Measure the five processes and print their JSON lines (bench/startup.py calls this too)."""
    slack = await FakeSlack().start()
    discord_fake = await FakeDiscord().start()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "DATABASE_URL"))}
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            env = base | {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "PORT": str(port),
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/idle.db",
            }
            rows.append(
                await measure(
                    "mentorbot run (Slack HTTP)",
                    [sys.executable, "-m", "adapters.cli", "run"],
                    env,
                    lambda proc: wait_http(port),
                    settle,
                )
            )
            rows.append(
                await measure(
                    "mentorbot run (Discord gateway)",
                    [sys.executable, "-m", "adapters.cli", "run"],
                    base
                    | {
                        "DISCORD_TOKEN": discord_fake.token,
                        "DISCORD_API_BASE": discord_fake.api_base,
                        "LOG_LEVEL": "INFO",
                        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/idle-discord.db",
                    },
                    lambda proc: log_line(proc, "app command"),
                    settle,
                    stderr=True,
                )
            )
            port = free_port()
            rows.append(
                await measure(
                    "bare slack-bolt AsyncApp (HTTP)",
                    [sys.executable, "-c", BARE_BOLT, BOT_TOKEN, SIGNING_SECRET, slack.api_url, str(port)],
                    base,
                    lambda proc: wait_http(port),
                    settle,
                )
            )

            port = free_port()
            rows.append(
                await measure(
                    "bare Bolt + SQLModel/SQLAlchemy async engine (library floor)",
                    [
                        sys.executable,
                        "-c",
                        BOLT_WITH_DATABASE,
                        BOT_TOKEN,
                        SIGNING_SECRET,
                        slack.api_url,
                        str(port),
                        f"{tmp}/floor.db",
                    ],
                    base,
                    lambda proc: wait_http(port),
                    settle,
                )
            )

            async def discord_ready(proc) -> None:
                await asyncio.wait_for(proc.stdout.readline(), 60)

            rows.append(
                await measure(
                    "bare discord.py client (gateway)",
                    [sys.executable, "-c", BARE_DISCORD, discord_fake.token, discord_fake.api_base],
                    base,
                    discord_ready,
                    settle,
                )
            )
    finally:
        await slack.stop()
        await discord_fake.stop()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for row in rows:
        print(json.dumps(row | {"load": load}), flush=True)
    slack_bot, discord_bot = rows[0]["rss_mb"], rows[1]["rss_mb"]
    ratios = {
        "slack_bot_vs_bare_bolt_rss": round(slack_bot / rows[2]["rss_mb"], 2),  # type: ignore[operator]
        "slack_bot_vs_library_floor_rss": round(slack_bot / rows[3]["rss_mb"], 2),  # type: ignore[operator]
        "library_floor_vs_bare_bolt_rss": round(rows[3]["rss_mb"] / rows[2]["rss_mb"], 2),  # type: ignore[operator]
        "discord_bot_vs_bare_discord_rss": round(discord_bot / rows[4]["rss_mb"], 2),  # type: ignore[operator]
    }
    print(json.dumps({"bench": "idle", **ratios, "load": load}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settle", type=float, default=5.0)
    asyncio.run(run(parser.parse_args().settle))


if __name__ == "__main__":
    main()
