"""The console's fake chat platform: channels, DMs, pins and who can see what.

This is the *platform* side, not the bot: it survives a console `restart` (which
only rebuilds the bot), exactly as Slack keeps its messages when our process
restarts. The console messenger writes into it; `click`/`pick` read from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.messages import Button, Fields, File, Image, Message, Select, Text, label_text, spans_plain
from bot.core.ports import Destination, DestinationKind

# Terminal control sequences in member text must not drive the operator's terminal.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    return _CONTROL.sub("", text)


@dataclass
class ChatMessage:
    ref: str
    header: str  # "#general", "DM alice", "DM alice+bob", "only alice"
    channel: str  # channel id, or "dm:<users>" for DMs
    visible_to: frozenset[str] | None  # None: everyone in the channel
    message: Message
    pinned: bool = False


@dataclass
class ConsoleChat:
    """Everything the console 'platform' holds. `out` receives printed lines."""

    out: Callable[[str], None] = print
    moderators: set[str] = field(default_factory=set)
    closed_dms: set[str] = field(default_factory=set)  # users who refuse DMs from the bot
    messages: list[ChatMessage] = field(default_factory=list)
    space_members: dict[str, set[str]] = field(default_factory=dict)  # channel -> users the bot added
    _next_ref: int = 1

    # --- writes (from the messenger) ----------------------------------------

    def post(self, destination: Destination, message: Message) -> ChatMessage:
        header, channel, visible = _where(destination)
        chat_message = ChatMessage(f"m{self._next_ref}", header, channel, visible, message)
        self._next_ref += 1
        self.messages.append(chat_message)
        self.show(f"[{header}]", message)
        return chat_message

    def skip_refs_through(self, number: int) -> None:
        """Number new messages after `number` (refs already used before a restart)."""
        self._next_ref = max(self._next_ref, number + 1)

    def update(self, ref: str, message: Message) -> bool:
        found = self.find(ref)
        if found is None:
            return False
        found.message = message
        self.show(f"[edited {found.header}]", message)
        return True

    def pin(self, ref: str, pinned: bool) -> bool:
        found = self.find(ref)
        if found is None:
            return False
        found.pinned = pinned
        first = render_lines(found.message)[0] if found.message.parts else ""
        self.out(f"[{'pinned' if pinned else 'unpinned'} {found.header}] {first}")
        return True

    def set_space_member(self, channel: str, user: str, present: bool) -> None:
        """A member added to or removed from a community space; shown only when it changes something,
        as a platform's "joined"/"left" line would be (adding twice is harmless, like on Slack)."""
        members = self.space_members.setdefault(channel, set())
        if (user in members) == present:
            return
        (members.add if present else members.discard)(user)
        self.out(f"[{channel}] {user} {'was added by' if present else 'was removed by'} mentorbot")

    def find(self, ref: str) -> ChatMessage | None:
        return next((m for m in self.messages if m.ref == ref), None)

    # --- reads (for click/pick) ---------------------------------------------

    def newest_with(self, user: str, kind: type) -> ChatMessage | None:
        for chat_message in reversed(self.messages):
            if chat_message.visible_to is not None and user not in chat_message.visible_to:
                continue
            if any(isinstance(p, kind) for p in chat_message.message.parts):
                return chat_message
        return None

    def show(self, header: str, message: Message) -> None:
        lines = render_lines(message)
        self.out(f"{header} {lines[0] if lines else ''}".rstrip())
        for line in lines[1:]:
            self.out(f"  {line}")


def _where(destination: Destination) -> tuple[str, str, frozenset[str] | None]:
    if destination.kind is DestinationKind.CHANNEL:
        return destination.target, destination.target, None
    if destination.kind is DestinationKind.DM:
        return f"DM {destination.target}", f"dm:{destination.target}", frozenset({destination.target})
    if destination.kind is DestinationKind.GROUP_DM:
        users = destination.target.split(",")
        return f"DM {'+'.join(users)}", f"dm:{','.join(sorted(users))}", frozenset(users)
    channel, user = destination.target.split("|", 1)
    return f"only {user}", channel, frozenset({user})


def render_lines(message: Message) -> list[str]:
    """Plain text for the terminal: text, fields, then buttons as `[1] Label`."""
    lines: list[str] = []
    buttons: list[str] = []
    for part in message.parts:
        if isinstance(part, Text):
            lines.extend(clean(spans_plain(part.spans)).split("\n"))
        elif isinstance(part, Fields):
            for label, value in part.rows:
                lines.append(f"  {clean(label)}: {clean(spans_plain(value))}")
        elif isinstance(part, Button):
            buttons.append(f"[{len(buttons) + 1}] {clean(label_text(part.label))}")
        elif isinstance(part, Select):
            choices = ", ".join(clean(label_text(o.label)) for o in part.options)
            many = f" (pick up to {part.max_values})" if part.max_values > 1 else ""
            lines.append(f"  <{clean(part.placeholder)}{many}: {choices}>")
        elif isinstance(part, Image):
            lines.append(f"  (image {part.filename}: {part.path})")
        elif isinstance(part, File):
            lines.append(f"  (file {part.filename}: {part.path})")
        else:
            lines.append("  ---")
    if buttons:
        lines.append("  " + "  ".join(buttons))
    return lines or [""]
