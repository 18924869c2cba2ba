"""Calendar invites parse with icalendar and give back exactly the times they were made from."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.core.calendar import Invite, invite_ics, invite_uid

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _event(data: bytes):
    calendar = Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


@pytest.mark.parametrize(
    "tzid, local",
    [
        ("America/Los_Angeles", datetime(2027, 3, 14, 10, 0)),  # the day DST starts there
        ("Europe/Berlin", datetime(2027, 10, 31, 9, 30)),  # the day DST ends there
        ("Asia/Tokyo", datetime(2027, 1, 5, 8, 0)),  # no DST at all
    ],
)
def test_times_round_trip_exactly_across_dst(tzid: str, local: datetime) -> None:
    start = local.replace(tzinfo=ZoneInfo(tzid))
    invite = Invite(
        uid=invite_uid("meeting", 7, "T1"), summary="Kick-off", start=start, end=start + timedelta(hours=1), tzid=tzid
    )
    calendar, event = _event(invite_ics(invite, NOW))
    assert event.decoded("dtstart") == start
    assert event.decoded("dtstart").astimezone(UTC) == start.astimezone(UTC)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(hours=1)
    assert event["dtstart"].params["TZID"] == tzid
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [tzid]


def test_a_change_keeps_the_uid_and_raises_the_sequence() -> None:
    start = datetime(2027, 1, 5, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    first = Invite(uid="meeting-1-T1@mentorbot", summary="Kick-off", start=start, end=start + timedelta(minutes=30))
    moved = Invite(
        **{
            **first.__dict__,
            "start": start + timedelta(days=1),
            "end": start + timedelta(days=1, minutes=30),
            "sequence": 1,
        }
    )
    cancelled = Invite(**{**moved.__dict__, "sequence": 2, "cancelled": True})
    events = [_event(invite_ics(i, NOW)) for i in (first, moved, cancelled)]
    assert {str(e["uid"]) for _, e in events} == {"meeting-1-T1@mentorbot"}
    assert [e.decoded("sequence") for _, e in events] == [0, 1, 2]
    assert str(events[2][0]["method"]) == "CANCEL" and str(events[2][1]["status"]) == "CANCELLED"
    assert str(events[0][0]["method"]) == "REQUEST"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        invite_ics(Invite(uid="x", summary="s", start=datetime(2027, 1, 1), end=datetime(2027, 1, 1, 1)), NOW)
