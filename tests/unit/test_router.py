"""The router: help per role, closest match for typos, polite errors."""

from bot.core.events import SlashCommand
from tests.support.chat import Chat


async def test_help_differs_for_members_and_moderators(chat: Chat) -> None:
    member = await chat("moderators: carol", "@alice /mentor help")
    moderator = await chat("@carol /mentor help")
    assert "[only alice] What you can do" in member
    assert "/mentor polls" in member and '/mentor poll "<question>"' not in member
    assert "What you can do (moderator)" in moderator
    assert '/mentor poll "<question>"' in moderator and "/mentor poll close <id>" in moderator


async def test_bare_command_shows_help(chat: Chat) -> None:
    assert "What you can do" in await chat("@alice /mentor")


async def test_unknown_subcommand_suggests_closest_in_two_lines_never_the_whole_help(chat: Chat) -> None:
    out = await chat("moderators: carol", "@alice /mentor pols")
    assert "I don't know the command pols. Did you mean /mentor polls?" in out
    assert "See /mentor help for what you can do." in out
    assert "What you can do" not in out and "/mentor join" not in out
    assert len([line for line in out.splitlines() if line.strip()]) == 2
    out = await chat("@alice /mentor xyzzy")
    assert "I don't know the command xyzzy." in out and "Did you mean" not in out
    assert "See /mentor help" in out and "What you can do" not in out
    # A moderator's command is suggested to moderators only.
    assert "Did you mean /mentor stats?" in await chat("@carol /mentor statz")
    assert "/mentor stats" not in await chat("@alice /mentor statz")


async def test_unclosed_quote_is_a_polite_error(chat: Chat) -> None:
    out = await chat('@alice /mentor poll "oops')
    assert "A quotation mark is not closed" in out


async def test_unknown_button_and_foreign_button(chat: Chat) -> None:
    from adapters.console.session import COMMUNITY
    from bot.core.events import ComponentAction

    replies = await chat.bot.handle(
        ComponentAction(COMMUNITY, chat.session.actor("alice"), "#general", "mentor:nope:1:x")
    )
    assert "no longer does anything" in replies[0].plain_text()
    replies = await chat.bot.handle(
        ComponentAction(COMMUNITY, chat.session.actor("alice"), "#general", "other-bot-button")
    )
    assert "not one of mine" in replies[0].plain_text()


async def test_unexpected_error_reaches_the_member_as_an_apology(chat: Chat, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from adapters.console.session import COMMUNITY
    from bot.features.polls import polls

    async def broken(ctx, args):  # type: ignore[no-untyped-def]
        raise RuntimeError("database on fire")

    monkeypatch.setitem(
        chat.bot.router.commands,
        "polls",
        chat.bot.router.commands["polls"].__class__("polls", "polls", "open and recent polls", broken),
    )
    replies = await chat.bot.handle(SlashCommand(COMMUNITY, chat.session.actor("alice"), "#general", "polls"))
    text = replies[0].plain_text()
    assert "something went wrong on my side and nothing was changed" in text
    assert "database on fire" not in text and "Traceback" not in text
    assert polls  # the real module is untouched


async def test_duplicate_platform_event_has_no_second_effect(chat: Chat) -> None:
    from adapters.console.session import COMMUNITY

    await chat("moderators: carol")
    event = SlashCommand(COMMUNITY, chat.session.actor("carol"), "#general", 'poll "Join?"', event_id="Ev123")
    first = await chat.bot.handle(event)
    second = await chat.bot.handle(event)
    assert "Poll #1 is posted" in first[0].plain_text()
    assert second == []


async def test_bots_are_ignored(chat: Chat) -> None:
    from dataclasses import replace

    from adapters.console.session import COMMUNITY

    robot = replace(chat.session.actor("robot"), is_bot=True)
    assert await chat.bot.handle(SlashCommand(COMMUNITY, robot, "#general", "help")) == []


async def test_direct_message_without_a_conversation_points_to_help(chat: Chat) -> None:
    out = await chat("@alice hello")
    assert "[DM alice] Hi! I run this community's mentorship program." in out


async def test_console_script_errors_are_clear_and_the_script_goes_on(chat: Chat) -> None:
    out = await chat("hello without a name", "@alice click 1", "wait forever", "@alice /mentor polls")
    assert "! line 1: start the line with @name" in out
    assert "! line 2: @alice sees no message with buttons" in out
    assert "! line 3: I can't read 'forever' as a length of time" in out
    assert "[only alice] Polls" in out


def test_help_shows_each_platforms_own_form() -> None:
    """Discord shows its sub-commands and typed options; Slack and the console keep the text syntax."""
    from types import SimpleNamespace

    from bot.bootstrap import build_router

    router = build_router()

    def help_for(platform: str, moderator: bool) -> str:
        ctx = SimpleNamespace(is_moderator=moderator, community=SimpleNamespace(platform=platform))
        return router.help(ctx).plain_text()

    text_lines = [f"/mentor {c.usage} — {c.summary}" for c in router.commands.values()] + ["/mentor help — this list"]
    for platform in ("slack", "console"):
        assert help_for(platform, True).splitlines()[1:] == text_lines
    discord = help_for("discord", True)
    assert "/mentor goal set goal:… [by:…] — " in discord and "/mentor goal list — " in discord
    assert "/mentor-admin poll create [question:…] [options:…] [closes:…] [anonymous:True]" in discord
    assert "/mentor-admin match run [dry-run:True]" in discord and '/mentor poll "<question>"' not in discord
    assert "/mentor profile [member:@member] — " in discord
    member = help_for("discord", False)
    assert "/mentor-admin" not in member and "/mentor join [role:mentor|mentee|both] — " in member
