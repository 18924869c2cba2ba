"""Mentoring circles through Discord: `serve` (the real discord.py client) against the fake Discord.

`/mentor-admin circle create` opens one private thread (type 12, members cannot invite others)
under the channel it was typed in — or DISCORD_INTRO_CHANNEL_ID when set — adds exactly the
mentor and the mentees, and introduces them there; member text never pings. Later circle
messages find the same thread. When Discord refuses the thread (a channel override denies
Create Private Threads), the moderators are told which permissions to give.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.discord import FakeDiscord, FakeUser, pinged
from tests.support.discord_program import Program, start_program, text_of, until


@pytest.fixture
async def program(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[Program]:
    running = start_program(fake, tmp_path, threads=False)
    await running.start()
    yield running
    await running.stop()


async def _people(p: Program, fake: FakeDiscord) -> dict[str, FakeUser]:
    people = {n: fake.add_member(p.guild, n) for n in ("dana", "ann", "ben", "zoe")}
    await p.seed(people["dana"], "mentor", topics_offered=["python"])
    for name in ("ann", "ben", "zoe"):
        await p.seed(people[name], "mentee", topics_wanted=["python"])
    return people


def _circle_threads(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [t for t in fake.threads.values() if t["name"].endswith("· circle-1")]


async def test_circle_create_opens_one_private_thread_with_its_members(program: Program, fake: FakeDiscord) -> None:
    p = program
    people = await _people(p, fake)
    options = {
        "mentor": people["dana"].id,
        "mentees": f"<@{people['ann'].id}> <@{people['ben'].id}>",
        "topic": "Data science @everyone",
    }
    reply = await p.command(p.owner, "circle create", options, command="mentor-admin")
    assert "Circle #1 started" in text_of(reply) and reply["flags"] & 64
    await until(lambda: bool(_circle_threads(fake)) and bool(fake.channel_messages(_circle_threads(fake)[0]["id"])))

    [thread] = _circle_threads(fake)
    assert thread["parent_id"] == p.general and thread["type"] == 12
    assert thread["thread_metadata"]["invitable"] is False
    members = {people[n].id for n in ("dana", "ann", "ben")}
    assert fake.thread_members[thread["id"]] == {fake.bot.id, *members}  # zoe is not in it
    [intro] = fake.channel_messages(thread["id"])
    assert "Mentoring circle #1" in text_of(intro) and "Data science" in text_of(intro)
    assert pinged(intro)["everyone"] == set()
    assert pinged(intro)["users"] <= members

    # The goal board goes to the same thread; no second thread is opened.
    answer = await p.command(people["ann"].id, "circle goal", {"goal": "Ship one analysis each"})
    assert "Goal 1 is on circle #1's board" in text_of(answer)
    await until(lambda: len(fake.channel_messages(thread["id"])) == 2)
    assert len(_circle_threads(fake)) == 1 and len(fake.calls_to("POST", r"^/channels/\d+/threads$")) == 1

    # Someone outside the circle cannot act on it.
    outsider = await p.command(people["zoe"].id, "circle goals", {"circle": 1})
    assert "That circle is not yours." in text_of(outsider)


async def test_a_refused_thread_tells_the_moderators_which_permissions(program: Program, fake: FakeDiscord) -> None:
    p = program
    people = await _people(p, fake)
    fake.fail("POST", r"^/channels/\d+/threads$", status=403, code=50013, times=5)
    options = {"mentor": people["dana"].id, "mentees": f"<@{people['ann'].id}>"}
    await p.command(p.owner, "circle create", options, command="mentor-admin")
    owner = fake.users[p.owner]

    def notices() -> list[str]:
        everywhere = [*p.dms(owner), *(m for c in p.guild.channels for m in fake.channel_messages(c))]
        return [text_of(m) for m in everywhere if "Delivery problem" in text_of(m)]

    await until(lambda: bool(notices()))
    [notice] = notices()
    assert "Create Private Threads" in notice and "mentorbot discord-invite" in notice
    assert people["ann"].id not in notice  # names the circle's space, not its members
    assert _circle_threads(fake) == []


async def test_a_booked_circle_meeting_can_be_a_server_event(program: Program, fake: FakeDiscord) -> None:
    p = program
    people = await _people(p, fake)
    options = {"mentor": people["dana"].id, "mentees": f"<@{people['ann'].id}>", "topic": "Data"}
    await p.command(p.owner, "circle create", options, command="mentor-admin")
    await until(lambda: bool(_circle_threads(fake)))
    thread = _circle_threads(fake)[0]["id"]
    reply = await p.command(people["dana"].id, "circle schedule", {"event": True})
    assert "Three times are in circle #1's space" in text_of(reply)

    def slots() -> list[dict[str, Any]]:
        return [m for m in fake.channel_messages(thread) if "Find a time for the circle" in text_of(m)]

    await until(lambda: bool(slots()))
    [offer] = slots()
    await p.click(people["dana"].id, offer, "Slot 1")
    answer = await p.click(people["ann"].id, offer, "Slot 1")
    assert "Everyone can make it — booked." in text_of(answer)
    await until(lambda: bool(p.guild.scheduled_events))
    [scheduled] = p.guild.scheduled_events
    assert scheduled["name"] == "Mentoring circle: Data" and scheduled["entity_type"] == 3
    assert people["ann"].username not in scheduled.get("description", "")  # no member is named in it
    for name in ("dana", "ann"):
        await until(
            lambda n=name: any(
                a["filename"] == "invite.ics" for m in p.dms(people[n]) for a in m.get("attachments") or []
            )
        )


async def test_forget_me_takes_the_member_out_of_the_thread(program: Program, fake: FakeDiscord) -> None:
    p = program
    people = await _people(p, fake)
    options = {"mentor": people["dana"].id, "mentees": f"<@{people['ann'].id}> <@{people['ben'].id}>"}
    await p.command(p.owner, "circle create", options, command="mentor-admin")
    await until(lambda: bool(_circle_threads(fake)) and len(fake.thread_members[_circle_threads(fake)[0]["id"]]) == 4)
    thread = _circle_threads(fake)[0]["id"]
    reply = await p.command(people["ann"].id, "forget-me")
    await p.click(people["ann"].id, reply, "Yes, delete my data")
    await until(lambda: people["ann"].id not in fake.thread_members[thread])
    assert fake.thread_members[thread] == {fake.bot.id, people["dana"].id, people["ben"].id}
    [removal] = fake.calls_to("DELETE", rf"^/channels/{thread}/thread-members/{people['ann'].id}$")
    assert removal.status == 204
