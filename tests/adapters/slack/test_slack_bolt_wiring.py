"""The real Bolt app over HTTP with a stub core: signatures, ack, translation, replies."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from adapters.slack.app import SORRY, SlackAdapter
from adapters.slack.main import start_http
from adapters.slack.messenger import make_web_client
from adapters.slack.settings import SlackSettings
from bot.core.events import ComponentAction, DirectText, MemberJoined, SlashCommand
from bot.core.messages import UserText, message, text
from tests.fakes import PATIENCE
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, signed_headers
from tests.support.slack_payloads import block_action, dm_event, fixture, slash_command

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


class StubCore:
    def __init__(self) -> None:
        self.events: list[Any] = []
        self.fail = False
        self.seen = asyncio.Event()

    async def handle(self, event: Any) -> list[Any]:
        self.events.append(event)
        self.seen.set()
        if self.fail:
            raise RuntimeError("database is on fire")
        return [message(text("You said: ", UserText(getattr(event, "text", "") or "")))]


@pytest.fixture
async def wired(fake: FakeSlack) -> AsyncIterator[tuple[StubCore, str, aiohttp.ClientSession]]:
    core = StubCore()
    settings = SlackSettings(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url, moderator_ids=frozenset({"U0BOB"})
    )
    adapter = SlackAdapter(core.handle, settings, client=make_web_client(BOT_TOKEN, base_url=fake.api_url))
    server = await start_http(adapter.app, "127.0.0.1", 0)
    async with aiohttp.ClientSession() as session:
        yield core, server.url + "/slack/events", session
    await server.stop()


async def settle(fake: FakeSlack, predicate, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


async def test_bad_signature_and_stale_timestamp_are_401(fake: FakeSlack, wired) -> None:
    core, url, session = wired
    body = slash_command("help", user_id="U0ALICE", channel_id="C0MENTOR", response_url=fake.response_url())
    bad = signed_headers(body, secret="not-the-secret")
    async with session.post(url, data=body, headers={**FORM, **bad}) as resp:
        assert resp.status == 401
    stale = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    async with session.post(url, data=body, headers={**FORM, **stale}) as resp:
        assert resp.status == 401
    async with session.post(url, data=body, headers=FORM) as resp:
        assert resp.status == 401
    assert core.events == []


async def test_command_is_acked_then_translated_and_answered_ephemerally(fake: FakeSlack, wired) -> None:
    core, url, session = wired
    body = slash_command(
        "poll &lt;!channel&gt; hi", user_id="U0CAROL", channel_id="C0MENTOR", response_url=fake.response_url("r1")
    )
    async with session.post(url, data=body, headers={**FORM, **signed_headers(body)}) as resp:
        assert resp.status == 200
    await settle(fake, lambda: fake.responses)
    event = core.events[0]
    assert isinstance(event, SlashCommand)
    assert event.text == "poll <!channel> hi" and event.channel_id == "C0MENTOR"
    assert event.community.external_id == "T0MENTOR" and event.event_id.startswith("cmd:")
    assert event.actor.display_name == "Carol Admin" and event.actor.platform_moderator
    assert event.actor.timezone == "Europe/Amsterdam"
    reply = fake.responses[0]
    assert reply["response_type"] == "ephemeral" and reply["_rid"] == "r1"
    assert "<!channel>" not in json.dumps(reply) and "&lt;!channel&gt;" in reply["text"]


async def test_configured_moderator_and_users_info_cache(fake: FakeSlack, wired) -> None:
    core, url, session = wired
    for _ in range(3):
        body = slash_command("help", user_id="U0BOB", channel_id="C0MENTOR", response_url=fake.response_url())
        async with session.post(url, data=body, headers={**FORM, **signed_headers(body)}) as resp:
            assert resp.status == 200
    await settle(fake, lambda: len(fake.responses) == 3)
    assert all(e.actor.platform_moderator for e in core.events)  # SLACK_MODERATOR_IDS
    assert len([c for c in fake.calls_to("users.info") if c.args.get("user") == "U0BOB"]) == 1


async def test_button_click_becomes_component_action(fake: FakeSlack, wired) -> None:
    core, url, session = wired
    body = block_action(
        "mentor:poll:1:vote:0",
        user_id="U0ALICE",
        channel_id="C0MENTOR",
        message_ts="1700000001.000002",
        response_url=fake.response_url(),
    )
    async with session.post(url, data=body, headers={**FORM, **signed_headers(body)}) as resp:
        assert resp.status == 200
    await settle(fake, lambda: fake.responses)
    event = core.events[0]
    assert isinstance(event, ComponentAction)
    assert event.component_id == "mentor:poll:1:vote:0"
    assert event.message_ref == "C0MENTOR:1700000001.000002" and not event.in_dm
    assert event.actor.user_id == "U0ALICE" and not event.actor.platform_moderator


async def test_dm_text_is_answered_in_the_dm_and_bots_are_ignored(fake: FakeSlack, wired) -> None:
    core, url, session = wired
    im = fake._open_im("U0ALICE")
    body = dm_event("Python &amp; data", user_id="U0ALICE", channel_id=im.id, event_id="Ev1")
    async with session.post(url, data=body, headers={**JSON, **signed_headers(body)}) as resp:
        assert resp.status == 200
    await settle(fake, lambda: fake.messages(im.id))
    assert isinstance(core.events[0], DirectText) and core.events[0].text == "Python & data"
    assert core.events[0].event_id == "Ev1"
    assert "Python &amp; data" in fake.messages(im.id)[0]["text"]

    bot = json.dumps(fixture("event_message_bot"))
    async with session.post(url, data=bot, headers={**JSON, **signed_headers(bot)}) as resp:
        assert resp.status == 200
    own = json.dumps(
        {**fixture("event_message_im"), "event_id": "Ev2"}
        | {"event": {**fixture("event_message_im")["event"], "user": "U0BOT", "bot_id": "B0BOT"}}
    )
    async with session.post(url, data=own, headers={**JSON, **signed_headers(own)}) as resp:
        assert resp.status == 200
    await asyncio.sleep(0.2)
    assert len(core.events) == 1


async def test_team_join_becomes_member_joined(fake: FakeSlack, wired) -> None:
    core, url, session = wired
    body = json.dumps(fixture("event_team_join"))
    async with session.post(url, data=body, headers={**JSON, **signed_headers(body)}) as resp:
        assert resp.status == 200
    await settle(fake, lambda: core.events)
    event = core.events[0]
    assert isinstance(event, MemberJoined) and event.actor.display_name == "Dave"
    assert event.actor.timezone == "America/New_York" and event.event_id == "Ev0MENTOR02"


async def test_core_failure_is_a_polite_reply_not_a_trace(fake: FakeSlack, wired) -> None:
    core, url, session = wired
    core.fail = True
    body = slash_command("help", user_id="U0ALICE", channel_id="C0MENTOR", response_url=fake.response_url())
    async with session.post(url, data=body, headers={**FORM, **signed_headers(body)}) as resp:
        assert resp.status == 200
        assert "fire" not in await resp.text()
    await settle(fake, lambda: fake.responses)
    assert fake.responses[0]["text"].startswith("Sorry") and "fire" not in json.dumps(fake.responses)
    assert "Traceback" not in json.dumps(fake.responses)
    assert SORRY.split("—")[0].strip() in fake.responses[0]["text"]


async def test_url_verification_challenge_is_answered(fake: FakeSlack, wired) -> None:
    core, url, session = wired
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    )
    async with session.post(url, data=body, headers={**JSON, **signed_headers(body)}) as resp:
        assert resp.status == 200
        assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in await resp.text()
    assert core.events == []


async def test_moderator_user_group_grants_rights(fake: FakeSlack) -> None:
    core = StubCore()
    fake.usergroups["S0MODS"] = {"U0ALICE"}
    settings = SlackSettings(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url, moderator_group="S0MODS"
    )
    adapter = SlackAdapter(core.handle, settings, client=make_web_client(BOT_TOKEN, base_url=fake.api_url))
    client = make_web_client(BOT_TOKEN, base_url=fake.api_url)
    alice = await adapter.actors.actor(client, "T0MENTOR", "U0ALICE")
    bob = await adapter.actors.actor(client, "T0MENTOR", "U0BOB")
    assert alice.platform_moderator and not bob.platform_moderator
    assert len(fake.calls_to("usergroups.users.list")) == 1  # cached for both lookups
