"""The `Feature` contract: what a feature package declares, in one place.

Each package under `bot/features/` builds one `Feature` in its `__init__.py`:
its commands (with typed arguments, one-line help and examples), the component
kinds and forms it answers, the direct-message texts it may claim and its sweeps.
`bootstrap` collects the features; the router, `/mentor help`, the Slack
manifest's usage hint and the Discord command tree are all generated from the
collected table, so adding a command means one feature file and one test.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Ctx
from bot.core.heavy import Prep, PrepareHandler
from bot.core.messages import Message
from bot.core.program import Program
from bot.core.questions import Question
from bot.core.settings import Settings

CommandHandler = Callable[[Ctx, list[str]], Awaitable[list[Message]]]
TextHandler = Callable[[Ctx, str], Awaitable[list[Message] | None]]
JoinHandler = Callable[[Ctx], Awaitable[list[Message]]]

# Discord's limits for application commands; Slack's are wider, so these bind the table.
NAME_MAX = 32
DESCRIPTION_MAX = 100
CHOICES_MAX = 25
FORM_LABEL_MAX = 45  # Discord's modal title and text-input label; Slack allows more
_NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
# Discord's two top-level commands: members' and moderators' (default permission Manage Server).
DISCORD_MEMBER_COMMAND = "mentor"
DISCORD_ADMIN_COMMAND = "mentor-admin"


class ArgKind(Enum):
    TEXT = "text"  # free text, quoted in the text syntax
    INT = "int"
    MEMBER = "member"  # a member mention (Discord: a user option)
    CHOICE = "choice"  # one of `choices`
    WHEN = "when"  # a date, a duration or "friday 17:00": a string for every platform
    FLAG = "flag"  # --anonymous
    LIST = "list"  # several values in one field: see `split_choices`


@dataclass(frozen=True)
class Arg:
    """One argument of a command, in the order the text syntax takes positionals.

    `option=True` means the text syntax writes it as `--name value` (a FLAG is
    always an option). Discord shows every argument as a typed option.
    """

    name: str
    kind: ArgKind
    help: str
    required: bool = False
    option: bool = False
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None

    @property
    def is_option(self) -> bool:
        return self.option or self.kind is ArgKind.FLAG


@dataclass(frozen=True)
class Command:
    """A `/mentor` sub-command.

    `name` is one or two words of the text syntax ("poll", "poll close").
    `discord` overrides the Discord path when the text name cannot be a leaf there
    (Discord cannot have both a sub-command `poll` and a group `poll`).
    """

    name: str
    usage: str  # shown in help: 'poll "<question>" [--options "A" "B" …] [--closes 3d]'
    summary: str
    handler: CommandHandler
    moderator_only: bool = False
    args: tuple[Arg, ...] = ()
    examples: tuple[str, ...] = ()
    discord: str | None = None
    form: str | None = None  # a form id that a bare invocation opens where the platform has modals
    # Heavy work done before the event's unit of work, off the event loop (bot/core/heavy.py);
    # its result reaches the handler as `ctx.prepared` (None: do it in place).
    prepare: PrepareHandler | None = None

    @property
    def discord_path(self) -> tuple[str, ...]:
        """(group, leaf) or (leaf,) below `/mentor` or `/mentor-admin`."""
        return tuple((self.discord or self.name).split())

    @property
    def discord_label(self) -> str:
        """`/mentor goal set`, `/mentor-admin poll close`: the command as Discord names it."""
        top = DISCORD_ADMIN_COMMAND if self.moderator_only else DISCORD_MEMBER_COMMAND
        return " ".join([f"/{top}", *self.discord_path])

    def discord_usage(self) -> str:
        """How Discord shows it: `/mentor goal set goal:… [by:…]` (optional options in brackets)."""
        words = [self.discord_label]
        for arg in self.args:
            if arg.kind is ArgKind.CHOICE:
                shown = f"{arg.name}:{'|'.join(arg.choices)}"
            elif arg.kind is ArgKind.MEMBER:
                shown = f"{arg.name}:@member"
            elif arg.kind is ArgKind.FLAG:
                shown = f"{arg.name}:True"
            else:
                shown = f"{arg.name}:…"
            words.append(shown if arg.required else f"[{shown}]")
        return " ".join(words)

    def to_text(self, values: Mapping[str, Any]) -> str:
        """The text-syntax command for typed values (Discord's options), for the core's parser.

        Positionals in declaration order, then options; values are quoted so the
        core's tokenizer gives back exactly one word per value.
        """
        words = [self.name]
        options: list[str] = []
        for arg in self.args:
            value = values.get(arg.name)
            if value is None or value == "" or value is False:
                continue
            if arg.kind is ArgKind.FLAG:
                options.append(f"--{arg.name}")
                continue
            rendered = (
                [quote_word(v) for v in split_choices(str(value))]
                if arg.kind is ArgKind.LIST
                else [quote_word(str(value))]
            )
            if arg.is_option:
                options.extend([f"--{arg.name}", *rendered])
            else:
                words.extend(rendered)
        return " ".join(words + options)


@dataclass(frozen=True)
class ComponentRoute:
    """Buttons/selects whose id is `mentor:<kind>:…`, and forms submitted under that kind."""

    kind: str
    handler: Callable[..., Awaitable[list[Message]]]
    form_handler: Callable[..., Awaitable[list[Message]]] | None = None
    # As Command.prepare, for a moderator's click (`Prep.component` holds the parsed id).
    prepare: PrepareHandler | None = None


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    required: bool = False
    long: bool = False  # a paragraph rather than one line
    max_length: int = 200
    placeholder: str = ""


@dataclass(frozen=True)
class Form:
    """A short form (Slack modal, Discord modal); the console answers it as a command."""

    id: str  # a component id: `mentor:<kind>:<key>:<verb>`
    title: str
    submit: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class SweepEnv:
    """What every sweep may need besides the session and the time."""

    settings: Settings
    program: Program
    prepared: Any = None  # what this run's prepare step computed off the event loop (None: nothing)


SweepRun = Callable[[AsyncSession, datetime, SweepEnv], Awaitable[int]]
NextDue = Callable[[AsyncSession], Awaitable[datetime | None]]
# Before the sweep's unit of work, outside any transaction (as Command.prepare): heavy work for
# what is due, handed to the worker (`Prep.run`/`run_with_database`); its result is `env.prepared`.
SweepPrepare = Callable[[Prep, SweepEnv], Awaitable[Any]]


@dataclass(frozen=True)
class Sweep:
    """Work that falls due: `run` handles what is due now, `next_due` says when more will be."""

    name: str
    run: SweepRun
    next_due: NextDue | None = None
    prepare: SweepPrepare | None = None


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[Command, ...] = ()
    components: tuple[ComponentRoute, ...] = ()
    forms: tuple[Form, ...] = ()
    # Direct-message texts: the lowest `text_priority` is asked first (a conversation in
    # progress must get the member's words before anything else).
    text_handler: TextHandler | None = None
    text_priority: int = 100
    join_handler: JoinHandler | None = None
    questions: tuple[Question, ...] = ()  # button steps that also take typed answers
    sweeps: tuple[Sweep, ...] = field(default=())


# --- the text syntax the core parses ---------------------------------------------

_QUOTES = re.compile(r"[\"“”„«»]")


def quote_word(value: str) -> str:
    """One argument as one word for the core's tokenizer (quote marks inside become apostrophes)."""
    return '"' + _QUOTES.sub("'", value.strip()) + '"'


def split_choices(raw: str) -> list[str]:
    """Several values typed in one field: one a line, or separated by | or ; — else by commas.

    The one rule for every platform's form and Discord's option: a choice that
    contains a comma is typed one a line or with | between choices.
    """
    for separator in ("\n", "|", ";"):
        if separator in raw:
            parts = raw.split(separator)
            break
    else:
        parts = raw.split(",")
    return [p.strip() for p in parts if p.strip()]


def check_table(features: list[Feature]) -> list[str]:
    """Problems with the collected table against the platforms' limits (empty when fine)."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    paths: dict[tuple[str, ...], str] = {}
    for feature in features:
        for command in feature.commands:
            if command.name in seen:
                problems.append(f"{command.name!r} is declared by {seen[command.name]} and {feature.name}")
            seen[command.name] = feature.name
            top = "admin" if command.moderator_only else "member"
            path = (top, *command.discord_path)
            if path in paths:
                problems.append(f"Discord path {' '.join(path)} is used by {paths[path]!r} and {command.name!r}")
            paths[path] = command.name
            for word in command.discord_path:
                if not _NAME.match(word):
                    problems.append(f"{command.name!r}: {word!r} is not a valid Discord name")
            if len(command.summary) > DESCRIPTION_MAX:
                problems.append(f"{command.name!r}: summary over {DESCRIPTION_MAX} characters")
            for arg in command.args:
                if not _NAME.match(arg.name):
                    problems.append(f"{command.name!r}: argument {arg.name!r} is not a valid Discord name")
                if not 1 <= len(arg.help) <= DESCRIPTION_MAX:
                    problems.append(f"{command.name!r}: help of {arg.name!r} must be 1–{DESCRIPTION_MAX} characters")
                if len(arg.choices) > CHOICES_MAX:
                    problems.append(f"{command.name!r}: {arg.name!r} has over {CHOICES_MAX} choices")
    for feature in features:
        for form in feature.forms:
            for text in (form.title, *(f.label for f in form.fields)):
                if not 1 <= len(text) <= FORM_LABEL_MAX:
                    problems.append(f"form {form.id}: {text!r} must be 1–{FORM_LABEL_MAX} characters")
    # A first word cannot be both a sub-command and a group on Discord.
    for path, name in paths.items():
        if len(path) == 2 and any(len(p) == 3 and p[:2] == path for p in paths):
            problems.append(f"Discord: {' '.join(path)} ({name!r}) is both a sub-command and a group")
    for top in ("member", "admin"):
        level = {p[1] for p in paths if p[0] == top}
        if len(level) > CHOICES_MAX:
            problems.append(f"Discord: over 25 entries under the {top} command")
        for group in level:
            leaves = {p[2] for p in paths if p[0] == top and len(p) == 3 and p[1] == group}
            if len(leaves) > CHOICES_MAX:
                problems.append(f"Discord: over 25 sub-commands in group {group}")
    return problems
