"""Benchmark: resident memory of an idle *running* bot, next to bare library processes.

In one run, against the local fakes (no internet), each of these is started as a
process of its own, given time to settle, and measured from /proc while it idles:

- `mentorbot run` in Slack HTTP mode (bot token + signing secret, SLACK_API_URL at
  the fake Slack, a fresh SQLite database migrated at start);
- a bare slack-bolt AsyncApp serving HTTP with the same token against the same fake;
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


async def measure(name: str, argv: list[str], env: dict[str, str], ready, settle: float) -> dict[str, object]:
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
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
    """Measure the three processes and print their JSON lines (bench/startup.py calls this too)."""
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
    ratio = round(rows[0]["rss_mb"] / rows[1]["rss_mb"], 2)  # type: ignore[operator]
    print(json.dumps({"bench": "idle", "bot_vs_bare_bolt_rss": ratio, "load": load}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settle", type=float, default=5.0)
    asyncio.run(run(parser.parse_args().settle))


if __name__ == "__main__":
    main()
