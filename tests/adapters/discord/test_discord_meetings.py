"""Meetings through Discord: `serve` (the real discord.py client) against the fake Discord.

The introduction (in the pair's private thread) offers three slots in each member's own
timezone; both tick one and each gets the booking by DM with the `.ics` as an attachment.
"We met" asks for the length with one tap; `/mentor log` takes length, note and date as
typed options; member text never pings anyone.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.core.program import DEFAULT_PATH
from storage.tables import MeetingLog, MeetingPlan, Pulse
from tests.fakes.discord import FakeDiscord, FakeUser, pinged
from tests.support.discord_program import Program, buttons, start_program, text_of, until


@pytest.fixture
async def program(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[Program]:
    running = start_program(fake, tmp_path, threads=True)
    program_file = tmp_path / "program.toml"  # the monthly thanks go to #general
    program_file.write_text(
        DEFAULT_PATH.read_text().replace("[meetings]\n", f'[meetings]\nthanks_channel = "{running.general}"\n', 1)
    )
    running.settings = replace(running.settings, data_dir=str(tmp_path / "data"), program_path=str(program_file))
    await running.start()
    yield running
    await running.stop()


async def _introduced(p: Program) -> tuple[FakeUser, FakeUser, dict[str, Any]]:
    ann, maria = p.fake.add_member(p.guild, "ann"), p.fake.add_member(p.guild, "maria")
    await p.seed(maria, "mentor", timezone="America/Los_Angeles", accepts_async=True)
    await p.seed(ann, "mentee", timezone="Asia/Tokyo", accepts_async=True)
    await p.run(p.owner, "match")
    await p.run(p.owner, "match approve")
    await until(lambda: len(p.threads()) == 1 and bool(p.fake.channel_messages(p.threads()[0])))
    return ann, maria, p.fake.channel_messages(p.threads()[0])[0]


def _invites(p: Program, user: FakeUser) -> list[dict[str, Any]]:
    return [a for m in p.dms(user) for a in m.get("attachments") or [] if a["filename"].endswith(".ics")]


async def test_slots_in_each_timezone_then_the_invite_arrives_as_an_attachment(
    program: Program, fake: FakeDiscord
) -> None:
    p = program
    ann, maria, intro = await _introduced(p)
    shown = text_of(intro)
    assert "Find a time:" in shown and "Ann: Tue 24 Nov, 08:00–08:30 · Maria: Mon 23 Nov, 15:00–15:30" in shown
    assert {"Slot 1", "Slot 2", "Slot 3", "None of these work"} <= set(buttons(intro))

    ticked = await p.click(ann.id, intro, "Slot 2")
    assert "Ticked:" in ticked["content"]
    booked = await p.click(maria.id, intro, "Slot 2")
    assert "booked" in booked["content"]
    await until(lambda: bool(_invites(p, ann)) and bool(_invites(p, maria)))
    async with p.store.db.unit() as s:
        plan = (await s.execute(select(MeetingPlan))).scalar_one()
    for user, zone in ((ann, "Asia/Tokyo"), (maria, "America/Los_Angeles")):
        [invite] = _invites(p, user)
        event = next(c for c in Calendar.from_ical(fake.attachment_data[invite["id"]]).walk() if c.name == "VEVENT")
        assert event.decoded("dtstart") == plan.start_at and str(event["dtstart"].params["TZID"]) == zone
        [dm] = [m for m in p.dms(user) if m.get("attachments")]
        assert "Booked:" in text_of(dm) and zone in text_of(dm)
    assert fake.rejected == []


async def test_we_met_takes_a_length_in_one_tap_and_log_takes_typed_options(
    program: Program, fake: FakeDiscord
) -> None:
    p = program
    ann, maria, _ = await _introduced(p)
    p.clock.advance(timedelta(days=14, hours=16))  # 10:00 in Tokyo: check-ins come in daytime
    await until(lambda: any("How is your mentorship" in m["content"] for m in p.dms(ann)))
    checkin = next(m for m in p.dms(ann) if "How is your mentorship" in m["content"])
    met = await p.click(ann.id, checkin, "We met")
    assert "How long was it?" in text_of(met) and "45 min" in buttons(met)
    logged = await p.run(maria.id, 'log 1h "résumé review @everyone" --on yesterday')
    assert "Logged 1 h on" in text_of(logged) and "résumé review @\u200beveryone" in text_of(logged)
    assert pinged(logged)["everyone"] == set() and pinged(logged)["users"] == set()
    mine = await p.run(ann.id, "log")
    assert "2 meetings, 1 h logged" in text_of(mine) and mine["flags"] & 64
    async with p.store.db.unit() as s:
        assert len((await s.execute(select(MeetingLog))).scalars().all()) == 2


async def test_the_certificate_arrives_as_a_pdf_attachment_and_a_moderator_verifies_its_code(
    program: Program, fake: FakeDiscord
) -> None:
    from pypdf import PdfReader

    p = program
    ann, maria, _ = await _introduced(p)
    await p.run(ann.id, 'log 2h "mock interview"')
    reply = await p.run(ann.id, "certificate")
    assert "on its way to your DMs" in text_of(reply) and reply["flags"] & 64

    def pdfs() -> list[dict[str, Any]]:
        return [a for m in p.dms(ann) for a in m.get("attachments") or [] if a["filename"] == "certificate.pdf"]

    await until(lambda: bool(pdfs()))
    [pdf] = pdfs()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(fake.attachment_data[pdf["id"]])).pages)
    assert "Ann" in text and "mentee" in text and "2.0 hours of mentoring logged" in text
    code = re.search(r"MB-[A-Z0-9]{4}-[A-Z0-9]{4}", text).group(0)  # type: ignore[union-attr]
    checked = await p.run(p.owner, f"verify {code}")
    assert f"Valid: {code}" in text_of(checked) and "Ann, mentee" in text_of(checked)


async def test_the_half_way_pulse_in_a_dm_raises_the_at_risk_signal(program: Program, fake: FakeDiscord) -> None:
    p = program
    ann, maria, _ = await _introduced(p)
    p.clock.advance(timedelta(days=46, hours=16))
    await until(lambda: any("Half-way check" in m["content"] for m in p.dms(maria)))
    ask = next(m for m in p.dms(maria) if "Half-way check" in m["content"])
    assert list(buttons(ask)) == ["1", "2", "3", "4", "5"]
    answer = await p.click(maria.id, ask, "1")
    assert "1/5 noted — sorry it's not going well" in answer["content"]
    words = await p.dm(maria, "pulse @everyone help", "passed on")
    assert pinged(words)["everyone"] == set()
    async with p.store.db.unit() as s:
        assert [(x.rating, x.text) for x in (await s.execute(select(Pulse))).scalars() if x.rating] == [
            (1, "@everyone help")
        ]


async def test_the_monthly_thanks_name_only_the_mentor_who_agreed(program: Program, fake: FakeDiscord) -> None:
    p = program
    ann, maria, _ = await _introduced(p)
    agreed = await p.run(maria.id, "thanks on")
    assert "thanked by name in the program channel" in text_of(agreed)

    def posts() -> list[dict[str, Any]]:
        return [m for m in fake.channel_messages(p.general) if "Thank you, mentors!" in (m.get("content") or "")]

    p.clock.advance(timedelta(days=8, hours=12))  # past 10:00 on 1 December
    await until(lambda: bool(posts()))
    [post] = posts()
    assert "In November these mentors gave their time: Maria." in post["content"]
    assert pinged(post) == {"users": set(), "roles": set(), "everyone": set()}
