"""Property-based tests of the Slack translation: payload in → neutral event out.

The adapter's listeners (`SlackAdapter.on_command`, `on_action`, `on_message`,
`on_view`) are called directly with Slack-shaped bodies — the profile's generated inputs (10k in CI)
each, far too many for HTTP round trips — with a stub Web API client that answers
users.info with a generated display name. Properties: the listener acks once,
produces exactly one event carrying the member's text as typed (Slack escapes
`&`, `<`, `>` on the wire; the adapter unescapes) or a clean refusal, and the
private reply that echoes the member's text renders with no live mention.

A few hundred full round trips (signed HTTP → Bolt → core → response_url) through
the local fake Slack check the same with the real core in
`test_generated_commands_round_trip`.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import SORRY, SlackAdapter
from adapters.slack.render import escape
from adapters.slack.settings import SlackSettings
from bot.bootstrap import build_router
from bot.core.clock import ManualClock
from bot.core.events import ComponentAction, DirectText, Event, FormSubmission, SlashCommand
from bot.core.messages import Message, UserText, message, text
from bot.core.settings import Settings
from bot.features.polls.form import POLL_FORM
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.support.db import START
from tests.support.slack_harness import SlackStack

HOSTILE = ["@everyone", "@here", "<!channel>", "<!here>", "<@U0CAROL>", "<@&123>", "<#C1|x>", "&amp;", "&lt;"]
_ALPHABET = st.sampled_from(
    list("abc xyz 0123456789-:\"'“”«»@#<>&!*_~`|\\/")
    + ["\u202e", "\u200f", "\u200b", "\u200d", "😀", "👩‍👩‍👧", "שלום", "مرحبا", "é", "\n", "\t", "  ", *HOSTILE]
)
member_text = (
    st.lists(_ALPHABET, max_size=30).map("".join)
    | st.text(max_size=80)
    | st.sampled_from(["", " ", "\t\n ", "\u200b", "x" * 5000, "poll", " poll "])
)
MANY = settings(deadline=None, suppress_health_check=list(HealthCheck))  # examples: the profile's (ci: 10,000)
# 10k examples (the ci profile) take 1.5-2 minutes each on the shared 2-core machine: marked slow.
LIVE_SLACK = re.compile(r"<(!|@|#)")


class StubWebClient:
    """Only what the listeners call; users.info answers with the generated name."""

    def __init__(self) -> None:
        self.name = ""
        self.views: list[dict[str, Any]] = []
        self.posted: list[dict[str, Any]] = []

    async def users_info(self, user: str) -> dict[str, Any]:
        return {"user": {"id": user, "name": "member", "profile": {"display_name": self.name}, "tz": "Europe/Berlin"}}

    async def views_open(self, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        self.views.append(view)
        return {"ok": True}

    async def chat_postEphemeral(self, **kwargs: Any) -> dict[str, Any]:
        self.posted.append(kwargs)
        return {"ok": True}

    async def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        self.posted.append(kwargs)
        return {"ok": True}


class Responder:
    response_url = "http://127.0.0.1:9/response/x"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


class Harness:
    """One adapter, reused across examples (a fresh user id each time beats its cache)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.events: list[Event] = []
        self.ids = itertools.count()
        client = AsyncWebClient(token=BOT_TOKEN, base_url="http://127.0.0.1:9/api/")
        self.adapter = SlackAdapter(
            self.handle,
            SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET),
            client=client,
            form_for=build_router().form_for,  # the real table decides which bare command opens a form
        )

    async def handle(self, event: Event) -> list[Message]:
        self.events.append(event)
        said = getattr(event, "text", None) or " ".join(getattr(event, "values", ()) or ())
        return [message(text("You said: ", UserText(said)))]

    def run(self, name: str, call: Any) -> tuple[list[Event], int, Responder, StubWebClient]:
        self.events.clear()
        client = StubWebClient()
        client.name = name
        acks: list[dict[str, Any]] = []
        responder = Responder()

        async def ack(**kwargs: Any) -> None:
            acks.append(kwargs)

        self.loop.run_until_complete(call(ack, client, responder, f"U{next(self.ids):08d}"))
        return list(self.events), len(acks), responder, client


HARNESS: Harness | None = None


def harness() -> Harness:
    global HARNESS
    if HARNESS is None:
        HARNESS = Harness()
    return HARNESS


CONTEXT = {"team_id": "T0MENTOR", "bot_user_id": "U0BOT"}


def assert_reply_is_inert(responder: Responder, client: StubWebClient) -> None:
    for call in responder.calls + client.posted:
        for block in call.get("blocks") or []:
            assert not LIVE_SLACK.search(str(block.get("text", {}).get("text", ""))), block
        assert not LIVE_SLACK.search(call.get("text") or ""), call.get("text")


@pytest.mark.slow
@MANY
@given(member_text, member_text)
def test_slash_command_text_and_name(raw: str, name: str) -> None:
    h = harness()

    async def call(ack: Any, client: Any, respond: Any, user: str) -> None:
        body = {
            "team_id": "T0MENTOR",
            "user_id": user,
            "user_name": "m",
            "channel_id": "C0MENTOR",
            "text": escape(raw),
            "trigger_id": "1.2",
            "command": "/mentor",
        }
        await h.adapter.on_command(ack=ack, body=body, client=client, context=CONTEXT, respond=respond)

    events, acks, responder, client = h.run(name, call)
    assert acks == 1
    if h.adapter.form_for is not None and h.adapter.form_for(raw.strip()) is not None:
        assert client.views and not events  # a bare "/mentor poll" (or "goal set", "edit goals") opens its form
        return
    (event,) = events
    assert isinstance(event, SlashCommand)
    assert event.text == raw.strip()
    assert event.actor.display_name  # never empty: falls back to the user id
    assert_reply_is_inert(responder, client)


@pytest.mark.slow
@MANY
@given(member_text)
def test_dm_text(raw: str) -> None:
    h = harness()

    async def call(ack: Any, client: Any, respond: Any, user: str) -> None:
        event = {"type": "message", "channel_type": "im", "user": user, "channel": "D0001", "text": escape(raw)}
        body = {"team_id": "T0MENTOR", "event_id": "Ev1", "event": event}
        await h.adapter.on_message(body=body, event=event, client=client, context=CONTEXT)

    events, _, responder, client = h.run("Member", call)
    (event,) = events
    assert isinstance(event, DirectText) and event.text == raw
    assert_reply_is_inert(responder, client)


@pytest.mark.slow
@MANY
@given(member_text, st.sampled_from(["button", "static_select", "multi_static_select"]))
def test_block_action_values(value: str, kind: str) -> None:
    h = harness()

    async def call(ack: Any, client: Any, respond: Any, user: str) -> None:
        action: dict[str, Any] = {"type": kind, "action_id": "mentor:poll:1:vote:0", "action_ts": "1.1"}
        if kind == "static_select":
            action["selected_option"] = {"value": value}
        elif kind == "multi_static_select":
            action["selected_options"] = [{"value": value}, {"value": value[::-1]}]
        else:
            action["value"] = value
        body = {
            "team": {"id": "T0MENTOR"},
            "user": {"id": user, "name": "m"},
            "channel": {"id": "C0MENTOR"},
            "container": {"message_ts": "1.000001"},
            "trigger_id": "9.9",
            "actions": [action],
        }
        await h.adapter.on_action(ack=ack, body=body, action=action, client=client, context=CONTEXT, respond=respond)

    events, acks, responder, client = h.run("Member", call)
    assert acks == 1
    (event,) = events
    assert isinstance(event, ComponentAction) and event.component_id == "mentor:poll:1:vote:0"
    expected = {"button": (), "static_select": (value,), "multi_static_select": (value, value[::-1])}[kind]
    assert event.values == expected
    assert_reply_is_inert(responder, client)


@pytest.mark.slow
@MANY
@given(member_text, member_text, member_text, st.booleans())
def test_poll_form_submission(question: str, options: str, closes: str, poll_form: bool) -> None:
    h = harness()
    callback_id = POLL_FORM.id if poll_form else "mentor:intake:1:submit"

    async def call(ack: Any, client: Any, respond: Any, user: str) -> None:
        values = {"question": question, "options": options, "closes": closes}
        view = {
            "id": "V1",
            "callback_id": callback_id,
            "private_metadata": "C0MENTOR",
            "state": {"values": {k: {k: {"type": "plain_text_input", "value": v}} for k, v in values.items()}},
        }
        body = {"team": {"id": "T0MENTOR"}, "user": {"id": user, "name": "m"}, "trigger_id": "3.3", "view": view}
        await h.adapter.on_view(ack=ack, body=body, view=view, client=client, context=CONTEXT)

    events, acks, responder, client = h.run("Member", call)
    assert acks == 1
    # Every form reaches the core as it was typed; the core validates it (tests/test_poll_form.py).
    (event,) = events
    assert isinstance(event, FormSubmission) and event.form_id == callback_id
    assert event.fields["question"] == question and event.channel_id == "C0MENTOR"
    assert_reply_is_inert(responder, client)


ROUND_TRIPS = 200


async def test_generated_commands_round_trip(fake: FakeSlack, sqlite_factory: Any) -> None:
    """Signed slash commands with generated text through Bolt and the real core."""
    from dataclasses import replace

    rng = random.Random(20261122)
    pieces = [
        "poll",
        "polls",
        "goal set",
        "help",
        '"',
        "“",
        "--options",
        "--closes",
        "3d",
        *HOSTILE,
        "\u202e",
        "\u200b",
        "😀",
        "שלום",
        " ",
        "x" * 300,
        "&",
        "<",
        ">",
    ]
    stack = await SlackStack.start(fake, replace(Settings(), database_url=sqlite_factory.url), ManualClock(START))
    try:
        for _ in range(ROUND_TRIPS):
            typed = "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(0, 6)))
            if stack.bot.router.form_for(typed.strip()) is not None:
                continue  # a bare "goal set" opens its form (tests/adapters/slack/test_slack_home.py)
            reply = await stack.command("U0ALICE", escape(typed))
            assert SORRY not in reply.get("text", ""), typed
            assert reply.get("response_type") == "ephemeral"
            for block in reply.get("blocks") or []:
                assert not re.search(r"<!(channel|here|everyone)", str(block)), (typed, block)
    finally:
        await stack.stop()


@pytest.fixture(scope="module", autouse=True)
def _close_loop() -> Any:
    yield
    if HARNESS is not None:
        HARNESS.loop.close()
