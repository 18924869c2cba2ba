"""Slot finding across time zones and the calendar invites that book a slot (pure functions)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.core.calendar import Invite, invite_ics, invite_uid
from bot.core.parsing import ParseError
from bot.features.meetings.slots import (
    Person,
    Window,
    describe_availability,
    fits,
    parse_availability,
    propose_slots,
    slot_label,
)

TOKYO, LA = "Asia/Tokyo", "America/Los_Angeles"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_tokyo_and_los_angeles_get_only_slots_inside_both_waking_days() -> None:
    people = [Person(TOKYO), Person(LA)]
    slots = propose_slots(people, NOW)
    assert len(slots) == 3 and len({s.date() for s in slots}) == 3  # spread over three days
    for start in slots:
        end = start + timedelta(minutes=30)
        for zone in (TOKYO, LA):
            local_start, local_end = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
            assert 8 <= local_start.hour and (local_end.hour, local_end.minute) <= (20, 0), (zone, local_start)
    # Tokyo's morning is Los Angeles' afternoon of the day before: each member sees their own clock.
    first = slots[0]
    assert slot_label(first, 30, TOKYO).endswith("08:00–08:30")
    assert slot_label(first, 30, LA).endswith("15:00–15:30")
    assert first.astimezone(ZoneInfo(TOKYO)).date() == first.astimezone(ZoneInfo(LA)).date() + timedelta(days=1)


def test_weekly_availability_narrows_the_slots_and_none_of_these_offers_the_next_three() -> None:
    evenings = parse_availability("Mon-Fri 18:00-20:00; Sat 10-14")
    assert Window(0, 18 * 60, 20 * 60) in evenings and Window(5, 600, 840) in evenings and len(evenings) == 6
    people = [Person(TOKYO), Person(LA, evenings)]
    slots = propose_slots(people, NOW)
    assert slots, "LA 18:00–20:00 is Tokyo 11:00–13:00 the next day: there is an overlap"
    for start in slots:
        local = start.astimezone(ZoneInfo(LA))
        assert local.weekday() < 5 and 18 <= local.hour < 20
        assert all(fits(p, start, timedelta(minutes=30), (480, 1200)) for p in people)
    more = propose_slots(people, NOW, skip=3)
    assert not set(more) & set(slots) and min(more) > max(slots)


def test_no_overlap_gives_no_slots_and_custom_waking_hours_are_respected() -> None:
    assert (
        propose_slots(
            [Person(TOKYO, parse_availability("Mon 08-09")), Person(LA, parse_availability("Mon 08-09"))], NOW
        )
        == []
    )
    late = propose_slots([Person("Europe/Berlin")], NOW, waking=(17 * 60, 19 * 60))
    assert all(17 <= s.astimezone(ZoneInfo("Europe/Berlin")).hour < 19 for s in late)


@pytest.mark.parametrize("bad", ["", "someday 10-12", "Mon 12-10", "Mon 25-26", "Funday 10-12"])
def test_unreadable_availability_is_refused_with_an_example(bad: str) -> None:
    with pytest.raises(ParseError, match="Mon-Fri|after the start|free"):
        parse_availability(bad)


def _event(ics: bytes):  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(ics)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    return calendar, events[0]


def test_the_invite_round_trips_exactly_across_a_dst_change_and_a_reschedule_keeps_the_uid() -> None:
    # 2027-03-14 is the day Los Angeles moves to summer time; a weekly meeting after it keeps 10:00 local.
    uid = invite_uid("meeting", 7, "3")
    for start in (datetime(2027, 3, 13, 18, 0, tzinfo=UTC), datetime(2027, 3, 15, 17, 0, tzinfo=UTC)):
        invite = Invite(uid, "Mentoring: ann & maria", start, start + timedelta(minutes=30), tzid=LA, sequence=0)
        calendar, event = _event(invite_ics(invite, NOW))
        assert event.decoded("dtstart") == start and event.decoded("dtend") == start + timedelta(minutes=30)
        assert event.decoded("dtstart").astimezone(ZoneInfo(LA)).hour == 10  # 10:00 both sides of the change
        assert str(event["dtstart"].params["TZID"]) == LA
        assert any(c.name == "VTIMEZONE" for c in calendar.walk())
    moved = Invite(
        uid,
        "Mentoring: ann & maria",
        start + timedelta(days=1),
        start + timedelta(days=1, minutes=30),
        tzid=TOKYO,
        sequence=1,
    )
    _, event = _event(invite_ics(moved, NOW))
    assert str(event["uid"]) == uid and int(event["sequence"]) == 1
    cancelled = Invite(uid, "x", moved.start, moved.end, tzid=TOKYO, sequence=2, cancelled=True)
    calendar, event = _event(invite_ics(cancelled, NOW))
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED" and str(event["uid"]) == uid


def test_the_program_file_sets_waking_hours_and_a_cpd_conversion_and_refuses_nonsense() -> None:
    from bot.core.program import DEFAULT_PATH, ProgramError, default_program, parse_program

    assert default_program().waking_hours == (480, 1200) and default_program().cpd_per_hour is None
    text = DEFAULT_PATH.read_text()
    custom = parse_program(
        text.replace('waking_hours = "08:00-20:00"', 'waking_hours = "07:30-21:00"\ncpd_per_hour = 0.5', 1)
    )
    assert custom.waking_hours == (450, 1260) and custom.cpd_per_hour == 0.5 and custom.cpd_label == "CPD hours"
    for bad, problem in (('"20:00-08:00"', "waking_hours"), ('"soon"', "waking_hours")):
        with pytest.raises(ProgramError, match=problem):
            parse_program(text.replace('"08:00-20:00"', bad, 1))
    with pytest.raises(ProgramError, match="cpd_per_hour"):
        parse_program(
            text.replace('waking_hours = "08:00-20:00"', 'waking_hours = "08:00-20:00"\ncpd_per_hour = 99', 1)
        )


def test_several_days_in_one_part_are_all_kept_and_a_non_day_is_refused() -> None:
    # "Mon, Wed 18-20" once kept Monday only; every day named is a window now.
    assert describe_availability(parse_availability("Mon, Wed 18-20")) == "Mon 18:00–20:00, Wed 18:00–20:00"
    assert describe_availability(parse_availability("monday - wednesday sat 9-12")) == (
        "Mon–Wed 09:00–12:00, Sat 09:00–12:00"
    )
    for unreadable in ("monwed 18-20", "Mon-Tue-Wed 9-10", "9-10"):
        with pytest.raises(ParseError):
            parse_availability(unreadable)


def test_a_refusal_echoes_no_markup_from_the_member() -> None:
    with pytest.raises(ParseError) as refused:
        parse_availability("<!channel> *now* 9-10")
    assert "<" not in str(refused.value) and "*" not in str(refused.value) and "!channel" not in str(refused.value)
