"""Discord feels native: the dashboard chart arrives as an attachment on a DM to the
moderator (multipart `files[n]`), and closed doors (50007) are respected."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.messenger import DiscordMessenger
from bot.core.events import CommunityRef
from tests.fakes.discord import FakeDiscord
from tests.support.closed_doors import Platform, closed_doors_scenario, open_for, partner_scenario
from tests.support.discord_program import Program, start_program, text_of, until

PNG = b"\x89PNG\r\n\x1a\n"


def _charts(program: Program) -> list[dict[str, Any]]:
    return [
        a
        for m in program.dms(program.fake.users[program.owner])
        for a in m.get("attachments") or []
        if a["filename"] == "mentorship-dashboard.png"
    ]


@pytest.fixture
async def program(fake: FakeDiscord, tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[Program]:
    """`mentorbot run` for Discord whose charts go to the test's own directory."""
    running = start_program(fake, tmp_path, threads=False, template=migrated_sqlite)
    running.settings = replace(running.settings, data_dir=str(tmp_path / "data"))
    await running.start()
    yield running
    await running.stop()


async def test_stats_answers_privately_and_the_chart_arrives_as_a_dm_attachment(
    program: Program, fake: FakeDiscord, tmp_path: Path
) -> None:
    reply = await program.run(program.owner, "stats")
    assert reply["flags"] & 64  # ephemeral: only the moderator sees it
    assert "Mentorship program dashboard" in text_of(reply) and "on its way to your DMs" in text_of(reply)
    assert not reply.get("attachments")
    await until(lambda: bool(_charts(program)), timeout=30)
    [chart] = _charts(program)
    data = fake.attachment_data[chart["id"]]
    assert data[:8] == PNG and chart["size"] == len(data) > 20_000 and chart["content_type"] == "image/png"
    [dm] = [m for m in program.dms(fake.users[program.owner]) if m.get("attachments")]
    assert "Program dashboard chart" in text_of(dm)
    assert not dm.get("guild_id")  # a DM, not the server
    assert data == next((tmp_path / "data" / "charts").glob("*.png")).read_bytes()


async def _platform(fake: FakeDiscord, client: discord.Client) -> tuple[Platform, Any]:
    guild = fake.add_guild(channels=("general", "moderators"))
    _, mods = list(guild.channels)

    def calls_for(user_id: str) -> int:
        channel = fake.dm_channels.get(user_id)
        return len(fake.calls_to("POST", rf"^/channels/{channel}/messages$")) if channel else 0

    platform = Platform(
        CommunityRef("discord", guild.id, guild.name),
        mods,
        DiscordMessenger(client),
        fake.close_dms,
        fake.closed_dms.discard,
        calls_for,
    )
    return platform, guild


async def test_a_member_with_closed_dms_is_tried_once_and_moderators_told_once(
    fake: FakeDiscord, rest_client: discord.Client, tmp_path: Path
) -> None:
    platform, guild = await _platform(fake, rest_client)
    robin = fake.add_member(guild, "robin")
    bot: Any = await open_for(tmp_path, platform.ref, platform.moderators)
    try:
        await closed_doors_scenario(bot, platform, robin.id, "robin")
    finally:
        await bot.close()
    assert len(fake.channel_messages(platform.moderators)) == 1
    assert [m["content"] for m in fake.channel_messages(fake.dm_channels[robin.id])] == ["Message dm-2", "Message dm-3"]


async def test_an_introduction_that_misses_one_member_tells_the_other(
    fake: FakeDiscord, rest_client: discord.Client, tmp_path: Path
) -> None:
    platform, guild = await _platform(fake, rest_client)
    robin, ann = fake.add_member(guild, "robin"), fake.add_member(guild, "ann")
    bot: Any = await open_for(tmp_path, platform.ref, platform.moderators)
    try:
        await partner_scenario(bot, platform, (robin.id, "robin"), (ann.id, "ann"))
    finally:
        await bot.close()
    told = [m["content"] for m in fake.channel_messages(fake.dm_channels[ann.id])]
    assert told[-1].startswith("Your introduction could not reach robin")
