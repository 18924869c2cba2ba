"""The end of a mentorship in words: the wrap-up confirmation and the feedback's
rating and quote questions also take typed answers (`bot.core.questions`)."""

from __future__ import annotations

import re

from bot.core.questions import Answer, Question, one, typed_choice

WRAP_UP = "wrapup"
RATING = "feedback.rate"
QUOTE = "feedback.quote"
FEEDBACK_TEXT = "feedback.text"  # what worked, what to improve, a quote's name: any words
FEEDBACK_QUESTIONS = (RATING, QUOTE, FEEDBACK_TEXT)

_RATING_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_RATING = re.compile(r"([1-5]|one|two|three|four|five)\s*(?:/\s*5|out of (?:5|five)|stars?)?")


def typed_rating(answer: str) -> int | None:
    """A typed rating, forgiving like intake: "5", "4/5", "four", "4 out of 5", "3 stars"."""
    match = _RATING.fullmatch(answer.casefold().strip(" .!"))
    if match is None:
        return None
    word = match.group(1)
    return int(word) if word.isdigit() else _RATING_WORDS[word]


def typed_quote_choice(answer: str) -> str | None:
    """The quote question answered in words: a key of QUOTE_CHOICES, or None when unclear."""
    words = re.sub(r"[^a-z ]", " ", answer.casefold()).split()
    if not words:
        return None
    if words[0] in ("no", "nope", "nah") or words == ["don", "t"] or "not" in words[:2]:
        return "no"
    if {"anonymous", "anonymously", "anon"} & set(words):
        return "anon"
    if "another" in words or "other" in words or "different" in words:
        return "other"
    if "name" in words or "my" in words:
        return "name"
    return None  # a bare "yes" does not say under which name


def parse_wrap_up(text: str, strict: bool) -> tuple[Answer, ...]:
    verb = typed_choice(
        text,
        {
            "confirm": ("yes wrap up", "wrap up", "wrap it up", "end it", "finish it", "confirm"),
            "cancel": ("no carry on", "carry on", "cancel", "keep going", "continue", "not now", "not yet"),
        },
        yes="confirm",
        no="cancel",
        strict=strict,
    )
    return one(verb)


def parse_rating(text: str, strict: bool) -> tuple[Answer, ...]:
    rating = None if strict else typed_rating(text)  # a bare number only answers the newest question
    return one("rate" if rating else None, str(rating or ""))


def parse_quote(text: str, strict: bool) -> tuple[Answer, ...]:
    choice = None if strict else typed_quote_choice(text)
    return one("quote" if choice else None, choice or "")


def _any_text(text: str, strict: bool) -> tuple[Answer, ...]:
    return ()


QUESTIONS = (
    Question(
        WRAP_UP,
        "wrapup",
        ("confirm", "cancel"),
        parse_wrap_up,
        "Wrap up your mentorship now? Reply yes, wrap up — or no, carry on.",
    ),
    Question(
        RATING,
        "feedback",
        ("rate",),
        parse_rating,
        "How would you rate your mentorship? Reply with a number from 1 (poor) to 5 (excellent), or skip.",
    ),
    Question(
        QUOTE,
        "feedback",
        ("quote",),
        parse_quote,
        "May the moderators quote you? Reply yes with my name, yes anonymously, yes under another name, or no.",
    ),
    Question(FEEDBACK_TEXT, "feedback", (), _any_text, "", free_text=True),
)
