"""The community spaces through Slack: the real Bolt app (signed requests) and SlackMessenger
against the local fake Slack.

A member who opts in by button or by typed words is invited with conversations.invite
(channels:manage for a public channel, groups:write for a private one); leaving the program
kicks them (conversations.kick). Without the scope Slack answers missing_scope and the
moderators' channel gets one plain notice to reinstall, however many members it affects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.clock import ManualClock
from bot.core.events import Actor, CommunityRef
from bot.core.program import DEFAULT_PATH
from bot.core.settings import Settings
from tests.fakes.slack import TEAM_ID, FakeSlack
from tests.support.community import seed_profile
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text, buttons

SLACK = CommunityRef("slack", TEAM_ID, "mentor-community")


@pytest.fixture
async def stack(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackStack]:
    program = tmp_path / "program.toml"
    program.write_text(
        DEFAULT_PATH.read_text().replace(
            "[spaces]\n", '[spaces]\nparticipants = "C0PEOPLE"\nmentors = "C0MENTORS"\n', 1
        )
    )
    settings = replace(
        Settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db",
        data_dir=str(tmp_path / "data"),
        program_path=str(program),
    )
    fake.add_channel("C0PEOPLE", "participants", private=True)  # the bot was invited to the private channel
    fake.add_channel("C0MENTORS", "mentors-practice")
    fake.add_channel("C0MODS", "moderators", members=("U0CAROL",))
    for user_id, name in (("U0MARIA", "Maria"), ("U0ANN", "Ann"), ("U0BEN", "Ben")):
        fake.add_user(user_id, name)
    s = await SlackStack.start(fake, settings, ManualClock(START))
    for user_id, role in (("U0MARIA", "mentor"), ("U0ANN", "mentee"), ("U0BEN", "mentee")):
        await seed_profile(s.bot, SLACK, Actor(user_id, fake.users[user_id]["real_name"]), role, s.clock.now())
    await s.command("U0CAROL", "modchannel", channel_id="C0MODS")
    yield s
    await s.stop()


async def test_join_by_button_invites_and_leaving_the_program_kicks(stack: SlackStack, fake: FakeSlack) -> None:
    shown = await stack.command("U0MARIA", "spaces")
    assert "The participants' space" in body_text(shown) and "The mentors' space" in body_text(shown)
    assert list(buttons(shown)) == ["Join participants", "Join mentors"]
    reply = await stack.click("U0MARIA", buttons(shown)["Join mentors"], "1700000000.000100")
    assert "I'm adding you now: the mentors' space." in body_text(reply)
    await stack.deliver()
    [invite] = fake.calls_to("conversations.invite", ok=True)
    assert (invite.args["channel"], invite.args["users"]) == ("C0MENTORS", "U0MARIA")
    assert "U0MARIA" in fake.channels["C0MENTORS"].members
    assert "U0MARIA" not in fake.channels["C0PEOPLE"].members  # only the space she chose
    await stack.command("U0MARIA", "leave")
    await stack.deliver()
    [kick] = fake.calls_to("conversations.kick", ok=True)
    assert (kick.args["channel"], kick.args["user"]) == ("C0MENTORS", "U0MARIA")
    assert "U0MARIA" not in fake.channels["C0MENTORS"].members


async def test_a_member_already_gone_from_the_channel_is_removed_without_a_problem(
    stack: SlackStack, fake: FakeSlack
) -> None:
    await stack.command("U0MARIA", "spaces join mentors")
    await stack.deliver()
    fake.channels["C0MENTORS"].members.discard("U0MARIA")  # she left the channel herself
    await stack.command("U0MARIA", "spaces leave mentors")
    await stack.deliver()
    await stack.deliver()
    [kick] = fake.calls_to("conversations.kick")
    assert kick.error == "not_in_channel"  # what was wanted is done: no retry, no notice
    assert not any("problem" in m["text"] for m in fake.messages("C0MODS"))


async def test_typed_words_join_the_private_space_and_a_member_already_in_is_fine(
    stack: SlackStack, fake: FakeSlack
) -> None:
    fake.channels["C0PEOPLE"].members.add("U0ANN")  # a moderator had added her by hand already
    await stack.command("U0ANN", "spaces")
    status, _ = await stack.dm("U0ANN", "join the participants space", "Ev0JOIN")
    assert status == 200
    await stack.deliver()
    [call] = fake.calls_to("conversations.invite")
    assert call.args["channel"] == "C0PEOPLE" and call.error == "already_in_channel"  # done, not a failure
    assert not any("problem" in m["text"] for m in fake.messages("C0MODS"))
    await stack.command("U0BEN", "spaces")
    await stack.dm("U0BEN", "yes, join", "Ev0JOIN2")  # a mentee has one space: no need to name it
    await stack.deliver()
    assert "U0BEN" in fake.channels["C0PEOPLE"].members


async def test_missing_scope_is_told_to_the_moderators_once(stack: SlackStack, fake: FakeSlack) -> None:
    fake.granted_scopes = [s for s in fake.granted_scopes if s != "groups:write"]  # installed before spaces
    for user_id in ("U0ANN", "U0BEN"):
        await stack.command(user_id, "spaces join participants")
    await stack.deliver()
    await stack.deliver()  # the notice the failures wrote
    failed = fake.calls_to("conversations.invite", ok=False)
    assert [c.error for c in failed] == ["missing_scope", "missing_scope"]
    notices = [m for m in fake.messages("C0MODS") if "Community space problem" in m["text"]]
    assert len(notices) == 1  # one plain sentence for the moderators, not one per member
    text = body_text(notices[0])
    assert "missing_scope" in text and "groups:write" in text and "Reinstall the app" in text
    assert "Ann" not in text and "U0ANN" not in text  # the member is not named
    assert "U0ANN" not in fake.channels["C0PEOPLE"].members
    # After the reinstall, asking again re-sends the add.
    fake.granted_scopes.append("groups:write")
    again = await stack.command("U0ANN", "spaces join participants")
    assert "You're already in" in body_text(again)
    await stack.deliver()
    assert "U0ANN" in fake.channels["C0PEOPLE"].members
