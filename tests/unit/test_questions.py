"""Typed answers to button questions: the forgiving word rules (bot/core/questions.py) and the
features' parsers, one at a time."""

from bot.core.questions import normalise, typed_choice
from bot.features.checkins.checkins import parse_checkin
from bot.features.completion.answers import parse_rating, parse_wrap_up
from bot.features.goals.goals import parse_reassess
from bot.features.pairs.answers import parse_draft, parse_kickoff, parse_next_round, parse_policy, parse_proposal
from bot.features.profile.forget import parse_forget

CHOICES = {"confirm": ("wrap up", "confirm"), "cancel": ("carry on", "not now")}


def test_normalise_drops_punctuation_filler_and_case() -> None:
    assert normalise("  Yes, please!! ") == "yes"
    assert normalise("We’ve had our Kick-off.") == "we've had our kick off"


def test_typed_choice_is_forgiving_but_never_guesses_through_a_negation() -> None:
    assert typed_choice("Wrap up!", CHOICES) == "confirm"
    assert typed_choice("I think we should carry on", CHOICES) == "cancel"
    assert typed_choice("don't wrap up", CHOICES) is None
    assert typed_choice("yes", CHOICES, yes="confirm") == "confirm"
    assert typed_choice("yes", CHOICES, yes="confirm", strict=True) is None  # a bare yes: only the newest question
    assert typed_choice("nope", CHOICES, no="cancel") == "cancel"
    assert typed_choice("purple", CHOICES, yes="confirm", no="cancel") is None


def test_the_features_parsers() -> None:
    assert parse_policy("Sounds good", False) == (("confirm", ""),)
    assert parse_policy("yes", True) == ()
    assert parse_kickoff("We've had our kick-off", True) == (("kickoff", ""),)
    assert parse_kickoff("not yet", False) == (("notyet", ""),)
    assert parse_draft("every two weeks, in person, 9 months — send", False) == (
        ("draft", "cadence=biweekly"),
        ("draft", "communication=in_person"),
        ("draft", "length=9-12"),
        ("propose", ""),
    )
    assert parse_proposal("I decline", False) == (("decline", ""),)
    assert parse_next_round("not in the next round", False) == (("no", ""),)
    assert parse_next_round("Yes please", False) == (("yes", ""),)
    assert parse_wrap_up("no, carry on", False) == (("cancel", ""),)
    assert parse_rating("4/5", False) == (("rate", "4"),) and parse_rating("4", True) == ()
    assert parse_reassess("new goal", False) == (("new", ""),)
    assert parse_checkin("note we met on Tuesday", False) == ()
    assert parse_checkin("not yet", False) == (("not_yet", ""),)
    assert parse_forget("yes", False) == () and parse_forget("delete my data", False) == (("forget", ""),)
