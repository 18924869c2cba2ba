"""A whole intake conversation through Slack: `/mentor join`, then buttons, a
multi_static_select and typed answers in the member's DM, then Confirm — and a profile
is stored. Typed text that tries to ping (`<!channel>`, `<@U…>`) is shown escaped.

The real Bolt app in HTTP mode, the real core and SlackMessenger, against the fake Slack.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.clock import ManualClock
from bot.core.settings import Settings
from storage.tables import Member, Profile
from tests.fakes.slack import FakeSlack
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text, buttons, settle


@pytest.fixture
async def stack(fake: FakeSlack, settings: Settings) -> AsyncIterator[SlackStack]:
    s = await SlackStack.start(fake, settings, ManualClock(START))
    yield s
    await s.stop()


def selects(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] in ("static_select", "multi_static_select")
    ]


async def say(stack: SlackStack, user_id: str, text: str, n: list[int]) -> dict[str, Any]:
    """Type an answer in the DM (a message.im event); returns the bot's answer."""
    n[0] += 1
    before = len(stack.dm_replies(user_id))
    status, _ = await stack.dm(user_id, text, f"Ev0INTAKE{n[0]:03d}")
    assert status == 200
    await settle(lambda: len(stack.dm_replies(user_id)) > before)
    return stack.dm_replies(user_id)[-1]


async def click(stack: SlackStack, user_id: str, message: dict[str, Any], label: str) -> dict[str, Any]:
    return await stack.click_in_dm(user_id, buttons(message)[label], message["ts"])


async def test_a_whole_mentee_intake_in_slack(stack: SlackStack, fake: FakeSlack) -> None:
    events = [0]
    started = await stack.command("U0BOB", "join")
    assert "I've sent you a DM" in started["text"]
    await stack.deliver()
    im = fake.im_with("U0BOB")
    assert im is not None
    question = im.messages[-1]
    assert "Would you like to mentor someone, be mentored, or both?" in question["text"]

    question = await click(stack, "U0BOB", question, "Mentee")
    assert "Which topics do you want to grow in?" in question["text"]
    (topics,) = selects(question)
    assert topics["type"] == "multi_static_select" and {"Python", "Rust"} <= {o["value"] for o in topics["options"]}
    question = await stack.select_in_dm("U0BOB", topics["action_id"], ["Python", "Rust"], question["ts"])
    assert "Anything to add that isn't on the list?" in question["text"]
    question = await say(stack, "U0BOB", "Elixir", events)
    assert "what do you hope to get out of mentoring?" in question["text"]
    question = await say(stack, "U0BOB", "Ship my first PR <!channel> with <@U0ALICE> & friends", events)
    assert "Where are you in your career?" in question["text"]
    question = await say(stack, "U0BOB", "5", events)
    assert "Which timezone are you in?" in question["text"]
    assert "Keep Europe/Amsterdam" in buttons(question)  # from the Slack profile
    question = await say(stack, "U0BOB", "Berlin", events)
    assert "When are you usually free to meet each week" in question["text"]
    question = await click(stack, "U0BOB", question, "Weekday evenings")
    assert "how many hours a month" in question["text"]
    question = await click(stack, "U0BOB", question, "4")
    question = await click(stack, "U0BOB", question, "3–6 months")
    question = await click(stack, "U0BOB", question, "Weekly")
    question = await click(stack, "U0BOB", question, "Video calls")
    assert "Which languages could you meet in?" in question["text"]
    (languages,) = selects(question)
    question = await stack.select_in_dm("U0BOB", languages["action_id"], ["English", "German"], question["ts"])
    assert "should not be paired with" in question["text"]
    question = await click(stack, "U0BOB", question, "Skip")
    question = await say(stack, "U0BOB", "Acme", events)
    assert "may I introduce you" in question["text"]
    summary = await click(stack, "U0BOB", question, "Yes, introduce me")

    shown = body_text(summary)
    assert "Your sign-up" in shown and "Python, Rust" in shown and "Europe/Berlin" in shown
    assert "Mon–Fri 17:00–20:00" in shown  # the availability preset, in his own time
    # The typed goal is shown as typed, and pings nobody.
    assert "Ship my first PR &lt;!channel&gt; with &lt;@U0ALICE&gt; &amp; friends" in shown
    assert "<!channel>" not in shown and "<@U0ALICE>" not in shown
    done = await click(stack, "U0BOB", summary, "Confirm")
    assert "You're signed up* as a mentee" in done["text"]

    async with stack.bot.db.unit() as s:
        member = (await s.execute(select(Member).where(Member.platform_user_id == "U0BOB"))).scalar_one()
        profile = (await s.execute(select(Profile).where(Profile.member_id == member.id))).scalar_one()
    assert (profile.role, profile.status, profile.consent) == ("mentee", "waiting", True)
    assert profile.topics_wanted == ["Python", "Rust"] and profile.topics_other == "Elixir"
    assert profile.goals == "Ship my first PR <!channel> with <@U0ALICE> & friends"  # stored as typed
    assert (profile.timezone, profile.hours_per_month, profile.cadence, profile.communication) == (
        "Europe/Berlin",
        4,
        "weekly",
        "video",
    )
    assert profile.languages == ["English", "German"] and profile.team == "Acme"
    # Nothing the member typed reached Slack unescaped, anywhere.
    for call in fake.calls_to("chat.postMessage", ok=True):
        assert "<!channel>" not in str(call.args.get("blocks")) and "<!channel>" not in call.args.get("text", "")
    assert [c for c in fake.calls if not c.ok] == []
