"""Mentoring circles through the console: offer, a moderator starts one, the introduction in its
private space, the goal board, check-ins, the wrap-up with feedback from each member, stats;
privacy (outsiders, forget-me), moderator rights and bad input."""

import csv
import re
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import select

from storage.tables import Circle, Feedback, Pairing
from tests.support.chat import Chat
from tests.support.community import circle_and_pair, sign_up

SPACE = "[#circle-1 dana+ann+bob+eve]"


async def _community(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "dana", "mentor", capacity=3, goals="")
    for name, hope in (("ann", "Move to pandas"), ("bob", "Test my pipelines"), ("eve", "Build a portfolio")):
        await sign_up(chat, name, "mentee", goals=hope)
    await sign_up(chat, "frank", "mentee")


def _read_csv(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def _rows(chat: Chat, model, *where):  # type: ignore[no-untyped-def]
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(model).where(*where))).scalars().all()


async def test_a_circle_from_offer_to_feedback_and_stats(any_chat: Chat) -> None:
    chat = any_chat  # SQLite and PostgreSQL (the check-in sweep locks rows)
    await _community(chat)
    out = await chat('@dana /mentor circle offer --topic "Data science" --size 4 --cadence monthly')
    assert "[only dana] Your circle offer #1 is open: Data science, up to 4 mentees, meeting once a month." in out
    out = await chat("@frank /mentor circle list")
    assert "#1 Data science with dana — 4 seats free" in out

    out = await chat("@carol /mentor circle create @dana @ann @bob @eve")
    assert "[only carol] Circle #1 started: dana with 3 mentees on Data science." in out
    # One introduction, in the circle's private space, with everyone's reasons and hopes.
    assert out.count(SPACE) == 1 and "@dana mentors this circle of 3 members, meeting once a month." in out
    assert "• @ann — both on Python — hopes to: Move to pandas" in out and "@eve" in out
    assert "[DM ann+dana]" not in out and "[DM dana+ann]" not in out  # no pair introductions
    seats = await _rows(chat, Pairing)
    assert len(seats) == 3 and {s.circle_id for s in seats} == {1}

    out = await chat('@ann /mentor circle goal "Each of us ships one small analysis"')
    assert "Goal 1 is on circle #1's board" in out
    assert f"{SPACE} Circle #1 goal board — Data science\n  1. Each of us ships one small analysis (ann)" in out

    # A month on: one check-in to the mentor, a light one in the space; no per-member check-ins.
    out = await chat("wait 30d")
    assert "[DM dana] Circle check-in #1: how is your circle on Data science going (3 members)?" in out
    assert f"{SPACE} Circle check-in:" in out
    assert "[DM ann] " not in out.replace("[DM ann] Mentee", "")  # nothing per member
    out = await chat("@dana click Needs attention")
    assert "the moderators will reach out" in out
    assert "Circle needs attention: the mentor of circle #1 (Data science) asked for help in check-in 1." in out
    out = await chat("@bob /mentor circle done 1")
    assert "1. ✓ Each of us ships one small analysis" in out

    # Wrapping up asks first; then one goodbye in the space and feedback from each member.
    out = await chat("@dana /mentor circle wrap-up")
    assert "cannot be undone" in out and "[1] Wrap up the circle  [2] Keep it going" in out
    out = await chat("@dana click Wrap up the circle")
    assert f"{SPACE} Circle #1 is complete. dana wrapped up the circle. You reached 1 of 1 goal" in out
    for name in ("ann", "bob", "eve"):
        assert f"[DM {name}] How would you rate your mentorship with dana?" in out
    assert out.count("[DM dana] Thank you for mentoring") == 3
    await chat("@ann click 5", "@bob click 4")
    ratings = {f.rating for f in await _rows(chat, Feedback) if f.rating}
    assert ratings == {5, 4}
    out = await chat("@dana /mentor circle wrap-up 1")
    assert "Circle #1 is not running, so there is nothing to wrap up." in out

    out = await chat("@carol /mentor stats")
    assert "Mentoring circles — counted apart from the pairs above" in out
    assert "active 0 (0 members) · completed 1 (3 members) · open offers 0" in out
    assert "Completed: 0" in out  # the pairs' figures do not count the circle's seats
    # The export tells seats from pairs.
    out = await chat("@carol /mentor export")
    [path] = re.findall(r"\(file pairings\.csv: (.*)\)", out)
    rows = _read_csv(path)
    assert len(rows) == 3 and {row["circle_id"] for row in rows} == {"1"}


async def test_outsiders_cannot_see_or_act_on_a_circle(chat: Chat) -> None:
    await _community(chat)
    await chat("@carol /mentor circle create @dana @ann @bob --topic Data")
    out = await chat("@frank /mentor circle goals --circle 1")
    assert "That circle is not yours." in out and "Data" not in out.replace("/mentor circle list", "")
    out = await chat('@frank /mentor circle goal "hello" --circle 1', "@frank /mentor circle wrap-up 1")
    assert out.count("That circle is not yours.") == 2
    out = await chat("@frank /mentor circle list")
    assert "ann" not in out and "bob" not in out  # offers never show who is in a circle
    assert "#1 Data with dana — 2 seats free" in out
    out = await chat("@carol /mentor circle list")
    assert "Circles (moderators see them all)" in out and "#1 Data (active) — mentor dana; members: ann, bob" in out
    out = await chat("@frank /mentor circle done 1")
    assert "You are not in an active circle." in out
    # A member who is not its mentor cannot wrap it up.
    out = await chat("@ann /mentor circle wrap-up")
    assert "Only moderators can wrap up a circle you do not mentor." in out
    assert (await _rows(chat, Circle))[0].status == "active"


async def test_forget_me_takes_a_member_out_of_the_circle(chat: Chat) -> None:
    await _community(chat)
    await chat("@carol /mentor circle create @dana @ann @bob --topic Data")
    await chat('@ann /mentor circle goal "Ann ships her notebook"')
    out = await chat("@ann /mentor forget-me", "@ann click Yes, delete my data")
    assert "deleted from my records" in out
    assert "[#circle-1] removed: ann" in out  # out of the space on the platform too
    assert "[DM dana] A member left the program and your circle #1." in out  # not "your mentorship has ended"
    assert "mentor someone else" not in out
    out = await chat('@bob /mentor circle goal "Bob writes tests"')
    assert "[#circle-1 dana+bob] Circle #1 goal board" in out  # ann is no longer in the space
    assert "1. [removed]" in out and "Ann ships" not in out
    out = await chat("@bob /mentor circle list")
    assert "members: bob" in out


async def test_only_moderators_create_circles(chat: Chat) -> None:
    await _community(chat)
    out = await chat("@ann /mentor circle create @dana @bob")
    assert "[only ann] Only moderators can" in out
    assert await _rows(chat, Circle) == []


async def test_bad_input_gets_a_short_answer(chat: Chat) -> None:
    await _community(chat)
    out = await chat("@ann /mentor circle offer")
    assert "Only mentors can offer a circle." in out
    out = await chat("@dana /mentor circle offer --size 12")
    assert "A circle has 2 to 8 mentees, e.g. --size 4." in out
    out = await chat("@dana /mentor circle offer --cadence daily")
    assert "The cadence is weekly, biweekly or monthly" in out
    out = await chat("@carol /mentor circle create @dana")
    assert "Name the mentor and 1 to 8 mentees" in out
    out = await chat("@carol /mentor circle create @dana @nobody")
    assert "I don't know a member called @nobody here." in out
    out = await chat("@carol /mentor circle create @ann @bob")
    assert "ann is not signed up as a mentor." in out
    out = await chat("@carol /mentor circle create @dana @bob @bob")
    assert "Each member can be named once." in out
    out = await chat("@carol /mentor circle create @dana @carol")
    assert "carol hasn't signed up for the program." in out
    await sign_up(chat, "max", "mentor")
    out = await chat("@carol /mentor circle create @dana @max")
    assert "max signed up to mentor, not to be mentored." in out
    assert await _rows(chat, Circle) == []
    await chat("@carol /mentor circle create @dana @bob")
    out = await chat("@carol /mentor circle create @dana @bob")
    assert "bob is already mentored by dana." in out
    await sign_up(chat, "mia", "mentor", capacity=2)
    out = await chat("@carol /mentor circle create @mia @eve @bob")  # bob: one mentor at a time
    assert "bob already has a mentor, and a member has one at a time." in out and "/mentor pair 1 end" in out
    assert len(await _rows(chat, Pairing)) == 1 and "Circle #2 started" not in out
    out = await chat('@bob /mentor circle goal ""', "@bob /mentor circle done two", "@bob /mentor circle done 7")
    assert "Say what the goal is" in out and "Give the goal's number" in out and "The board has no goal 7." in out
    out = await chat("@bob /mentor circle goals --circle x")
    assert "Give the circle's number" in out
    assert "Traceback" not in out and "something went wrong" not in out.lower()


async def test_matching_seats_mentees_in_an_offered_circle(chat: Chat) -> None:
    await circle_and_pair(chat)
    out = await chat("@carol /mentor match", "@carol /mentor match approve")
    # dana's two mentees are seated in her circle with one introduction in its space; maria's is a pair.
    assert out.count("[#circle-1 dana+ann+bob] Mentoring circle #1: Python together") == 1
    assert "@dana mentors this circle of 2 members" in out
    assert "[DM omar+maria] Hello" in out or "[DM maria+omar] Hello" in out
    assert "[DM ann+dana]" not in out and "[DM dana+ann]" not in out
    seats = await _rows(chat, Pairing, Pairing.circle_id == 1)
    assert len(seats) == 2
    [circle] = await _rows(chat, Circle)
    assert circle.status == "active"
    out = await chat("@omar /mentor circle list")
    assert "#1 Python together with dana — 1 seat free" in out  # seats taken count against its size


def _ics(out: str, user: str) -> list[Path]:
    found, current = [], None
    for line in out.splitlines():
        if line.startswith("["):
            current = line.split("]", 1)[0][1:]
        match = re.match(r"\s+\(file invite\.ics: (.*)\)$", line)
        if match and current == f"DM {user}":
            found.append(Path(match.group(1)))
    return found


async def test_the_circle_finds_a_time_everyone_ticks(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "dana", "mentor", capacity=3, timezone="Europe/Berlin")
    await sign_up(chat, "ann", "mentee", timezone="Europe/London")
    await sign_up(chat, "bob", "mentee", timezone="Europe/Berlin")
    await chat("@carol /mentor circle create @dana @ann @bob --topic Data")
    out = await chat("@ann /mentor circle schedule --event")
    assert "Only the circle's mentor can list its meeting in the server's events" in out
    out = await chat("@ann /mentor schedule")
    assert "You meet as circle #1: /mentor circle schedule finds a time for all." in out
    out = await chat("@ann /mentor circle schedule")
    assert "[#circle-1 dana+ann+bob] Find a time for the circle:" in out
    first = next(line for line in out.splitlines() if line.strip().startswith("1. "))
    assert "dana: " in first and "ann: " in first and "bob: " in first  # each in their own zone
    out = await chat("@dana click Slot 1", "@ann click Slot 1")
    assert "1 member still to answer." in out and "Booked" not in out
    out = await chat("@bob click Slot 1")
    assert "Everyone can make it — booked." in out
    assert "[#circle-1 dana+ann+bob] Booked: the circle meets" in out
    files = {name: _ics(out, name) for name in ("dana", "ann", "bob")}
    assert all(len(f) == 1 for f in files.values())
    event = next(c for c in Calendar.from_ical(files["ann"][0].read_bytes()).walk() if c.name == "VEVENT")
    assert str(event["uid"]).startswith("circle-1-") and int(event["sequence"]) == 0
    assert str(event["dtstart"].params.get("TZID")) == "Europe/London"
    uid = str(event["uid"])

    # Asking again offers new times; the booked time moves with the same UID, one SEQUENCE higher.
    await chat("@dana /mentor circle schedule")
    out = await chat("@dana click Slot 2", "@ann click Slot 2", "@bob click Slot 2")
    assert "[#circle-1 dana+ann+bob] Moved: the circle meets" in out
    moved = next(c for c in Calendar.from_ical(_ics(out, "bob")[0].read_bytes()).walk() if c.name == "VEVENT")
    assert str(moved["uid"]) == uid and int(moved["sequence"]) == 1
    # Outsiders cannot tick the circle's slots.
    await sign_up(chat, "frank", "mentee")
    out = await chat("@frank /mentor circle schedule --circle 1")
    assert "That circle is not yours." in out


async def test_leaving_takes_a_member_out_of_the_space(chat: Chat) -> None:
    await _community(chat)
    await chat("@carol /mentor circle create @dana @ann @bob --topic Data")
    out = await chat("@bob /mentor leave")
    assert "[#circle-1] removed: bob" in out
    out = await chat('@ann /mentor circle goal "Ann ships"')
    assert "[#circle-1 dana+ann] Circle #1 goal board" in out


async def test_a_restart_mid_scheduling_and_second_clicks_act_once(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "dana", "mentor", capacity=3, timezone="Europe/Berlin")
    await sign_up(chat, "ann", "mentee", timezone="Europe/London")
    await sign_up(chat, "bob", "mentee", timezone="Europe/Berlin")
    await chat("@carol /mentor circle create @dana @ann @bob --topic Data")
    await chat("@dana /mentor circle schedule")
    await chat("@dana click Slot 1")
    # A second click on a slot is an untick, said plainly; a third ticks it again.
    out = await chat("@ann click Slot 1", "@ann click Slot 1")
    assert "[only ann] Unticked:" in out and "2 members still to answer." in out
    # The bot restarts between two members' ticks: the ticks so far are kept, the rest still count.
    out = await chat("restart", "@ann click Slot 1")
    assert "(restarted" in out and "1 member still to answer." in out and "Booked" not in out
    out = await chat("@bob click Slot 1")
    assert out.count("[#circle-1 dana+ann+bob] Booked: the circle meets") == 1
    out = await chat("@bob click Slot 1")  # the same button again: nothing booked twice
    assert "Booked: the circle meets" not in out and "Moved" not in out
    assert all(len(_ics(out, name)) == 0 for name in ("dana", "ann", "bob"))

    # Wrapping up clicked twice: one goodbye in the space, one feedback request each.
    await chat("@dana /mentor circle wrap-up")
    out = await chat("@dana click Wrap up the circle", "@dana click Wrap up the circle")
    assert out.count("[#circle-1 dana+ann+bob] Circle #1 is complete.") == 1
    assert out.count("[DM ann] How would you rate your mentorship with dana?") == 1
    assert len(await _rows(chat, Circle, Circle.status == "completed")) == 1
