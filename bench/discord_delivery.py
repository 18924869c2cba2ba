"""Time to deliver 100 queued DMs through the outbox to the fake Discord, with 429s.

The real path: outbox rows in a fresh SQLite database → `MentorBot.deliver_outbox`
→ `DiscordMessenger` → discord.py's HTTP client → the local fake Discord
(tests/fakes/discord/). Every 10th message send is answered
with 429 (retry_after 50 ms, with rate-limit headers), which discord.py waits out.
Each DM is two calls (create-DM, create message). Prints one JSON line with the
median of several runs.

    .venv/bin/python -m bench.discord_delivery [--runs 5] [--messages 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import discord

from adapters.discord.messenger import DiscordMessenger
from adapters.discord.settings import configure_api_base
from bot.bootstrap import bootstrap
from bot.core import messages as msg
from bot.core.events import CommunityRef
from bot.core.ports import Destination
from bot.core.settings import Settings
from bot.delivery.outbox import Outbox
from bot.mentorbot import ensure_community
from storage.tables import OutboxMessage
from tests.support.bench_api import FakeDiscord


async def one_run(workdir: Path, count: int, every: int) -> dict[str, float]:
    fake = await FakeDiscord().start()
    configure_api_base(fake.api_base)
    guild = fake.add_guild()
    members = [fake.add_member(guild, f"member{i}") for i in range(count)]
    if every:
        fake.rate_limit("POST", r"^/channels/\d+/messages$", times=count, every=every, retry_after=0.05)
    db_file = workdir / f"bench-{time.monotonic_ns()}.db"
    settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{db_file}")
    bot = await bootstrap(settings)
    now = datetime.now(UTC)
    async with bot.db.unit() as session:
        community = await ensure_community(session, CommunityRef("discord", guild.id, guild.name), now, settings)
        outbox = Outbox(session, community.id, now)
        for i, member in enumerate(members):
            note = msg.message(msg.text("Hi ", msg.UserText(member.username), f", this is check-in reminder {i}."))
            await outbox.post(Destination.dm(member.id), note, dedupe_key=f"bench:{i}")
    client = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=30.0)
    await client.login(fake.token)
    messenger = DiscordMessenger(client)
    started = time.perf_counter()
    delivered = 0
    while delivered < count:
        delivered += await bot.deliver_outbox(messenger)
        if delivered < count:
            await asyncio.sleep(0.01)  # a RetryLater row becomes due again
    seconds = time.perf_counter() - started
    limited = sum(1 for c in fake.calls if c.status == 429)
    async with bot.db.unit() as session:
        from sqlalchemy import func, select

        sent = (
            await session.execute(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent"))
        ).scalar_one()
    await client.close()
    await bot.close()
    await fake.stop()
    assert sent == count, f"only {sent} of {count} sent"
    messages = len([m for m in fake.messages.values() if m["channel_id"] in fake.dm_channels.values()])
    assert messages == count, f"{messages} DMs reached the fake, expected {count}"
    return {"seconds": seconds, "rate_limited": limited, "calls": len(fake.calls)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--every", type=int, default=10, help="every n-th message send gets a 429 (0: none)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            results.append(await one_run(Path(tmp), args.messages, args.every))
    seconds = [r["seconds"] for r in results]
    print(
        json.dumps(
            {
                "bench": "discord_delivery",
                "messages": args.messages,
                "runs": args.runs,
                "rate_limited_per_run": results[0]["rate_limited"],
                "rest_calls_per_run": results[0]["calls"],
                "median_seconds": round(statistics.median(seconds), 3),
                "min_seconds": round(min(seconds), 3),
                "max_seconds": round(max(seconds), 3),
                "messages_per_second": round(args.messages / statistics.median(seconds), 1),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
