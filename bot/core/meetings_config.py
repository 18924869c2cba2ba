"""The program file's `[meetings]` table: waking hours for proposed slots, the CPD conversion, the thanks channel.

Kept beside `bot.core.program` (which reports a problem with the file's line) so that module
stays small; a problem here names the key and what is wrong.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

KEYS = ("waking_hours", "cpd_per_hour", "cpd_label", "thanks_channel")
_HOURS = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


class MeetingsProblem(ValueError):
    """What is wrong with one key of `[meetings]`."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key, self.problem = key, problem


def parse_meetings(table: Any) -> dict[str, Any]:
    """`[meetings]` → the `Program` fields it sets (defaults for what it leaves out)."""
    if not isinstance(table, dict):
        raise MeetingsProblem("", "must be a [meetings] table")
    for key in table:
        if key not in KEYS:
            hint = difflib.get_close_matches(key, KEYS, n=1)
            raise MeetingsProblem(key, f"unknown key {key!r}." + (f" Did you mean {hint[0]!r}?" if hint else ""))
    hours = _HOURS.fullmatch(str(table.get("waking_hours", "08:00-20:00")))
    start, end = (int(hours[1]) * 60 + int(hours[2]), int(hours[3]) * 60 + int(hours[4])) if hours else (0, 0)
    if not 0 <= start < end <= 24 * 60 or end - start < 60:
        raise MeetingsProblem("waking_hours", 'must be like "08:00-20:00" (at least an hour, within a day)')
    cpd = table.get("cpd_per_hour")
    if cpd is not None and (isinstance(cpd, bool) or not isinstance(cpd, int | float) or not 0 < cpd <= 10):
        raise MeetingsProblem("cpd_per_hour", "must be a number above 0 and at most 10 (e.g. 1.0)")
    texts = {k: table.get(k, d) for k, d in (("cpd_label", "CPD hours"), ("thanks_channel", ""))}
    for key, value in texts.items():
        if not isinstance(value, str) or len(value) > 64:
            raise MeetingsProblem(key, "must be text of at most 64 characters")
    return {"waking_hours": (start, end), "cpd_per_hour": cpd and float(cpd), **texts}
