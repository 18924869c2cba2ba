"""Socket Mode smoke test: the real AsyncSocketModeHandler against the fake's websocket."""

from __future__ import annotations

import asyncio

from fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack, fixture_slash_payload

from adapters.slack.app import SlackAdapter
from adapters.slack.main import start_socket_mode
from adapters.slack.messenger import make_web_client
from adapters.slack.settings import SlackSettings
from bot.events import SlashCommand
from bot.messages import message


async def test_socket_mode_command_is_acked_and_handled(fake: FakeSlack) -> None:
    seen: list[SlashCommand] = []

    async def handle(event):
        seen.append(event)
        return [message("Here is the help.")]

    settings = SlackSettings(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    client = make_web_client(BOT_TOKEN, base_url=fake.api_url)
    adapter = SlackAdapter(handle, settings, client=client)
    handler = await start_socket_mode(adapter.app, settings, client)
    try:
        ack = await fake.push("slash_commands", fixture_slash_payload("help", fake.response_url("sm1")))
        assert ack["envelope_id"] and "payload" not in ack or ack.get("payload") in (None, {})
        for _ in range(500):
            if fake.responses:
                break
            await asyncio.sleep(0.01)
        assert seen and seen[0].text == "help" and seen[0].actor.display_name == "Carol Admin"
        assert fake.responses[0]["_rid"] == "sm1" and fake.responses[0]["text"] == "Here is the help."
        assert fake.calls_to("apps.connections.open")[0].token == APP_TOKEN
    finally:
        await handler.close_async()
