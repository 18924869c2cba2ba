"""Mentoring circles through Slack: the real Bolt app (signed requests) and SlackMessenger against
the local fake Slack.

A moderator starts a circle; the bot creates one private channel (conversations.create with
is_private), invites the mentor and the mentees (conversations.invite) and introduces them there,
with member text escaped. Later messages of the circle go to the same channel, and nobody else
is in it. Without the groups:write scope the moderators get a plain notice to reinstall.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.clock import ManualClock
from bot.core.events import Actor, CommunityRef
from bot.core.settings import Settings
from tests.fakes.slack import BOT_USER_ID, TEAM_ID, FakeSlack
from tests.support.community import seed_profile
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text

PROGRAM = "C0PROGRAM"
MODS = "C0MODS"
PEOPLE = (("U0DANA", "Dana", "mentor"), ("U0ANN", "Ann", "mentee"), ("U0BEN", "Ben", "mentee"))
CREATE = 'circle create <@U0DANA|dana> <@U0ANN|ann> <@U0BEN|ben> --topic "Data science <!channel>"'


@pytest.fixture
async def stack(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackStack]:
    settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db", data_dir=str(tmp_path / "data"))
    fake.add_channel(PROGRAM, "program")
    fake.add_channel(MODS, "moderators")
    for user_id, name, _ in PEOPLE:
        fake.add_user(user_id, name)
    s = await SlackStack.start(fake, settings, ManualClock(START))
    community = CommunityRef("slack", TEAM_ID, "mentor-community")
    for user_id, name, role in PEOPLE:
        topics = {"topics_offered": ["python"]} if role == "mentor" else {"topics_wanted": ["python"]}
        await seed_profile(s.bot, community, Actor(user_id, name), role, s.clock.now(), **topics)
    yield s
    await s.stop()


def _button(message: dict, label: str) -> str:
    return next(
        e["action_id"]
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("text", {}).get("text") == label
    )


def circle_channels(fake: FakeSlack) -> list:
    return [c for c in fake.channels.values() if c.is_private and c.name.startswith("mentorbot-circle-")]


async def test_a_circle_gets_one_private_channel_with_its_members(stack: SlackStack, fake: FakeSlack) -> None:
    reply = await stack.command("U0CAROL", CREATE, PROGRAM)
    assert "Circle #1 started" in body_text(reply)
    await stack.deliver()

    [space] = circle_channels(fake)
    assert space.name == "mentorbot-circle-1" and space.id.startswith("G")
    assert space.members == {BOT_USER_ID, "U0DANA", "U0ANN", "U0BEN"}  # nobody else
    [create] = fake.calls_to("conversations.create")
    assert str(create.args["is_private"]).lower() in ("1", "true")
    [invite] = fake.calls_to("conversations.invite")
    assert set(invite.args["users"].split(",")) == {"U0DANA", "U0ANN", "U0BEN"}
    [intro] = space.messages
    shown = body_text(intro)
    assert "Mentoring circle #1" in shown and "<@U0ANN>" in shown and "<@U0BEN>" in shown
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown  # the topic is member text: escaped

    # The board goes to the same channel: found again, not created twice, nobody re-invited.
    answer = await stack.command("U0ANN", 'circle goal "Ship one analysis each"', PROGRAM)
    assert "Goal 1 is on circle #1's board" in body_text(answer)
    await stack.deliver()
    assert len(fake.calls_to("conversations.create")) == 1 and len(circle_channels(fake)) == 1
    assert any("Ship one analysis each" in body_text(m) for m in space.messages)
    assert [c for c in fake.calls if not c.ok] == []


async def test_a_taken_name_moves_on_to_the_next(stack: SlackStack, fake: FakeSlack) -> None:
    fake.add_channel("C0TAKEN", "mentorbot-circle-1")
    await stack.command("U0CAROL", CREATE, PROGRAM)
    await stack.deliver()
    [space] = circle_channels(fake)
    assert space.name == "mentorbot-circle-1-2" and space.is_private
    assert fake.channels["C0TAKEN"].messages == []


async def test_without_groups_write_the_moderators_are_told_to_reinstall(stack: SlackStack, fake: FakeSlack) -> None:
    await stack.command("U0CAROL", "modchannel", MODS)
    fake.fail("conversations.create", "missing_scope", times=20)
    reply = await stack.command("U0CAROL", CREATE, PROGRAM)
    assert "Circle #1 started" in body_text(reply)
    await stack.deliver()
    assert circle_channels(fake) == []
    notices = [body_text(m) for m in fake.messages(MODS) if "Delivery problem" in body_text(m)]
    assert len(notices) == 1
    assert "groups:write" in notices[0] and "reinstall" in notices[0].lower()
    assert "U0ANN" not in notices[0]  # the notice names the circle's space, not its members' ids


async def test_forget_me_takes_the_member_out_of_the_channel(stack: SlackStack, fake: FakeSlack) -> None:
    await stack.command("U0CAROL", CREATE, PROGRAM)
    await stack.deliver()
    [space] = circle_channels(fake)
    reply = await stack.command("U0ANN", "forget-me", PROGRAM)
    await stack.click("U0ANN", _button(reply, "Yes, delete my data"), "0", PROGRAM)
    await stack.deliver()
    assert space.members == {BOT_USER_ID, "U0DANA", "U0BEN"}
    [kick] = fake.calls_to("conversations.kick")
    assert kick.ok and kick.args["user"] == "U0ANN" and kick.args["channel"] == space.id
    # The next circle message does not bring them back.
    await stack.command("U0BEN", 'circle goal "Ben writes tests"', PROGRAM)
    await stack.deliver()
    assert "U0ANN" not in space.members


async def test_after_a_restart_the_same_channel_is_used(fake: FakeSlack, tmp_path: Path) -> None:
    """The channel id is stored the moment Slack returns it: a new process finds it, never creates another."""
    settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db", data_dir=str(tmp_path / "data"))
    fake.add_channel(PROGRAM, "program")
    for user_id, name, _ in PEOPLE:
        fake.add_user(user_id, name)
    first = await SlackStack.start(fake, settings, ManualClock(START))
    community = CommunityRef("slack", TEAM_ID, "mentor-community")
    for user_id, name, role in PEOPLE:
        topics = {"topics_offered": ["python"]} if role == "mentor" else {"topics_wanted": ["python"]}
        await seed_profile(first.bot, community, Actor(user_id, name), role, first.clock.now(), **topics)
    await first.command("U0CAROL", CREATE, PROGRAM)
    await first.deliver()
    await first.stop()

    second = await SlackStack.start(fake, settings, ManualClock(START))
    try:
        await second.command("U0BEN", 'circle goal "Ben writes tests"', PROGRAM)
        await second.deliver()
    finally:
        await second.stop()
    [space] = circle_channels(fake)
    assert len(fake.calls_to("conversations.create")) == 1
    assert any("Ben writes tests" in body_text(m) for m in space.messages)


async def test_the_circle_books_a_time_in_its_channel(stack: SlackStack, fake: FakeSlack) -> None:
    await stack.command("U0CAROL", CREATE, PROGRAM)
    await stack.deliver()
    [space] = circle_channels(fake)
    reply = await stack.command("U0DANA", "circle schedule --event", PROGRAM)
    assert "Three times are in circle #1's space" in body_text(reply)
    await stack.deliver()
    [offer] = [m for m in space.messages if "Find a time for the circle" in body_text(m)]
    for user_id in ("U0DANA", "U0ANN"):
        answer = await stack.click(user_id, _button(offer, "Slot 1"), offer["ts"], space.id)
        assert "still to answer" in body_text(answer)
    answer = await stack.click("U0BEN", _button(offer, "Slot 1"), offer["ts"], space.id)
    assert "Everyone can make it — booked." in body_text(answer)
    await stack.deliver()
    assert any("Booked" in body_text(m) and "the circle meets" in body_text(m) for m in space.messages)
    for user_id in ("U0DANA", "U0ANN", "U0BEN"):
        im = fake.im_with(user_id)
        assert im is not None and [u for u in fake.uploads.values() if u["channels"] == [im.id]]
    # Slack has no server events: the --event row is skipped quietly, with no delivery problem.
    assert [c for c in fake.calls if not c.ok] == []
