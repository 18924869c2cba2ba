"""Benchmark: what the one inbox insert before the ack costs, and what a slow database does to it.

Slack gives an app 3 seconds to acknowledge a slash command. The adapter saves the
command to the inbox (one INSERT and its COMMIT) and acknowledges right after, before
any other database or network work; a save that has not finished within 2 s is
answered 503 instead (never an ack for an unsaved event). So the ack now touches the
database exactly once, and this bench measures that:

1. `--insert-only`: the inbox save itself (`Inbox.receive`, sequential), on a SQLite
   file and, with `--postgres URL`, on PostgreSQL: p50/p99 per save.
2. Otherwise: every database statement and commit is delayed (default 0.25 s, awaited
   so the event loop keeps running, like a slow remote PostgreSQL) and signed slash
   commands are posted to the real Bolt app in HTTP mode. Per command:
   - ack_ms: until Slack's HTTP request is answered — about two delays (INSERT + COMMIT);
   - status: 200, or 503 when the save took longer than 2 s (a delay ≥ 1 s);
   - reply_ms: until the private reply reaches the response_url.

    .venv/bin/python -m bench.slack_ack --runs 5 --delay 0.25
    .venv/bin/python -m bench.slack_ack --insert-only [--postgres postgresql+asyncpg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import replace

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.slack.main import build_services, start_http
from adapters.slack.settings import SlackSettings
from bot.bootstrap import bootstrap
from bot.core.settings import Settings
from tests.support.bench_api import BOT_TOKEN, SIGNING_SECRET, FakeSlack, signed_headers, slash_command

_delay = [0.0]


def slow_database() -> None:
    """Every statement, get, flush and commit waits `_delay[0]` seconds first (patched once)."""
    for name in ("execute", "get", "flush", "commit", "scalar", "scalars"):
        original = getattr(AsyncSession, name)

        async def slowed(self, *args, __original=original, **kwargs):  # type: ignore[no-untyped-def]
            if _delay[0]:
                await asyncio.sleep(_delay[0])
            return await __original(self, *args, **kwargs)

        setattr(AsyncSession, name, slowed)


COMMANDS = {
    "help": "help",
    "poll": 'poll "Would you join a mentorship program?" --closes 3d',
    "polls": "polls",
    "poll close": "poll close 1",
}


async def one_run(delay: float) -> list[dict[str, object]]:
    fake = FakeSlack()
    fake.add_user("U0CAROL", "Carol Admin", is_admin=True)
    fake.add_channel("C0MENTOR", "mentorship", members=("U0CAROL",))
    await fake.start()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp}/bench.db")
        bot = await bootstrap(settings)  # migrations run without the delay
        _delay[0] = delay
        slack = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url)
        services = build_services(bot, slack, pace_seconds=0.0)
        server = await start_http(services.adapter.app, "127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as session:
                for i, (label, command) in enumerate(COMMANDS.items()):
                    rid = f"r{i}"
                    body = slash_command(
                        command, user_id="U0CAROL", channel_id="C0MENTOR", response_url=fake.response_url(rid)
                    )
                    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
                    start = time.perf_counter()
                    async with session.post(server.url + "/slack/events", data=body, headers=headers) as resp:
                        status = resp.status
                    ack = time.perf_counter() - start
                    while not any(r["_rid"] == rid for r in fake.responses):
                        if time.perf_counter() - start > 60:
                            break
                        await asyncio.sleep(0.005)
                    reply = time.perf_counter() - start
                    rows.append(
                        {
                            "bench": "slack_ack",
                            "command": label,
                            "db_delay_s": delay,
                            "status": status,
                            "ack_ms": round(ack * 1000, 1),
                            "reply_ms": round(reply * 1000, 1),
                        }
                    )
        finally:
            _delay[0] = 0.0
            await server.stop()
            await bot.close()
            await fake.stop()
    return rows


async def inserts(url: str, count: int, schema: str | None = None) -> dict[str, object]:
    """`count` sequential inbox saves of a realistic slash-command body; p50/p99 in ms."""
    from bot.core.clock import SystemClock
    from bot.delivery.inbox import Inbox
    from storage.db import Database
    from storage.migrate import upgrade

    db = Database(url, schema=schema)
    await upgrade(db)
    inbox = Inbox(db, SystemClock())
    body = dict(
        token="x",
        team_id="T0MENTOR",
        team_domain="mentors",
        channel_id="C0MENTOR",
        channel_name="mentorship",
        user_id="U0CAROL",
        user_name="carol",
        command="/mentor",
        text='poll "Would you join a mentorship program?"',
        response_url="https://hooks.slack.com/commands/T0MENTOR/1/abc",
        trigger_id="1.2.abc",
    )
    times = []
    for i in range(count):
        start = time.perf_counter()
        await inbox.receive("slack", "T0MENTOR", f"cmd:{i}.{time.monotonic_ns()}", "U0CAROL", "command", body)
        times.append((time.perf_counter() - start) * 1000)
    await db.dispose()
    times.sort()
    return {
        "bench": "slack_ack",
        "insert_only": True,
        "database": url.split(":", 1)[0],
        "saves": count,
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
        "max_ms": round(times[-1], 2),
    }


async def insert_only(postgres: str | None, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(await inserts(f"sqlite+aiosqlite:///{tmp}/bench.db", count)), flush=True)
    if postgres:
        import uuid

        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        engine = create_async_engine(postgres)
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            print(json.dumps(await inserts(postgres, count, schema)), flush=True)
        finally:
            async with engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--delay", type=float, default=0.25, help="seconds added to every DB statement")
    parser.add_argument("--insert-only", action="store_true", help="measure the inbox save alone")
    parser.add_argument("--postgres", help="also measure the save on this PostgreSQL URL (a throw-away schema)")
    parser.add_argument("--saves", type=int, default=2000)
    args = parser.parse_args()
    if args.insert_only:
        await insert_only(args.postgres, args.saves)
        return
    slow_database()
    acks: list[float] = []
    replies: list[float] = []
    statuses: list[object] = []
    for _ in range(args.runs):
        for row in await one_run(args.delay):
            print(json.dumps(row), flush=True)
            acks.append(float(row["ack_ms"]))  # type: ignore[arg-type]
            statuses.append(row["status"])
            replies.append(float(row["reply_ms"]))  # type: ignore[arg-type]
    print(
        json.dumps(
            {
                "bench": "slack_ack",
                "summary": True,
                "runs": args.runs,
                "db_delay_s": args.delay,
                "median_ack_ms": round(statistics.median(acks), 1),
                "max_ack_ms": round(max(acks), 1),
                "median_reply_ms": round(statistics.median(replies), 1),
                "ack_under_3s": max(acks) < 3000,
                "statuses": sorted({int(r) for r in statuses}),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
