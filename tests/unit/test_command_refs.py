"""Commands named in the bot's texts read as each platform names them (bot/core/command_refs.py).

Built from the real command table, rendered through the real Discord renderer: the console and
Slack keep the text syntax, Discord shows its own command names, and member text is left alone.
"""

from __future__ import annotations

import pytest

from adapters.discord.render import render
from bot.bootstrap import build_router
from bot.core import messages as msg
from bot.core.command_refs import CommandRefs


@pytest.fixture(scope="module")
def refs() -> CommandRefs:
    return CommandRefs(build_router().commands.values())


@pytest.mark.parametrize(
    ("written", "on_discord"),
    [
        ("Run /mentor export for the CSV.", "Run /mentor-admin export for the CSV."),  # a moderator's command
        ("See /mentor goals.", "See /mentor goal list."),  # the text name is not Discord's leaf
        ("Try /mentor match.", "Try /mentor-admin match run."),
        ("Close it with /mentor poll close 3.", "Close it with /mentor-admin poll close 3."),
        (
            "Try /mentor match drop <n>, /mentor match swap <n> <m>.",
            "Try /mentor-admin match drop <n>, /mentor-admin match swap <n> <m>.",
        ),
        ('/mentor goal set "Ship" --by 6w', '/mentor goal set "Ship" --by 6w'),  # the same on both
        ("/mentor join starts your sign-up", "/mentor join starts your sign-up"),  # trailing words stay
        ("/mentor help", "/mentor help"),
        ("/mentor-admin export", "/mentor-admin export"),  # already Discord's form
        ("/mentor goal list", "/mentor goal list"),  # Discord's own member form is not rewritten again
        ("/mentor nonsense here", "/mentor nonsense here"),  # not a command: left as written
    ],
)
def test_discord_names_every_referenced_command_its_own_way(refs: CommandRefs, written: str, on_discord: str) -> None:
    assert refs.discord(written) == on_discord


def test_every_command_reference_round_trips_to_a_discord_label(refs: CommandRefs) -> None:
    # Each command's own text form becomes exactly its Discord label: nothing in the table is missed.
    for command in build_router().commands.values():
        assert refs.discord(f"/mentor {command.name}") == command.discord_label


def test_the_discord_renderer_rewrites_the_bot_text_but_never_member_text(refs: CommandRefs) -> None:
    message = msg.message(msg.text("Export with /mentor export. You wrote: ", msg.UserText("/mentor export")))
    rendered = render(message, refs)
    assert rendered.content.startswith("Export with /mentor-admin export. You wrote: ")
    assert rendered.content.endswith("/mentor export")  # what the member typed stays as typed
    assert render(message).content.startswith("Export with /mentor export.")  # no table: unchanged
