"""The program file's `[spaces]` table: the community spaces the bot invites opted-in members into.

`participants` is a channel for every active participant, `mentors` one for mentors to share
practice; each is optional (no key: no space, and intake does not ask about it). A problem
names the key and what is wrong, like `bot.core.meetings_config`.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from bot.core.meetings_config import MeetingsProblem

KEYS = ("participants", "mentors")
# A Slack channel id (C…/G…), a Discord channel snowflake, or a console channel (#name).
_CHANNEL = re.compile(r"#?[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


def parse_spaces(table: Any) -> dict[str, Any]:
    """`[spaces]` → the `Program` fields it sets ("" for a space that is not configured)."""
    if not isinstance(table, dict):
        raise MeetingsProblem("", "must be a [spaces] table")
    for key in table:
        if key not in KEYS:
            hint = difflib.get_close_matches(key, KEYS, n=1)
            raise MeetingsProblem(key, f"unknown key {key!r}." + (f" Did you mean {hint[0]!r}?" if hint else ""))
    found: dict[str, str] = {}
    for key in KEYS:
        value = table.get(key, "")
        if not isinstance(value, str) or (value and not _CHANNEL.fullmatch(value)):
            raise MeetingsProblem(key, 'must be a channel id, e.g. "C0123ABC" (Slack) or "1234567890" (Discord)')
        found[key] = value
    if found["participants"] and found["participants"] == found["mentors"]:
        raise MeetingsProblem("mentors", "must be a different channel from participants")
    return {"participants_space": found["participants"], "mentors_space": found["mentors"]}
