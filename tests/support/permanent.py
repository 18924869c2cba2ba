"""Shared steps for the permanent-failure tests of both platforms.

A message that can never be delivered (closed DMs, archived or deleted channel,
revoked token) must end `failed` after one platform call, with one notice for the
moderators — however many times the deliverer runs and however much time passes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.core import messages as msg
from bot.core.clock import ManualClock
from bot.core.events import CommunityRef
from bot.core.ports import Destination
from bot.core.settings import Settings
from bot.delivery.deliverer import NOTICE_PREFIX
from bot.delivery.outbox import Outbox
from bot.mentorbot import ensure_community
from storage.tables import OutboxMessage

PASSES = 25


async def open_bot(tmp_path: Path) -> Any:
    """A fresh core on its own SQLite file, with a clock the test moves."""
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/failures.db")
    return await bootstrap(settings, clock=clock)


async def queue(bot: Any, ref: CommunityRef, moderator_channel: str, destination: Destination) -> int:
    """One message for `destination`; the community's moderators' channel is set."""
    async with bot.db.unit() as session:
        now = bot.clock.now()
        community = await ensure_community(session, ref, now, Settings())
        community.moderator_channel_id = moderator_channel
        session.add(community)
        row = await Outbox(session, community.id, now).post(  # type: ignore[arg-type]
            destination, msg.message(msg.text("Your mentor match is ready.")), dedupe_key="failing"
        )
    return int(row.id)  # type: ignore[arg-type]  # inserted when the transaction committed


async def drain_many(bot: Any, messenger: Any, passes: int = PASSES) -> None:
    """Run the deliverer again and again while hours pass (retries would be due)."""
    for _ in range(passes):
        await bot.deliver_outbox(messenger)
        bot.clock.advance(timedelta(hours=1))


async def rows(bot: Any) -> tuple[OutboxMessage, list[OutboxMessage]]:
    """The failing row and the moderator notices about it."""
    async with bot.db.unit() as session:
        all_rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    failing = next(r for r in all_rows if r.dedupe_key == "failing")
    notices = [r for r in all_rows if (r.dedupe_key or "").startswith(NOTICE_PREFIX)]
    return failing, notices
