"""Finding meeting slots across time zones: a pure function of zones, availability and a start time.

A slot is offered only when, for every member, it lies inside their waking hours
(08:00–20:00 local unless the program file says otherwise) and — for a member who
gave their weekly availability — inside one of their windows. Slots are spread over
different days (the first that fits on each), so "none of these work" can offer the
next three without repeating a day's near-duplicates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.parsing import ParseError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STEP = timedelta(minutes=30)
NOTICE = timedelta(hours=12)  # never propose a time that leaves no room to plan
HORIZON = timedelta(days=21)
AVAILABILITY_HELP = 'Write it like "Mon-Fri 18:00-20:00; Sat 10-14" (your own time; days and hours).'
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?$")


@dataclass(frozen=True)
class Window:
    """A weekly free time in the member's own zone: weekday (Monday 0), start and end minute."""

    weekday: int
    start: int
    end: int


@dataclass(frozen=True)
class Person:
    """What slot finding needs of a member: their zone and their windows (empty: waking hours only)."""

    zone: str
    windows: tuple[Window, ...] = ()


def parse_availability(text: str) -> tuple[Window, ...]:
    """`Mon-Fri 18:00-20:00; Sat 10-14` → windows. Several parts are separated by ; or a new line;
    one part may name several days or ranges (`Mon, Wed 18-20`, `Mon-Tue Thu 9-12`)."""
    windows: list[Window] = []
    for part in re.split(r"[;\n]", text.lower()):
        part = " ".join(part.replace(",", " ").split())
        if not part:
            continue
        days_word, _, hours_word = part.rpartition(" ")
        hours = _HOURS.match(hours_word)
        days = _days(days_word)
        if days is None or not hours:
            raise ParseError(f"I can't read {_shown(part)!r} as days and hours. {AVAILABILITY_HELP}")
        start = int(hours.group(1)) * 60 + int(hours.group(2) or 0)
        end = int(hours.group(3)) * 60 + int(hours.group(4) or 0)
        if not 0 <= start < end <= 24 * 60:
            raise ParseError(f"{_shown(hours_word)!r}: the end must come after the start, within one day.")
        windows.extend(Window(day, start, end) for day in days)
    if not windows:
        raise ParseError(f"Say when you are usually free. {AVAILABILITY_HELP}")
    return tuple(windows)


def _shown(words: str) -> str:
    """The member's words echoed back only as letters, digits, spaces, ':' and '-': nothing a
    platform could read as markup or a mention."""
    return re.sub(r"[^a-z0-9: -]", "", words)[:40]


def _days(words: str) -> list[int] | None:
    """`mon-fri`, `mon wed`, `monday - wednesday sat` → weekdays in order written; None if a word is no day."""
    days: list[int] = []
    for token in re.sub(r"\s*-\s*", "-", words).split():
        ends = token.split("-")
        if len(ends) > 2 or not all(_day(e) is not None for e in ends):
            return None
        first, last = _day(ends[0]), _day(ends[-1])
        assert first is not None and last is not None
        day = first
        while True:
            if day not in days:
                days.append(day)
            if day == last:
                break
            day = (day + 1) % 7
    return days or None


def _day(word: str) -> int | None:
    """A weekday written whole or shortened to at least three letters ("wed", "weds" is not one)."""
    if len(word) < 3:
        return None
    for index, name in enumerate(_DAY_NAMES):
        if name.startswith(word):
            return index
    return None


def describe_availability(windows: tuple[Window, ...]) -> str:
    """Windows back as words; days in a row with the same hours read as a range
    ("Mon–Fri 18:00–20:00, Sat 10:00–14:00")."""
    runs: list[list[int]] = []  # [first day, last day, start, end]
    for w in windows:
        if runs and runs[-1][1] + 1 == w.weekday and runs[-1][2:] == [w.start, w.end]:
            runs[-1][1] = w.weekday
        else:
            runs.append([w.weekday, w.weekday, w.start, w.end])
    return ", ".join(
        WEEKDAYS[first].title() + (f"–{WEEKDAYS[last].title()}" if last != first else "") + f" {_clock(a)}–{_clock(b)}"
        for first, last, a, b in runs
    )


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def fits(person: Person, start: datetime, length: timedelta, waking: tuple[int, int]) -> bool:
    """Whether [start, start + length) is inside the person's waking hours and their windows."""
    zone = ZoneInfo(person.zone)
    local_start, local_end = start.astimezone(zone), (start + length).astimezone(zone)
    if local_end.date() != local_start.date() and not (local_end.hour == 0 and local_end.minute == 0):
        return False
    begin = local_start.hour * 60 + local_start.minute
    end = begin + int(length.total_seconds() // 60)
    if begin < waking[0] or end > waking[1]:
        return False
    if not person.windows:
        return True
    return any(w.weekday == local_start.weekday() and w.start <= begin and end <= w.end for w in person.windows)


def propose_slots(
    people: list[Person],
    after: datetime,
    *,
    minutes: int = 30,
    count: int = 3,
    skip: int = 0,
    waking: tuple[int, int] = (8 * 60, 20 * 60),
) -> list[datetime]:
    """Up to `count` UTC start times that fit everyone, one per local day each, after skipping `skip`."""
    length = timedelta(minutes=minutes)
    moment = (after + NOTICE).astimezone(UTC)
    moment = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    zones = [ZoneInfo(p.zone) for p in people]
    found: list[datetime] = []
    taken: set[tuple[int, object]] = set()  # (person, local date): one slot per day for everyone
    end = after + HORIZON
    while moment < end and len(found) < skip + count:
        days = {(i, moment.astimezone(zone).date()) for i, zone in enumerate(zones)}
        if not days & taken and all(fits(p, moment, length, waking) for p in people):
            found.append(moment)
            taken |= days
        moment += STEP
    return found[skip : skip + count]


def slot_label(start: datetime, minutes: int, zone: str) -> str:
    """`Tue 08 Dec, 09:00–09:30` in the member's own zone."""
    local = start.astimezone(ZoneInfo(zone))
    end = local + timedelta(minutes=minutes)
    return f"{local:%a %d %b}, {local:%H:%M}–{end:%H:%M}"
