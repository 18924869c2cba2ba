"""The `/mentor` app-command group: typed sub-commands mapped onto the core's command text.

Discord shows typed options (with descriptions and limits) and the adapter turns
them back into the text the core already parses, e.g.
`/mentor poll question:"Q" options:"A, B" closes:3d` → `poll "Q" --options "A" "B" --closes 3d`.
The core validates every value again: Discord enforces min/max itself, but the
library does not, and the core must stay correct for every platform.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands

from bot.core.settings import is_moderator_actor

QUOTES = re.compile(r"[\"“”„«»]")
POLL_FORM_ID = "mentor:dpoll:new:create"  # adapter-side form: turned into `poll …` text
QUESTION_MAX = 300
OPTIONS_MAX_TEXT = 1000


def quote(value: str) -> str:
    """One argument for the core's tokenizer; quote characters inside become apostrophes."""
    return '"' + QUOTES.sub("'", value.strip()) + '"'


def split_options(raw: str) -> list[str]:
    """'A, B, C' or 'A | B' or one choice a line → ['A', 'B', 'C'] (| ; or newlines win over commas)."""
    for separator in ("\n", "|", ";"):
        if separator in raw:
            parts = raw.split(separator)
            break
    else:
        parts = raw.split(",")
    return [p.strip() for p in parts if p.strip()]


def poll_text(question: str, options: str | None, closes: str | None, anonymous: bool) -> str:
    text = f"poll {quote(question)}"
    choices = split_options(options or "")
    if choices:
        text += " --options " + " ".join(quote(c) for c in choices)
    if closes and closes.strip():
        text += f" --closes {quote(closes)}"
    if anonymous:
        text += " --anonymous"
    return text


REVIEW_ACTIONS = ("show", "approve", "drop", "swap", "recompute", "discard")


def match_text(dry_run: bool, every: str | None, rematch: bool, stop: bool) -> str:
    text = "match"
    if dry_run:
        text += " --dry-run"
    if every and every.strip():
        text += f" --every {quote(every)}"
    if rematch:
        text += " --rematch"
    if stop:
        text += " --stop"
    return text


def review_text(action: str, pair: int | None, other_pair: int | None) -> str:
    """The core checks that drop has one number and swap two; missing ones reach it as missing."""
    return " ".join(["match", action, *(str(n) for n in (pair, other_pair) if n is not None)])


def form_to_command(custom_id: str, fields: dict[str, str]) -> str | None:
    """Adapter-side modals become command text; other form ids go to the core as FormSubmission."""
    if custom_id == POLL_FORM_ID:
        return poll_text(
            fields.get("question", ""), fields.get("options"), fields.get("closes"),
            (fields.get("anonymous", "").strip().lower() in {"yes", "y", "true", "1"}),
        )
    return None


class PollModal(discord.ui.Modal):
    """The free-text way to start a poll (question and choices are long text).

    Its submission is handled by the client's `on_interaction` from the custom id,
    not by this object, so no callback is defined here.
    """

    question = discord.ui.TextInput(label="Question", max_length=QUESTION_MAX, custom_id="question")
    options = discord.ui.TextInput(
        label="Choices (one a line; empty: Mentor / Mentee)",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=OPTIONS_MAX_TEXT,
        custom_id="options",
    )
    closes = discord.ui.TextInput(
        label="Closes (3d, 2026-12-01, friday 17:00)", required=False, max_length=40, custom_id="closes"
    )
    anonymous = discord.ui.TextInput(
        label="Anonymous? (yes/no)", required=False, max_length=3, custom_id="anonymous"
    )

    def __init__(self) -> None:
        super().__init__(title="New interest poll", custom_id=POLL_FORM_ID, timeout=900)


def command_suggestions(client: Any, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The core's own command list (what /mentor help shows), filtered by what was typed."""
    router = getattr(getattr(client, "bot", None), "router", None)
    if router is None:
        return []
    actor = client.actor_for(interaction.user, interaction.permissions)
    moderator = is_moderator_actor(actor, client.bot.settings)
    typed = current.strip().lower()
    choices = []
    for command in router.visible_commands(moderator):
        if typed and not (command.name.startswith(typed) or typed.startswith(command.name)):
            continue
        label = f"{command.usage} — {command.summary}"
        # Keep what was typed when it already goes beyond the command name (its arguments).
        value = current if typed.startswith(command.name) else command.name
        choices.append(app_commands.Choice(name=label[:100], value=value[:100]))
    return choices[:25]


def build_group(client: Any) -> app_commands.Group:
    group = app_commands.Group(
        name="mentor",
        description="Mentorship program: polls, help and more",
        guild_only=True,
    )

    @group.command(name="poll", description="Post an interest poll in this channel (moderators)")
    @app_commands.describe(
        question="What you ask, e.g. Would you join a mentorship program? (empty: opens a form)",
        options="Choices separated by commas, or | if a choice has a comma (default: Mentor, Mentee)",
        closes="When it closes: 3d, 2026-12-01 or friday 17:00 (default 7 days)",
        anonymous="Hide who voted for what in the results",
    )
    async def poll(
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, QUESTION_MAX] | None = None,
        options: app_commands.Range[str, 1, OPTIONS_MAX_TEXT] | None = None,
        closes: app_commands.Range[str, 1, 40] | None = None,
        anonymous: bool = False,
    ) -> None:
        if not question:
            if client.known_guild(interaction.guild_id) is None:
                await client.refuse(interaction)
                return
            await interaction.response.send_modal(PollModal())
            return
        await client.handle_slash(interaction, poll_text(question, options, closes, anonymous))

    @group.command(name="poll-close", description="Close a poll now and post its results (moderators)")
    @app_commands.describe(poll_id="The poll's number, shown on the poll and in /mentor polls")
    @app_commands.rename(poll_id="id")
    async def poll_close(interaction: discord.Interaction, poll_id: app_commands.Range[int, 1, 2**31]) -> None:
        await client.handle_slash(interaction, f"poll close {poll_id}")

    @group.command(name="polls", description="Open and recent polls")
    async def polls(interaction: discord.Interaction) -> None:
        await client.handle_slash(interaction, "polls")

    @group.command(name="match", description="Compute a matching round to review; nothing is sent before approval")
    @app_commands.describe(
        dry_run="Only show what the round would look like",
        every="Run a round on a schedule, e.g. 4w",
        rematch="Allow pairs who were matched before",
        stop="Stop the scheduled rounds",
    )
    @app_commands.rename(dry_run="dry-run")
    async def match(
        interaction: discord.Interaction,
        dry_run: bool = False,
        every: app_commands.Range[str, 1, 20] | None = None,
        rematch: bool = False,
        stop: bool = False,
    ) -> None:
        await client.handle_slash(interaction, match_text(dry_run, every, rematch, stop))

    @group.command(name="match-review", description="Review the proposed round: approve, drop, swap, …")
    @app_commands.describe(
        action="What to do with the current proposal",
        pair="Pair number (drop, swap)",
        other_pair="Second pair number (swap)",
    )
    @app_commands.choices(action=[app_commands.Choice(name=a, value=a) for a in REVIEW_ACTIONS])
    async def match_review(
        interaction: discord.Interaction,
        action: app_commands.Choice[str],
        pair: app_commands.Range[int, 1, 10_000] | None = None,
        other_pair: app_commands.Range[int, 1, 10_000] | None = None,
    ) -> None:
        await client.handle_slash(interaction, review_text(action.value, pair, other_pair))

    @group.command(name="modchannel", description="Send moderator alerts to this channel (moderators)")
    async def modchannel(interaction: discord.Interaction) -> None:
        await client.handle_slash(interaction, "modchannel")

    @group.command(name="help", description="What you can do with mentorbot")
    async def help_(interaction: discord.Interaction) -> None:
        await client.handle_slash(interaction, "help")

    @group.command(name="run", description="Any other /mentor command as text, e.g. polls")
    @app_commands.describe(command="The command and its arguments, as in /mentor help")
    async def run(interaction: discord.Interaction, command: app_commands.Range[str, 1, 1000]) -> None:
        await client.handle_slash(interaction, command)

    @run.autocomplete("command")
    async def run_suggestions(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        # Answered from memory (no database): autocomplete has no defer and must be fast.
        return command_suggestions(client, interaction, current)

    return group
