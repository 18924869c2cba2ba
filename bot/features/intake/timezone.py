"""Understand a timezone the way members write it.

Matching compares waking hours, so intake needs a real IANA name. Members write
"Berlin", "europe/berlin", "UTC+2", "GMT-5", "+5:30" or "PST"; this module turns
those into an IANA name, or into a short list of suggestions when it is unsure.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import available_timezones

# Common abbreviations. Several are ambiguous worldwide (IST, CST); we pick the
# most common reading and show the result, so the member can correct it.
ABBREVIATIONS: dict[str, str] = {
    "utc": "UTC",
    "gmt": "UTC",
    "z": "UTC",
    "zulu": "UTC",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "mt": "America/Denver",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "ct": "America/Chicago",
    "est": "America/New_York",
    "edt": "America/New_York",
    "et": "America/New_York",
    "akst": "America/Anchorage",
    "hst": "Pacific/Honolulu",
    "ast": "America/Halifax",
    "nst": "America/St_Johns",
    "bst": "Europe/London",
    "wet": "Europe/Lisbon",
    "west": "Europe/Lisbon",
    "cet": "Europe/Paris",
    "cest": "Europe/Paris",
    "eet": "Europe/Athens",
    "eest": "Europe/Athens",
    "msk": "Europe/Moscow",
    "ist": "Asia/Kolkata",
    "pkt": "Asia/Karachi",
    "sgt": "Asia/Singapore",
    "hkt": "Asia/Hong_Kong",
    "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "pht": "Asia/Manila",
    "wib": "Asia/Jakarta",
    "ict": "Asia/Bangkok",
    "awst": "Australia/Perth",
    "acst": "Australia/Adelaide",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
    "nzst": "Pacific/Auckland",
    "nzdt": "Pacific/Auckland",
    "brt": "America/Sao_Paulo",
    "art": "America/Argentina/Buenos_Aires",
    "wat": "Africa/Lagos",
    "cat": "Africa/Maputo",
    "eat": "Africa/Nairobi",
    "sast": "Africa/Johannesburg",
}

# Offsets that are not whole hours have no Etc/GMT zone: use a representative city.
FRACTIONAL_OFFSETS: dict[tuple[int, int], str] = {
    (3, 30): "Asia/Tehran",
    (4, 30): "Asia/Kabul",
    (5, 30): "Asia/Kolkata",
    (5, 45): "Asia/Kathmandu",
    (6, 30): "Asia/Yangon",
    (9, 30): "Australia/Adelaide",
    (10, 30): "Australia/Lord_Howe",
    (-3, -30): "America/St_Johns",
    (-9, -30): "Pacific/Marquesas",
}

_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+\-−])\s*(\d{1,2})(?::?(\d{2}))?$")


@dataclass(frozen=True)
class TimezoneAnswer:
    zone: str | None  # the IANA name, when understood
    suggestions: list[str] = field(default_factory=list)  # when not understood: close names


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Folded full name -> IANA name, for the zones people live in (no legacy aliases)."""
    names = {
        z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    }
    names.add("UTC")
    return {z.casefold(): z for z in names}


@lru_cache(maxsize=1)
def _cities() -> dict[str, list[str]]:
    """Folded city ("new york", "buenos aires") -> the zones ending with it."""
    cities: dict[str, list[str]] = {}
    for zone in _zones().values():
        city = zone.rsplit("/", 1)[-1].replace("_", " ").casefold()
        cities.setdefault(city, []).append(zone)
    return cities


def _preferred(zones: list[str]) -> str | None:
    """One zone per city; "America/Argentina/Buenos_Aires" beats the legacy "America/Buenos_Aires"."""
    if len(zones) == 1:
        return zones[0]
    deepest = sorted(zones, key=lambda z: (-z.count("/"), z))
    regions = {z.split("/")[0] for z in zones}
    return deepest[0] if len(regions) == 1 else None


def resolve_timezone(text: str) -> TimezoneAnswer:
    raw = " ".join(text.strip().split())
    folded = raw.casefold()
    if not folded:
        return TimezoneAnswer(None)
    zones = _zones()
    if folded in ABBREVIATIONS:
        return TimezoneAnswer(ABBREVIATIONS[folded])
    underscored = folded.replace(" ", "_")
    if underscored in zones:
        return TimezoneAnswer(zones[underscored])
    offset = _OFFSET.match(folded.replace(" ", ""))
    if offset:
        return _from_offset(offset)
    city = _cities().get(folded.replace("_", " "))
    if city:
        chosen = _preferred(city)
        return TimezoneAnswer(chosen) if chosen else TimezoneAnswer(None, sorted(city)[:3])
    return TimezoneAnswer(None, suggest_timezones(folded))


def _from_offset(match: re.Match[str]) -> TimezoneAnswer:
    sign = -1 if match.group(1) in "-−" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60 or (hours == 14 and minutes):
        return TimezoneAnswer(None)
    if minutes:
        zone = FRACTIONAL_OFFSETS.get((sign * hours, sign * minutes))
        return TimezoneAnswer(zone) if zone else TimezoneAnswer(None)
    if hours == 0:
        return TimezoneAnswer("UTC")
    # POSIX-style names are inverted: UTC+2 is "Etc/GMT-2".
    if sign > 0 and hours > 12:
        return TimezoneAnswer(None)
    return TimezoneAnswer(f"Etc/GMT{'-' if sign > 0 else '+'}{hours}")


def suggest_timezones(text: str, n: int = 3) -> list[str]:
    cities = _cities()
    found: list[str] = []
    for city in difflib.get_close_matches(text, list(cities), n=n, cutoff=0.7):
        choice = _preferred(cities[city]) or sorted(cities[city])[0]
        if choice not in found:
            found.append(choice)
    for name in difflib.get_close_matches(text, list(_zones()), n=n, cutoff=0.7):
        zone = _zones()[name]
        if zone not in found:
            found.append(zone)
    return found[:n]


def describe(zone: str) -> str:
    """How a stored zone is shown: "Etc/GMT-2" reads as "UTC+2" to people."""
    match = re.fullmatch(r"Etc/GMT([+\-])(\d{1,2})", zone)
    if match:
        return f"UTC{'-' if match.group(1) == '+' else '+'}{match.group(2)}"
    return zone
