"""Benchmark: how fast the Slack app acknowledges `/mentor` while the database is slow.

Slack gives an app 3 seconds to acknowledge a slash command. The adapter acks before
any database or network work, so the ack time must not depend on the database. Here
every database statement and commit is delayed (default 0.25 s, awaited so the event
loop keeps running, like a slow remote PostgreSQL) and signed slash commands are
posted to the real Bolt app in HTTP mode. Measured per command:

- ack_ms: until Slack's HTTP request is answered (the number that must stay < 3000),
- reply_ms: until the private reply reaches the response_url (shows how slow the DB is).

    .venv/bin/python -m bench.slack_ack --runs 5 --delay 0.25
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import replace


import aiohttp  # noqa: E402
from tests.support.bench_api import BOT_TOKEN, SIGNING_SECRET, FakeSlack, signed_headers, slash_command  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from adapters.slack.main import build_services, start_http  # noqa: E402
from adapters.slack.settings import SlackSettings  # noqa: E402
from bot.bootstrap import bootstrap  # noqa: E402
from bot.core.settings import Settings  # noqa: E402


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
                    body = slash_command(command, user_id="U0CAROL", channel_id="C0MENTOR", response_url=fake.response_url(rid))
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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--delay", type=float, default=0.25, help="seconds added to every DB statement")
    args = parser.parse_args()
    slow_database()
    acks: list[float] = []
    replies: list[float] = []
    for _ in range(args.runs):
        for row in await one_run(args.delay):
            print(json.dumps(row), flush=True)
            acks.append(float(row["ack_ms"]))  # type: ignore[arg-type]
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
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
