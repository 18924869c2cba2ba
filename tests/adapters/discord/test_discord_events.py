"""Community events through Discord: `serve` (the real discord.py client) against the fake Discord.

`/mentor-admin event create` posts the event in the channel with Going / Not going and
creates a Guild Scheduled Event (external, with its place and end time); Going brings the
`.ics` by DM; member text never pings. Without Manage Events the post still goes out and
the moderators are told plainly how to give the bot that permission.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from storage.tables import EventRsvp
from tests.fakes.discord import FakeDiscord, FakeUser, pinged
from tests.support.discord_program import Program, buttons, start_program, text_of, until

MIXER = {"name": "Kick-off mixer @everyone", "at": "2026-12-10 18:00", "where": "Room 2 <@&1>", "length": "90m"}


@pytest.fixture
async def program(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[Program]:
    running = start_program(fake, tmp_path, threads=False)
    running.settings = replace(running.settings, data_dir=str(tmp_path / "data"))
    await running.start()
    yield running
    await running.stop()


def _posts(p: Program) -> list[dict[str, Any]]:
    return [m for m in p.fake.channel_messages(p.general) if "Community event" in text_of(m)]


def _invites(p: Program, user: FakeUser) -> list[dict[str, Any]]:
    return [a for m in p.dms(user) for a in m.get("attachments") or [] if a["filename"].endswith(".ics")]


async def test_event_create_posts_schedules_and_going_brings_the_invite(program: Program, fake: FakeDiscord) -> None:
    p = program
    reply = await p.command(p.owner, "event create", MIXER, command="mentor-admin")
    assert "Event #1 is posted here for Thu 10 Dec 2026, 18:00" in text_of(reply) and reply["flags"] & 64
    await until(lambda: bool(_posts(p)) and bool(p.guild.scheduled_events))
    [post] = _posts(p)
    assert {"Going", "Not going"} <= set(buttons(post))
    assert pinged(post)["everyone"] == set() and pinged(post)["roles"] == set()

    [scheduled] = p.guild.scheduled_events
    [call] = fake.calls_to("POST", rf"^/guilds/{p.guild.id}/scheduled-events$")
    assert call.json["entity_type"] == 3 and call.json["privacy_level"] == 2 and "channel_id" not in call.json
    assert call.json["entity_metadata"] == {"location": "Room 2 <@&1>"}
    assert call.json["scheduled_start_time"].startswith("2026-12-10T18:00:00")
    assert call.json["scheduled_end_time"].startswith("2026-12-10T19:30:00")
    assert scheduled["name"] == "Kick-off mixer @everyone" and scheduled["status"] == 1

    ann = fake.add_member(p.guild, "ann")
    answer = await p.click(ann.id, post, "Going")
    assert "You're going." in answer["content"]
    await until(lambda: bool(_invites(p, ann)))
    [invite] = _invites(p, ann)
    event = next(c for c in Calendar.from_ical(fake.attachment_data[invite["id"]]).walk() if c.name == "VEVENT")
    assert str(event["uid"]).startswith("event-1-") and str(event["location"]) == "Room 2 <@&1>"
    [dm] = [m for m in p.dms(ann) if m.get("attachments")]
    assert pinged(dm)["everyone"] == set() and pinged(dm)["roles"] == set()
    await until(lambda: "Going | 1 member" in text_of(_posts(p)[0]) or "1 member" in text_of(_posts(p)[0]))
    assert await p.count(EventRsvp) == 1

    # Cancelling (after a confirmation click) cancels the server's event too: status 4, CANCELED.
    ask = await p.command(p.owner, "event cancel", {"id": 1}, command="mentor-admin")
    assert "1 member going will get a cancelled invite" in text_of(ask)
    done = await p.click(p.owner, ask, "Cancel the event")
    assert "Event #1 is cancelled" in text_of(done)
    await until(lambda: scheduled["status"] == 4 and len(_invites(p, ann)) == 2)
    assert _invites(p, ann)[-1]["filename"] == "cancelled.ics"
    assert fake.rejected == []


async def test_without_manage_events_the_event_still_posts_and_moderators_are_told(
    program: Program, fake: FakeDiscord
) -> None:
    p = program
    p.guild.bot_manage_events = False
    await p.command(p.owner, "event create", MIXER, command="mentor-admin")
    await until(lambda: bool(_posts(p)))
    owner = fake.users[p.owner]

    def told() -> bool:
        return any("Manage Events" in text_of(m) for m in p.dms(owner)) or any(
            "Manage Events" in text_of(m) for c in p.guild.channels for m in fake.channel_messages(c)
        )

    await until(told)
    notice = next(
        text_of(m)
        for m in [*p.dms(owner), *(m for c in p.guild.channels for m in fake.channel_messages(c))]
        if "Manage Events" in text_of(m)
    )
    assert "The event is posted" in notice and "mentorbot discord-invite" in notice
    assert p.guild.scheduled_events == []
