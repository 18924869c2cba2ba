"""The moderator dashboard, chart and export, checked against a program whose counts are known.

The scenario (`_program`): a poll with six votes, twelve sign-ups from four
sources, one matching round with three pairs, two weeks of check-ins, one pair
completed with feedback, one ended early, one at risk, two members who joined
through the platform. Every figure below is derived by hand from it.
"""

from __future__ import annotations

import csv
import re
import struct
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.core import messages as msg
from bot.core.ports import Delivered, Delivery
from bot.delivery.deliverer import Deliverer
from bot.delivery.pictures import PictureWorker
from bot.features.stats.export import safe_cell
from storage.tables import Member, OutboxMessage, Pairing
from tests.support.chat import Chat
from tests.support.community import member_id, sign_up
from tests.support.db import START

ML = "Machine Learning"


async def _pairing_of(chat: Chat, name: str) -> Pairing:
    mid = await member_id(chat, name)
    async with chat.bot.db.unit() as s:
        return (
            (
                await s.execute(
                    select(Pairing).where((Pairing.mentee_member_id == mid) | (Pairing.mentor_member_id == mid))
                )
            )
            .scalars()
            .one()
        )


async def _program(chat: Chat) -> dict[str, str]:
    """Run the scenario; returns who the matched Machine Learning mentee turned out to be."""
    await chat("moderators: carol", "@carol /mentor modchannel", "@kim joins", "@lou joins")
    await chat('@carol /mentor poll "Would you join a mentorship program?" --closes 1d')
    await chat("@maria click I'd mentor", "@ann click I'd like a mentor", "@ben click I'd like a mentor")
    await chat("@hal click I'd like a mentor", "@ivy click Not now", "@kim click Not now")

    await sign_up(chat, "maria", "mentor", topics_offered=["Python"], source="poll:1")
    await sign_up(chat, "omar", "mentor", topics_offered=["Rust"], source="campaign:spring")
    await sign_up(chat, "lea", "mentor", topics_offered=[ML], source="direct")
    await sign_up(chat, "zoe", "both", topics_offered=["Go"], topics_wanted=["Design"], source="direct")
    await sign_up(
        chat,
        "ann",
        "mentee",
        topics_wanted=["Python"],
        source="poll:1",
        goals='=HYPERLINK("http://x")',
        team="-team",
        topics_other="+cmd",
    )
    await sign_up(chat, "ben", "mentee", topics_wanted=["Rust"], source="poll:1")
    await sign_up(chat, "cat", "mentee", topics_wanted=["Kotlin"], source="campaign:spring")
    for name, source in (("dan", "greeting"), ("eve", "direct"), ("cal", "direct")):
        await sign_up(chat, name, "mentee", topics_wanted=[ML], source=source)
    await sign_up(chat, "fay", "mentee", topics_wanted=["Python"], source="greeting", status="paused")
    await sign_up(
        chat,
        "gus",
        "mentee",
        topics_wanted=["Python"],
        source="direct",
        status="left",
        signed_up_at=START - timedelta(days=60),
    )

    await chat("wait 1d", "@carol /mentor match", "@carol /mentor match approve")
    ml = await _pairing_of(chat, "lea")
    async with chat.bot.db.unit() as s:
        ml_mentee = (
            await s.execute(select(Member.platform_user_id).where(Member.id == ml.mentee_member_id))
        ).scalar_one()

    await chat("wait 14d")  # first check-ins for all six members
    await chat("@ann click We met", "@maria click We met", "@ben click Not yet")
    await chat(f"@{ml_mentee} click Not yet", "@lea click Need help")  # omar ignores his
    await chat(
        '@ann /mentor goal set "Finish the course"', "@maria /mentor goal done", '@lea /mentor goal set "Ship a model"'
    )
    await chat("@ann /mentor wrap-up", "@ann click Yes, wrap up")
    await chat("@ann click 5", "@ann Great sessions every week", "@ann skip", "@ann click Yes, with my name")
    await chat("@maria click 4", "@maria skip", "@maria skip")
    ben_pairing = await _pairing_of(chat, "ben")
    await chat(f"@carol /mentor pair {ben_pairing.id} end")
    await chat("wait 14d")  # the Machine Learning pair alone gets its second check-ins
    chat.take()
    return {"ml_mentee": ml_mentee}


def _image(out_message: msg.Message) -> msg.Image:
    images = [p for p in out_message.parts if isinstance(p, msg.Image)]
    assert len(images) == 1
    return images[0]


async def test_every_dashboard_figure_matches_the_program(any_chat: Chat) -> None:
    chat = any_chat
    await _program(chat)
    out = await chat("@carol /mentor stats")
    # sign-ups
    assert "Signed up: 12 — mentors 3 · mentees 8 · both 1" in out
    assert "Status now: waiting 8 · active 2 · paused 1 · left 1" in out
    assert "New in the last 30 days: 11" in out  # gus signed up 60 days before
    # relationships
    # ben and omar never met: their early end is not counted as an ordinary one (issue 16)
    assert "Active: 1\n" in out and "Completed: 1\n" in out and "Ended early: 0\n" in out
    assert "Ended without meeting: 1\n" in out
    assert "Median length (completed): fewer than 3 completed" in out  # from one pair: not shown
    assert "Kick-offs held: 1 of 3 (33%)" in out  # ann's "We met" counted as the kick-off
    # campaigns
    assert "Poll #1 “Would you join a mentorship program?”: 3 sign-ups" in out
    assert "Announcement “spring”: 2 sign-ups" in out
    assert "Welcome message to new members: 2 sign-ups" in out
    assert "Direct (/mentor join): 5 sign-ups" in out
    assert "Poll #1 conversion: 4 said they'd mentor or be mentored → 3 signed up (75%)" in out
    # skills: supply vs demand, with the worst shortfalls flagged
    assert f"{ML}: 1 offering (0 free) · 2 waiting" in out
    assert "Python: 1 offering (1 free) · 1 waiting" in out
    assert "Go: 1 offering (1 free) · 0 waiting" in out
    assert "Design: 0 offering (0 free) · 1 waiting" in out
    assert f"Imbalance: 2 mentees want {ML}; 1 mentor offers it, 0 with free capacity — recruit {ML} mentors." in out
    assert "Imbalance: 1 mentee wants Design; 0 mentors offer it, 0 with free capacity — recruit Design mentors." in out
    assert "Imbalance: 1 mentee wants Kotlin" in out
    assert "recruit Python" not in out and "recruit Go" not in out
    # health
    assert "Check-ins answered: 5 of 8 (62%)" in out
    assert 'Answered "We met": 2 of 5 answers (40%)' in out
    assert "At-risk pairs now: 1" in out
    assert "Goals: 2 set · 1 completed" in out
    assert "Average feedback rating: fewer than 3 ratings" in out and "4.5" not in out  # 2 people
    assert "Testimonials available: 1" in out
    # community: kim and lou joined through the platform; kim voted
    assert "Joined since the program started (Thu 24 Sep 2026): 2" in out
    assert "Of them took part (voted or signed up): 1 (fewer than 3)" in out
    # aggregates only: no member's words, goals or answers
    for private in ("Great sessions", "Finish the course", "Ship a model", "HYPERLINK", "ann", "maria"):
        assert private not in out
    assert "(image mentorship-dashboard.png:" in out


async def test_filters_by_campaign_and_since(chat: Chat) -> None:
    await _program(chat)
    out = await chat("@carol /mentor stats --campaign spring")
    assert "· campaign spring." in out and "campaign:spring" not in out  # as the moderator typed it
    assert "Signed up: 2 — mentors 1 · mentees 1 · both 0" in out
    assert "Active: 0\n" in out and "Ended without meeting: 1\n" in out  # omar's pairing with ben
    assert "Check-ins answered: 0 of 1 (fewer than 3)" in out  # omar ignored his one check-in
    assert "Poll #1 conversion" not in out
    out = await chat("@carol /mentor stats --campaign poll:1")
    assert "Signed up: 3 — mentors 1 · mentees 2" in out and "Poll #1 conversion: 4 said" in out
    out = await chat("@carol /mentor stats --since 2026-11-01")
    assert "since Sun 01 Nov 2026" in out and "Signed up: 11 —" in out
    out = await chat("@carol /mentor stats --since 90d")
    assert "Signed up: 12 —" in out
    out = await chat("@carol /mentor stats --campaign autumn")
    assert "No sign-ups came from campaign autumn. Known campaigns: spring; other sources: " in out
    assert "campaign:" not in out
    out = await chat("@carol /mentor stats --since 2030-01-01")
    assert "is in the future" in out
    out = await chat("@carol /mentor stats --since yesterdayish")
    assert "--since takes a date like 2026-09-01" in out


async def test_members_get_a_polite_refusal(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "ann", "mentee")
    for command in ("stats", "stats --since 30d", "export"):
        out = await chat(f"@ann /mentor {command}")
        assert "Only moderators can use /mentor" in out
        assert "Signed up" not in out and "(file" not in out and "(image" not in out
    out = await chat("@ann /mentor help")
    assert "/mentor stats" not in out and "/mentor export" not in out
    out = await chat("@carol /mentor help")
    assert "/mentor stats" in out and "/mentor export" in out


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _chart_in(out: str) -> Path:
    """The chart the moderator's DM carried (the console prints attachments with their path)."""
    found = set(re.findall(r"\(image mentorship-dashboard\.png: ([^)]+)\)", out))
    assert len(found) == 1, out  # asked twice with the same figures: the same file, drawn once
    return Path(found.pop())


async def test_the_chart_is_a_readable_png_in_the_moderators_dm(chat: Chat, tmp_path: Path) -> None:
    await _program(chat)
    replies = await chat.bot.handle(_stats_event(chat))
    # The private answer is text only and says where the chart goes.
    assert not [p for p in replies[0].parts if isinstance(p, msg.Image)]
    assert "The chart is on its way to your DMs." in replies[0].plain_text()
    out = await chat("@carol /mentor stats")
    assert "[DM carol]" in out and "Program dashboard chart" in out
    path = _chart_in(out)
    assert path.exists() and path.stat().st_size > 20_000  # two panels with bars, lines and labels
    assert _png_size(path) == (1200, 700)
    assert path.stat().st_mode & 0o777 == 0o600
    async with chat.bot.db.unit() as s:
        rows = (
            (await s.execute(select(OutboxMessage).where(OutboxMessage.destination_target == "carol"))).scalars().all()
        )
    image = next(p for r in rows for p in msg.from_json(r.payload or "[]").parts if isinstance(p, msg.Image))
    assert "sign-ups per week" in image.alt and "mentors offering vs mentees waiting" in image.alt
    # Only aggregates travel with the row: no member's name or words.
    for private in ("ann", "maria", "Great sessions"):
        assert private not in image.figures


async def test_an_empty_program_still_gets_a_dashboard_and_chart(chat: Chat) -> None:
    await chat("moderators: carol")
    out = await chat("@carol /mentor stats")
    assert "Signed up: 0 —" in out and "No sign-ups yet." in out and "No topics yet." in out
    assert "Median length (completed): — (none completed yet)" in out
    assert "This platform has not reported members joining" in out
    assert _png_size(_chart_in(out)) == (1200, 700)


async def test_the_chart_survives_a_restart_between_the_command_and_the_delivery(chat: Chat) -> None:
    """The row holds the figures, not a file: a deliverer that starts later draws it."""
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor", topics_offered=["Python"])
    replies = await chat.bot.handle(_stats_event(chat))  # handled, nothing delivered yet
    assert "on its way" in replies[0].plain_text()
    async with chat.bot.db.unit() as s:
        row = (await s.execute(select(OutboxMessage).where(OutboxMessage.destination_target == "carol"))).scalar_one()
    image = next(p for p in msg.from_json(row.payload or "[]").parts if isinstance(p, msg.Image))
    for leftover in Path(image.path).parent.glob("*.png"):
        leftover.unlink()  # as if the bot stopped before drawing (or the data directory was cleaned)
    # A deliverer of a process started later: its own new picture worker, nothing in memory.
    sent: list[Delivery] = []

    class Platform:
        async def deliver(self, delivery: Delivery) -> Delivered:
            sent.append(delivery)
            return Delivered("ref")

    worker = PictureWorker("process")
    try:
        await Deliverer(chat.bot.db, chat.bot.clock, Platform(), pictures=worker).drain()
    finally:
        worker.close()
    [delivery] = [d for d in sent if d.destination.target == "carol"]
    assert delivery.message is not None
    [drawn] = [p for p in delivery.message.parts if isinstance(p, msg.Image)]
    assert _png_size(Path(drawn.path)) == (1200, 700)


def _stats_event(chat: Chat, user: str = "carol", text: str = "stats") -> object:
    from adapters.console.session import COMMUNITY
    from bot.core.events import SlashCommand

    return SlashCommand(COMMUNITY, chat.session.actor(user), "#general", text)


def _read_csv(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _export_files(out: str) -> dict[str, str]:
    files: dict[str, str] = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("(file "):
            name, _, path = line[len("(file ") : -1].partition(": ")
            files[name] = path
    return files


async def test_export_sends_three_csv_files_privately(chat: Chat) -> None:
    await _program(chat)
    out = await chat("@carol /mentor export")
    assert "[only carol] The export (members.csv, pairings.csv, checkins.csv) is on its way to your DMs." in out
    assert "[DM carol] Program export — 12 members, 3 pairings (1 ended without meeting), 8 check-ins." in out
    files = _export_files(out)
    assert set(files) == {"members.csv", "pairings.csv", "checkins.csv"}

    members = {row["display_name"]: row for row in _read_csv(files["members.csv"])}
    assert len(members) == 12
    assert members["maria"]["role"] == "mentor" and members["maria"]["source"] == "poll:1"
    assert members["maria"]["topics_offered"] == "Python" and members["maria"]["status"] == "waiting"
    assert members["fay"]["status"] == "paused" and members["gus"]["status"] == "left"
    assert "kim" not in members
    # CSV injection: formulas are neutralised
    assert members["ann"]["goals"] == '\'=HYPERLINK("http://x")'
    assert members["ann"]["team"] == "'-team" and members["ann"]["topics_other"] == "'+cmd"

    pairings = {row["mentee_name"]: row for row in _read_csv(files["pairings.csv"])}
    assert len(pairings) == 3
    ann = pairings["ann"]
    assert ann["mentor_name"] == "maria" and ann["status"] == "completed"
    assert ann["goals_set"] == "1" and ann["goals_done"] == "1"
    assert ann["mentee_rating"] == "5" and ann["mentor_rating"] == "4"
    assert ann["started_at"].startswith("2026-11-24") and ann["ended_at"].startswith("2026-12-08")
    assert pairings["ben"]["status"] == "ended" and pairings["ben"]["mentee_rating"] == ""
    assert ann["outcome"] == "completed" and pairings["ben"]["outcome"] == "ended without meeting"

    checkins = _read_csv(files["checkins.csv"])
    assert len(checkins) == 8
    answers = sorted(row["answer"] for row in checkins if row["answer"])
    assert answers == ["met", "met", "need_help", "not_yet", "not_yet"]


async def test_members_who_used_forget_me_are_not_in_the_export(chat: Chat) -> None:
    await _program(chat)
    ann = await member_id(chat, "ann")
    out = await chat("@ann /mentor forget-me", "@ann click Yes, delete my data")
    assert "Done: your profile" in out
    out = await chat("@carol /mentor export")
    assert (
        "Program export — 11 members, 2 pairings (1 ended without meeting), 6 check-ins." in out
    )  # ann's pairing and its check-ins are gone
    files = _export_files(out)
    for name in ("members.csv", "pairings.csv", "checkins.csv"):
        text = Path(files[name]).read_text(encoding="utf-8")
        assert "forgotten" not in text and "HYPERLINK" not in text
        assert "ann" not in {cell for row in csv.reader(text.splitlines()) for cell in row}
    assert all(row["member_id"] != str(ann) for row in _read_csv(files["checkins.csv"]))
    # The dashboard still counts what happened, without her: one sign-up fewer.
    out = await chat("@carol /mentor stats")
    assert "Signed up: 11 —" in out


async def test_a_forgotten_member_left_behind_by_older_data_is_still_excluded(chat: Chat) -> None:
    """Defence in depth: a member row marked forgotten keeps its rows out even if a profile survived."""
    await _program(chat)
    ann = await member_id(chat, "ann")
    async with chat.bot.db.unit() as s:
        await s.execute(update(Member).where(Member.id == ann).values(platform_user_id=f"forgotten:{ann}"))
    out = await chat("@carol /mentor export")
    assert "Program export — 11 members, 2 pairings (1 ended without meeting), 6 check-ins." in out
    files = _export_files(out)
    assert f"forgotten:{ann}" not in Path(files["members.csv"]).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=SUM(A1:A3)", "'=SUM(A1:A3)"),
        ("+44 20 7946", "'+44 20 7946"),
        ("-1+1", "'-1+1"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tcmd", "'\tcmd"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (["Python", "=evil"], "Python; =evil"),
        (["=evil", "Python"], "'=evil; Python"),
        (None, ""),
        (True, "yes"),
        (3, 3),
        (-3, -3),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, cell: object) -> None:
    assert safe_cell(value) == cell
