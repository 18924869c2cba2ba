"""Meetings through the console: the session log drives the counts; finding a time books an invite."""

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from storage.tables import MeetingLog, MeetingPlan, Pairing
from tests.support.chat import Chat
from tests.support.community import sign_up

TOKYO, LA = "Asia/Tokyo", "America/Los_Angeles"


async def _paired(chat: Chat, **zones: str) -> str:
    """ann (mentee) and maria (mentor), introduced; returns the introduction as printed."""
    await chat("moderators: carol", "@carol /mentor modchannel")
    far = bool(zones)  # far apart: both accept working asynchronously, so they may be matched
    await sign_up(chat, "maria", "mentor", timezone=zones.get("maria", "Europe/Berlin"), accepts_async=far)
    await sign_up(chat, "ann", "mentee", timezone=zones.get("ann", "Europe/Berlin"), accepts_async=far)
    return await chat("@carol /mentor match", "@carol /mentor match approve")


async def _rows(chat: Chat, model, *where):  # type: ignore[no-untyped-def]
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(model).where(*where))).scalars().all()


def _files(out: str, user: str) -> list[Path]:
    """The paths of the files attached to `user`'s DMs in a transcript."""
    found, current = [], None
    for line in out.splitlines():
        if line.startswith("["):
            current = line.split("]", 1)[0][1:]
        match = re.match(r"\s+\(file invite\.ics: (.*)\)$", line) or re.match(
            r"\s+\(file cancelled\.ics: (.*)\)$", line
        )
        if match and current == f"DM {user}":
            found.append(Path(match.group(1)))
    return found


def _event(path: Path):  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(path.read_bytes())
    return calendar, next(c for c in calendar.walk() if c.name == "VEVENT")


# --- the session log -----------------------------------------------------------------------


async def test_we_met_asks_for_the_length_and_the_log_drives_every_count(chat: Chat) -> None:
    await _paired(chat)
    await chat("wait 14d")
    out = await chat("@ann click We met")
    assert "Thanks — noted: We met." in out and "How long was it? (optional — one tap)" in out
    assert "[1] 30 min  [2] 45 min  [3] 1 hour  [4] 1½ hours" in out
    out = await chat("@ann click 45 min")
    assert "Logged: 45 min on" in out
    # maria's "We met" about the same session joins ann's: one meeting, not two.
    await chat("wait 12h")
    await chat("@maria click We met")
    assert len(await _rows(chat, MeetingLog)) == 1

    out = await chat('@maria /mentor log 1h30m "résumé review <@everyone>" --on yesterday')
    assert "Logged 1 h 30 min on" in out and "résumé review" in out
    assert "Your pair has logged 2 meetings (2 h 15 min)." in out
    out = await chat("@ann /mentor log")
    assert "Your meetings — 2 meetings, 2 h 15 min logged:" in out and "résumé review" in out
    # The note is for the pair: the moderator's view of the pair counts sessions, never shows it.
    out = await chat("@carol /mentor pair 1")
    assert "meetings logged: 2 (2.2 h)" in out and "résumé review" not in out
    out = await chat("@carol /mentor stats")
    assert "Meetings logged: 2 (2.0 per pair)" in out and "Hours of mentoring this quarter: 2.2" in out


async def test_log_refuses_what_it_cannot_read_politely(chat: Chat) -> None:
    await _paired(chat)
    out = await chat("@ann /mentor log soon")
    assert "I can't read 'soon' as the length of a meeting" in out and "/mentor log 45m" in out
    out = await chat("@ann /mentor log 9h")
    assert "between 1 minute and 8 hours" in out
    out = await chat("@ann /mentor log 30m --on 2099-01-01")
    assert "still to come" in out
    out = await chat("@ann /mentor log 30m --on 2020-01-01")
    assert "before your mentorship started" in out
    out = await chat("@ann /mentor log 30m one two three")
    assert "Put the note in quotes" in out
    out = await chat("@bob /mentor log 30m")
    assert "You need an active mentorship to log a meeting" in out
    assert await _rows(chat, MeetingLog) == []
    out = await chat("@ann /mentor log")
    assert "No meetings logged yet" in out


async def test_the_kickoff_button_logs_the_first_session(chat: Chat) -> None:
    await _paired(chat)
    await chat("@maria click We've had our kick-off")
    (entry,) = await _rows(chat, MeetingLog)
    (pairing,) = await _rows(chat, Pairing)
    assert entry.minutes is None and pairing.kickoff_at is not None


# --- finding a time --------------------------------------------------------------------------


async def test_tokyo_and_los_angeles_pick_a_slot_get_invites_a_reminder_and_can_move_or_cancel(chat: Chat) -> None:
    out = await _paired(chat, ann=TOKYO, maria=LA)
    assert "Find a time:" in out
    slots = re.findall(r"  (\d)\. ann: (.+?) · maria: (.+)", out)
    assert len(slots) == 3
    for _, tokyo, la in slots:  # every slot inside both waking days, each in the member's own clock
        assert "08:00" <= tokyo.split(", ")[1][:5] and tokyo.split("–")[1] <= "20:00"
        assert "08:00" <= la.split(", ")[1][:5] and la.split("–")[1] <= "20:00"
    assert "/mentor availability" in out  # asked once, since neither gave availability
    (pairing,) = await _rows(chat, Pairing)
    assert pairing.kickoff_due_at is not None

    out = await chat("@ann click Slot 2")
    assert "Ticked:" in out and "I'll book the first time you both tick." in out
    out = await chat("@maria click Slot 3", "@maria click Slot 2")
    assert "You both can make it — booked." in out
    assert "[DM ann] Booked: your meeting with maria" in out and f"({TOKYO})" in out
    assert "[DM maria] Booked: your meeting with ann" in out and f"({LA})" in out
    (plan,) = await _rows(chat, MeetingPlan)
    assert plan.status == "confirmed" and plan.start_at is not None and plan.sequence == 0
    (ann_ics,) = _files(out, "ann")
    (maria_ics,) = _files(out, "maria")
    assert oct(ann_ics.stat().st_mode & 0o777) == "0o600"
    for path, zone in ((ann_ics, TOKYO), (maria_ics, LA)):
        calendar, event = _event(path)
        assert event.decoded("dtstart") == plan.start_at  # the same instant, written in each member's zone
        assert str(event["dtstart"].params["TZID"]) == zone and str(calendar["method"]) == "REQUEST"
    uid = str(_event(ann_ics)[1]["uid"])
    (pairing,) = await _rows(chat, Pairing)
    assert pairing.kickoff_due_at is None  # no kick-off nudges: the reminder an hour before replaces them

    # Moving it: new slots in the pair's DM; the new time goes out with the same UID, SEQUENCE 1.
    out = await chat("@maria /mentor schedule")
    assert "I've sent you both three times to choose from" in out and "Find a time:" in out
    out = await chat("@ann click Slot 1", "@maria click Slot 1")
    assert "[DM ann] Moved: your meeting with maria" in out
    (moved,) = _files(out, "ann")
    _, event = _event(moved)
    assert str(event["uid"]) == uid and int(event["sequence"]) == 1

    # An hour before, both are reminded (once).
    (plan,) = await _rows(chat, MeetingPlan)
    assert plan.start_at is not None
    wait = plan.start_at - timedelta(minutes=59) - chat.now
    out = await chat(f"wait {int(wait.total_seconds() // 60)}m")
    assert "[DM ann] In an hour: your meeting with maria" in out and "[DM maria] In an hour:" in out
    local = plan.start_at.astimezone(ZoneInfo(LA))
    assert f"{local:%H:%M}" in out.split("[DM maria] In an hour:")[1]

    # Still ahead, so it can be moved again and then cancelled: all under the one UID.
    await chat("@ann /mentor schedule", "@ann click Slot 1", "@maria click Slot 1")
    out = await chat("@ann /mentor schedule cancel")
    assert "Cancelled; you both get an invite" in out
    (cancelled,) = _files(out, "maria")
    calendar, event = _event(cancelled)
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == uid and int(event["sequence"]) == 3
    (plan,) = await _rows(chat, MeetingPlan)
    assert plan.status == "cancelled" and plan.remind_at is None
    out = await chat("@ann /mentor schedule cancel")
    assert "no booked meeting to cancel" in out


async def test_availability_is_stored_used_and_refused_when_unreadable(chat: Chat) -> None:
    await _paired(chat, ann=TOKYO, maria=LA)
    out = await chat('@maria /mentor availability "Mon-Fri 18:00-20:00"')
    assert "Saved: Mon–Fri 18:00–20:00" in out
    out = await chat("@maria /mentor availability")
    assert "You're usually free: Mon–Fri 18:00–20:00" in out
    out = await chat('@maria /mentor availability "whenever"')
    assert "I can't read 'whenever'" in out and "Mon-Fri 18:00-20:00" in out
    out = await chat("@ann /mentor schedule")
    slots = re.findall(r"  \d\. ann: (.+?) · maria: (.+)", out)
    assert slots and all(la.split(", ")[1][:2] in ("18", "19") for _, la in slots)
    assert "/mentor availability" not in out.split("Find a time:")[1]  # asked once only
    out = await chat("@ann click None of these work")
    assert "I'll send you both three other times." in out and out.count("Find a time:") == 1
    out = await chat("@ann click Slot 9")
    assert "no button" in out


# --- certificates ------------------------------------------------------------------------------


def _pdf_text(out: str, user: str) -> tuple[Path, str]:
    from pypdf import PdfReader

    (path,) = [
        Path(m) for m in re.findall(rf"\[DM {user}\] Your certificate.*?\(file certificate\.pdf: (.*?)\)", out, re.S)
    ]
    return path, "\n".join(page.extract_text() for page in PdfReader(path).pages)


async def test_certificate_from_the_completion_message_names_hours_and_a_code_that_verifies(chat: Chat) -> None:
    await _paired(chat)
    await chat("@maria click We've had our kick-off", '@maria /mentor log 1h30m "portfolio"', "wait 2d")
    await chat("@maria click Done — I've read it")  # her first mentor-training lesson counts too
    await chat("wait 12d")
    await chat("@ann click We met", "@ann click 1 hour")
    out = await chat("@ann /mentor wrap-up", "@ann click Yes, wrap up")
    assert "[8] Get my certificate (PDF)" in out.split("[DM maria] Thank you for mentoring ann")[1]
    out = await chat("@maria click Get my certificate (PDF)")
    assert "Your certificate (PDF) is on its way to your DMs." in out
    path, text = _pdf_text(out, "maria")
    assert "maria" in text and "mentor" in text and "2.5 hours of mentoring logged (3 meetings)" in text
    assert "15 minutes of mentor training (1 lesson)" in text
    assert "mentored 1 mentee" in text and "CPD" not in text  # the default program defines no conversion
    code = re.search(r"MB-[A-Z0-9]{4}-[A-Z0-9]{4}", text).group(0)  # type: ignore[union-attr]
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    out = await chat(f"@carol /mentor verify {code.lower()}")
    assert f"Valid: {code}" in out and "maria, mentor" in out and "2.5 h logged, 1 mentee" in out
    out = await chat(f"@ann /mentor verify {code}")
    assert "Only moderators can use /mentor verify" in out
    out = await chat("@carol /mentor verify MB-AAAA-BBBB")
    assert "No certificate with the code MB-AAAA-BBBB" in out

    # Forget-me: the log goes, the code stops verifying, the file is deleted, no new certificate.
    await chat("@maria /mentor forget-me", "@maria click Yes, delete my data")
    out = await chat(f"@carol /mentor verify {code}")
    assert "no longer valid" in out
    assert not path.exists()
    assert [r.logged_by_member_id for r in await _rows(chat, MeetingLog)] != []  # ann's own entry stays...
    assert all(r.note == "" for r in await _rows(chat, MeetingLog))  # ...without notes about maria
    out = await chat("@maria /mentor certificate")
    assert "on its way" not in out


async def test_a_mentee_certificate_shows_cpd_hours_when_the_program_file_converts(chat: Chat) -> None:
    from dataclasses import replace

    await _paired(chat)
    chat.bot.program = replace(chat.bot.program, cpd_per_hour=1.5, cpd_label="CPD points")
    await chat('@ann /mentor log 2h "mock interview"')
    out = await chat("@ann /mentor certificate")
    _, text = _pdf_text(out, "ann")
    assert "ann" in text and "mentee" in text and "2.0 hours of mentoring logged" in text
    assert "3.0 CPD points" in text and "mentored" not in text
    out = await chat("@bob /mentor certificate")
    assert "you haven't been paired yet" in out


# --- the half-way pulse --------------------------------------------------------------------------


async def test_the_half_way_pulse_raises_at_risk_when_low_and_shows_only_aggregates(chat: Chat) -> None:
    await _paired(chat)
    await chat("@maria click We've had our kick-off")
    for _ in range(3):  # a pair that answers its check-ins: nothing at risk before the pulse
        await chat("wait 14d", "@ann click We met", "wait 12h", "@maria click We met")
    out = await chat("wait 4d")
    assert "At-risk" not in out
    assert "[DM ann] Half-way check: how is your mentorship with maria going?" in out
    assert "[DM maria] Half-way check: how is your mentorship with ann going?" in out
    out = await chat("@ann click 2")
    assert "2/5 noted — sorry it's not going well. A moderator will get in touch." in out
    assert "At-risk pair #1: ann ← maria" in out and "ann answered 2/5 at the half-way pulse" in out
    out = await chat("@ann pulse we never find a time <@everyone>")
    assert "Thank you — passed on to the moderators." in out
    assert "Half-way pulse (pair #1), from ann:" in out and "we never find a time" in out
    assert "2/5" not in out.split("Half-way pulse (pair #1)")[1]  # the words go on without the rating
    out = await chat("@maria click 4")
    assert "4/5 noted. Thank you!" in out
    out = await chat("@carol /mentor stats")
    assert "Half-way pulse: fewer than 3 answers" in out and "never find" not in out
    out = await chat("@bob pulse hello")
    assert "passed on" not in out


# --- opt-in public thanks --------------------------------------------------------------------


async def test_only_mentors_who_agreed_are_thanked_by_name_once_a_month(sqlite_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bot.core.program import DEFAULT_PATH
    from bot.core.settings import Settings

    program = tmp_path / "program.toml"
    program.write_text(DEFAULT_PATH.read_text().replace("[meetings]\n", '[meetings]\nthanks_channel = "program"\n', 1))
    chat = await Chat.open(
        sqlite_factory, settings=Settings(data_dir=str(tmp_path / "data"), program_path=str(program))
    )
    try:
        await chat("moderators: carol")
        for mentee, mentor in (("ann", "maria"), ("ben", "omar")):
            await sign_up(chat, mentor, "mentor", topics_offered=[f"T{mentee}"])
            await sign_up(chat, mentee, "mentee", topics_wanted=[f"T{mentee}"])
        await chat("@carol /mentor match", "@carol /mentor match approve")
        out = await chat("@maria /mentor thanks on")
        assert "you'll be thanked by name in the program channel" in out
        out = await chat("@ann /mentor thanks maybe")
        assert "/mentor thanks on" in out
        out = await chat("wait 9d")  # 23 Nov + 9 days: the first of December has passed
        assert out.count("[program] Thank you, mentors! In November these mentors gave their time: maria.") == 1
        post = next(line for line in out.splitlines() if line.startswith("[program]"))
        assert "omar" not in post  # omar never agreed: never named
        await chat("@maria /mentor thanks off")
        out = await chat("wait 31d")
        assert "Thank you, mentors!" not in out  # nobody agreed any more: no post at all
    finally:
        await chat.close()


async def test_six_weeks_without_a_logged_meeting_is_an_at_risk_signal(chat: Chat) -> None:
    await _paired(chat)
    await chat("@maria click We've had our kick-off")
    for _ in range(2):  # ann keeps answering, so only the log can tell nobody met
        await chat("wait 14d", "@ann click Pause 2 weeks")
    out = await chat("wait 14d", "@ann click Need help")
    assert "At-risk pair #1: ann ← maria" in out
    assert "Signals: no meeting logged for 6 weeks; ann asked for help." in out


async def test_copies_of_invites_and_certificates_are_deleted_after_the_retention(chat: Chat) -> None:
    await _paired(chat)
    await chat('@ann /mentor log 1h "x"')
    path, _ = _pdf_text(await chat("@ann /mentor certificate"), "ann")
    assert path.exists()
    await chat("wait 6d")
    assert path.exists()
    await chat("wait 2d")
    assert not path.exists()  # seven days after it was made (MENTORBOT_EXPORT_RETENTION_DAYS)
