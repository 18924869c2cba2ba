"""Slack feels native: the dashboard chart lands in the moderator's DM as a file
(files upload v2: getUploadURLExternal → upload → completeUploadExternal with the DM
channel), and closed doors are respected (a deactivated member is tried once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from adapters.slack.messenger import SlackMessenger, make_web_client
from bot.core.clock import ManualClock
from bot.core.events import CommunityRef
from bot.core.ports import Delivered, Destination
from bot.core.settings import Settings
from tests.fakes.slack import BOT_TOKEN, FakeSlack
from tests.support.closed_doors import Platform, closed_doors_scenario, open_for, partner_scenario
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text, settle

PNG = b"\x89PNG\r\n\x1a\n"
MODS = "C0MODS"


async def test_stats_answers_privately_and_the_chart_arrives_in_the_moderators_dm(
    fake: FakeSlack, tmp_path: Path
) -> None:
    settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/m.db", data_dir=str(tmp_path / "data"))
    stack = await SlackStack.start(fake, settings, ManualClock(START))
    try:
        reply = await stack.command("U0CAROL", "stats")
        assert reply.get("response_type") == "ephemeral"
        assert "Mentorship program dashboard" in body_text(reply) and "on its way to your DMs" in body_text(reply)
        assert "files" not in reply
        await stack.deliver()
        await settle(lambda: any(u["channels"] for u in fake.uploads.values()))
        im = fake.im_with("U0CAROL")
        assert im is not None
        [upload] = list(fake.uploads.values())
        assert upload["name"] == "mentorship-dashboard.png" and upload["channels"] == [im.id]
        assert upload["data"][:8] == PNG and len(upload["data"]) == upload["length"] > 20_000
        assert "sign-ups per week" in (upload["alt_txt"] or "")
        order = [c.method for c in fake.calls if c.method.startswith("files.")]
        assert order == ["files.getUploadURLExternal", "files.completeUploadExternal"]
        assert fake.calls_to("files.completeUploadExternal")[0].args["channel_id"] == im.id
        shared = [m for m in fake.messages(im.id) if m.get("subtype") == "file_share"]
        assert len(shared) == 1 and shared[0]["files"][0]["name"] == "mentorship-dashboard.png"
        chart = next((tmp_path / "data" / "charts").glob("*.png"))
        assert chart.read_bytes() == upload["data"]
    finally:
        await stack.stop()


def _platform(fake: FakeSlack) -> Platform:
    messenger = SlackMessenger(make_web_client(BOT_TOKEN, base_url=fake.api_url), pace_seconds=0.0)

    def calls_for(user_id: str) -> int:
        opened = [c for c in fake.calls_to("conversations.open") if c.args.get("users") == user_id]
        im = fake.im_with(user_id)
        posted = [c for c in fake.calls_to("chat.postMessage") if im is not None and c.args.get("channel") == im.id]
        return len(opened) + len(posted)

    def set_deleted(deleted: bool) -> Callable[[str], None]:
        return lambda user_id: fake.users[user_id].update(deleted=deleted)

    return Platform(
        CommunityRef("slack", fake.team_id), MODS, messenger, set_deleted(True), set_deleted(False), calls_for
    )


async def test_a_deactivated_member_is_tried_once_and_moderators_told_once(fake: FakeSlack, tmp_path: Path) -> None:
    fake.add_channel(MODS, "moderators")
    platform = _platform(fake)
    bot: Any = await open_for(tmp_path, platform.ref, MODS)
    try:
        await closed_doors_scenario(bot, platform, "U0BOB", "Bob Mentee")
    finally:
        await bot.close()
    assert len(fake.messages(MODS)) == 1
    assert [m["text"] for m in fake.messages(fake.im_with("U0BOB").id)] == ["Message dm-2", "Message dm-3"]  # type: ignore[union-attr]


async def test_an_introduction_that_misses_one_member_tells_the_other(fake: FakeSlack, tmp_path: Path) -> None:
    """Slack refuses the group DM without naming the member: the messenger finds out who."""
    fake.add_channel(MODS, "moderators")
    platform = _platform(fake)
    bot: Any = await open_for(tmp_path, platform.ref, MODS)
    try:
        await partner_scenario(bot, platform, ("U0BOB", "Bob Mentee"), ("U0ALICE", "Alice Mentor"))
    finally:
        await bot.close()
    told = fake.messages(fake.im_with("U0ALICE").id)  # type: ignore[union-attr]
    assert len(told) == 1 and "Bob Mentee" in told[0]["text"]
    assert "Bob Mentee" in fake.messages(MODS)[0]["text"]


async def test_a_chart_whose_upload_failed_is_uploaded_on_the_resend_once(
    fake: FakeSlack, messenger: SlackMessenger, tmp_path: Path
) -> None:
    """The text went out, the upload answered 500: the outbox's retry uploads the file, not the text again."""
    from bot.core.messages import Image, message
    from bot.core.ports import Delivery, Operation, RetryLater

    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG + b"chart")
    chart_dm = message("Program dashboard chart", Image(str(chart), "the chart", "mentorship-dashboard.png"))
    first = Delivery(fake.team_id, Operation.POST, Destination.dm("U0CAROL"), chart_dm, "mb7")
    fake.http_error("files.getUploadURLExternal", 500, times=3)  # beyond slack_sdk's own retries
    assert isinstance(await messenger.deliver(first), RetryLater)
    again = await messenger.deliver(replace(first, attempt=1))
    im = fake.im_with("U0CAROL")
    assert im is not None and isinstance(again, Delivered)
    texts = [m for m in fake.messages(im.id) if m.get("subtype") != "file_share"]
    shares = [m for m in fake.messages(im.id) if m.get("subtype") == "file_share"]
    assert len(texts) == 1 and len(shares) == 1
    third = await messenger.deliver(replace(first, attempt=2))  # a crash before recording: nothing new
    assert isinstance(third, Delivered) and len(fake.messages(im.id)) == 2
