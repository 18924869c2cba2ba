"""Socket Mode smoke test: the real AsyncSocketModeHandler against the fake's websocket."""

from __future__ import annotations

import asyncio

from adapters.slack.app import SlackAdapter
from adapters.slack.main import start_socket_mode
from adapters.slack.messenger import make_web_client
from adapters.slack.settings import SlackSettings
from bot.core.events import SlashCommand
from bot.core.messages import message
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, FakeSlack, fixture_slash_payload


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


async def test_socket_mode_poll_with_the_real_core(fake: FakeSlack, settings) -> None:  # type: ignore[no-untyped-def]
    """The same app over Socket Mode: poll posted and pinned, a click counted, a
    re-delivered event (retry_attempt=1) handled once."""
    import json

    from adapters.slack.main import build_services
    from bot.bootstrap import bootstrap
    from bot.core.clock import ManualClock
    from bot.runtime import Runtime
    from tests.support.db import START
    from tests.support.slack_harness import settle
    from tests.support.slack_payloads import fixture

    bot = await bootstrap(settings, clock=ManualClock(START))
    slack = SlackSettings(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    box: list[Runtime] = []
    services = build_services(bot, slack, kick=lambda: box[0].kick(), pace_seconds=0.0)
    runtime = Runtime(bot, services.messenger)
    box.append(runtime)
    handled: list[object] = []
    core_handle = services.adapter._handle

    async def counting(event):  # type: ignore[no-untyped-def]
        replies = await core_handle(event)
        handled.append(event)
        return replies

    services.adapter._handle = counting
    handler = await start_socket_mode(services.adapter.app, slack, services.client)
    try:
        await fake.push(
            "slash_commands", fixture_slash_payload('poll "Mentorship?" --closes 3d', fake.response_url("p"))
        )
        await settle(lambda: fake.pinned("C0MENTOR"))
        poll = fake.messages("C0MENTOR")[0]
        vote = next(e["action_id"] for b in poll["blocks"] if b["type"] == "actions" for e in b["elements"])
        action = fixture("block_actions")
        action["actions"][0].update(action_id=vote, value=vote)
        action["container"]["message_ts"] = action["message"]["ts"] = poll["ts"]
        action["response_url"] = fake.response_url("v")
        ack = await fake.push("interactive", action)
        assert ack["envelope_id"]
        await settle(lambda: any(r["_rid"] == "v" for r in fake.responses))
        assert next(r for r in fake.responses if r["_rid"] == "v")["text"].startswith("You voted")

        im = fake._open_im("U0ALICE")
        dm = fixture("event_message_im")
        dm["event"].update(channel=im.id, text="hello")
        await fake.push("events_api", dm)
        await settle(lambda: len(fake.messages(im.id)) == 1)
        before = len(handled)
        await fake.push("events_api", json.loads(json.dumps(dm)), retry_attempt=1)
        await fake.push("events_api", {**dm, "event_id": "Ev0OTHER"})
        # The retry stopped at the inbox (its event is saved already); only the new event reached the core.
        await settle(lambda: len(handled) == before + 1 and len(fake.messages(im.id)) == 2)
        assert len(fake.messages(im.id)) == 2  # the retry added nothing
    finally:
        await handler.close_async()
        await runtime.stop()
        await bot.close()
