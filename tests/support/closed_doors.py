"""Shared steps for the closed-doors tests of every platform (console, Slack fake, Discord fake).

A member whose DMs are closed to the bot: the first DM fails and the moderators
are told once; later DMs make no platform call at all (held); when the member
uses the bot again they get a heads-up and one retry; moderators are not told a
second time; once their DMs are open again the held messages arrive.
An introduction that misses one of the pair tells the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.core import messages as msg
from bot.core.events import Actor, CommunityRef, SlashCommand
from bot.core.ports import Destination, Messenger
from bot.core.settings import Settings
from bot.delivery.deliverer import NOTICE_PREFIX
from bot.delivery.outbox import Outbox
from bot.mentorbot import ensure_community
from storage.tables import Member, OutboxMessage
from tests.support.permanent import drain_many, open_bot


@dataclass
class Platform:
    """How a test closes and opens a member's DMs and counts the platform calls for them."""

    ref: CommunityRef
    moderators: str  # the moderators' channel id
    messenger: Messenger
    close: Callable[[str], None]
    reopen: Callable[[str], None]
    calls_for: Callable[[str], int]  # platform calls that tried to reach this member by DM


async def _queue(bot: Any, ref: CommunityRef, destination: Destination, key: str) -> None:
    async with bot.db.unit() as session:
        community = await ensure_community(session, ref, bot.clock.now(), Settings())
        await Outbox(session, community.id, bot.clock.now()).post(  # type: ignore[arg-type]
            destination, msg.message(msg.text(f"Message {key}")), dedupe_key=key
        )


async def _uses_the_bot(bot: Any, ref: CommunityRef, user_id: str, name: str) -> str:
    """The member types /mentor help in a channel; returns their private answer."""
    replies = await bot.handle(SlashCommand(ref, Actor(user_id, name), "C-general", "help"))
    return "\n".join(r.plain_text() for r in replies)


async def _state(bot: Any, user_id: str) -> tuple[dict[str, str], list[OutboxMessage], str]:
    async with bot.db.unit() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
        member = (await session.execute(select(Member).where(Member.platform_user_id == user_id))).scalar_one()
    statuses = {r.dedupe_key or "": r.status for r in rows if (r.dedupe_key or "").startswith("dm")}
    notices = [r for r in rows if (r.dedupe_key or "").startswith(NOTICE_PREFIX)]
    return statuses, notices, member.dm_status


async def open_for(tmp_path: Path, ref: CommunityRef, moderators: str) -> Any:
    bot = await open_bot(tmp_path)
    async with bot.db.unit() as session:
        community = await ensure_community(session, ref, bot.clock.now(), Settings())
        community.moderator_channel_id = moderators
        session.add(community)
    return bot


async def closed_doors_scenario(bot: Any, platform: Platform, user_id: str, name: str) -> None:
    ref = platform.ref
    await _uses_the_bot(bot, ref, user_id, name)  # a member the bot knows, DMs fine so far
    platform.close(user_id)

    await _queue(bot, ref, Destination.dm(user_id), "dm-1")
    await _queue(bot, ref, Destination.dm(user_id), "dm-2")
    await drain_many(bot, platform.messenger)
    statuses, notices, door = await _state(bot, user_id)
    assert platform.calls_for(user_id) == 1, "the second DM must not reach the platform"
    assert statuses == {"dm-1": "failed", "dm-2": "held"}
    assert len(notices) == 1 and door == "closed"

    await _queue(bot, ref, Destination.dm(user_id), "dm-3")  # a week later, still closed
    await drain_many(bot, platform.messenger)
    assert platform.calls_for(user_id) == 1
    statuses, notices, _ = await _state(bot, user_id)
    assert statuses["dm-3"] == "held" and len(notices) == 1

    # They use the bot (DMs still closed): a heads-up, one retry, no second notice.
    answer = await _uses_the_bot(bot, ref, user_id, name)
    assert "Heads-up" in answer and "DMs are closed" in answer
    await drain_many(bot, platform.messenger)
    assert platform.calls_for(user_id) == 2
    statuses, notices, door = await _state(bot, user_id)
    assert statuses == {"dm-1": "failed", "dm-2": "held", "dm-3": "held"}
    assert len(notices) == 1 and door == "closed"

    # They open their DMs and use the bot again: the held messages arrive, in order.
    platform.reopen(user_id)
    assert "Heads-up" in await _uses_the_bot(bot, ref, user_id, name)
    await drain_many(bot, platform.messenger)
    statuses, notices, door = await _state(bot, user_id)
    assert statuses == {"dm-1": "failed", "dm-2": "sent", "dm-3": "sent"}
    assert len(notices) == 1 and door == "ok"
    assert "Heads-up" not in await _uses_the_bot(bot, ref, user_id, name)


async def partner_scenario(bot: Any, platform: Platform, closed: tuple[str, str], partner: tuple[str, str]) -> str:
    """An introduction to a pair, one of whom has closed DMs; returns the partner's notice text."""
    ref = platform.ref
    for user_id, name in (closed, partner):
        await _uses_the_bot(bot, ref, user_id, name)
    platform.close(closed[0])
    await _queue(bot, ref, Destination.group_dm([partner[0], closed[0]]), "intro:1")
    await drain_many(bot, platform.messenger)
    async with bot.db.unit() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    told = [r for r in rows if r.destination_kind == "dm" and r.destination_target == partner[0]]
    assert len(told) == 1 and told[0].status == "sent", [(r.dedupe_key, r.status, r.last_error) for r in rows]
    moderators = [r for r in rows if r.destination_target == platform.moderators]
    assert len(moderators) == 1
    text = msg.from_json(told[0].payload or "[]").plain_text()
    assert closed[1] in text and "could not reach" in text
    return text
