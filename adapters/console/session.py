"""A local community in the terminal: one person acts as many members.

Script format (one instruction a line; blank lines and `# comments` ignored):

    moderators: carol, dan          these console users have moderator rights
    channel: #random                later commands happen in #random (default #general)
    @alice /mentor polls            alice runs a slash command in the current channel
    @alice hello there              alice sends the bot a direct message
    @alice click I'd mentor         alice clicks that button on the newest message she can see with buttons
    @alice click 2                  … or the second button
    @alice pick Python, Rust        alice chooses options of the newest select she can see
    @eve joins                      eve joins the community (greeting campaign)
    closed-dms: bob                 bob does not accept direct messages from the bot
    wait 3d                         advance the clock (m, h, d, w) and run everything that falls due, in order
    restart                         drop every in-memory object and reopen the database

The same class drives the feature tests, so what a test asserts is what a
console user sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from adapters.console.chat import ChatMessage, ConsoleChat
from adapters.console.messenger import ConsoleMessenger
from bot.bootstrap import bootstrap
from bot.core.clock import ManualClock
from bot.core.events import Actor, CommunityRef, ComponentAction, DirectText, Event, MemberJoined, SlashCommand
from bot.core.messages import Button, Message, Select, label_text
from bot.core.parsing import ParseError, parse_duration
from bot.core.ports import Destination
from bot.core.settings import Settings
from bot.mentorbot import MentorBot
from storage.db import Database

COMMUNITY = CommunityRef("console", "console", "Console community")
_LINE = re.compile(r"^@(?P<user>[\w.\-]+)\s*(?P<rest>.*)$")


class ScriptError(Exception):
    """A console line we cannot run; printed, and the script goes on."""


@dataclass
class ConsoleSession:
    settings: Settings
    clock: ManualClock
    chat: ConsoleChat
    channel: str = "#general"
    bot: MentorBot | None = None
    messenger: ConsoleMessenger | None = None
    default_user: str | None = None  # interactive mode: lines without @name act as this user
    make_db: Callable[[], Database] | None = None  # tests: a database on a PostgreSQL schema
    transcript: Path | None = None  # the platform's durable record of delivered messages

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        start: datetime | None = None,
        out: Callable[[str], None] = print,
        make_db: Callable[[], Database] | None = None,
        transcript: Path | None = None,
    ) -> ConsoleSession:
        session = cls(settings, ManualClock(start), ConsoleChat(out=out), make_db=make_db, transcript=transcript)
        await session._boot()
        return session

    async def _boot(self) -> None:
        db = self.make_db() if self.make_db is not None else None
        self.bot = await bootstrap(self.settings, clock=self.clock, db=db)
        self.messenger = ConsoleMessenger(self.chat, self.transcript)

    async def close(self) -> None:
        if self.bot is not None:
            await self.bot.close()
            self.bot = None

    async def restart(self) -> None:
        await self.close()
        sent = self.messenger.sent_keys if self.messenger else {}
        await self._boot()
        assert self.messenger is not None
        self.messenger.sent_keys = sent  # the platform remembers what it received
        self.chat.out("(restarted: the bot reopened the database)")

    # --- script lines ----------------------------------------------------

    async def run_script(self, lines: list[str]) -> int:
        """Run every line; a failing line prints a clear error and the script goes on."""
        failures = 0
        for number, line in enumerate(lines, start=1):
            try:
                await self.run_line(line)
            except ScriptError as exc:
                failures += 1
                self.chat.out(f"! line {number}: {exc}")
        return failures

    async def run_line(self, raw: str) -> None:
        line = raw.strip()
        if not line or line.startswith("#") and not line.startswith("#general"):
            return
        lowered = line.lower()
        if lowered.startswith("moderators:"):
            names = {n.strip().lstrip("@") for n in line.split(":", 1)[1].split(",") if n.strip()}
            self.chat.moderators = names
            return
        if lowered.startswith("closed-dms:"):
            self.chat.closed_dms = {n.strip().lstrip("@") for n in line.split(":", 1)[1].split(",") if n.strip()}
            return
        if lowered.startswith("channel:"):
            name = line.split(":", 1)[1].strip()
            if not re.fullmatch(r"#?[\w\-]{1,80}", name):
                raise ScriptError(f"{name!r} is not a channel name; write e.g. channel: #random")
            self.channel = name if name.startswith("#") else f"#{name}"
            return
        if lowered.startswith("wait"):
            await self.wait(line[4:].strip())
            return
        if lowered == "restart":
            await self.restart()
            return
        match = _LINE.match(line)
        if match is None:
            if self.default_user is None:
                raise ScriptError(
                    "start the line with @name (e.g. @alice /mentor help), or use moderators:, channel:, wait, restart"
                )
            user, rest = self.default_user, line
        else:
            user, rest = match.group("user"), match.group("rest").strip()
        await self.act(user, rest)

    async def act(self, user: str, rest: str) -> None:
        if not rest:
            raise ScriptError(f"@{user} does nothing; add a command, a message, click or pick")
        word, _, tail = rest.partition(" ")
        keyword = word.lower()
        if rest.startswith("/mentor"):
            if rest != "/mentor" and not rest.startswith("/mentor "):
                raise ScriptError("the command is /mentor, followed by a space")
            await self._send(
                user,
                SlashCommand(COMMUNITY, self.actor(user), self.channel, rest[len("/mentor") :].strip()),
                self.channel,
            )
        elif rest.startswith("/"):
            raise ScriptError(f"unknown slash command {word}; mentorbot answers /mentor")
        elif keyword == "click":
            await self.click(user, tail.strip())
        elif keyword == "pick":
            await self.pick(user, tail.strip())
        elif keyword == "joins" and not tail:
            await self._send(user, MemberJoined(COMMUNITY, self.actor(user)), None)
        else:
            await self._send(user, DirectText(COMMUNITY, self.actor(user), f"dm:{user}", rest), f"dm:{user}")

    def actor(self, user: str) -> Actor:
        return Actor(user_id=user, display_name=user, platform_moderator=user in self.chat.moderators)

    async def click(self, user: str, choice: str) -> None:
        found = self.chat.newest_with(user, Button)
        if found is None:
            raise ScriptError(f"@{user} sees no message with buttons")
        buttons = found.message.buttons
        button = _choose(buttons, choice, lambda b: label_text(b.label))
        if button is None:
            labels = ", ".join(f"[{i}] {label_text(b.label)}" for i, b in enumerate(buttons, 1))
            raise ScriptError(f"no button {choice!r} on the newest message @{user} sees; buttons: {labels}")
        await self._component(user, found, button.component_id, ())

    async def pick(self, user: str, choices: str) -> None:
        found = self.chat.newest_with(user, Select)
        if found is None:
            raise ScriptError(f"@{user} sees no message with a list to pick from")
        select = found.message.selects[0]
        values: list[str] = []
        for wanted in [c.strip() for c in choices.split(",") if c.strip()]:
            option = _choose(select.options, wanted, lambda o: label_text(o.label))
            if option is None:
                names = ", ".join(label_text(o.label) for o in select.options)
                raise ScriptError(f"{wanted!r} is not in the list; choose from: {names}")
            values.append(option.value)
        if not values:
            raise ScriptError("pick needs at least one option, e.g. pick Python, Rust")
        await self._component(user, found, select.component_id, tuple(values))

    async def _component(self, user: str, found: ChatMessage, component_id: str, values: tuple[str, ...]) -> None:
        in_dm = found.channel.startswith("dm:")
        event = ComponentAction(
            COMMUNITY, self.actor(user), found.channel, component_id, values, message_ref=found.ref, in_dm=in_dm
        )
        await self._send(user, event, found.channel)

    async def _send(self, user: str, event: Event, channel: str | None) -> None:
        assert self.bot is not None
        replies = await self.bot.handle(event)
        for reply in replies:
            if channel is None or channel.startswith("dm:"):
                self.chat.post(Destination.dm(user), reply)
            else:
                self.chat.post(Destination.ephemeral(channel, user), reply)
        await self.deliver()

    async def deliver(self) -> None:
        assert self.bot is not None and self.messenger is not None
        # In order, one at a time: the console's output is a transcript read top to bottom.
        await self.bot.deliver_outbox(self.messenger, concurrency=1)

    # --- time --------------------------------------------------------------

    async def wait(self, amount: str) -> None:
        try:
            delta = parse_duration(amount)
        except ParseError as exc:
            raise ScriptError(f"{exc} (e.g. wait 3d)") from exc
        await self.advance(delta)

    async def advance(self, delta: timedelta) -> None:
        """Move the clock, running each due item at its own due time, in order."""
        assert self.bot is not None
        target = self.clock.now() + delta
        # The schedule is read from the database alone (never from the clock), so it is read once
        # per stop, after the work done there; at a stop only the jobs it names as due run (and
        # every job after one that did some work), the rest of them at the end of the wait.
        schedule = await self.bot.schedule()
        for _ in range(100_000):  # a bound, not a budget: each pass moves time or finishes work
            due = schedule.next_due
            if due is None or due > target:
                break
            if due > self.clock.now():
                self.clock.set(due)
            before = self.clock.now()
            await self.bot.sweep(only=schedule.due_jobs(before))
            await self.deliver()
            schedule = await self.bot.schedule()
            again = schedule.next_due
            if again is not None and again <= before:
                self.clock.advance(timedelta(seconds=1))  # still due: let time pass
        self.clock.set(target)
        await self.bot.sweep()
        await self.deliver()

    async def advance_in_ticks(self, delta: timedelta, tick: timedelta) -> None:
        """Move the clock a tick at a time, sweeping once per tick (like the runtime's periodic sweep).

        `advance` stops at every item's own due time: exact, and what scripts and tests
        want. A simulation of months (the demo) only needs what a deployed bot does
        between wake-ups: everything due by the tick is handled at the tick."""
        assert self.bot is not None
        target = self.clock.now() + delta
        while self.clock.now() < target:
            self.clock.set(min(target, self.clock.now() + tick))
            for _ in range(100):  # a bound: a sweep handles a batch per job; repeat until nothing is left
                handled = await self.bot.sweep()
                await self.deliver()
                if not handled:
                    break


def _choose(items: tuple, choice: str, label: Callable) -> object | None:  # type: ignore[type-arg]
    if choice.isdigit() and 1 <= int(choice) <= len(items):
        return items[int(choice) - 1]
    folded = choice.casefold().strip("\"'")
    exact = [i for i in items if label(i).casefold() == folded]
    if exact:
        return exact[0]
    prefix = [i for i in items if label(i).casefold().startswith(folded)] if folded else []
    return prefix[0] if len(prefix) == 1 else None


__all__ = ["ConsoleSession", "ScriptError", "COMMUNITY", "Message"]
