"""The program file and the timezone resolver: what start-up and intake rely on."""

from dataclasses import replace
from pathlib import Path

import pytest

from bot.bootstrap import bootstrap
from bot.core.program import DEFAULT_PATH, ProgramError, default_program, load_program, parse_program
from bot.core.settings import ConfigError, Settings
from bot.features.intake.timezone import describe, resolve_timezone

DEFAULT = DEFAULT_PATH.read_text(encoding="utf-8")
# The shipped file keeps its resources in the library; a community's own entries come on top.
OWN_RESOURCES = """
[[resources]]
title = "Our mentoring wiki"
link = "https://wiki.example.com/mentoring/goals"
role = "all"

[[resources]]
title = "Our closing ritual"
text = "Meet once more, in person if you can."
role = "mentee"
milestone = "wrapup"
"""


def test_the_shipped_program_loads_with_its_documented_defaults() -> None:
    program = default_program()
    assert program.name == "Community Mentorship Program"
    assert [c.key for c in program.lengths] == ["3-6", "6-9", "9-12"]
    assert [c.key for c in program.cadences] == ["weekly", "biweekly", "monthly"]
    assert [c.key for c in program.communication] == ["chat", "video", "in_person"]
    assert (program.mentor_capacity_min, program.mentor_capacity_max) == (1, 3)
    assert program.max_timezone_difference_hours == 6 and program.exclude_same_team is True
    assert program.greeting_enabled is False and program.kickoff_reminder_days == 7
    assert program.weights.topics == 35.0 and program.weights.waiting == 10.0 and program.auto_approve is False
    assert {r.milestone for r in program.resources} >= {"signup", "kickoff", "midpoint", "wrapup"}


def test_topics_are_found_by_alias_and_close_matches_are_suggested() -> None:
    program = default_program()
    assert program.find_topic("js").name == "JavaScript"  # type: ignore[union-attr]
    assert program.find_topic("  GOLANG ").name == "Go"  # type: ignore[union-attr]
    assert program.find_topic("Cobol") is None
    assert program.suggest_topics("pyton") == ["Python"]
    assert program.suggest_topics("javscript") == ["JavaScript"]
    assert program.stage_for_years(0).key == "early" and program.stage_for_years(10).key == "senior"  # type: ignore[union-attr]
    mentee = [r.title for r in program.resources_for("mentee", "signup")]
    both = [r.title for r in program.resources_for("both", "signup")]
    assert "Getting ready to meet your mentor" in mentee and "A mentor's first conversation" not in mentee
    assert "A mentor's first conversation" in both and "Getting ready to meet your mentor" in both


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.parametrize(
    ("change", "marker", "problem"),
    [
        (
            ('name = "Rust"', 'name = "Rust"\naliases = "rs"'),
            'aliases = "rs"',
            "topics[3].aliases: must be a list of words",
        ),
        (
            ("mentor_capacity_max = 3", "mentor_capacity_max = 0"),
            "mentor_capacity_max = 0",
            "must be between 1 and 10 (it is 0)",
        ),
        (
            ("greeting_enabled = false", 'greeting_enabled = "no"'),
            'greeting_enabled = "no"',
            "greeting_enabled: must be true or false",
        ),
        (
            ("exclude_same_team = true", "exclude_same_teams = true"),
            "exclude_same_teams",
            "unknown key 'exclude_same_teams'. Did you mean 'exclude_same_team'?",
        ),
        (
            ('role = "mentee"', 'role = "mentees"'),
            'role = "mentees"',
            "resources[2].role: must be one of mentor, mentee, all",
        ),
        (
            ('milestone = "wrapup"', 'milestone = "the end"'),
            'milestone = "the end"',
            "must be one of signup, kickoff, first_goal, midpoint, wrapup",
        ),
        (
            ('link = "https://wiki.example.com/mentoring/goals"', 'link = "example.org"'),
            'link = "example.org"',
            "must be a web address",
        ),
        (
            ('key = "biweekly"', 'key = "Every Two"'),
            'key = "Every Two"',
            "cadences[2].key: use 1–24 lower-case letters",
        ),
        (('key = "monthly"', 'key = "weekly"'), 'key = "weekly"', "the key 'weekly' is used twice"),
        (("topics = 35", "topics = -1"), "topics = -1", "matching.weights.topics: must be a number, 0 or more"),
        (("topics = 35", "topics = inf"), "topics = inf", "matching.weights.topics: must be a number, 0 or more"),
        (
            ('name = "Rust"', 'name = "Rust"\naliases = ["py"]'),
            'aliases = ["py"]',
            "'py' already names the topic 'Python'",
        ),
    ],
)
def test_semantic_mistakes_name_the_line_and_the_problem(change: tuple[str, str], marker: str, problem: str) -> None:
    old, new = change
    assert old in DEFAULT + OWN_RESOURCES
    text = (DEFAULT + OWN_RESOURCES).replace(old, new, 1)
    with pytest.raises(ProgramError) as caught:
        parse_program(text, "my-program.toml")
    message = str(caught.value)
    line = [n for n, row in enumerate(text.splitlines(), 1) if marker in row][-1]  # the offending (last) one
    assert message.startswith(f"my-program.toml line {line}: "), message
    assert problem in message, message


def test_the_program_files_weights_are_the_engines_criteria() -> None:
    """The core names the weights itself (it imports no feature); they must stay the engine's criteria."""
    from dataclasses import fields

    from bot.core.program import MatchWeights
    from bot.features.matching import CRITERIA

    assert tuple(f.name for f in fields(MatchWeights)) == CRITERIA
    assert default_program().weights.given() == {
        "topics": 35.0,
        "goals": 15.0,
        "seniority": 10.0,
        "waking_hours": 10.0,
        "cadence": 5.0,
        "program_length": 5.0,
        "communication": 5.0,
        "commitment": 5.0,
        "waiting": 10.0,
    }


def test_syntax_errors_name_the_line() -> None:
    text = DEFAULT.replace("[matching]", "[matching")
    with pytest.raises(ProgramError) as caught:
        parse_program(text, "p.toml")
    assert str(caught.value).startswith(f"p.toml line {_line_of(text, '[matching')}: ")


def test_missing_pieces_are_named() -> None:
    without_name = DEFAULT.replace('name = "Community Mentorship Program"\n', "")
    with pytest.raises(ProgramError, match="'name' is missing"):
        parse_program(without_name)
    minimal = 'name = "P"\npurpose = "Q"\n'
    with pytest.raises(ProgramError, match=r"topics: is missing; add at least one \[\[topics\]\] entry"):
        parse_program(minimal)


def test_unreadable_file_is_a_configuration_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        load_program(tmp_path / "nope.toml")


async def test_a_broken_program_file_stops_start_up(tmp_path: Path, settings: Settings) -> None:
    broken = tmp_path / "program.toml"
    broken.write_text(
        DEFAULT.replace("max_timezone_difference_hours = 6", "max_timezone_difference_hours = 99"), encoding="utf-8"
    )
    with pytest.raises(
        ProgramError, match=r"program.toml line \d+: matching.max_timezone_difference_hours: must be between 0 and 24"
    ):
        await bootstrap(replace(settings, program_path=str(broken)))


async def test_a_custom_program_reaches_the_conversation(sqlite_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.chat import Chat

    custom = tmp_path / "program.toml"
    custom.write_text(
        DEFAULT.replace('name = "Community Mentorship Program"', 'name = "Rustaceans Mentoring"').replace(
            'languages = ["English", "German", "Spanish", "French"]', 'languages = ["English"]'
        ),
        encoding="utf-8",
    )
    chat = await Chat.open(sqlite_factory, settings=Settings(program_path=str(custom)))
    try:
        out = await chat("@alice /mentor join")
        assert "Let's sign you up for Rustaceans Mentoring." in out
        out = await chat("@alice click Mentee")
        assert "(2/14)" in out  # one language only: that question is not asked
    finally:
        await chat.close()


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("UTC", "UTC"),
        ("UTC+2", "Etc/GMT-2"),
        ("gmt-5", "Etc/GMT+5"),
        ("+2", "Etc/GMT-2"),
        ("UTC+0", "UTC"),
        ("UTC+5:30", "Asia/Kolkata"),
        ("PST", "America/Los_Angeles"),
        ("cet", "Europe/Paris"),
        ("JST", "Asia/Tokyo"),
    ],
)
def test_timezones_are_understood(typed: str, zone: str) -> None:
    assert resolve_timezone(typed).zone == zone


@pytest.mark.parametrize(
    ("typed", "suggestion"), [("Berlinn", "Europe/Berlin"), ("Lisbn", "Europe/Lisbon"), ("Tokio", "Asia/Tokyo")]
)
def test_typos_get_suggestions(typed: str, suggestion: str) -> None:
    answer = resolve_timezone(typed)
    assert answer.zone is None and suggestion in answer.suggestions


@pytest.mark.parametrize("typed", ["", "UTC+15", "UTC+3:17", "Atlantis", "Mars/Olympus"])
def test_nonsense_is_not_a_timezone(typed: str) -> None:
    assert resolve_timezone(typed).zone is None


def test_offsets_read_the_way_people_write_them() -> None:
    assert (
        describe("Etc/GMT-2") == "UTC+2"
        and describe("Etc/GMT+5") == "UTC-5"
        and describe("Europe/Berlin") == "Europe/Berlin"
    )


def test_an_unknown_table_is_named_with_its_line() -> None:
    text = DEFAULT + '\n[[topic]]\nname = "Typo"\n'
    with pytest.raises(ProgramError) as caught:
        parse_program(text, "p.toml")
    assert str(caught.value) == (
        f"p.toml line {_line_of(text, '[[topic]]')}: topic: unknown key 'topic'. Did you mean 'topics'?"
    )


def test_spaces_are_optional_channel_ids_and_mistakes_are_named() -> None:
    program = default_program()
    assert (program.participants_space, program.mentors_space) == ("", "")
    text = DEFAULT_PATH.read_text()
    ok = parse_program(text.replace("[spaces]\n", '[spaces]\nparticipants = "C0PEOPLE"\nmentors = "1234567890"\n', 1))
    assert (ok.participants_space, ok.mentors_space) == ("C0PEOPLE", "1234567890")
    with pytest.raises(ProgramError, match=r"line \d+: spaces.mentor: unknown key 'mentor'. Did you mean 'mentors'\?"):
        parse_program(text.replace("[spaces]\n", '[spaces]\nmentor = "C0M"\n', 1))
    with pytest.raises(ProgramError, match="spaces.participants: must be a channel id"):
        parse_program(text.replace("[spaces]\n", '[spaces]\nparticipants = "<#C0 nope>"\n', 1))
    with pytest.raises(ProgramError, match="spaces.mentors: must be a different channel"):
        parse_program(text.replace("[spaces]\n", '[spaces]\nparticipants = "C0X"\nmentors = "C0X"\n', 1))
