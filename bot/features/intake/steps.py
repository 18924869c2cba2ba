"""The intake's step table: which questions there are, in which order, for whom.

`IntakeStep` names the states of the sign-up conversation; `STEPS` says, per step,
whether it applies to this member (mentors are asked different things than
mentees) and whether it may be skipped. The next state is computed from the
answers so far (`next_step`, `previous_step`), so an edited answer can open new
questions. `Turn` is what a step's rendering and parsing functions need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.program import Program
from bot.core.router import ComponentId
from bot.features.spaces.spaces import offered
from storage.tables import Intake, Member

SELECT_LIMIT = 25  # Slack and Discord allow 25 options per select
MIN_HOURS, MAX_HOURS = 1, 40


class IntakeStep(StrEnum):
    """The questions, in the order they are asked. Values are short: they travel in button ids."""

    ROLE = "role"
    TOPICS_OFFERED = "offer"
    TOPICS_WANTED = "want"
    TOPICS_OTHER = "other"
    CAN_HELP_WITH = "helpwith"
    GOALS = "goals"
    CAREER = "career"
    TIMEZONE = "tz"
    AVAILABILITY = "avail"
    HOURS = "hours"
    LENGTH = "length"
    CADENCE = "cadence"
    COMMUNICATION = "comm"
    LANGUAGES = "langs"
    CAPACITY = "capacity"
    AVOID = "avoid"
    TEAM = "team"
    SPACES = "spaces"
    CONSENT = "consent"
    SUMMARY = "summary"


def is_mentor(answers: dict[str, Any]) -> bool:
    """The member offers mentoring (role mentor or both)."""
    return answers.get("role") in ("mentor", "both")


def is_mentee(answers: dict[str, Any]) -> bool:
    """The member wants a mentor (role mentee or both)."""
    return answers.get("role") in ("mentee", "both")


@dataclass(frozen=True)
class StepSpec:
    step: IntakeStep
    title: str  # the summary's label and the "what do you want to change?" option
    help: str
    optional: bool = False
    applies: Callable[[Program, dict[str, Any]], bool] = lambda program, answers: True


STEPS: tuple[StepSpec, ...] = (
    StepSpec(
        IntakeStep.ROLE,
        "Role",
        "Mentors share what they know; mentees get guidance towards a goal; "
        "with Both you do each, with different people.",
    ),
    StepSpec(
        IntakeStep.TOPICS_OFFERED,
        "Topics you mentor",
        "Pick the topics you could guide someone in. "
        'Type them separated by commas if that is easier ("js" finds JavaScript).',
        applies=lambda p, a: is_mentor(a),
    ),
    StepSpec(
        IntakeStep.TOPICS_WANTED,
        "Topics you want",
        "Pick what you want to learn or get better at. "
        'Type them separated by commas if that is easier ("py" finds Python).',
        applies=lambda p, a: is_mentee(a),
    ),
    StepSpec(
        IntakeStep.TOPICS_OTHER,
        "Other topics",
        "Topics that are missing from the list, in your words. Moderators read them to grow the list.",
        optional=True,
    ),
    StepSpec(
        IntakeStep.CAN_HELP_WITH,
        "Can help with",
        "A sentence or two about what you can help with: your experience, the kind of questions you like.",
        applies=lambda p, a: is_mentor(a),
    ),
    StepSpec(
        IntakeStep.GOALS,
        "Goals",
        'A sentence or two about what you hope to get out of mentoring, e.g. "ship my first open-source contribution".',
        applies=lambda p, a: is_mentee(a),
    ),
    StepSpec(
        IntakeStep.CAREER,
        "Career stage",
        "Choose the stage that fits, or type your years of experience as a number (e.g. 5).",
    ),
    StepSpec(
        IntakeStep.TIMEZONE,
        "Timezone",
        "Your timezone lets me pair you with someone awake when you are. "
        "Type a city (Berlin), an IANA name (Europe/Berlin), an offset (UTC+2) or an abbreviation (PST).",
    ),
    StepSpec(
        IntakeStep.AVAILABILITY,
        "Weekly availability",
        "When you are usually free to meet each week, in your own time, so the meeting times I propose fit: "
        'e.g. "Mon-Fri 18:00-20:00; Sat 10-14". Any time means any time in waking hours.',
        optional=True,  # skipped: any time in waking hours
    ),
    StepSpec(
        IntakeStep.HOURS,
        "Hours a month",
        f"Roughly how many hours a month you can give, {MIN_HOURS} to {MAX_HOURS}. Two one-hour calls a month is 2.",
    ),
    StepSpec(IntakeStep.LENGTH, "Program length", "How long you would like the mentoring relationship to last."),
    StepSpec(IntakeStep.CADENCE, "Meeting cadence", "How often you would like to meet."),
    StepSpec(IntakeStep.COMMUNICATION, "Communication", "How you prefer to talk with your partner."),
    StepSpec(
        IntakeStep.LANGUAGES,
        "Languages",
        "The languages you are comfortable mentoring or learning in.",
        applies=lambda p, a: len(p.languages) > 1,
    ),
    StepSpec(
        IntakeStep.CAPACITY,
        "Mentees at once",
        "How many mentees you can take on at the same time.",
        applies=lambda p, a: is_mentor(a),
    ),
    StepSpec(
        IntakeStep.AVOID,
        "Not matched with",
        "Names of members you should not be paired with, separated by commas. Nobody is told.",
        optional=True,
    ),
    StepSpec(
        IntakeStep.TEAM,
        "Team/organisation",
        "Your team or organisation, so you are paired with someone from elsewhere.",
        optional=True,
    ),
    StepSpec(
        IntakeStep.SPACES,
        "Community spaces",
        "Channels the program has beyond your pair. I only add you to one you say yes to; "
        "/mentor spaces lets you leave or join later.",
        applies=lambda p, a: bool(offered(p, a.get("role", ""))),
    ),
    StepSpec(
        IntakeStep.CONSENT,
        "Consent to introductions",
        "When you are matched I introduce you and your "
        "partner in a group DM and share your name, topics and goals with them.",
    ),
)
SPECS = {s.step: s for s in STEPS}


@dataclass
class Turn:
    """What a step's functions need: the saved state, the member and the program."""

    session: AsyncSession
    program: Program
    intake: Intake
    member: Member

    @property
    def answers(self) -> dict[str, Any]:
        return self.intake.answers

    def cid(self, verb: str, arg: str = "") -> str:
        return str(ComponentId("intake", str(self.intake.member_id), verb, arg))


def applicable(program: Program, answers: dict[str, Any]) -> list[IntakeStep]:
    return [s.step for s in STEPS if s.applies(program, answers)]


def _answered(step: IntakeStep, answers: dict[str, Any]) -> bool:
    if SPECS[step].optional:
        return step.value in answers  # a skipped question counts as answered
    return answers.get(step.value) not in (None, "", [])


def next_step(program: Program, intake: Intake) -> IntakeStep:
    steps = applicable(program, intake.answers)
    if intake.editing:  # back to the summary, unless a changed answer opened new questions
        return next((s for s in steps if not _answered(s, intake.answers)), IntakeStep.SUMMARY)
    order = list(IntakeStep)
    here = order.index(IntakeStep(intake.step))
    return next((s for s in steps if order.index(s) > here), IntakeStep.SUMMARY)


def previous_step(program: Program, intake: Intake) -> IntakeStep | None:
    order = list(IntakeStep)
    here = order.index(IntakeStep(intake.step))
    before = [s for s in applicable(program, intake.answers) if order.index(s) < here]
    return before[-1] if before else None


def first_missing(program: Program, answers: dict[str, Any]) -> IntakeStep | None:
    """The first required question still without an answer (consent last), or None."""
    for step in applicable(program, answers):
        if not SPECS[step].optional and answers.get(step.value) in (None, "", []):
            return step
    return None if answers.get("consent") else IntakeStep.CONSENT


def topic_lists(program: Program) -> list[list[str]]:
    """The topic taxonomy cut into select-sized lists (25 options each)."""
    names = program.topic_names
    return [names[i : i + SELECT_LIMIT] for i in range(0, len(names), SELECT_LIMIT)]
