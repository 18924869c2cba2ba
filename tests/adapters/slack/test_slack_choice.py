"""A choice round through Slack: the real Bolt app and SlackMessenger against the fake Web API.

Shortlists arrive by DM with one button per mentor, a pick asks the mentor by DM, a
decline lets the mentee pick again, a silent mentor falls back at the deadline, and
the pairs are introduced in group DMs once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import ManualClock
from bot.core.settings import Settings
from storage.tables import MenteeChoice, Pairing
from tests.adapters.slack.test_slack_program import buttons, count, seed
from tests.fakes.slack import FakeSlack
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text


@pytest.fixture
async def stack(fake: FakeSlack, settings: Settings) -> AsyncIterator[SlackStack]:
    for user_id, name in (("U0MARIA", "Maria"), ("U0OMAR", "Omar"), ("U0ANN", "Ann"), ("U0BEN", "Ben")):
        fake.add_user(user_id, name)
    s = await SlackStack.start(fake, settings, ManualClock(START))
    yield s
    await s.stop()


def newest(fake: FakeSlack, user_id: str, needle: str) -> dict:  # type: ignore[type-arg]
    im = fake.im_with(user_id)
    assert im is not None
    return next(m for m in reversed(im.messages) if needle in m["text"])


async def test_choice_round_through_slack(stack: SlackStack, fake: FakeSlack) -> None:
    await seed(
        stack,
        "U0MARIA",
        "mentor",
        topics_offered=["Python"],
        years_experience=12,
        can_help_with="Testing <!channel> and packaging",
    )
    await seed(stack, "U0OMAR", "mentor", topics_offered=["Python"], years_experience=8)
    await seed(stack, "U0ANN", "mentee", topics_wanted=["Python"], goals="learn testing in Python")
    await seed(stack, "U0BEN", "mentee", topics_wanted=["Python"])

    proposal = await stack.command("U0CAROL", "match --choice")
    assert "Choice round* #1 — waiting for approval" in body_text(proposal)
    opened = await stack.click("U0CAROL", buttons(proposal)["Send the shortlists"], "1700000000.000001")
    assert "Round #1 is open for choices: 2 shortlists on the way." in opened["text"]
    await stack.deliver()
    shortlist = newest(fake, "U0ANN", "Choose your mentor")
    text = body_text(shortlist)
    assert "suggested first" in text and "Testing &lt;!channel&gt; and packaging" in text  # member text escaped
    assert {"Choose Maria", "Choose Omar", "None of these fit"} <= set(buttons(shortlist))

    picked = await stack.click_in_dm("U0ANN", buttons(shortlist)["Choose Maria"], shortlist["ts"])
    assert "You chose Maria" in picked["text"]
    await stack.deliver()
    ask = newest(fake, "U0MARIA", "A mentee chose you")
    declined = await stack.click_in_dm("U0MARIA", buttons(ask)["Decline"], ask["ts"])
    assert "they can choose someone else" in declined["text"]
    await stack.deliver()
    assert "Maria can't take you on this round" in newest(fake, "U0ANN", "take you on")["text"]
    again = await stack.click_in_dm("U0ANN", buttons(shortlist)["Choose Omar"], shortlist["ts"])
    assert "You chose Omar" in again["text"]

    ben = newest(fake, "U0BEN", "Choose your mentor")
    first = next(label for label in buttons(ben) if label.startswith("Choose "))
    await stack.click_in_dm("U0BEN", buttons(ben)[first], ben["ts"])
    await stack.deliver()
    ask = newest(fake, "U0OMAR", "A mentee chose you")  # Omar was asked by ann and maybe ben; answers nothing

    status = await stack.command("U0CAROL", "match show")
    assert "Choice round* #1 — open for choices" in body_text(status)

    stack.clock.advance(timedelta(days=8))
    await stack.bot.sweep()
    await stack.deliver()
    assert await count(stack, Pairing) == 2
    async with stack.bot.db.unit() as s:
        rows = (await s.execute(select(Pairing.mentee_member_id, Pairing.mentor_member_id))).all()
        states = sorted(c.state for c in (await s.execute(select(MenteeChoice))).scalars())
    assert "fell_back" in states
    assert len({mentor for _, mentor in rows}) == 2  # capacity 1 each: one mentee per mentor
    assert [c for c in fake.calls if not c.ok] == []
