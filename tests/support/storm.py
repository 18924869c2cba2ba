"""A 429 storm through the real outbox, messenger and platform library.

`run_storm("slack" | "discord", …)` queues messages for several channels and DMs
in the outbox of a fresh SQLite database, then drains it with the core's
`MentorBot.deliver_outbox` through `SlackMessenger` (slack_sdk) or
`DiscordMessenger` (discord.py) into a fake that enforces the platform's rate
ceiling and answers a seeded fraction of sends 429 (tests/support/ceiling.py).

It returns what bench/storm.py prints and what tests/scale/test_storm.py asserts:
delivered/total, duplicates, violations (calls earlier than allowed), elapsed
seconds and the drain rate as a ratio of the best possible schedule.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections import Counter
from dataclasses import replace
from typing import Any

from bot.bootstrap import bootstrap
from bot.core import messages as msg
from bot.core.events import CommunityRef
from bot.core.ports import Destination
from bot.core.settings import Settings
from bot.delivery.outbox import Outbox
from bot.mentorbot import ensure_community
from tests.support.ceiling import Ceiling


def _plan(total: int, destinations: list[Destination], seed: int) -> list[tuple[Destination, int]]:
    """Which message goes where, in a mixed order like a busy program produces."""
    rng = random.Random(seed)
    order = [destinations[i % len(destinations)] for i in range(total)]
    rng.shuffle(order)
    return [(dest, i) for i, dest in enumerate(order)]


async def _queue(bot: Any, community_ref: CommunityRef, plan: list[tuple[Destination, int]]) -> None:
    settings = bot.settings if hasattr(bot, "settings") else Settings()
    async with bot.db.unit() as session:
        now = bot.clock.now()
        community = await ensure_community(session, community_ref, now, settings)
        outbox = Outbox(session, community.id, now)  # type: ignore[arg-type]
        for dest, i in plan:
            note = msg.message(msg.text(f"Storm message {i}: your check-in is due, ", msg.UserText("@everyone"), "."))
            await outbox.post(dest, note, dedupe_key=f"storm:{i}")


async def _drain(bot: Any, messenger: Any, total: int, limit_seconds: float) -> tuple[int, float]:
    start = time.perf_counter()
    done = 0
    while done < total and time.perf_counter() - start < limit_seconds:
        sent = await bot.deliver_outbox(messenger)
        done += sent
        if not sent:
            await asyncio.sleep(0.02)  # rows waiting out a Retry-After become due again
    return done, time.perf_counter() - start


def _figures(
    platform: str,
    total: int,
    done: int,
    delivered: int,
    duplicates: int,
    seconds: float,
    ceiling: Ceiling,
    channels: int,
    dms: int,
) -> dict[str, Any]:
    ideal = ceiling.ideal_seconds()
    return {
        "bench": "storm",
        "platform": platform,
        "total": total,
        "delivered": delivered,
        "outbox_final": done,
        "duplicates": duplicates,
        "destinations": channels + dms,
        "channels": channels,
        "dms": dms,
        "storm_429s": ceiling.storms,
        "violations": len(ceiling.violations),
        "violation_detail": [
            f"{v.method} {v.key} early by {v.early_by:.3f}s ({v.reason})" for v in ceiling.violations[:5]
        ],
        "elapsed_s": round(seconds, 2),
        "ideal_s": round(ideal, 2),
        "drain_ratio": round(ideal / seconds, 3) if seconds else None,
        "pace_s": ceiling.pace,
        "storm_fraction": ceiling.storm_fraction,
        "tolerance_s": ceiling.tolerance,
    }


async def run_slack(
    total: int, channels: int, dms: int, ceiling: Ceiling, *, seed: int = 1, limit_seconds: float = 600.0
) -> dict[str, Any]:
    from adapters.slack.messenger import SlackMessenger, make_web_client
    from tests.fakes.slack import BOT_TOKEN
    from tests.support.slack_storm import CeilingSlack

    fake = CeilingSlack(ceiling)
    chans = [f"C{i:07d}" for i in range(channels)]
    for c in chans:
        fake.add_channel(c, f"cohort-{c[-3:]}")
    users = [f"U{i:07d}" for i in range(dms)]
    for u in users:
        fake.add_user(u, f"Member {u}")
    await fake.start()
    destinations = [Destination.channel(c) for c in chans] + [Destination.dm(u) for u in users]
    plan = _plan(total, destinations, seed)
    with tempfile.TemporaryDirectory() as tmp:
        bot = await bootstrap(replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp}/storm.db"))
        try:
            await _queue(bot, CommunityRef("slack", fake.team_id), plan)
            messenger = SlackMessenger(make_web_client(BOT_TOKEN, base_url=fake.api_url), pace_seconds=ceiling.pace)
            done, seconds = await _drain(bot, messenger, total, limit_seconds)
        finally:
            await bot.close()
            await fake.stop()
    keys = Counter(
        m["metadata"]["event_payload"]["idempotency_key"]
        for c in fake.channels.values()
        for m in c.messages
        if m.get("metadata")
    )
    delivered = len(keys)
    duplicates = sum(n - 1 for n in keys.values())
    return _figures("slack", total, done, delivered, duplicates, seconds, ceiling, channels, dms)


async def run_discord(
    total: int, channels: int, dms: int, ceiling: Ceiling, *, seed: int = 1, limit_seconds: float = 600.0
) -> dict[str, Any]:
    import discord

    from adapters.discord.messenger import DiscordMessenger
    from adapters.discord.settings import configure_api_base
    from tests.support.discord_storm import CeilingDiscord

    fake = await CeilingDiscord(ceiling).start()
    previous = configure_api_base(fake.api_base)
    guild = fake.add_guild(channels=tuple(f"cohort-{i}" for i in range(channels)))
    members = [fake.add_member(guild, f"member{i}") for i in range(dms)]
    destinations = [Destination.channel(c) for c in guild.channels] + [Destination.dm(m.id) for m in members]
    plan = _plan(total, destinations, seed)
    client = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=30.0)
    with tempfile.TemporaryDirectory() as tmp:
        bot = await bootstrap(replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp}/storm.db"))
        try:
            await _queue(bot, CommunityRef("discord", guild.id, guild.name), plan)
            await client.login(fake.token)
            done, seconds = await _drain(bot, DiscordMessenger(client), total, limit_seconds)
        finally:
            await client.close()
            await bot.close()
            await fake.stop()
            configure_api_base(previous)
    nonces = Counter(m.get("nonce") for m in fake.messages.values())
    delivered = len(nonces)
    duplicates = sum(n - 1 for n in nonces.values())
    return _figures("discord", total, done, delivered, duplicates, seconds, ceiling, channels, dms)
