"""What a stranger (no signing secret) and a malformed-but-signed request get from the
real Bolt app over HTTP: 401 / 400, a one-line warning, never a 500 or a traceback; and
at LOG_LEVEL=DEBUG a whole intake leaves no member text in the log."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import AsyncIterator

import pytest

from adapters.cli import configure_logging
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from tests.fakes.slack import FakeSlack, signed_headers
from tests.support.db import START
from tests.support.slack_harness import FORM, JSON, SlackStack, settle
from tests.support.slack_payloads import dm_event, slash_command


@pytest.fixture
async def stack(fake: FakeSlack, settings: Settings) -> AsyncIterator[SlackStack]:
    s = await SlackStack.start(fake, settings, ManualClock(START))
    yield s
    await s.stop()


async def post_raw(stack: SlackStack, body: str, headers: dict[str, str]) -> int:
    async with stack.session.post(stack.url, data=body, headers=headers) as resp:
        return resp.status


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "１２３", "X-Slack-Signature": "v0=00"},  # full-width digits: int() accepts them
        {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"},
        {"X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": str(int(time.time()))},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=forged"},
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 3600), "X-Slack-Signature": "v0=00"},
    ],
)
async def test_unsigned_or_oddly_signed_requests_get_401_without_a_traceback(
    stack: SlackStack, fake: FakeSlack, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)
    body = slash_command('poll "x"', user_id="U0BOB", channel_id="C0MENTOR", response_url=fake.response_url("r"))
    for content in (FORM, JSON):
        assert await post_raw(stack, body if content is FORM else "{not json", {**content, **headers}) == 401
    no_traceback(caplog)


async def test_a_replayed_signature_from_another_time_is_refused(stack: SlackStack, fake: FakeSlack) -> None:
    body = slash_command("help", user_id="U0BOB", channel_id="C0MENTOR", response_url=fake.response_url("r"))
    old = signed_headers(body, timestamp=int(time.time()) - 3600)
    assert await post_raw(stack, body, {**FORM, **old}) == 401


@pytest.mark.parametrize(
    ("body", "content"),
    [
        ('{"type": "event_callback", "event": ', JSON),
        ("[1, 2, 3]", JSON),
        ('[{"type": "event_callback"}]', FORM),
        ("payload=%7Bnot+json", FORM),
        ("payload=%5B%5D", FORM),  # payload=[]
    ],
)
async def test_signed_but_malformed_bodies_get_400(
    stack: SlackStack, caplog: pytest.LogCaptureFixture, body: str, content: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)
    status, _ = await stack.post(body, content)
    assert status == 400
    no_traceback(caplog)


async def test_a_signed_well_formed_request_still_works(stack: SlackStack) -> None:
    reply = await stack.command("U0BOB", "help")
    assert "/mentor" in reply["text"]


async def test_at_debug_level_no_member_text_reaches_the_log(
    fake: FakeSlack, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # As in `mentorbot run` with LOG_LEVEL=DEBUG: logging is set up before the database
    # engine and the Slack clients exist (SQLAlchemy decides what to log when it connects).
    terminal = io.StringIO()
    handler = configure_logging("DEBUG", terminal)
    try:
        stack = await SlackStack.start(fake, settings, ManualClock(START))
        try:
            await converse(stack, fake)
        finally:
            await stack.stop()
    finally:
        logging.getLogger().removeHandler(handler)
    log = terminal.getvalue()
    assert " DEBUG adapters." in log or " DEBUG bot." in log, "nothing of ours was logged at DEBUG"
    for text in SECRETS:
        assert text not in log


SECRETS = ("Zanzibar-quokka-7731", "Ship-my-first-PR-4419", "Would-you-join-9907")


async def converse(stack: SlackStack, fake: FakeSlack) -> None:
    """A moderator's poll (its question is echoed to the channel), then /mentor join and typed answers."""
    await stack.command("U0CAROL", f'poll "{SECRETS[2]}?" --closes 3d')
    await stack.deliver()
    assert SECRETS[2] in str(fake.calls_to("chat.postMessage", ok=True)[-1].args)
    await stack.command("U0BOB", "join")
    await stack.deliver()
    im = fake.im_with("U0BOB")
    assert im is not None
    question = im.messages[-1]
    answers = [("click", "Mentee"), ("select", "Python"), ("say", SECRETS[0]), ("say", SECRETS[1]), ("say", "5")]
    for n, (how, value) in enumerate(answers):
        if how == "click":
            ids = {
                e["text"]["text"]: e["action_id"]
                for b in question["blocks"]
                if b["type"] == "actions"
                for e in b["elements"]
                if e["type"] == "button"
            }
            question = await stack.click_in_dm("U0BOB", ids[value], question["ts"])
        elif how == "select":
            (select,) = [
                e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"] if "select" in e["type"]
            ]
            question = await stack.select_in_dm("U0BOB", select["action_id"], [value], question["ts"])
        else:
            before = len(stack.dm_replies("U0BOB"))
            status, _ = await stack.post(dm_event(value, user_id="U0BOB", channel_id=im.id, event_id=f"EvLOG{n}"), JSON)
            assert status == 200
            await settle(lambda before=before: len(stack.dm_replies("U0BOB")) > before)
            question = stack.dm_replies("U0BOB")[-1]
    assert "Which timezone are you in?" in question["text"]  # the goal was taken as an answer
