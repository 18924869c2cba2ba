"""The pair's button questions in words: the partnership policy on the introduction
(confirm or propose changes), the choices of a proposal, the partner's accept or
decline, the kick-off, and the next-round question when a mentorship is over.

Each parser maps what a member would type to the button it stands for; the
router handles the words exactly as that click (`bot.core.questions`).
"""

from __future__ import annotations

import re

from bot.core.questions import Answer, Question, has_phrase, normalise, one, typed_choice

POLICY = "pair.policy"
KICKOFF = "pair.kickoff"
DRAFT = "pair.draft"
PROPOSAL = "pair.proposal"
NEXT_ROUND = "nextround"
# Questions about a pairing that no longer stand once it is over.
PAIRING_QUESTIONS = (POLICY, KICKOFF, DRAFT, PROPOSAL, "wrapup", "reassess")

_KICKOFF_WORDS = (
    "we've had our kick off",
    "we had our kick off",
    "we had the kick off",
    "kick off done",
    "kicked off",
    "had our kick off",
    "kickoff done",
    "we had our kickoff",
    "we've had our kickoff",
    "we met",
    "we've met",
    "we have met",
)


def parse_policy(text: str, strict: bool) -> tuple[Answer, ...]:
    verb = typed_choice(
        text,
        {
            "confirm": ("confirm", "confirmed", "confirm the policy", "i confirm", "agree", "agreed", "i agree"),
            "change": (
                "propose changes",
                "propose a change",
                "change",
                "changes",
                "change it",
                "i'd like to change",
                "i would like to change something",
            ),
        },
        yes="confirm",
        no="change",
        strict=strict,
    )
    if verb is None and not strict and normalise(text) in ("sounds good", "looks good", "fine", "fine by me"):
        verb = "confirm"
    return one(verb)


def parse_kickoff(text: str, strict: bool) -> tuple[Answer, ...]:
    """The kick-off: named in words on the introduction; a reminder's own question also takes yes."""
    said = normalise(text)
    if any(has_phrase(said, p) for p in _KICKOFF_WORDS) and not said.startswith(("no", "not")):
        return one("kickoff")
    if strict:
        return ()
    if said in ("yes", "yes we have", "yes we did", "yes we had it", "done", "we did"):
        return one("kickoff")
    if said in ("no", "not yet", "no not yet", "nope"):
        return one("notyet")
    return ()


_CADENCE = {
    "weekly": ("weekly", "every week", "once a week", "each week", "1w"),
    "biweekly": ("every two weeks", "every 2 weeks", "biweekly", "fortnightly", "every other week", "2w"),
    "monthly": ("monthly", "once a month", "every month", "each month", "4w"),
}
_MODE = {
    "chat": ("chat", "by chat", "text", "messages"),
    "video": ("video", "video call", "by video", "call", "calls"),
    "in_person": ("in person", "meeting in person", "face to face", "meet in person"),
}
_LENGTH = {"3-6": ("3 months", "three months"), "6-9": ("6 months", "six months"), "9-12": ("9 months", "nine months")}
_SEND = ("send", "send it", "send to my partner", "that's all", "done", "propose", "propose it")


def parse_draft(text: str, strict: bool) -> tuple[Answer, ...]:
    """One line may hold several choices: "every week by chat for 6 months, send"."""
    said = normalise(text)
    answers: list[Answer] = []
    for field, table in (("cadence", _CADENCE), ("communication", _MODE), ("length", _LENGTH)):
        hits = [key for key, phrases in table.items() if any(has_phrase(said, p) for p in phrases)]
        if len(hits) == 1:
            answers.append(("draft", f"{field}={hits[0]}"))
    if any(has_phrase(said, p) for p in _SEND if p != "done") or (said == "done" and not strict):
        answers.append(("propose", ""))
    return tuple(answers)


def parse_proposal(text: str, strict: bool) -> tuple[Answer, ...]:
    verb = typed_choice(
        text,
        {
            "accept": ("accept", "accepted", "i accept", "accept it", "agreed", "sounds good"),
            "decline": ("decline", "declined", "i decline", "reject", "decline it"),
        },
        yes="accept",
        no="decline",
        strict=strict,
    )
    return one(verb)


def parse_next_round(text: str, strict: bool) -> tuple[Answer, ...]:
    said = normalise(text)
    if re.search(r"\b(not|no|don't|dont)\b", said) and has_phrase(said, "next round"):
        return one("no")  # "not in the next round"
    verb = typed_choice(
        text,
        {
            "yes": ("yes next round", "next round", "another round", "yes another mentor", "sign me up again"),
            "no": ("not now", "no thanks", "later", "not this time", "skip the next round"),
        },
        yes="yes",
        no="no",
        strict=strict,
    )
    return one(verb)


QUESTIONS = (
    Question(
        POLICY,
        "pair",
        ("confirm",),  # after proposing a change a member may still confirm in words
        parse_policy,
        "Reply confirm to agree to the partnership policy, or change to propose changes.",
    ),
    Question(
        KICKOFF,
        "pair",
        ("kickoff",),  # "not yet" is answered, and the question stays open
        parse_kickoff,
        "Have you had your kick-off? Reply we had our kick-off once you have.",
    ),
    Question(
        DRAFT,
        "pair",
        ("propose",),
        parse_draft,
        "Say what you'd change — how often (every week, every two weeks, once a month), how (chat, video, "
        "in person) or for how long (3, 6 or 9 months) — then send.",
    ),
    Question(
        PROPOSAL,
        "pair",
        ("accept", "decline"),
        parse_proposal,
        "Your partner proposed a change to your partnership policy: reply accept or decline.",
    ),
    Question(
        NEXT_ROUND,
        "nextround",
        ("yes", "no"),
        parse_next_round,
        "Would you like to be matched again in the next round? Reply yes, next round — or not now.",
    ),
)
