"""The Discord command tree, generated from the core's command table.

Every core `Command` becomes a real (sub-)command with typed options:
members' commands under `/mentor`, moderators' under `/mentor-admin` (default
permission Manage Server; a server can grant it to its moderator role under
Server Settings → Integrations). A first word with several verbs is a
sub-command group (`/mentor goal set`). Each leaf turns its options back into
the text syntax the core parses (`Command.to_text`), so the core validates
every value and checks rights on every call, whatever Discord showed.

A bare command that declares a form (`/mentor-admin poll create` without a
question) opens that core `Form` as a Discord modal; its submission reaches the
core as a `FormSubmission` (see `client.on_interaction`).
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from bot.core.feature import DISCORD_ADMIN_COMMAND, DISCORD_MEMBER_COMMAND, Arg, ArgKind, Command, Form
from bot.core.router import Router

TEXT_MAX = 1000  # a TEXT/LIST/WHEN option without its own max_length
WHEN_SUGGESTIONS = ("3d", "1w", "2w", "4w", "30d", "friday 17:00")
# Discord's modal limits (a title and a text input's label: 45; a placeholder: 100).
MODAL_TITLE_MAX = 45
LABEL_MAX = 45
PLACEHOLDER_MAX = 100
MODAL_FIELDS_MAX = 5


@dataclass(frozen=True)
class _Option:
    """One `Arg` as a Python parameter of a generated callback."""

    arg: Arg
    py_name: str

    def annotation(self) -> Any:
        arg = self.arg
        if arg.kind is ArgKind.MEMBER:
            inner: Any = discord.User  # not Member: someone who left the server can still be named
        elif arg.kind is ArgKind.FLAG:
            inner = bool
        elif arg.kind is ArgKind.INT:
            bounded = arg.min_value is not None or arg.max_value is not None
            inner = app_commands.Range[int, arg.min_value, arg.max_value] if bounded else int
        elif arg.kind is ArgKind.CHOICE:
            inner = str
        else:
            inner = app_commands.Range[str, 1, arg.max_length or TEXT_MAX]
        return inner if arg.required else inner | None  # discord.py reads `X | None` as Optional[X]

    def parameter(self) -> inspect.Parameter:
        default = inspect.Parameter.empty if self.arg.required else None
        return inspect.Parameter(
            self.py_name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=self.annotation()
        )

    def value(self, given: Any) -> Any:
        """The option's value as `Command.to_text` takes it (a chosen user → the mention the core parses)."""
        if given is None:
            return None
        if self.arg.kind is ArgKind.MEMBER:
            return f"<@{given.id}>"
        return given


def _python_name(name: str) -> str:
    py = name.replace("-", "_")
    return py + "_" if keyword.iskeyword(py) or py == "interaction" else py


async def suggest_when(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Durations and dates to pick from; what was typed stays possible (it is a free string)."""
    typed = current.strip()
    picks = [s for s in WHEN_SUGGESTIONS if s.startswith(typed.lower())] if typed else list(WHEN_SUGGESTIONS)
    if typed and typed not in picks:
        picks.insert(0, typed[:100])
    return [app_commands.Choice(name=p, value=p) for p in picks[:25]]


def modal_for(form: Form) -> discord.ui.Modal:
    """A core `Form` as a Discord modal. A label longer than Discord's 45 characters keeps its
    first words and moves the explanation in brackets to the placeholder."""
    modal = discord.ui.Modal(title=form.title[:MODAL_TITLE_MAX], custom_id=form.id, timeout=900)
    for field in form.fields[:MODAL_FIELDS_MAX]:
        label, placeholder = field.label, field.placeholder
        if len(label) > LABEL_MAX and "(" in label:
            head, _, rest = label.partition("(")
            label, placeholder = head.strip(), placeholder or rest.rstrip(")").strip()
        modal.add_item(
            discord.ui.TextInput(
                label=label[:LABEL_MAX],
                custom_id=field.name,
                style=discord.TextStyle.paragraph if field.long else discord.TextStyle.short,
                required=field.required,
                max_length=field.max_length,
                placeholder=placeholder[:PLACEHOLDER_MAX] or None,
            )
        )
    return modal


def _leaf(client: Any, router: Router, command: Command) -> app_commands.Command[Any, ..., None]:
    options = [_Option(arg, _python_name(arg.name)) for arg in command.args]

    async def callback(interaction: discord.Interaction, **given: Any) -> None:
        values = {o.arg.name: o.value(given.get(o.py_name)) for o in options}
        text = command.to_text(values)
        # The core says which invocation opens which form (a bare `poll create`, `edit goals`, …).
        form = router.form_for(text) if command.form else None
        if form is not None and len(form.fields) <= MODAL_FIELDS_MAX:
            # Trigger-bound: a modal must be the interaction's first answer, within 3 s.
            await interaction.response.send_modal(modal_for(form))
            return
        await client.handle_slash(interaction, text)

    callback.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction),
            *(o.parameter() for o in options),
        ]
    )
    callback.__name__ = callback.__qualname__ = "_".join(command.discord_path).replace("-", "_")
    _decorate(callback, options)
    leaf_name = command.discord_path[-1]
    return app_commands.Command(name=leaf_name, description=_description(command.summary), callback=callback)


def _decorate(callback: Callable[..., Awaitable[None]], options: list[_Option]) -> None:
    """Descriptions, Discord names, choices and autocomplete, as discord.py's decorators set them."""
    if not options:
        return
    app_commands.describe(**{o.py_name: o.arg.help for o in options})(callback)
    renames = {o.py_name: o.arg.name for o in options if o.py_name != o.arg.name}
    if renames:
        app_commands.rename(**renames)(callback)
    choices = {
        o.py_name: [app_commands.Choice(name=c, value=c) for c in o.arg.choices]
        for o in options
        if o.arg.kind is ArgKind.CHOICE
    }
    if choices:
        app_commands.choices(**choices)(callback)
    whens = {o.py_name: suggest_when for o in options if o.arg.kind is ArgKind.WHEN}
    if whens:
        app_commands.autocomplete(**whens)(callback)


def _description(summary: str) -> str:
    text = summary[:1].upper() + summary[1:]
    return text[:100]


def _help_leaf(client: Any) -> app_commands.Command[Any, ..., None]:
    async def help_(interaction: discord.Interaction) -> None:
        await client.handle_slash(interaction, "help")

    return app_commands.Command(name="help", description="What you can do with mentorbot", callback=help_)


def build_commands(client: Any, router: Router) -> list[app_commands.Group]:
    """`/mentor` (members) and `/mentor-admin` (moderators), from the router's command table."""
    member = app_commands.Group(
        name=DISCORD_MEMBER_COMMAND,
        description="Mentorship program: join, goals, your profile and help",
        guild_only=True,
    )
    admin = app_commands.Group(
        name=DISCORD_ADMIN_COMMAND,
        description="Mentorship program for moderators: polls, matching, stats",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    groups: dict[tuple[str, str], app_commands.Group] = {}
    for command in router.commands.values():
        top = admin if command.moderator_only else member
        parent = top
        if len(command.discord_path) == 2:
            key = (top.name, command.discord_path[0])
            if key not in groups:
                # A group built with a parent registers itself there.
                groups[key] = app_commands.Group(
                    name=command.discord_path[0], description=_group_description(router, command), parent=top
                )
            parent = groups[key]
        parent.add_command(_leaf(client, router, command))
    member.add_command(_help_leaf(client))
    admin.add_command(_help_leaf(client))
    return [member, admin]


def _group_description(router: Router, first: Command) -> str:
    word = first.discord_path[0]
    verbs = [
        c.discord_path[1]
        for c in router.commands.values()
        if len(c.discord_path) == 2 and c.discord_path[0] == word and c.moderator_only == first.moderator_only
    ]
    return f"{word.capitalize()}: {', '.join(verbs)}"[:100]
