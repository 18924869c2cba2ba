"""`serve(settings, env)` — what `mentorbot run` calls — in Socket Mode against the fake:
the environment alone points the real app at the local Slack."""

from __future__ import annotations

import asyncio
import contextlib

from adapters.slack.main import serve
from bot.core.settings import Settings
from tests.fakes import PATIENCE
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, FakeSlack, fixture_slash_payload
from tests.support.slack_harness import settle


async def test_serve_in_socket_mode_answers_a_command_and_delivers(fake: FakeSlack, settings: Settings) -> None:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": fake.api_url,
        "SLACK_CLIENT_ID": "",
        "SLACK_CLIENT_SECRET": "",
    }
    task = asyncio.create_task(serve(settings, env))
    try:
        await asyncio.wait_for(fake.socket_connected.wait(), PATIENCE)
        await fake.push(
            "slash_commands", fixture_slash_payload('poll "Mentorship?" --closes 3d', fake.response_url("s"))
        )
        await settle(lambda: any(r["_rid"] == "s" for r in fake.responses))
        # The runtime's kick delivers the poll and its pin without waiting for a sweep.
        await settle(lambda: bool(fake.pinned("C0MENTOR")))
        assert fake.calls_to("auth.test") and fake.calls_to("apps.connections.open")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
