"""Calendar invites (RFC 5545 `.ics` files) for community events, kick-off calls and meetings.

One invite is one VEVENT. Its UID never changes for the life of the meeting; every change
(a new time, a cancellation) is sent again with SEQUENCE one higher, which is how calendar
programs know to update the entry instead of adding a second one. Times are written in the
meeting's own time zone (with its VTIMEZONE) so a recurring DST change is drawn correctly.

`icalendar` is imported only when an invite is made: most processes never make one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PRODUCT_ID = "-//mentorbot//mentorbot//EN"


@dataclass(frozen=True)
class Invite:
    """What a calendar invite says. `start`/`end` are aware datetimes; `tzid` is an IANA zone."""

    uid: str
    summary: str
    start: datetime
    end: datetime
    tzid: str = "UTC"
    sequence: int = 0
    description: str = ""
    location: str = ""
    cancelled: bool = False


def invite_uid(kind: str, key: int | str, community: str) -> str:
    """A stable, globally unique UID: the same meeting always gets the same one."""
    return f"{kind}-{key}-{community}@mentorbot"


def invite_ics(invite: Invite, now: datetime) -> bytes:
    """The `.ics` bytes for `invite` (METHOD:REQUEST, or METHOD:CANCEL when cancelled)."""
    if invite.start.tzinfo is None or invite.end.tzinfo is None:
        raise ValueError("invite times must be timezone-aware")
    from icalendar import Calendar, Event

    zone = ZoneInfo(invite.tzid)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if invite.cancelled else "REQUEST")
    event = Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", invite.start.astimezone(zone))
    event.add("dtend", invite.end.astimezone(zone))
    event.add("summary", invite.summary)
    event.add("status", "CANCELLED" if invite.cancelled else "CONFIRMED")
    if invite.description:
        event.add("description", invite.description)
    if invite.location:
        event.add("location", invite.location)
    calendar.add_component(event)
    calendar.add_missing_timezones()  # VTIMEZONE for the TZID, so every calendar program agrees
    return calendar.to_ical()


def invite_filename(invite: Invite) -> str:
    """The attachment's file name: short, safe on every platform."""
    return "cancelled.ics" if invite.cancelled else "invite.ics"
