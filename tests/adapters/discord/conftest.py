"""Fixtures for the Discord adapter: a fake Discord on 127.0.0.1 and discord.py pointed at it."""

from __future__ import annotations

import pytest

from adapters.discord.settings import configure_api_base
from tests.fakes import PATIENCE
from tests.fakes.discord import FakeDiscord


@pytest.fixture
async def fake():
    server = await FakeDiscord().start()
    previous = configure_api_base(server.api_base)
    try:
        yield server
    finally:
        configure_api_base(previous)
        await server.stop()


@pytest.fixture
async def rest_client(fake):
    """A discord.py client that is logged in over REST only (what the outbox deliverer needs)."""
    import discord

    client = discord.Client(intents=discord.Intents.none())
    await client.login(fake.token)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def program(fake, tmp_path, migrated_sqlite):
    """The whole Discord process (`serve`) against the fake, intros in private threads."""
    from tests.support.discord_program import start_program

    running = start_program(fake, tmp_path, threads=True, template=migrated_sqlite)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
def discord_settings(tmp_path, fake):
    from adapters.discord.settings import DiscordSettings

    return DiscordSettings(token=fake.token, api_base=fake.api_base, data_dir=str(tmp_path / "data"))


class RunningClient:
    """Start the real MentorClient against the fake and stop it again (a 'restart' is stop + start)."""

    def __init__(self, bot, settings, **kwargs):
        self.bot, self.settings, self.kwargs = bot, settings, kwargs
        self.client = None
        self._task = None

    async def start(self):
        import asyncio

        from adapters.discord.client import make_client

        self.client = make_client(self.bot, self.settings, guild_ready_timeout=0.05, **self.kwargs)
        self._task = asyncio.create_task(self.client.start(self.settings.token))
        waiter = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait({waiter, self._task}, timeout=PATIENCE, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            waiter.cancel()
            self._task.result()  # raises the start-up error
        assert waiter in done, "client did not become ready"
        return self.client

    async def stop(self):
        if self.client is not None:
            await self.client.close()
            await self._task
            self.client = None


@pytest.fixture
async def run_client():
    started: list[RunningClient] = []

    async def start(bot, settings, **kwargs):
        runner = RunningClient(bot, settings, **kwargs)
        started.append(runner)
        await runner.start()
        return runner

    yield start
    for runner in started:
        await runner.stop()
