"""Argument parsing that users forgive, and clear errors for the rest."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.parsing import Arity, ParseError, parse_args, parse_duration, parse_when, tokenize

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 09:00 UTC


def test_quotes_group_words_and_apostrophes_are_letters() -> None:
    assert tokenize('poll "Would you join?" --options "I\'d mentor" Not') == [
        "poll",
        "Would you join?",
        "--options",
        "I'd mentor",
        "Not",
    ]


def test_curly_quotes_from_phones_work() -> None:
    assert tokenize("poll “Would you join?” --closes 3d") == ["poll", "Would you join?", "--closes", "3d"]


def test_empty_quoted_string_is_kept_as_an_empty_token() -> None:
    assert tokenize('poll ""') == ["poll", ""]


def test_unclosed_quote_says_what_to_do() -> None:
    with pytest.raises(ParseError, match="not closed"):
        tokenize('poll "Would you join?')


def test_options_flags_and_lists() -> None:
    spec = {"options": Arity.MANY, "closes": Arity.ONE, "anonymous": Arity.FLAG}
    parsed = parse_args(["Q", "--options", "A", "B", "--anonymous", "--closes", "3d", "tail"], spec)
    assert parsed.positional == ["Q", "tail"]
    assert parsed.many("options") == ["A", "B"]
    assert parsed.one("closes") == "3d"
    assert parsed.flag("anonymous") is True


def test_unknown_option_suggests_the_closest() -> None:
    with pytest.raises(ParseError, match="Did you mean --closes"):
        parse_args(["--close", "3d"], {"closes": Arity.ONE})


def test_option_without_value_and_repeated_option() -> None:
    with pytest.raises(ParseError, match="needs a value"):
        parse_args(["--closes"], {"closes": Arity.ONE})
    with pytest.raises(ParseError, match="twice"):
        parse_args(["--closes", "1d", "--closes", "2d"], {"closes": Arity.ONE})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW + timedelta(days=7)),
        ("12h", NOW + timedelta(hours=12)),
        ("2w", NOW + timedelta(weeks=2)),
        ("90m", NOW + timedelta(minutes=90)),
        ("3 days", NOW + timedelta(days=3)),
        ("2026-12-01", datetime(2026, 12, 1, 23, 59, tzinfo=UTC)),
        ("2026-12-01 17:00", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        ("2026-12-01T08:30", datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),
        ("friday 17:00", datetime(2026, 11, 27, 17, 0, tzinfo=UTC)),
        ("Fri 5pm", datetime(2026, 11, 27, 17, 0, tzinfo=UTC)),
        ("tomorrow 9am", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        ("monday 08:00", datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),  # today's 08:00 has passed
        ("monday 10:00", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        ("17:00", datetime(2026, 11, 23, 17, 0, tzinfo=UTC)),
    ],
)
def test_when_forms(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW, "UTC") == expected


def test_when_is_read_in_the_community_timezone() -> None:
    # 17:00 in Berlin (UTC+1 in November) is 16:00 UTC.
    assert parse_when("friday 17:00", NOW, "Europe/Berlin") == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "can't read"),
        ("2026-02-30", "not a real date"),
        ("2025-01-01", "in the past"),
        ("friday 25:00", "not a time of day"),
        ("0d", "more than zero"),
        ("2030-01-01", "too far ahead"),
        ("", "Say when"),
    ],
)
def test_when_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_when(text, NOW, "UTC")


def test_duration_rejects_unknown_units() -> None:
    with pytest.raises(ParseError, match="30m, 12h, 3d or 2w"):
        parse_duration("3 fortnights")


def test_quoted_text_spelled_like_an_option_is_text() -> None:
    parsed = parse_args(
        tokenize('"--anonymous" --options "--closes" B'),
        {"anonymous": Arity.FLAG, "options": Arity.MANY, "closes": Arity.ONE},
    )
    assert parsed.positional == ["--anonymous"]
    assert parsed.options == {"options": ["--closes", "B"]}
    assert not parsed.flag("anonymous")
