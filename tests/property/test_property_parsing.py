"""Property-based tests: whatever a member types, they get a reply or a clean refusal.

The parser is checked on the profile's generated inputs (10k in CI); the whole bot (router, services,
storage) on up to 500 generated `/mentor …` lines, where the property is that no input
ever reaches the "something went wrong on my side" apology (an internal error)
and stored data stays consistent.
"""

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console.session import COMMUNITY
from bot.core.events import SlashCommand
from bot.core.parsing import Arity, ParseError, parse_args, parse_when, tokenize
from bot.mentorbot import APOLOGY
from tests.support.chat import Chat
from tests.support.profiles import capped

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SPEC = {"options": Arity.MANY, "closes": Arity.ONE, "anonymous": Arity.FLAG, "by": Arity.ONE}

# Text members really type: quotes of every kind, flags, digits, unicode (RTL, emoji, zero-width).
_ALPHABET = st.sampled_from(
    list("abc xyz 0123456789-:\"“”'«»@#<>&!*_~`|\\/")
    + ["\u202e", "\u200b", "😀", "é", "ß", "\n", "\t", "--", "--closes", "--options", "--anonymous"]
)
member_text = st.lists(_ALPHABET, max_size=40).map("".join) | st.text(max_size=60)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile's (ci: 10,000)
@given(member_text)
def test_parser_returns_values_or_a_parse_error(text: str) -> None:
    try:
        tokens = tokenize(text)
        parsed = parse_args(tokens, SPEC)
    except ParseError as exc:
        assert str(exc)  # every refusal says something
        return
    assert all(isinstance(t, str) for t in tokens)
    for token in parsed.positional:
        assert isinstance(token, str)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile's (ci: 10,000)
@given(member_text)
def test_time_parser_returns_a_future_time_or_a_parse_error(text: str) -> None:
    try:
        when = parse_when(text, NOW, "Europe/Berlin")
    except ParseError as exc:
        assert str(exc)
        return
    assert when > NOW and when.tzinfo is not None


COMMANDS = [
    "",
    "help",
    "poll",
    "poll close",
    "polls",
    "match",
    "match drop",
    "match swap",
    "pair",
    "goal set",
    "goal update",
    "goal done",
    "goals",
    "resources",
    "wrap-up",
    "testimonials",
    "modchannel",
    "nonsense",
]


@pytest.mark.slow
async def test_the_bot_answers_every_generated_command_without_an_internal_error(chat: Chat) -> None:
    await chat("moderators: carol", '@carol /mentor poll "Join?"')
    seen: list[str] = []

    @settings(
        max_examples=capped(500),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.sampled_from(COMMANDS), member_text, st.booleans())
    def one(command: str, rest: str, moderator: bool) -> None:
        seen.append(f"{command} {rest}")

    one()
    # Hypothesis drives the inputs; the bot is async, so run them after generation.
    for line in seen:
        actor = chat.session.actor("carol" if len(line) % 2 else "ann")
        replies = await chat.bot.handle(SlashCommand(COMMUNITY, actor, "#general", line))
        assert replies, f"no reply to {line!r}"
        for reply in replies:
            assert APOLOGY not in reply.plain_text(), f"internal error on {line!r}"
