"""A round's introductions through the real outbox, SlackMessenger and slack_sdk into
a fake Slack that enforces Slack's tiers, on a scaled clock.

`ScaledClock` runs platform time `scale` times faster than real time; the fake's
ceiling and the messenger's pacing both read it, so a 100-minute round takes a
minute or two. Real work (HTTP, database) still costs real time, multiplied by the
scale in platform time, so the scaled run can only look *slower* than the
platform would allow — never faster.

Each introduction is a group DM of two members (conversations.open, Tier 3, then
chat.postMessage). Workers are separate deliverers, each with its own database
connection and messenger, sharing pacing slots and opened DMs through the database.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
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
from tests.support.slack_storm import CeilingSlack, slack_ceiling


class ScaledClock:
    """Platform seconds that run `scale` times faster than real ones."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._t0 = time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self._t0) * self.scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)


async def _queue(bot: Any, team: str, pairs: int) -> None:
    async with bot.db.unit() as session:
        now = bot.clock.now()
        community = await ensure_community(session, CommunityRef("slack", team), now, bot.settings)
        outbox = Outbox(session, community.id, now)  # type: ignore[arg-type]
        for i in range(pairs):
            users = [f"U{2 * i:07d}", f"U{2 * i + 1:07d}"]
            note = msg.message(msg.text(f"Hello! You are matched (introduction {i})."))
            await outbox.post(Destination.group_dm(users), note, dedupe_key=f"intro:{i}")


async def _worker(bot: Any, messenger: Any, pairs: int, fake: CeilingSlack, limit_s: float) -> None:
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        sent = await bot.deliver_outbox(messenger)
        if not sent:
            delivered = sum(1 for c in fake.channels.values() if c.is_mpim and c.messages)
            if delivered >= pairs:
                return
            await asyncio.sleep(0.02)


async def _admin(url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


async def _scratch_database(url: str) -> str:
    """A throw-away PostgreSQL database on the same server (dropped afterwards)."""
    from sqlalchemy.engine import make_url

    # The pid alone is not unique on a server shared by other machines or containers (their
    # runs dropped ours WITH (FORCE): "terminating connection due to administrator command").
    name = f"bench_intros_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await _admin(url, f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _drop_database(url: str, scratch: str) -> None:
    from sqlalchemy.engine import make_url

    await _admin(url, f'DROP DATABASE IF EXISTS "{make_url(scratch).database}" WITH (FORCE)')


async def run_intros(
    pairs: int,
    *,
    scale: float,
    workers: int = 1,
    database_url: str | None = None,
    jitter_real_s: float = 0.01,
    limit_s: float = 900.0,
) -> dict[str, Any]:
    from adapters.pacing import MemorySlots, Pacer
    from adapters.slack.messenger import SlackMessenger, make_web_client
    from storage.platform_state import DbPacingSlots, DmChannels
    from tests.fakes.slack import BOT_TOKEN

    clock = ScaledClock(scale)
    ceiling = slack_ceiling(storm_fraction=0.0)
    ceiling.clock = clock
    # Loopback jitter (a request that left on time but arrived a few ms late behind
    # another) is multiplied by the scale too; the tolerance is reported.
    ceiling.tolerance = jitter_real_s * scale
    fake = CeilingSlack(ceiling)
    for i in range(2 * pairs):
        fake.add_user(f"U{i:07d}", f"Member {i}")
    await fake.start()
    scratch = await _scratch_database(database_url) if database_url else None
    with tempfile.TemporaryDirectory() as tmp:
        url = scratch or f"sqlite+aiosqlite:///{tmp}/intros.db"
        bots = [await bootstrap(replace(Settings(), database_url=url))]
        try:
            await _queue(bots[0], fake.team_id, pairs)
            for _ in range(workers - 1):
                bots.append(await bootstrap(replace(Settings(), database_url=url)))
            messengers = []
            for bot in bots:
                slots = DbPacingSlots(bot.db) if workers > 1 else MemorySlots()
                messengers.append(
                    SlackMessenger(
                        make_web_client(BOT_TOKEN, base_url=fake.api_url),
                        monotonic=clock,
                        sleep=clock.sleep,
                        pacer=Pacer(slots, clock=clock, sleep=clock.sleep),
                        dm_channels=DmChannels(bot.db, "slack"),
                    )
                )
            started = clock()
            await asyncio.gather(*(_worker(b, m, pairs, fake, limit_s) for b, m in zip(bots, messengers, strict=True)))
            elapsed = clock() - started
        finally:
            for bot in bots:
                await bot.close()
            await fake.stop()
            if scratch:
                await _drop_database(database_url, scratch)  # type: ignore[arg-type]
    keys = Counter(
        m["metadata"]["event_payload"]["idempotency_key"]
        for c in fake.channels.values()
        if c.is_mpim
        for m in c.messages
        if m.get("metadata")
    )
    opens = sum(1 for call in fake.calls if call.method == "conversations.open" and call.ok)
    ceiling_s = round_duration("slack", pairs).total_seconds()
    return {
        "bench": "intros",
        "platform": "slack",
        "pairs": pairs,
        "workers": workers,
        "database": "postgresql" if database_url and database_url.startswith("postgresql") else "sqlite",
        "scale": scale,
        "delivered": len(keys),
        "lost": pairs - len(keys),
        "duplicated": sum(n - 1 for n in keys.values()),
        "conversations_open": opens,
        "violations": len(ceiling.violations),
        "violation_detail": [f"{v.method} early by {v.early_by:.3f}s ({v.reason})" for v in ceiling.violations[:3]],
        "platform_s": round(elapsed, 1),
        "ceiling_s": round(ceiling_s, 1),
        "vs_ceiling": round(ceiling_s / elapsed, 3) if elapsed else None,
        "fake_ideal_s": round(ceiling.ideal_seconds(), 1),
        "real_s": round(elapsed / scale, 1),
        "tolerance_platform_s": round(ceiling.tolerance, 3),
    }
