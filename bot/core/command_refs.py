"""Commands named inside the bot's own texts, in each platform's form.

Features write their texts once, in the text syntax the console and Slack use ("Try
/mentor goal set …", "see /mentor export"). Discord has no such command: there it is
`/mentor goal set` or `/mentor-admin export`, and `/mentor goals` is `/mentor goal list`.
`CommandRefs` maps a text reference to Discord's name from the same command table the
tree is generated from, so the renderer, not every message, knows the platform's form.
Only the bot's own text goes through it; what a member typed is never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.core.feature import Command

# "/mentor" followed by up to three lowercase words; "/mentor-admin …" is already Discord's form.
_REFERENCE = re.compile(r"/mentor((?: [a-z][a-z-]*){1,3})")


class CommandRefs:
    """Text-syntax command references → Discord's command names."""

    def __init__(self, commands: Iterable[Command]) -> None:
        self._labels: dict[tuple[str, ...], str] = {}
        self._discord_member: set[tuple[str, ...]] = set()
        for command in commands:
            self._labels[tuple(command.name.split())] = command.discord_label
            if not command.moderator_only:
                self._discord_member.add(command.discord_path)

    def discord(self, text: str) -> str:
        """`text` with every `/mentor <command>` written as Discord names it."""
        if "/mentor " not in text:
            return text
        return _REFERENCE.sub(self._one, text)

    def _one(self, match: re.Match[str]) -> str:
        words = match.group(1).split()
        for size in range(len(words), 0, -1):
            if tuple(words[:size]) in self._discord_member:
                return match.group(0)  # already Discord's own form (`/mentor goal list`)
            label = self._labels.get(tuple(words[:size]))
            if label is not None:
                return " ".join([label, *words[size:]])
        return match.group(0)  # not a command (or `/mentor help`): left as written
