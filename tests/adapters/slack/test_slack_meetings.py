"""Meetings through Slack: the real Bolt app and SlackMessenger against the local fake Slack.

The introduction offers three slots in each member's own timezone (Tokyo and Los Angeles);
both tick one, and each gets the booking in their DM with the `.ics` uploaded as a file
(files upload v2). "We met" on a check-in asks for the length with one tap, and
`/mentor log` logs a session by command. The certificate arrives as a PDF file whose code
a moderator verifies.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.core.clock import ManualClock
from bot.core.events import Actor, CommunityRef
from bot.core.program import DEFAULT_PATH
from bot.core.settings import Settings
from storage.tables import MeetingLog, MeetingPlan, Pulse
from tests.fakes.slack import BOT_USER_ID, TEAM_ID, FakeSlack
from tests.support.community import seed_profile
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text, buttons, settle

SLACK = CommunityRef("slack", TEAM_ID, "mentor-community")


@pytest.fixture
async def stack(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackStack]:
    program = tmp_path / "program.toml"  # the monthly thanks go to #program
    program.write_text(
        DEFAULT_PATH.read_text().replace("[meetings]\n", '[meetings]\nthanks_channel = "C0PROGRAM"\n', 1)
    )
    settings = replace(
        Settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path}/m.db",
        data_dir=str(tmp_path / "data"),
        program_path=str(program),
    )
    fake.add_channel("C0PROGRAM", "program")
    for user_id, name in (("U0MARIA", "Maria"), ("U0ANN", "Ann")):
        fake.add_user(user_id, name)
    s = await SlackStack.start(fake, settings, ManualClock(START))
    for user_id, role, zone in (("U0MARIA", "mentor", "America/Los_Angeles"), ("U0ANN", "mentee", "Asia/Tokyo")):
        name = fake.users[user_id]["real_name"]
        await seed_profile(s.bot, SLACK, Actor(user_id, name), role, s.clock.now(), timezone=zone, accepts_async=True)
    reply = await s.command("U0CAROL", "match")
    await s.click("U0CAROL", buttons(reply)["Approve and introduce"], "1700000000.000001")
    await s.deliver()
    yield s
    await s.stop()


def group(fake: FakeSlack):  # type: ignore[no-untyped-def]
    return next(c for c in fake.channels.values() if c.is_mpim and c.members == {BOT_USER_ID, "U0ANN", "U0MARIA"})


async def test_slots_in_each_timezone_then_the_invite_arrives_as_a_file(stack: SlackStack, fake: FakeSlack) -> None:
    pair = group(fake)
    intro = pair.messages[0]
    shown = body_text(intro)
    assert "Find a time:" in shown and "Ann: Tue 24 Nov, 08:00–08:30 · Maria: Mon 23 Nov, 15:00–15:30" in shown
    assert {"Slot 1", "Slot 2", "Slot 3", "None of these work", "We've had our kick-off"} <= set(buttons(intro))

    ticked = await stack.click("U0ANN", buttons(intro)["Slot 1"], intro["ts"], pair.id)
    assert "Ticked: Tue 24 Nov, 08:00–08:30" in ticked["text"]
    booked = await stack.click("U0MARIA", buttons(intro)["Slot 1"], intro["ts"], pair.id)
    assert "booked" in booked["text"]
    await stack.deliver()
    await settle(lambda: len([u for u in fake.uploads.values() if u["channels"]]) == 2)
    for user_id, zone in (("U0ANN", "Asia/Tokyo"), ("U0MARIA", "America/Los_Angeles")):
        im = fake.im_with(user_id)
        assert any("Booked:" in m["text"] and zone in m["text"] for m in im.messages)
        [upload] = [u for u in fake.uploads.values() if u["channels"] == [im.id]]
        assert upload["name"] == "invite.ics"
        event = next(c for c in Calendar.from_ical(upload["data"]).walk() if c.name == "VEVENT")
        async with stack.bot.db.unit() as s:
            plan = (await s.execute(select(MeetingPlan))).scalar_one()
        assert event.decoded("dtstart") == plan.start_at and str(event["dtstart"].params["TZID"]) == zone
    assert [c for c in fake.calls if not c.ok] == []


async def test_we_met_takes_a_length_in_one_tap_and_log_by_command(stack: SlackStack, fake: FakeSlack) -> None:
    stack.clock.advance(timedelta(days=14, hours=16))  # 10:00 in Tokyo: check-ins come in daytime
    await stack.bot.sweep()
    await stack.deliver()
    checkin = [m for m in fake.im_with("U0ANN").messages if "How is your mentorship" in m["text"]][-1]
    met = await stack.click_in_dm("U0ANN", buttons(checkin)["We met"], checkin["ts"])
    assert "How long was it?" in body_text(met) and "1½ hours" in buttons(met)
    length = await stack.click_in_dm("U0ANN", buttons(met)["1 hour"], checkin["ts"])
    assert "Logged: 1 h on" in length["text"]
    logged = await stack.command("U0MARIA", 'log 45m "résumé <review> & more"')
    assert "Logged 45 min on" in logged["text"] and "&lt;review&gt; &amp; more" in logged["text"]
    mine = await stack.command("U0ANN", "log")
    assert "2 meetings, 1 h 45 min logged" in body_text(mine) and mine["response_type"] == "ephemeral"
    async with stack.bot.db.unit() as s:
        assert sorted(r.minutes for r in (await s.execute(select(MeetingLog))).scalars()) == [45, 60]


async def test_the_certificate_arrives_as_a_pdf_file_and_a_moderator_verifies_its_code(
    stack: SlackStack, fake: FakeSlack
) -> None:
    from pypdf import PdfReader

    await stack.command("U0MARIA", 'log 1h30m "kick-off"')
    reply = await stack.command("U0MARIA", "certificate")
    assert "on its way to your DMs" in reply["text"] and reply["response_type"] == "ephemeral"
    await stack.deliver()
    await settle(lambda: any(u["name"] == "certificate.pdf" and u["channels"] for u in fake.uploads.values()))
    [upload] = [u for u in fake.uploads.values() if u["name"] == "certificate.pdf"]
    assert upload["channels"] == [fake.im_with("U0MARIA").id]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(upload["data"])).pages)
    assert "Maria" in text and "1.5 hours of mentoring logged" in text and "mentored 1 mentee" in text
    code = re.search(r"MB-[A-Z0-9]{4}-[A-Z0-9]{4}", text).group(0)  # type: ignore[union-attr]
    refused = await stack.command("U0ANN", f"verify {code}")
    assert "Only moderators" in refused["text"]
    checked = await stack.command("U0CAROL", f"verify {code}")
    assert f"Valid: {code}" in body_text(checked) and "Maria, mentor" in body_text(checked)


async def test_the_half_way_pulse_in_a_dm_and_its_words_for_the_moderators(stack: SlackStack, fake: FakeSlack) -> None:
    await stack.command("U0CAROL", "modchannel")
    stack.clock.advance(timedelta(days=46, hours=16))
    await stack.bot.sweep()
    await stack.deliver()
    ask = next(m for m in fake.im_with("U0ANN").messages if "Half-way check" in m["text"])
    assert list(buttons(ask)) == ["1", "2", "3", "4", "5"]
    low = await stack.click_in_dm("U0ANN", buttons(ask)["2"], ask["ts"])
    assert "2/5 noted — sorry it's not going well" in low["text"]
    status, _ = await stack.dm("U0ANN", "pulse we <never> meet", "Ev0PULSE")
    assert status == 200
    await stack.deliver()
    await settle(lambda: any("Half-way pulse" in m["text"] for m in fake.messages("C0MENTOR")))
    [note] = [m for m in fake.messages("C0MENTOR") if "Half-way pulse" in m["text"]]
    assert "&lt;never&gt;" in note["text"] and "2/5" not in note["text"]
    async with stack.bot.db.unit() as s:
        assert [(p.rating, p.text) for p in (await s.execute(select(Pulse))).scalars() if p.rating] == [
            (2, "we <never> meet")
        ]


async def test_the_monthly_thanks_name_only_the_mentor_who_agreed(stack: SlackStack, fake: FakeSlack) -> None:
    agreed = await stack.command("U0MARIA", "thanks on")
    assert "thanked by name in the program channel" in agreed["text"]
    stack.clock.advance(timedelta(days=8, hours=12))  # past 10:00 on 1 December
    await stack.bot.sweep()
    await stack.deliver()
    [post] = [m for m in fake.messages("C0PROGRAM") if "Thank you, mentors!" in m["text"]]
    assert "In November these mentors gave their time: Maria." in post["text"] and "<@" not in post["text"]
    stack.clock.advance(timedelta(hours=1))
    await stack.bot.sweep()
    await stack.deliver()
    assert len(fake.messages("C0PROGRAM")) == 1  # once a month
