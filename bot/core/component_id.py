"""The id a button or select carries: `mentor:<kind>:<key>:<verb>[:<arg>]`.

Persistent components keep their state here rather than in memory (Discord's
`custom_id`, Slack's `action_id`), so a click works after a restart. Its own
module because both the router and the heavy-work step (`bot/core/heavy.py`)
read it, and the router depends on the heavy-work step.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import InvalidInput


@dataclass(frozen=True)
class ComponentId:
    """`mentor:<kind>:<key>:<verb>[:<arg>]` — everything a stateless handler needs."""

    kind: str
    key: str
    verb: str
    arg: str = ""

    MAX_LENGTH = 100  # Discord's custom_id limit (Slack allows 255)

    def __str__(self) -> str:
        raw = f"mentor:{self.kind}:{self.key}:{self.verb}" + (f":{self.arg}" if self.arg else "")
        if len(raw) > self.MAX_LENGTH:
            raise ValueError(f"component id too long: {raw!r}")
        return raw

    @classmethod
    def parse(cls, raw: str) -> ComponentId:
        parts = raw.split(":", 4)
        if len(parts) < 4 or parts[0] != "mentor":
            raise InvalidInput("That button is not one of mine, or it is from an older version.")
        return cls(parts[1], parts[2], parts[3], parts[4] if len(parts) > 4 else "")
