"""The fake itself behaves like Discord where discord.py depends on it."""

from __future__ import annotations

import aiohttp
import discord

from tests.support.discord_program import until


async def test_rest_answers_with_exactly_application_json(fake):
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{fake.api_base}/gateway/bot", headers={"Authorization": f"Bot {fake.token}"}) as r:
            assert r.headers["Content-Type"] == "application/json"
            assert (await r.json())["url"] == fake.gateway_url
        async with session.get(f"{fake.api_base}/users/@me") as r:  # no token
            assert r.status == 401 and r.headers["Content-Type"] == "application/json"


async def test_client_learns_the_gateway_from_the_api_and_asks_for_zlib_stream(fake, discord_settings, run_client):
    from tests.adapters.discord.test_discord_client import StubCore

    fake.add_guild()
    runner = await run_client(StubCore(), discord_settings)
    assert fake.calls_to("GET", r"^/gateway/bot$")
    (query,) = fake.gateway_queries
    assert query == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    (identify,) = fake.identifies
    intents = discord.Intents._from_value(identify["intents"])
    assert intents.guilds and intents.dm_messages
    assert not intents.members and not intents.message_content  # privileged intents stay off
    assert runner.client.application_id == int(fake.application_id)


async def test_members_intent_only_when_asked(fake, discord_settings, run_client):
    from dataclasses import replace

    from tests.adapters.discord.test_discord_client import StubCore

    fake.add_guild()
    await run_client(StubCore(), replace(discord_settings, members_intent=True))
    intents = discord.Intents._from_value(fake.identifies[0]["intents"])
    assert intents.members and not intents.message_content


async def test_member_join_reaches_the_core_only_with_the_members_intent(fake, discord_settings, run_client):
    from dataclasses import replace

    from bot.core.events import MemberJoined
    from tests.adapters.discord.test_discord_client import StubCore

    guild = fake.add_guild()
    core = StubCore()
    runner = await run_client(core, replace(discord_settings, members_intent=True))
    newcomer = await fake.member_joins(guild, "newcomer")
    await until(lambda: core.events)
    (event,) = core.events
    assert isinstance(event, MemberJoined) and event.actor.user_id == newcomer.id
    assert event.community.external_id == guild.id
    await runner.stop()
