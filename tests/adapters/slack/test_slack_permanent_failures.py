"""Slack: messages that can never be delivered end in a state moderators see.

Closed DMs (a deactivated member, DMs from apps turned off), an archived channel
and a revoked token: after many deliverer passes over many hours the platform was
called once for the failing message, the row is `failed` with Slack's reason, and
the moderators' channel got exactly one notice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.slack.messenger import SlackMessenger, make_web_client
from bot.core.events import CommunityRef
from bot.core.ports import Destination
from tests.fakes.slack import BOT_TOKEN, FakeSlack
from tests.support.permanent import drain_many, open_bot, queue, rows

MODS = "C0MODS"


async def _run(fake: FakeSlack, tmp_path: Path, destination: Destination) -> tuple:
    fake.add_channel(MODS, "moderators")
    bot = await open_bot(tmp_path)
    try:
        await queue(bot, CommunityRef("slack", fake.team_id), MODS, destination)
        messenger = SlackMessenger(make_web_client(BOT_TOKEN, base_url=fake.api_url), pace_seconds=0.0)
        await drain_many(bot, messenger)
        return await rows(bot)
    finally:
        await bot.close()


def _posts_to(fake: FakeSlack, channel: str) -> int:
    return len([c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == channel])


async def test_dm_to_a_deactivated_member(fake: FakeSlack, tmp_path: Path) -> None:
    failing, notices = await _run(fake, tmp_path, Destination.dm("U0GONE"))
    opened = [c for c in fake.calls_to("conversations.open") if c.args.get("users") == "U0GONE"]
    assert len(opened) == 1
    assert failing.status == "failed" and "user_disabled" in (failing.last_error or "")
    assert len(notices) == 1 and notices[0].status == "sent"
    assert len(fake.messages(MODS)) == 1


async def test_dm_with_messages_tab_disabled(fake: FakeSlack, tmp_path: Path) -> None:
    fake.fail("chat.postMessage", "messages_tab_disabled", times=1)  # Slack's answer for that member
    failing, notices = await _run(fake, tmp_path, Destination.dm("U0BOB"))
    im = fake.im_with("U0BOB")
    assert im is not None and _posts_to(fake, im.id) == 1
    assert failing.status == "failed" and "messages_tab_disabled" in (failing.last_error or "")
    assert len(notices) == 1 and len(fake.messages(MODS)) == 1


async def test_archived_channel(fake: FakeSlack, tmp_path: Path) -> None:
    fake.add_channel("C0OLD", "old-cohort")
    fake.archive("C0OLD")
    failing, notices = await _run(fake, tmp_path, Destination.channel("C0OLD"))
    assert _posts_to(fake, "C0OLD") == 1
    assert failing.status == "failed" and "is_archived" in (failing.last_error or "")
    assert len(notices) == 1 and len(fake.messages(MODS)) == 1
    assert "archived" in fake.messages(MODS)[0]["text"]


async def test_revoked_token(fake: FakeSlack, tmp_path: Path) -> None:
    fake.revoke(BOT_TOKEN)
    failing, notices = await _run(fake, tmp_path, Destination.channel("C0MENTOR"))
    assert _posts_to(fake, "C0MENTOR") == 1
    assert failing.status == "failed" and "token_revoked" in (failing.last_error or "")
    # The notice cannot reach Slack either (same token): it is tried once, then stays
    # failed for the dashboard — a notice about a notice would loop.
    assert len(notices) == 1 and notices[0].status == "failed"
    assert _posts_to(fake, MODS) == 1


@pytest.mark.parametrize("passes", [1, 40])
async def test_call_count_does_not_grow_with_passes(fake: FakeSlack, tmp_path: Path, passes: int) -> None:
    from tests.support import permanent

    fake.add_channel("C0OLD", "old-cohort")
    fake.archive("C0OLD")
    fake.add_channel(MODS, "moderators")
    bot = await open_bot(tmp_path)
    try:
        await queue(bot, CommunityRef("slack", fake.team_id), MODS, Destination.channel("C0OLD"))
        messenger = SlackMessenger(make_web_client(BOT_TOKEN, base_url=fake.api_url), pace_seconds=0.0)
        await permanent.drain_many(bot, messenger, passes)
    finally:
        await bot.close()
    assert _posts_to(fake, "C0OLD") == 1
    assert _posts_to(fake, MODS) == 1
