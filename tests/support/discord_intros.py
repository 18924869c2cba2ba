"""A round's introductions through the real outbox, DiscordMessenger and discord.py into
the fake Discord enforcing Discord's buckets and global limit, in real time.

Each introduction is a group DM of two members; Discord bots cannot open group DMs,
so without an introductions channel the messenger sends each member the message in
their own DM: two Create DM requests (`POST /users/@me/channels`, one bucket for the
bot) and two Create Message requests (one bucket per DM channel), all under the
global 50 requests a second. The fake announces its buckets in `X-RateLimit-*`
headers and refuses (429) anything beyond them; each refusal is a violation.

Nothing is scaled: discord.py sleeps on the real clock (its bucket waits come from
`X-RateLimit-Reset-After`, its 429 waits from `retry_after`), so the fake and the
bot's own pacing run on the real clock too. Workers are separate deliverers, each
with its own database engine, discord.py client and messenger, built like `mentorbot
run` builds them (adapters/discord/main.py): the global gate and the route pacing take
their turns from the database, DM channels are kept there.
"""

from __future__ import annotations

import asyncio
import re
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
from bot.delivery.pace import round_duration
from bot.mentorbot import ensure_community
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.buckets import dm_create, message_create
from tests.support.intros import _drop_database, _scratch_database

_INTRO = re.compile(r"introduction (\d+)")


async def _queue(bot: Any, guild_id: str, members: list[str], pairs: int) -> None:
    async with bot.db.unit() as session:
        now = bot.clock.now()
        community = await ensure_community(session, CommunityRef("discord", guild_id), now, bot.settings)
        outbox = Outbox(session, community.id, now)  # type: ignore[arg-type]
        for i in range(pairs):
            note = msg.message(msg.text(f"Hello! You are matched (introduction {i})."))
            pair = [members[2 * i], members[2 * i + 1]]
            await outbox.post(Destination.group_dm(pair), note, dedupe_key=f"intro:{i}")


async def _worker(bot: Any, messenger: Any, fake: FakeDiscord, expected: int, limit_s: float) -> None:
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        sent = await bot.deliver_outbox(messenger)
        if not sent:
            if len(fake.messages) >= expected:
                return
            await asyncio.sleep(0.02)


async def _client(fake: FakeDiscord, bot: Any, *, gate: str) -> tuple[Any, Any]:
    """A REST-only discord.py client behind the gate, as `serve` builds it. `gate`:
    "buckets" (as shipped), "global" (the gate before this bench: the global limit only),
    "none" (discord.py on its own)."""
    import discord

    from adapters.discord.gate import GlobalGate
    from adapters.pacing import DISCORD_GLOBAL_INTERVAL, Pacer
    from storage.platform_state import DbPacingSlots

    class GlobalOnly(GlobalGate):
        async def _before(self, session: Any, context: Any, params: Any) -> None:
            if self._is_rest(params.url):
                await self.pacer.turn(self.bucket, DISCORD_GLOBAL_INTERVAL)

        def _learn(self, key: str, headers: Any) -> None:
            return None

    kind = GlobalOnly if gate == "global" else GlobalGate
    pacing = kind(Pacer(DbPacingSlots(bot.db)))
    trace = {"http_trace": pacing.trace_config()} if gate != "none" else {}
    client = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=30.0, **trace)
    await client.login(fake.token)
    return client, pacing


def _count(fake: FakeDiscord, members: list[str], pairs: int) -> tuple[int, int]:
    """(introductions both members got, messages that arrived more than once)."""
    seen: Counter[tuple[str, int]] = Counter()
    for message in fake.messages.values():
        if match := _INTRO.search(message.get("content") or ""):
            seen[(message["channel_id"], int(match.group(1)))] += 1
    delivered = 0
    for i in range(pairs):
        channels = [fake.dm_channels.get(members[2 * i + k]) for k in (0, 1)]
        if all(c is not None and seen[(c, i)] for c in channels):
            delivered += 1
    return delivered, sum(n - 1 for n in seen.values())


async def run_discord_intros(
    pairs: int,
    *,
    workers: int = 1,
    database_url: str | None = None,
    dm_limit: int = 10,
    dm_window: float = 1.0,
    tolerance: float = 0.01,
    limit_s: float = 3600.0,
    gate: str = "buckets",
) -> dict[str, Any]:
    from adapters.discord.messenger import DiscordMessenger
    from adapters.discord.settings import configure_api_base
    from storage.platform_state import DmChannels

    fake = FakeDiscord()
    buckets = fake.enforce_buckets([dm_create(dm_limit, dm_window), message_create()], tolerance=tolerance)
    guild = fake.add_guild()
    members = [fake.add_member(guild, f"member{i}").id for i in range(2 * pairs)]
    await fake.start()
    previous = configure_api_base(fake.api_base)
    scratch = await _scratch_database(database_url) if database_url else None
    clients: list[Any] = []
    gates: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = scratch or f"sqlite+aiosqlite:///{tmp}/intros.db"
        bots = [await bootstrap(replace(Settings(), database_url=url))]
        try:
            await _queue(bots[0], guild.id, members, pairs)
            for _ in range(workers - 1):
                bots.append(await bootstrap(replace(Settings(), database_url=url)))
            messengers = []
            for bot in bots:
                client, gate = await _client(fake, bot, gate=gate)
                clients.append(client)
                gates.append(gate)
                messengers.append(DiscordMessenger(client, dm_channels=DmChannels(bot.db, "discord")))
            buckets.violations.clear()  # count the round only (logins are not part of it)
            first_call = len(fake.calls)
            started = time.monotonic()
            await asyncio.gather(
                *(_worker(b, m, fake, 2 * pairs, limit_s) for b, m in zip(bots, messengers, strict=True))
            )
            elapsed = time.monotonic() - started
        finally:
            for client in clients:
                await client.close()
            for bot in bots:
                await bot.close()
            configure_api_base(previous)
            await fake.stop()
            if scratch:
                await _drop_database(database_url, scratch)  # type: ignore[arg-type]
    delivered, duplicated = _count(fake, members, pairs)
    calls = fake.calls[first_call:]
    dm_creates = sum(1 for c in calls if c.path == "/users/@me/channels" and c.status == 200)
    sends = sum(1 for c in calls if c.method == "POST" and c.path.endswith("/messages") and c.status == 200)
    ceiling_s = buckets.ceiling_seconds({"dm-create": 2 * pairs, "msg-create": 1}, 4 * pairs)
    reasons = Counter(v.reason for v in buckets.violations)
    return {
        "bench": "intros",
        "platform": "discord",
        "pairs": pairs,
        "workers": workers,
        "database": "postgresql" if database_url and database_url.startswith("postgresql") else "sqlite",
        "scale": 1,
        "delivered": delivered,
        "lost": pairs - delivered,
        "duplicated": duplicated,
        "violations": len(buckets.violations),
        "violation_reasons": dict(reasons),
        "violation_detail": [f"{v.route} {v.reason} early by {v.early_by:.3f}s" for v in buckets.violations[:3]],
        "global_429s_seen": sum(g.global_429s for g in gates),
        "dm_creates": dm_creates,
        "message_creates": sends,
        "requests": len(calls),
        "announced": {
            "dm_create": f"{dm_limit}/{dm_window:g}s",
            "message_create": "5/5s per channel",
            "global": "50/s",
        },
        "platform_s": round(elapsed, 1),
        "ceiling_s": round(ceiling_s, 1),
        "vs_ceiling": round(ceiling_s / elapsed, 3) if elapsed else None,
        "core_estimate_s": round(round_duration("discord", pairs).total_seconds(), 1),
        "real_s": round(elapsed, 1),
        "tolerance_s": tolerance,
    }
