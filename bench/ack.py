"""Benchmark: Slack slash-command ack latency at 50/s with 100k members, vs a bare Bolt app.

The mentorbot Slack process (adapters.slack: `build_services` + `start_http`, the
real core on a SQLite file holding 100k member rows, bulk-inserted) and a bare Bolt
app whose only listener acks run in their own child processes on 127.0.0.1. The
driver posts signed `/mentor` commands (help, polls, goals — a mix) at a fixed rate
(open loop: a slow answer does not slow the sender) for a fixed time, and measures
until each HTTP request is answered (the ack Slack waits for). The local fake Slack
(users.info, response_url) runs in the driver.

Also the Slack process's RSS: idle on an empty database, and with 100k members
after the load (VmRSS and peak VmHWM from /proc).

One JSON line:
    .venv/bin/python -m bench.ack [--rate 50] [--seconds 60] [--members 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.bench_api import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, FakeSlack, signed_headers, slash_command

COMMANDS = ["help", "polls", "goals"]
START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


# --- the database ----------------------------------------------------------------


async def build(path: Path, members: int) -> None:
    """A migrated SQLite file with one Slack community and `members` member rows."""
    from sqlalchemy import insert

    from storage.db import Database
    from storage.migrate import upgrade
    from storage.tables import Community, Member

    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    async with db.unit() as s:
        await s.execute(
            insert(Community),
            [
                {
                    "id": 1,
                    "platform": "slack",
                    "external_id": TEAM_ID,
                    "name": "",
                    "timezone": "UTC",
                    "created_at": START,
                }
            ],
        )
    chunk = 20_000
    for base in range(0, members, chunk):
        rows = [
            {
                "community_id": 1,
                "platform_user_id": f"U{i:08d}",
                "display_name": f"Member {i}",
                "timezone": "Europe/Berlin",
                "dm_status": "ok",
                "is_moderator": False,
                "created_at": START,
            }
            for i in range(base, min(members, base + chunk))
        ]
        async with db.unit() as s:
            await s.execute(insert(Member), rows)
    await db.dispose()


# --- the child processes ------------------------------------------------------------


async def serve(kind: str, db_path: str, api_url: str) -> None:
    """Child: serve mentorbot's Slack app (or a bare Bolt app) until stdin closes."""
    from dataclasses import replace

    from adapters.slack.main import start_http
    from adapters.slack.messenger import make_web_client

    if kind == "bare":
        from slack_bolt.async_app import AsyncApp

        app = AsyncApp(
            signing_secret=SIGNING_SECRET,
            client=make_web_client(BOT_TOKEN, base_url=api_url),
            process_before_response=False,
        )

        async def only_ack(ack: Any) -> None:
            await ack()

        app.command("/mentor")(only_ack)
        server = await start_http(app, "127.0.0.1", 0)
    else:
        if kind == "mentorbot-nometrics":  # bench.metrics_ack: the same process, every metric a no-op
            from bot.core import metrics

            metrics.disable()
        from adapters.slack.main import build_services
        from adapters.slack.settings import SlackSettings
        from bot.bootstrap import bootstrap
        from bot.core.settings import Settings

        bot = await bootstrap(replace(Settings(), database_url=f"sqlite+aiosqlite:///{db_path}"))
        slack = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=api_url)
        services = build_services(bot, slack, pace_seconds=0.0)
        server = await start_http(services.adapter.app, "127.0.0.1", 0)
    print(f"READY {server.url}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # the driver closes stdin to stop us
    await server.stop()


def rss_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


class Child:
    def __init__(self, kind: str, db_path: Path, api_url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.ack", "--serve", kind, "--db", str(db_path), "--api-url", api_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = ""

    async def ready(self) -> str:
        assert self.proc.stdout is not None
        line = await asyncio.get_running_loop().run_in_executor(None, self.proc.stdout.readline)
        if not line.startswith("READY "):
            raise RuntimeError(f"child did not start: {line!r}")
        self.url = line.split()[1]
        return self.url

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # our own child, by its pid
            self.proc.wait()


# --- the load -------------------------------------------------------------------------


async def load(url: str, fake: FakeSlack, rate: float, seconds: float) -> dict[str, Any]:
    import aiohttp

    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:

        async def one(i: int) -> None:
            nonlocal errors
            body = slash_command(
                COMMANDS[i % len(COMMANDS)],
                user_id=f"U{i % 5000:08d}",
                channel_id="C0MENTOR",
                response_url=fake.response_url(f"r{i}"),
            )
            headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
            started = time.perf_counter()
            try:
                async with session.post(url + "/slack/events", data=body, headers=headers) as resp:
                    await resp.read()
                    ok = resp.status == 200
            except (TimeoutError, aiohttp.ClientError):
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1

        begin = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    latencies.sort()
    return {
        "requests": total,
        "errors": errors,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1) if latencies else None,
    }


async def drive(args: argparse.Namespace) -> None:
    fake = FakeSlack()
    fake.add_channel("C0MENTOR", "mentorship")
    for i in range(5000):  # users.info answers for the members who type commands
        fake.add_user(f"U{i:08d}", f"Member {i}")
    await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            empty, full = Path(tmp) / "empty.db", Path(tmp) / "full.db"
            await build(empty, 0)
            built = time.perf_counter()
            await build(full, args.members)
            build_s = time.perf_counter() - built

            idle = Child("mentorbot", empty, fake.api_url)
            await idle.ready()
            await asyncio.sleep(2)
            idle_rss = rss_mb(idle.proc.pid)
            idle.stop()

            bare = Child("bare", empty, fake.api_url)
            bare_url = await bare.ready()
            bare_result = await load(bare_url, fake, args.rate, args.seconds)
            bare.stop()

            child = Child("mentorbot", full, fake.api_url)
            url = await child.ready()
            await asyncio.sleep(1)
            loaded_idle_rss = rss_mb(child.proc.pid)
            result = await load(url, fake, args.rate, args.seconds)
            await asyncio.sleep(2)
            loaded_rss = rss_mb(child.proc.pid)
            child.stop()
    finally:
        await fake.stop()
    print(
        json.dumps(
            {
                "bench": "ack",
                "rate_per_s": args.rate,
                "seconds": args.seconds,
                "members": args.members,
                "requests": result["requests"],
                "errors": result["errors"],
                "p50_ms": result["p50_ms"],
                "p99_ms": result["p99_ms"],
                "bare_p50_ms": bare_result["p50_ms"],
                "bare_p99_ms": bare_result["p99_ms"],
                "bare_errors": bare_result["errors"],
                "ratio_p99": round(result["p99_ms"] / bare_result["p99_ms"], 2)
                if result["p99_ms"] and bare_result["p99_ms"]
                else None,
                "idle_rss_mb": idle_rss.get("VmRSS"),
                "rss_100k_members_mb": loaded_idle_rss.get("VmRSS"),
                "rss_100k_after_load_mb": loaded_rss.get("VmRSS"),
                "peak_rss_100k_mb": loaded_rss.get("VmHWM"),
                "db_build_s": round(build_s, 1),
                "load_avg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--serve", choices=("mentorbot", "mentorbot-nometrics", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.db, args.api_url))
    else:
        asyncio.run(drive(args))


if __name__ == "__main__":
    main()
