"""Community events through Slack: the real Bolt app (signed requests) and SlackMessenger
against the local fake Slack.

A moderator posts the event in #program; it shows the time in the community timezone and
Going / Not going; a member's click brings the `.ics` invite to their DM as an uploaded file;
member-typed text is escaped (no channel-wide ping); Slack has no events of its own, so the
scheduled-event row is skipped without a delivery problem.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.core.clock import ManualClock
from bot.core.settings import Settings
from storage.tables import EventRsvp, OutboxMessage
from tests.fakes.slack import FakeSlack
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text, buttons

PROGRAM = "C0PROGRAM"


@pytest.fixture
async def stack(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackStack]:
    settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp_path}/e.db", data_dir=str(tmp_path / "data"))
    fake.add_channel(PROGRAM, "program")
    fake.add_user("U0ANN", "Ann")
    s = await SlackStack.start(fake, settings, ManualClock(START))
    yield s
    await s.stop()


async def test_event_post_click_and_the_ics_file(stack: SlackStack, fake: FakeSlack) -> None:
    reply = await stack.command(
        "U0CAROL", 'event "Kick-off mixer <!channel>" --at "2026-12-10 18:00" --where "Room 2"', PROGRAM
    )
    assert "Event #1 is posted here for Thu 10 Dec 2026, 18:00" in reply["text"]
    await stack.deliver()
    [post] = [m for m in fake.channels[PROGRAM].messages if "Community event" in body_text(m)]
    shown = body_text(post)
    assert "Thu 10 Dec 2026, 18:00" in shown and "Room 2" in shown
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown  # escaped: no channel-wide ping
    assert {"Going", "Not going"} <= set(buttons(post))

    answer = await stack.click("U0ANN", buttons(post)["Going"], post["ts"], PROGRAM)
    assert "You're going." in answer["text"]
    await stack.deliver()
    im = fake.im_with("U0ANN")
    assert any("You're going:" in m["text"] for m in im.messages)
    [upload] = [u for u in fake.uploads.values() if u["channels"] == [im.id]]
    assert upload["name"] == "invite.ics"
    event = next(c for c in Calendar.from_ical(upload["data"]).walk() if c.name == "VEVENT")
    assert str(event["uid"]).startswith("event-1-") and str(event["location"]) == "Room 2"
    assert "1 member" in body_text(fake.channels[PROGRAM].messages[0]) or any(
        "1 member" in body_text(m) for m in fake.channels[PROGRAM].messages
    )
    async with stack.bot.db.unit() as s:
        assert len((await s.execute(select(EventRsvp))).scalars().all()) == 1
        statuses = (await s.execute(select(OutboxMessage.operation, OutboxMessage.status))).all()
    assert ("calendar_event", "sent") in statuses  # Slack skips it quietly: no delivery problem
    assert [c for c in fake.calls if not c.ok] == []
