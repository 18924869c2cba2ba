"""SlackMessenger against the local fake Slack: posts, updates, pins, DMs, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.slack.messenger import METADATA_EVENT_TYPE, SlackMessenger
from bot.core.messages import Button, Divider, Image, Mention, UserText, message, text
from bot.core.ports import (
    Delivered,
    Delivery,
    Destination,
    Operation,
    PermanentFailure,
    RetryLater,
)
from tests.fakes.slack import BOT_TOKEN, FakeSlack

TEAM = "T0MENTOR"


def post(dest: Destination, msg=None, key: str = "k1", attempt: int = 0) -> Delivery:
    return Delivery(TEAM, Operation.POST, dest, msg or message("Hello mentors"), key, attempt=attempt)


async def test_post_update_pin_unpin_in_channel(fake: FakeSlack, messenger: SlackMessenger) -> None:
    poll = message("Do we want a mentorship program?", Button("Yes", "mentor:poll:1:vote:0"))
    result = await messenger.deliver(post(Destination.channel("C0MENTOR"), poll, "poll-1"))
    assert isinstance(result, Delivered) and result.message_ref
    channel, ts = result.message_ref.split(":")
    assert channel == "C0MENTOR"
    stored = fake.messages("C0MENTOR")[0]
    assert stored["ts"] == ts
    assert stored["metadata"] == {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"idempotency_key": "poll-1"},
    }
    assert stored["blocks"][1]["elements"][0]["action_id"] == "mentor:poll:1:vote:0"

    pin = Delivery(TEAM, Operation.PIN, Destination.channel("C0MENTOR"), None, "pin-1", result.message_ref)
    assert await messenger.deliver(pin) == Delivered(result.message_ref)
    assert [m["ts"] for m in fake.pinned("C0MENTOR")] == [ts]
    assert await messenger.deliver(pin) == Delivered(result.message_ref)  # already_pinned is fine

    updated = message("Do we want a mentorship program? (3 votes)")
    upd = Delivery(TEAM, Operation.UPDATE, Destination.channel("C0MENTOR"), updated, "upd-1", result.message_ref)
    assert await messenger.deliver(upd) == Delivered(result.message_ref)
    assert "3 votes" in fake.messages("C0MENTOR")[0]["text"]
    assert len(fake.messages("C0MENTOR")) == 1

    unpin = Delivery(TEAM, Operation.UNPIN, Destination.channel("C0MENTOR"), None, "unpin-1", result.message_ref)
    assert await messenger.deliver(unpin) == Delivered(result.message_ref)
    assert fake.pinned("C0MENTOR") == []


async def test_dm_and_group_dm_open_conversations(fake: FakeSlack, messenger: SlackMessenger) -> None:
    dm = await messenger.deliver(post(Destination.dm("U0ALICE"), key="dm-1"))
    assert isinstance(dm, Delivered)
    im = fake.im_with("U0ALICE")
    assert im is not None and dm.message_ref.startswith(im.id + ":")
    group = await messenger.deliver(
        post(Destination.group_dm(["U0ALICE", "U0BOB"]), message("Meet ", Mention("U0BOB")), "intro-1")
    )
    assert isinstance(group, Delivered)
    gid = group.message_ref.split(":")[0]
    assert fake.channels[gid].is_mpim and fake.channels[gid].members == {"U0BOT", "U0ALICE", "U0BOB"}
    # A second DM to the same member reuses the opened conversation.
    await messenger.deliver(post(Destination.dm("U0ALICE"), key="dm-2"))
    assert len(fake.calls_to("conversations.open")) == 2


async def test_ephemeral_reply(fake: FakeSlack, messenger: SlackMessenger) -> None:
    result = await messenger.deliver(post(Destination.ephemeral("C0MENTOR", "U0BOB"), key="eph-1"))
    assert result == Delivered(None)
    assert fake.ephemerals[0]["to_user"] == "U0BOB"


async def test_archived_channel_is_permanent(fake: FakeSlack, messenger: SlackMessenger) -> None:
    fake.archive("C0MENTOR")
    result = await messenger.deliver(post(Destination.channel("C0MENTOR")))
    assert isinstance(result, PermanentFailure) and result.code == "is_archived"
    assert "archived" in result.detail and result.unreachable_user_id is None


async def test_bot_not_in_channel_is_permanent_with_advice(fake: FakeSlack, messenger: SlackMessenger) -> None:
    fake.add_channel("C0OTHER", "random", bot_member=False)
    result = await messenger.deliver(post(Destination.channel("C0OTHER")))
    assert isinstance(result, PermanentFailure) and result.code == "not_in_channel"
    assert "/invite" in result.detail and "#random" in result.detail


async def test_closed_dm_marks_member_unreachable(fake: FakeSlack, messenger: SlackMessenger) -> None:
    result = await messenger.deliver(post(Destination.dm("U0GONE")))
    assert isinstance(result, PermanentFailure)
    assert result.code == "user_disabled" and result.unreachable_user_id == "U0GONE"
    bot = await messenger.deliver(post(Destination.dm("U0BOT")))
    assert isinstance(bot, PermanentFailure) and bot.code == "cannot_dm_bot"
    fake.fail("chat.postMessage", "messages_tab_disabled")
    closed = await messenger.deliver(post(Destination.dm("U0BOB")))
    assert isinstance(closed, PermanentFailure) and closed.unreachable_user_id == "U0BOB"


async def test_revoked_token_is_permanent(fake: FakeSlack, messenger: SlackMessenger) -> None:
    fake.revoke(BOT_TOKEN)
    result = await messenger.deliver(post(Destination.channel("C0MENTOR")))
    assert isinstance(result, PermanentFailure) and result.code == "token_revoked"


async def test_short_429_is_retried_in_place_honouring_retry_after(fake: FakeSlack, messenger: SlackMessenger) -> None:
    fake.rate_limit("chat.postMessage", retry_after=0, times=1)
    result = await messenger.deliver(post(Destination.channel("C0MENTOR")))
    assert isinstance(result, Delivered)
    attempts = fake.calls_to("chat.postMessage")
    assert [c.ok for c in attempts] == [False, True]
    assert len(fake.messages("C0MENTOR")) == 1


async def test_long_429_becomes_retry_later(fake: FakeSlack, messenger: SlackMessenger) -> None:
    fake.rate_limit("chat.postMessage", retry_after=120, times=1)
    result = await messenger.deliver(post(Destination.channel("C0MENTOR")))
    assert result == RetryLater(120.0, "rate limited")
    assert fake.messages("C0MENTOR") == []


async def test_server_error_becomes_retry_later(fake: FakeSlack, messenger: SlackMessenger) -> None:
    fake.http_error("chat.postMessage", 503, times=2)
    result = await messenger.deliver(post(Destination.channel("C0MENTOR")))
    assert isinstance(result, RetryLater)


async def test_resend_finds_the_earlier_post_by_metadata(fake: FakeSlack, messenger: SlackMessenger) -> None:
    first = await messenger.deliver(post(Destination.channel("C0MENTOR"), key="poll-9"))
    # The process "crashed" before recording `first`; the outbox tries again.
    again = await messenger.deliver(post(Destination.channel("C0MENTOR"), key="poll-9", attempt=1))
    assert again == first
    assert len(fake.messages("C0MENTOR")) == 1
    other = await messenger.deliver(post(Destination.channel("C0MENTOR"), key="poll-10", attempt=1))
    assert isinstance(other, Delivered) and other != first
    assert len(fake.messages("C0MENTOR")) == 2


async def test_image_is_uploaded_with_files_v2(fake: FakeSlack, messenger: SlackMessenger, tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG fake chart bytes")
    msg = message("Skills balance", Image(str(chart), "Mentors vs mentees per skill"), Divider())
    result = await messenger.deliver(post(Destination.channel("C0MENTOR"), msg, "stats-1"))
    assert isinstance(result, Delivered)
    assert [c.method for c in fake.calls][-3:] == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    upload = next(iter(fake.uploads.values()))
    assert upload["data"] == chart.read_bytes() and upload["channels"] == ["C0MENTOR"]
    assert upload["alt_txt"] == "Mentors vs mentees per skill"


async def test_huge_message_is_accepted_by_slack_limits(fake: FakeSlack, messenger: SlackMessenger) -> None:
    parts = [text(UserText("<!channel> " * 400)) for _ in range(30)]
    parts += [Button(f"Option {i} " + "x" * 100, f"mentor:poll:1:vote:{i}") for i in range(60)]
    result = await messenger.deliver(post(Destination.channel("C0MENTOR"), message(*parts)))
    assert isinstance(result, Delivered)
    assert "<!channel>" not in str(fake.messages("C0MENTOR")[0])


async def test_posts_are_paced_per_channel(fake: FakeSlack) -> None:
    from adapters.slack.messenger import make_web_client

    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    paced = SlackMessenger(
        make_web_client(BOT_TOKEN, base_url=fake.api_url), pace_seconds=1.0, monotonic=lambda: now[0], sleep=sleep
    )
    await paced.deliver(post(Destination.channel("C0MENTOR"), key="a"))
    await paced.deliver(post(Destination.dm("U0ALICE"), key="b"))  # another channel: no wait
    assert slept == []
    now[0] += 0.25
    await paced.deliver(post(Destination.channel("C0MENTOR"), key="c"))
    assert slept == [pytest.approx(0.75)]
