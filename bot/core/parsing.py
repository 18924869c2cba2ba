"""Forgiving argument parsing for `/mentor <sub> [args]`.

Members type commands on phones, where quotes become “curly”; they write
`--closes 7d`, `--closes 2026-12-01` or `--closes "friday 17:00"`. Everything here
either returns a clean value or raises `ParseError` with a message that says what
to type instead.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo


class ParseError(ValueError):
    """Input we cannot understand; `str(err)` is safe to show to the member."""


_OPEN_QUOTES = {'"', "“", "„", "«"}
_CLOSE_QUOTES = {'"', "”", "“", "»"}


class Token(str):
    """A word of a command; `quoted` when the member put (part of) it in quotes,
    so a quoted "--anonymous" is text they typed, never the option."""

    quoted: bool = False


def _token(chars: list[str], quoted: bool) -> Token:
    token = Token("".join(chars))
    token.quoted = quoted
    return token


def quoted_word(text: str) -> Token:
    """A value from a form field as one word that is never taken for an option."""
    return _token(list(text), True)


def tokenize(text: str) -> list[str]:
    """Split on whitespace; double quotes (straight or curly) group words.

    Single quotes are ordinary letters so that `I'd mentor` needs no quoting.
    Each word is a `Token`, which remembers whether it was quoted.
    """
    tokens: list[str] = []
    current: list[str] = []
    in_quotes = False
    had_quotes = False
    for char in text:
        if in_quotes:
            if char in _CLOSE_QUOTES:
                in_quotes = False
            else:
                current.append(char)
        elif char in _OPEN_QUOTES:
            in_quotes = True
            had_quotes = True
        elif char.isspace():
            if current or had_quotes:
                tokens.append(_token(current, had_quotes))
            current, had_quotes = [], False
        else:
            current.append(char)
    if in_quotes:
        raise ParseError('A quotation mark is not closed. Put the text between two quotes, e.g. "Would you join?"')
    if current or had_quotes:
        tokens.append(_token(current, had_quotes))
    return tokens


class Arity(Enum):
    FLAG = 0  # --anonymous
    ONE = 1  # --closes 3d
    MANY = 2  # --options "A" "B" "C"


@dataclass
class ParsedArgs:
    positional: list[str] = field(default_factory=list)
    options: dict[str, str | list[str] | bool] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        return bool(self.options.get(name, False))

    def one(self, name: str) -> str | None:
        value = self.options.get(name)
        return value if isinstance(value, str) else None

    def many(self, name: str) -> list[str] | None:
        value = self.options.get(name)
        return value if isinstance(value, list) else None


def _is_option(token: str) -> bool:
    return token.startswith("--") and len(token) > 2 and not getattr(token, "quoted", False)


def parse_args(tokens: list[str], spec: dict[str, Arity]) -> ParsedArgs:
    """Split tokens into positionals and `--options` according to `spec`."""
    result = ParsedArgs()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if _is_option(token):
            name = token[2:].lower()
            if name not in spec:
                hint = difflib.get_close_matches(name, list(spec), n=1)
                known = ", ".join(f"--{k}" for k in spec) or "none"
                suggestion = f" Did you mean --{hint[0]}?" if hint else ""
                raise ParseError(f"I don't know the option --{name}.{suggestion} Options here: {known}.")
            if name in result.options:
                raise ParseError(f"--{name} is given twice; give it once.")
            arity = spec[name]
            if arity is Arity.FLAG:
                result.options[name] = True
                i += 1
                continue
            values: list[str] = []
            i += 1
            while i < len(tokens) and not _is_option(tokens[i]):
                values.append(tokens[i])
                i += 1
                if arity is Arity.ONE:
                    break
            if not values:
                raise ParseError(f"--{name} needs a value after it.")
            result.options[name] = values[0] if arity is Arity.ONE else values
            continue
        result.positional.append(token)
        i += 1
    return result


# --- times ------------------------------------------------------------------

_UNITS = {
    "m": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "mins": timedelta(minutes=1),
    "minute": timedelta(minutes=1),
    "minutes": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "hr": timedelta(hours=1),
    "hrs": timedelta(hours=1),
    "hour": timedelta(hours=1),
    "hours": timedelta(hours=1),
    "d": timedelta(days=1),
    "day": timedelta(days=1),
    "days": timedelta(days=1),
    "w": timedelta(weeks=1),
    "wk": timedelta(weeks=1),
    "week": timedelta(weeks=1),
    "weeks": timedelta(weeks=1),
}
_DURATION = re.compile(r"^(\d{1,4})\s*([a-z]+)$")
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_END_OF_DAY = time(23, 59)

WHEN_HELP = 'Try 3d, 12h, 2w, 2026-12-01, "2026-12-01 17:00", "friday 17:00" or "tomorrow 9am".'


def parse_duration(text: str) -> timedelta:
    """`7d`, `12h`, `2w`, `90m`, `3 days` → timedelta (positive)."""
    match = _DURATION.match(text.strip().lower())
    if not match or match.group(2) not in _UNITS:
        raise ParseError(f"I can't read {text!r} as a length of time. Try 30m, 12h, 3d or 2w.")
    amount = int(match.group(1))
    if amount <= 0:
        raise ParseError("A length of time must be more than zero.")
    return amount * _UNITS[match.group(2)]


def _parse_clock(text: str) -> time:
    match = _TIME.match(text.strip().lower())
    if not match:
        raise ParseError(f"I can't read {text!r} as a time of day. Try 17:00 or 5pm.")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = match.group(3)
    if meridiem:
        if not 1 <= hour <= 12:
            raise ParseError(f"{text!r}: with am/pm the hour must be 1–12.")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ParseError(f"{text!r} is not a time of day. Use 00:00–23:59.")
    return time(hour, minute)


def parse_when(
    text: str,
    now: datetime,
    tz: str,
    *,
    max_ahead: timedelta = timedelta(days=366),
) -> datetime:
    """A moment in the future, written the way people write it, in the community's timezone.

    A date alone means the end of that day (23:59); a weekday alone means the end
    of that day too. Returns an aware UTC datetime.
    """
    zone = ZoneInfo(tz)
    raw = " ".join(text.strip().split())
    lowered = raw.lower()
    if not lowered:
        raise ParseError(f"Say when. {WHEN_HELP}")
    local_now = now.astimezone(zone)

    result: datetime | None = None
    duration = _DURATION.match(lowered)
    if duration and duration.group(2) in _UNITS:
        result = now + parse_duration(lowered)
    else:
        head, _, rest = lowered.partition(" ")
        if re.match(r"^\d{4}-\d{2}-\d{2}", head):
            date_part, _, time_part = lowered.replace("t", " ", 1).partition(" ")
            try:
                day = date.fromisoformat(date_part)
            except ValueError as exc:
                raise ParseError(f"{date_part!r} is not a real date (YYYY-MM-DD).") from exc
            at = _parse_clock(time_part) if time_part else _END_OF_DAY
            result = datetime.combine(day, at, zone)
        elif head in ("today", "tonight", "tomorrow") or _weekday(head) is not None:
            at = _parse_clock(rest) if rest else _END_OF_DAY
            if head in ("today", "tonight"):
                day = local_now.date()
            elif head == "tomorrow":
                day = local_now.date() + timedelta(days=1)
            else:
                weekday = _weekday(head)
                assert weekday is not None  # the elif above matched a weekday
                ahead = (weekday - local_now.weekday()) % 7
                day = local_now.date() + timedelta(days=ahead)
                if ahead == 0 and datetime.combine(day, at, zone) <= local_now:
                    day += timedelta(days=7)
            result = datetime.combine(day, at, zone)
        elif _TIME.match(lowered):
            at = _parse_clock(lowered)
            candidate = datetime.combine(local_now.date(), at, zone)
            result = candidate if candidate > local_now else candidate + timedelta(days=1)
    if result is None:
        raise ParseError(f"I can't read {raw!r} as a time. {WHEN_HELP}")
    if result <= now:
        raise ParseError(f"{raw!r} is already in the past. {WHEN_HELP}")
    if result - now > max_ahead:
        raise ParseError(f"{raw!r} is too far ahead; choose something within {max_ahead.days} days.")
    return result.astimezone(ZoneInfo("UTC"))


def _weekday(word: str) -> int | None:
    for index, name in enumerate(_WEEKDAYS):
        if len(word) >= 3 and name.startswith(word):
            return index
    return None


def format_when(when: datetime, tz: str) -> str:
    """`Fri 27 Nov 2026, 17:00 (Europe/Berlin)` — unambiguous in a chat message."""
    local = when.astimezone(ZoneInfo(tz))
    return f"{local:%a %d %b %Y, %H:%M} ({tz})"
