"""Every `/mentor` command through the real Bolt app and the fake Slack: each gets an
ephemeral answer that is not the internal-error apology, every reply and every message
it causes is accepted by Slack (the fake refuses what Slack would), and nothing fails."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.bootstrap import build_router
from bot.core.clock import ManualClock
from bot.core.events import Actor, CommunityRef
from bot.core.settings import Settings
from tests.fakes.slack import TEAM_ID, FakeSlack
from tests.support.command_tour import APOLOGY_WORDS, TOUR, commands_not_toured
from tests.support.community import seed_profile
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text

USERS = {"mod": "U0CAROL", "ann": "U0ANN", "newbie": "U0NEWBIE"}


@pytest.fixture
async def stack(fake: FakeSlack, settings: Settings) -> AsyncIterator[SlackStack]:
    for user_id, name in (
        ("U0MARIA", "Maria"),
        ("U0OMAR", "Omar"),
        ("U0ANN", "Ann"),
        ("U0BEN", "Ben"),
        ("U0CYD", "Cyd"),
        ("U0NEWBIE", "Newbie"),
    ):
        fake.add_user(user_id, name)
        if user_id != "U0NEWBIE":
            fake.channels["C0MENTOR"].members.add(user_id)
    s = await SlackStack.start(fake, settings, ManualClock(START))
    yield s
    await s.stop()


@pytest.mark.slow
async def test_every_command_answers_through_slack(stack: SlackStack, fake: FakeSlack) -> None:
    assert commands_not_toured(list(build_router().commands)) == set()
    community = CommunityRef("slack", TEAM_ID, "mentor-community")
    now = stack.clock.now()
    for user_id, name, role, topic in (
        ("U0MARIA", "Maria", "mentor", "Python"),
        ("U0OMAR", "Omar", "mentor", "Go"),
        ("U0ANN", "Ann", "mentee", "Python"),
        ("U0BEN", "Ben", "mentee", "Go"),
        ("U0CYD", "Cyd", "mentee", "Rust"),  # no mentor offers it: still waiting when the circle is created
    ):
        topics = {"topics_offered": [topic]} if role == "mentor" else {"topics_wanted": [topic]}
        await seed_profile(stack.bot, community, Actor(user_id, name), role, now, **topics)

    answers: dict[tuple[str, str], str] = {}
    for who, line in TOUR:
        reply = await stack.command(USERS[who], line)
        shown = answers[(who, line)] = body_text(reply)
        assert reply["response_type"] == "ephemeral", line
        assert shown.strip() and not any(w in shown.lower() for w in APOLOGY_WORDS), (line, shown)
        await stack.deliver()
    assert "Round #" in answers[("mod", "match approve")] and "approved" in answers[("mod", "match approve")]
    assert "Only moderators can use /mentor match" in answers[("ann", "match")]
    assert "I don't know the command" in answers[("ann", "nonsense")]
    failed = [c for c in fake.calls if not c.ok]
    assert failed == [], failed
    assert fake.response_rejections == []
    # The announcement and the poll reached the channel; the introductions their group DMs.
    assert any("Mentors wanted" in m["text"] for m in fake.messages("C0MENTOR"))
    assert sum(1 for c in fake.channels.values() if c.is_mpim) == 2
