"""Fixtures for the Discord adapter: a fake Discord on 127.0.0.1 and discord.py pointed at it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # so tests and bench can `import fake_discord`

from fake_discord import FakeDiscord  # noqa: E402

from adapters.discord.settings import configure_api_base  # noqa: E402


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
