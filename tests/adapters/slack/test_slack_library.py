"""The resource library through Slack: `/mentor resources` finds a guide and sends it by
DM; a list of matches has "Read" buttons; every guide fits one Block Kit message."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.clock import ManualClock
from bot.core.program import default_program
from bot.core.settings import Settings
from tests.fakes.slack import FakeSlack
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text, settle


@pytest.fixture
async def stack(fake: FakeSlack, settings: Settings) -> AsyncIterator[SlackStack]:
    s = await SlackStack.start(fake, settings, ManualClock(START))
    yield s
    await s.stop()


def dm_guides(fake: FakeSlack, user_id: str) -> list[str]:
    """What the outbox posted in the member's DM, as text."""
    return [body_text(m) for m in fake._open_im(user_id).messages if "metadata" in m]


async def test_a_guide_by_topic_alias_arrives_by_dm(stack: SlackStack, fake: FakeSlack) -> None:
    reply = await stack.command("U0BOB", "resources golang")
    assert "sent you “Starting out in Go” in a DM" in body_text(reply)
    await stack.deliver()
    await settle(lambda: any("Starting out in Go" in t for t in dm_guides(fake, "U0BOB")))
    assert any("table-driven tests" in t for t in dm_guides(fake, "U0BOB"))


async def test_several_matches_offer_read_buttons(stack: SlackStack, fake: FakeSlack) -> None:
    reply = await stack.command("U0BOB", "resources starting out in ja")
    ids = {e["text"]["text"]: e["action_id"] for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert ids["Read: Starting out in JavaScript"] == "mentor:res:topic-javascript:read"
    answer = await stack.click("U0BOB", ids["Read: Starting out in JavaScript"], "1.0")
    assert "sent you “Starting out in JavaScript” in a DM" in body_text(answer)
    await stack.deliver()
    await settle(lambda: any("async/await" in t for t in dm_guides(fake, "U0BOB")))


async def test_every_guide_is_sent_within_block_kit_limits(stack: SlackStack, fake: FakeSlack) -> None:
    for resource in default_program().resources:
        reply = await stack.command("U0BOB", f"resources {resource.key}")
        assert "in a DM" in body_text(reply)
    await stack.deliver()
    # The fake refuses what Slack would refuse, so every guide arriving means every guide fits.
    await settle(lambda: len(dm_guides(fake, "U0BOB")) == len(default_program().resources))
