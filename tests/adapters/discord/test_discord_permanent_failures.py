"""Discord: messages that can never be delivered end in a state moderators see.

Closed DMs (50007), a deleted channel (10003), missing permissions (50013) and a
revoked token (401): after many deliverer passes over many hours discord.py made
one call for the failing message, the row is `failed` with Discord's reason, and
the moderators' channel got exactly one notice.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import discord

from adapters.discord.messenger import DiscordMessenger
from bot.core.events import CommunityRef
from bot.core.ports import Destination
from tests.fakes.discord import FakeDiscord
from tests.support.permanent import drain_many, open_bot, queue, rows


async def _run(
    fake: FakeDiscord,
    tmp_path: Path,
    destination_for: Callable[[str, str], Destination],
    *,
    prepare: Callable[[str, str], None] | None = None,
    revoke: bool = False,
) -> tuple:
    guild = fake.add_guild(channels=("general", "moderators"))
    general, mods = list(guild.channels)
    member = fake.add_member(guild, "robin")
    destination = destination_for(general, member.id)
    bot = await open_bot(tmp_path)
    client = discord.Client(intents=discord.Intents.none())
    await client.login(fake.token)
    try:
        await queue(bot, CommunityRef("discord", guild.id, guild.name), mods, destination)
        if prepare is not None:
            prepare(general, member.id)
        if revoke:
            fake.token = "revoked-token"  # every later call answers 401
        await drain_many(bot, DiscordMessenger(client))
        failing, notices = await rows(bot)
    finally:
        await client.close()
        await bot.close()
    return failing, notices, general, mods, member.id


def _sends(fake: FakeDiscord, channel: str) -> int:
    return len(fake.calls_to("POST", rf"^/channels/{channel}/messages$"))


async def test_dm_closed(fake: FakeDiscord, tmp_path: Path) -> None:
    failing, notices, _, mods, member = await _run(
        fake, tmp_path, lambda g, m: Destination.dm(m), prepare=lambda g, m: fake.close_dms(m)
    )
    assert _sends(fake, fake.dm_channels[member]) == 1
    assert failing.status == "failed" and "dm_closed" in (failing.last_error or "")
    assert len(notices) == 1 and notices[0].status == "sent"
    assert len(fake.channel_messages(mods)) == 1


async def test_deleted_channel(fake: FakeDiscord, tmp_path: Path) -> None:
    failing, notices, _, mods, _ = await _run(fake, tmp_path, lambda g, m: Destination.channel("999999999"))
    assert _sends(fake, "999999999") == 1
    assert failing.status == "failed" and "channel_not_found" in (failing.last_error or "")
    assert len(notices) == 1 and len(fake.channel_messages(mods)) == 1


async def test_missing_permissions(fake: FakeDiscord, tmp_path: Path) -> None:
    def forbid(general: str, member: str) -> None:
        fake.fail("POST", rf"^/channels/{general}/messages$", status=403, code=50013, times=1000)

    failing, notices, general, mods, _ = await _run(fake, tmp_path, lambda g, m: Destination.channel(g), prepare=forbid)
    assert _sends(fake, general) == 1
    assert failing.status == "failed" and "missing_access" in (failing.last_error or "")
    assert len(notices) == 1 and len(fake.channel_messages(mods)) == 1


async def test_revoked_token(fake: FakeDiscord, tmp_path: Path) -> None:
    failing, notices, general, mods, _ = await _run(fake, tmp_path, lambda g, m: Destination.channel(g), revoke=True)
    assert _sends(fake, general) == 1
    assert failing.status == "failed" and "token_revoked" in (failing.last_error or "")
    # The notice fails the same way; it is tried once and stays failed (no loop).
    assert len(notices) == 1 and notices[0].status == "failed"
    assert _sends(fake, mods) == 1
