"""Intake: the sign-up conversation, a state machine saved in the database.

The program guide asks for "a thoughtful application, not random assignment":
questions robust enough to find the right fit. The conversation runs in a DM,
one question at a time, in an order that feels natural (role, topics, goals,
experience, time and preferences, then consent), and ends with a summary the
member confirms. Confirmed answers become the member's `Profile`.

How it is built (python-telegram-bot's ConversationHandler idea, but with an
enum and a table instead of memory):

- `IntakeStep` names the states; `STEPS` says, per step, whether it applies to
  this member (mentors are asked different things than mentees) and whether it
  may be skipped. The next state is computed from the answers so far.
- The `intake` row (one per member) holds the current step and the answers and
  is saved on every transition, so a restart, a second device or a week of
  silence resumes at the same question; `remind_at` schedules the two reminders.
- Choices are buttons and selects whose component ids carry the member and the
  step (`mentor:intake:<member id>:<step>[:<arg>]`), so a handler needs no memory
  and a click on an old or someone else's button is recognised and answered.
- Free text is typed in the DM; `back`, `skip`, `cancel` and `help` work at
  every step. Every answer is validated: a wrong one gets a short reason and the
  same question again, and never changes what is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select as Query
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import messages as msg
from bot.delivery.context import Ctx
from bot.features.intake.timezone import describe, resolve_timezone
from bot.core.messages import Button, ButtonStyle, Message, Option, Part, Select, Span, UserText
from bot.delivery.outbox import Outbox
from bot.core.parsing import format_when
from bot.core.ports import Destination
from bot.core.program import Program
from bot.core.router import Command, ComponentId, ComponentRoute
from storage.tables import Community, Intake, IntakeStatus, Member, Profile, ProfileStatus

FIRST_REMINDER = timedelta(days=2)
SECOND_REMINDER = timedelta(days=7)  # after the last answer, like the first
MAX_FREE_TEXT = 1000
MAX_SHORT_TEXT = 300
MAX_TEAM = 120
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
    HOURS = "hours"
    LENGTH = "length"
    CADENCE = "cadence"
    COMMUNICATION = "comm"
    LANGUAGES = "langs"
    CAPACITY = "capacity"
    AVOID = "avoid"
    TEAM = "team"
    CONSENT = "consent"
    SUMMARY = "summary"


def _mentors(a: dict[str, Any]) -> bool:
    return a.get("role") in ("mentor", "both")


def _mentees(a: dict[str, Any]) -> bool:
    return a.get("role") in ("mentee", "both")


@dataclass(frozen=True)
class StepSpec:
    step: IntakeStep
    title: str  # the summary's label and the "what do you want to change?" option
    help: str
    optional: bool = False
    applies: Callable[[Program, dict[str, Any]], bool] = lambda program, answers: True


STEPS: tuple[StepSpec, ...] = (
    StepSpec(IntakeStep.ROLE, "Role", "Mentors share what they know; mentees get guidance towards a goal; "
             "with Both you do each, with different people."),
    StepSpec(IntakeStep.TOPICS_OFFERED, "Topics you mentor", "Pick the topics you could guide someone in. "
             "Type them separated by commas if that is easier (\"js\" finds JavaScript).",
             applies=lambda p, a: _mentors(a)),
    StepSpec(IntakeStep.TOPICS_WANTED, "Topics you want", "Pick what you want to learn or get better at. "
             "Type them separated by commas if that is easier (\"py\" finds Python).",
             applies=lambda p, a: _mentees(a)),
    StepSpec(IntakeStep.TOPICS_OTHER, "Other topics", "Topics that are missing from the list, in your words. "
             "Moderators read them to grow the list.", optional=True),
    StepSpec(IntakeStep.CAN_HELP_WITH, "Can help with", "A sentence or two about what you can help with: "
             "your experience, the kind of questions you like.", applies=lambda p, a: _mentors(a)),
    StepSpec(IntakeStep.GOALS, "Goals", "A sentence or two about what you hope to get out of mentoring, e.g. "
             "\"ship my first open-source contribution\".", applies=lambda p, a: _mentees(a)),
    StepSpec(IntakeStep.CAREER, "Career stage", "Choose the stage that fits, or type your years of experience "
             "as a number (e.g. 5)."),
    StepSpec(IntakeStep.TIMEZONE, "Timezone", "Your timezone lets me pair you with someone awake when you are. "
             "Type a city (Berlin), an IANA name (Europe/Berlin), an offset (UTC+2) or an abbreviation (PST)."),
    StepSpec(IntakeStep.HOURS, "Hours a month", f"Roughly how many hours a month you can give, {MIN_HOURS} to "
             f"{MAX_HOURS}. Two one-hour calls a month is 2."),
    StepSpec(IntakeStep.LENGTH, "Program length", "How long you would like the mentoring relationship to last."),
    StepSpec(IntakeStep.CADENCE, "Meeting cadence", "How often you would like to meet."),
    StepSpec(IntakeStep.COMMUNICATION, "Communication", "How you prefer to talk with your partner."),
    StepSpec(IntakeStep.LANGUAGES, "Languages", "The languages you are comfortable mentoring or learning in.",
             applies=lambda p, a: len(p.languages) > 1),
    StepSpec(IntakeStep.CAPACITY, "Mentees at once", "How many mentees you can take on at the same time.",
             applies=lambda p, a: _mentors(a)),
    StepSpec(IntakeStep.AVOID, "Not matched with", "Names of members you should not be paired with, separated "
             "by commas. Nobody is told.", optional=True),
    StepSpec(IntakeStep.TEAM, "Team/organisation", "Your team or organisation, so you are paired with someone "
             "from elsewhere.", optional=True),
    StepSpec(IntakeStep.CONSENT, "Consent to introductions", "When you are matched I introduce you and your "
             "partner in a group DM and share your name, topics and goals with them."),
)
SPECS = {s.step: s for s in STEPS}
NAV_WORDS = {
    "back": "back", "previous": "back", "skip": "skip", "cancel": "cancel", "stop": "cancel",
    "quit": "cancel", "help": "help", "?": "help",
}


class Invalid(Exception):
    """An answer we cannot accept: the reason (spans) and optional extra buttons."""

    def __init__(self, *reason: Span, extra: tuple[Part, ...] = ()) -> None:
        super().__init__(msg.spans_plain(reason))
        self.reason = reason
        self.extra = extra


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


# --- the flow ---------------------------------------------------------------------


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


def _save(intake: Intake, now: datetime, step: IntakeStep | None = None) -> None:
    """Every transition is saved, and re-arms the reminders (they count from the last answer)."""
    if step is not None:
        intake.step = step.value
    intake.updated_at = now
    intake.remind_at = now + FIRST_REMINDER
    intake.reminders_sent = 0


# --- asking ---------------------------------------------------------------------


def _choice_buttons(turn: Turn, step: IntakeStep, choices: list[tuple[str, str]]) -> list[Part]:
    return [Button(label, turn.cid(step.value, key)) for key, label in choices]


def _topic_selects(turn: Turn, step: IntakeStep) -> list[Part]:
    names = turn.program.topic_names
    chunks = [names[i : i + SELECT_LIMIT] for i in range(0, len(names), SELECT_LIMIT)]
    parts: list[Part] = []
    for index, chunk in enumerate(chunks):
        placeholder = "Choose topics" + (f" ({index + 1} of {len(chunks)})" if len(chunks) > 1 else "")
        parts.append(
            Select(turn.cid(step.value, str(index)), placeholder, tuple(Option(n, n) for n in chunk), 1, len(chunk))
        )
    if len(chunks) > 1:  # several lists: picks add up until the member says they are done
        parts.append(Button("Done", turn.cid("done", step.value), ButtonStyle.PRIMARY))
    return parts


def question_parts(turn: Turn, step: IntakeStep) -> list[Part]:
    """The question for `step`: text, then its buttons or selects."""
    program, a = turn.program, turn.answers
    if step is IntakeStep.ROLE:
        return [
            msg.text("Would you like to mentor someone, be mentored, or both?"),
            *_choice_buttons(turn, step, [("mentor", "Mentor"), ("mentee", "Mentee"), ("both", "Both")]),
        ]
    if step is IntakeStep.TOPICS_OFFERED:
        return [
            msg.text("Which topics could you mentor someone in? Pick several, or type them separated by commas."),
            *_topic_selects(turn, step),
        ]
    if step is IntakeStep.TOPICS_WANTED:
        return [
            msg.text("Which topics do you want to grow in? Pick several, or type them separated by commas."),
            *_topic_selects(turn, step),
        ]
    if step is IntakeStep.TOPICS_OTHER:
        return [msg.text("Anything to add that isn't on the list? Type it, or click Skip.")]
    if step is IntakeStep.CAN_HELP_WITH:
        return [msg.text("In your own words: what could you help a mentee with? A sentence or two is plenty.")]
    if step is IntakeStep.GOALS:
        return [msg.text("In your own words: what do you hope to get out of mentoring? A goal or two is plenty.")]
    if step is IntakeStep.CAREER:
        return [
            msg.text("Where are you in your career? Choose one, or type your years of experience (e.g. 5)."),
            *_choice_buttons(turn, step, [(s.key, s.label) for s in program.career_stages]),
        ]
    if step is IntakeStep.TIMEZONE:
        known = turn.member.timezone if turn.member.timezone and resolve_timezone(turn.member.timezone).zone else None
        parts: list[Part] = [
            msg.text(
                "Which timezone are you in? Type a city (Berlin), a name like Europe/Berlin, UTC+2 or PST."
                + (f" Your profile says {known}." if known else "")
            )
        ]
        if known:
            parts.append(Button(f"Keep {known}", turn.cid(step.value, known), ButtonStyle.PRIMARY))
        return parts
    if step is IntakeStep.HOURS:
        return [
            msg.text(f"About how many hours a month can you give to mentoring? Type a number ({MIN_HOURS}–{MAX_HOURS})."),
            *_choice_buttons(turn, step, [("2", "2"), ("4", "4"), ("8", "8")]),
        ]
    if step is IntakeStep.LENGTH:
        return [
            msg.text("How long would you like the mentoring to last?"),
            *_choice_buttons(turn, step, [(c.key, c.label) for c in program.lengths]),
        ]
    if step is IntakeStep.CADENCE:
        return [
            msg.text("How often would you like to meet?"),
            *_choice_buttons(turn, step, [(c.key, c.label) for c in program.cadences]),
        ]
    if step is IntakeStep.COMMUNICATION:
        return [
            msg.text("How do you prefer to talk?"),
            *_choice_buttons(turn, step, [(c.key, c.label) for c in program.communication]),
        ]
    if step is IntakeStep.LANGUAGES:
        return [
            msg.text("Which languages could you meet in? Pick one or more, or type them."),
            Select(
                turn.cid(step.value, "0"), "Choose languages",
                tuple(Option(lang, lang) for lang in program.languages), 1, len(program.languages),
            ),
        ]
    if step is IntakeStep.CAPACITY:
        caps = range(program.mentor_capacity_min, program.mentor_capacity_max + 1)
        return [
            msg.text("How many mentees could you take on at the same time?"),
            *_choice_buttons(turn, step, [(str(n), str(n)) for n in caps]),
        ]
    if step is IntakeStep.AVOID:
        return [
            msg.text(
                "Is there anyone here you should not be paired with? Type their names separated by commas, "
                "or click Skip. Nobody is told."
            )
        ]
    if step is IntakeStep.TEAM:
        why = " I never pair two people from the same team." if program.exclude_same_team else ""
        return [msg.text(f"Which team or organisation are you part of? Type it, or click Skip.{why}")]
    if step is IntakeStep.CONSENT:
        return [
            msg.text(
                "Last one: when I find your match, may I introduce you in a group DM and share your name, "
                "topics and goals with them?"
            ),
            Button("Yes, introduce me", turn.cid(step.value, "yes"), ButtonStyle.PRIMARY),
            Button("No", turn.cid(step.value, "no")),
        ]
    raise ValueError(step)  # SUMMARY is rendered by summary_message


async def question_message(turn: Turn, *, before: tuple[Part, ...] = (), after: tuple[Part, ...] = ()) -> Message:
    """The current question, with a progress note, the answer so far and Skip where allowed."""
    step = IntakeStep(turn.intake.step)
    if step is IntakeStep.SUMMARY:
        summary = await summary_message(turn)
        return Message(before + summary.parts + after)
    steps = applicable(turn.program, turn.answers)
    number = steps.index(step) + 1 if step in steps else 1
    parts = question_parts(turn, step)
    head = parts[0]
    assert isinstance(head, msg.Text)
    # The count is only known once the role is (mentors and mentees get different questions).
    counter = f"({number}/{len(steps)}) " if "role" in turn.answers else ""
    out: list[Part] = [*before, msg.text(counter, *head.spans)]
    if step.value in turn.answers and turn.answers[step.value] not in (None, "", []):
        out.append(msg.text("Your answer so far: ", *await _answer_spans(turn, step)))
    out.extend(parts[1:])
    if SPECS[step].optional:
        out.append(Button("Skip", turn.cid("skip", step.value)))
    out.extend(after)
    return Message(tuple(out))


# --- understanding answers ---------------------------------------------------------

Updates = dict[str, Any]


def _match_choice(text: str, choices: list[tuple[str, str]]) -> str | None:
    """A typed answer to a button question: the number, the key or the label (or its start)."""
    folded = " ".join(text.casefold().split())
    if folded.isdigit() and 1 <= int(folded) <= len(choices) and not all(k.isdigit() for k, _ in choices):
        return choices[int(folded) - 1][0]
    for key, label in choices:
        if folded in (key.casefold(), label.casefold()):
            return key
    starts = [key for key, label in choices if folded and label.casefold().startswith(folded)]
    return starts[0] if len(starts) == 1 else None


def _split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,;\n]|\band\b", text) if p.strip()]


def _topics(program: Program, text: str) -> list[str]:
    found: list[str] = []
    for word in _split_list(text):
        topic = program.find_topic(word)
        if topic is None:
            close = program.suggest_topics(word)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise Invalid(
                "I don't have the topic “", UserText(word[:60]), f"” in the list.{hint} "
                "Pick from the list or type topics from it; the next question takes anything that is missing."
            )
        if topic.name not in found:
            found.append(topic.name)
    if not found:
        raise Invalid("Pick at least one topic from the list, or type one (e.g. Python).")
    return found


def _free_text(text: str, *, minimum: int, maximum: int, what: str) -> str:
    value = text.strip()
    if len(value) < minimum:
        raise Invalid(f"A few more words help me find the right {what} — write at least {minimum} characters.")
    if len(value) > maximum:
        raise Invalid(f"That is {len(value)} characters; please keep it under {maximum}.")
    return value


def _number(text: str) -> int | None:
    match = re.fullmatch(r"\s*(?:about|around|~)?\s*(\d{1,3})\s*(?:h|hrs?|hours?|years?|yrs?|y)?\s*", text.casefold())
    return int(match.group(1)) if match else None


async def parse_text(turn: Turn, step: IntakeStep, text: str) -> Updates:
    """A typed answer to `step` → the answers to store; raises `Invalid` with the reason."""
    program = turn.program
    if step is IntakeStep.ROLE:
        words = {"mentor": "mentor", "mentee": "mentee", "be mentored": "mentee", "both": "both"}
        role = words.get(" ".join(text.casefold().split()))
        if role is None:
            raise Invalid("Choose Mentor, Mentee or Both — click a button or type one of those words.")
        return {"role": role}
    if step in (IntakeStep.TOPICS_OFFERED, IntakeStep.TOPICS_WANTED):
        return {step.value: _topics(program, text)}
    if step is IntakeStep.TOPICS_OTHER:
        return {step.value: _free_text(text, minimum=2, maximum=MAX_SHORT_TEXT, what="topics")}
    if step is IntakeStep.CAN_HELP_WITH:
        return {step.value: _free_text(text, minimum=10, maximum=MAX_FREE_TEXT, what="mentee")}
    if step is IntakeStep.GOALS:
        return {step.value: _free_text(text, minimum=10, maximum=MAX_FREE_TEXT, what="mentor")}
    if step is IntakeStep.CAREER:
        years = _number(text)
        if years is not None:
            if years > 60:
                raise Invalid("That is more years than a career usually has — type your years of experience (0–60).")
            stage = program.stage_for_years(years)
            if stage is None:
                raise Invalid("Choose the stage that fits you from the buttons.")
            return {"career": stage.key, "years": years}
        key = _match_choice(text, [(s.key, s.label) for s in program.career_stages])
        if key is None:
            raise Invalid("Choose a career stage from the buttons, or type your years of experience as a number (e.g. 5).")
        return {"career": key, "years": None}
    if step is IntakeStep.TIMEZONE:
        return {step.value: _timezone(turn, text)}
    if step is IntakeStep.HOURS:
        hours = _number(text)
        if hours is None or not MIN_HOURS <= hours <= MAX_HOURS:
            raise Invalid(f"Type a number of hours a month between {MIN_HOURS} and {MAX_HOURS}, e.g. 4.")
        return {step.value: hours}
    if step in (IntakeStep.LENGTH, IntakeStep.CADENCE, IntakeStep.COMMUNICATION):
        group = {IntakeStep.LENGTH: "lengths", IntakeStep.CADENCE: "cadences", IntakeStep.COMMUNICATION: "communication"}[step]
        choices = [(c.key, c.label) for c in getattr(program, group)]
        key = _match_choice(text, choices)
        if key is None:
            raise Invalid(f"Choose one of: {', '.join(label for _, label in choices)} — click a button or type it.")
        return {step.value: key}
    if step is IntakeStep.LANGUAGES:
        chosen: list[str] = []
        for word in _split_list(text):
            match = next((lang for lang in program.languages if lang.casefold() == word.casefold()), None)
            if match is None:
                raise Invalid(
                    "The program runs in ", f"{', '.join(program.languages)}; “", UserText(word[:40]),
                    "” is not one of them. Pick from the list or type those names."
                )
            if match not in chosen:
                chosen.append(match)
        if not chosen:
            raise Invalid("Pick at least one language.")
        return {step.value: chosen}
    if step is IntakeStep.CAPACITY:
        count = _number(text)
        low, high = program.mentor_capacity_min, program.mentor_capacity_max
        if count is None or not low <= count <= high:
            raise Invalid(f"Choose a number of mentees from {low} to {high}.")
        return {step.value: count}
    if step is IntakeStep.AVOID:
        return {step.value: await _avoid(turn, text)}
    if step is IntakeStep.TEAM:
        return {step.value: _free_text(text, minimum=2, maximum=MAX_TEAM, what="match")}
    if step is IntakeStep.CONSENT:
        answer = text.strip().casefold()
        if answer in ("yes", "y", "ok", "okay", "sure", "yes, introduce me"):
            return {step.value: True}
        if answer in ("no", "n", "nope"):
            raise _refusal()
        raise Invalid("Answer yes or no (or click a button).")
    raise Invalid("Please use the buttons for this question.")


def _refusal() -> Invalid:
    return Invalid(
        "Introductions are how the program works, so I can't sign you up without your OK. "
        "Choose Yes, or type cancel to stop here — nothing is kept."
    )


def _timezone(turn: Turn, text: str) -> str:
    result = resolve_timezone(text)
    if result.zone:
        return result.zone
    extra = tuple(Button(f"Use {zone}", turn.cid(IntakeStep.TIMEZONE.value, zone)) for zone in result.suggestions)
    hint = f" Did you mean {' or '.join(result.suggestions)}?" if result.suggestions else ""
    raise Invalid(
        "I don't know the timezone “", UserText(text.strip()[:60]), f"”.{hint} "
        "Type a city (Berlin), an IANA name (Europe/Berlin), an offset (UTC+2) or an abbreviation (PST).",
        extra=extra,
    )


async def _avoid(turn: Turn, text: str) -> list[int]:
    ids: list[int] = []
    for raw in _split_list(text):
        name = raw.strip().lstrip("@")
        mention = re.fullmatch(r"<@!?([\w]+)>", raw.strip())
        query = select(Member).where(Member.community_id == turn.intake.community_id)
        if mention:
            query = query.where(Member.platform_user_id == mention.group(1))
        else:
            query = query.where(
                (func.lower(Member.display_name) == name.casefold()) | (Member.platform_user_id == name)
            )
        found = (await turn.session.execute(query.limit(2))).scalars().all()
        if not found:
            raise Invalid(
                "I don't know a member called “", UserText(name[:60]), "” here. Check the spelling "
                "(their display name), or click Skip."
            )
        if len(found) > 1:
            raise Invalid("Two members are called “", UserText(name[:60]), "”; mention them with @ instead.")
        if found[0].id == turn.intake.member_id:
            raise Invalid("That's you! Type someone else's name, or click Skip.")
        if found[0].id not in ids:
            ids.append(found[0].id)  # type: ignore[arg-type]
    if not ids:
        raise Invalid("Type at least one name, or click Skip.")
    return ids


def parse_choice(turn: Turn, step: IntakeStep, arg: str, values: tuple[str, ...]) -> Updates:
    """A clicked button or a select choice → the answers to store."""
    program = turn.program
    if step in (IntakeStep.TOPICS_OFFERED, IntakeStep.TOPICS_WANTED):
        unknown = [v for v in values if program.find_topic(v) is None]
        if unknown or not values:
            raise Invalid("That list is out of date — pick again from this one.")
        names = program.topic_names
        chunks = [names[i : i + SELECT_LIMIT] for i in range(0, len(names), SELECT_LIMIT)]
        if len(chunks) > 1 and arg.isdigit() and int(arg) < len(chunks):
            kept = [t for t in turn.answers.get(step.value, []) if t not in chunks[int(arg)]]
            return {step.value: kept + [v for v in values if v not in kept], "_partial": True}
        return {step.value: list(dict.fromkeys(values))}
    if step is IntakeStep.LANGUAGES:
        if not values or any(v not in program.languages for v in values):
            raise Invalid("That list is out of date — pick again from this one.")
        return {step.value: list(dict.fromkeys(values))}
    if step is IntakeStep.TIMEZONE:
        if resolve_timezone(arg).zone != arg:
            raise Invalid("That timezone button is out of date — type your timezone.")
        return {step.value: arg}
    if step is IntakeStep.CONSENT:
        if arg == "no":
            raise _refusal()
        return {step.value: True}
    if step is IntakeStep.CAREER:
        if program.choice("career_stages", arg) is None:
            raise Invalid("That button is out of date — choose again.")
        return {"career": arg, "years": None}
    return _strict_text(turn, step, arg)


def _strict_text(turn: Turn, step: IntakeStep, arg: str) -> Updates:
    """Buttons whose arg is exactly what a member could type (role, hours, lengths, …)."""
    program = turn.program
    if step is IntakeStep.ROLE and arg in ("mentor", "mentee", "both"):
        return {"role": arg}
    if step is IntakeStep.HOURS and arg.isdigit() and MIN_HOURS <= int(arg) <= MAX_HOURS:
        return {step.value: int(arg)}
    if step is IntakeStep.CAPACITY and arg.isdigit() and program.mentor_capacity_min <= int(arg) <= program.mentor_capacity_max:
        return {step.value: int(arg)}
    groups = {IntakeStep.LENGTH: "lengths", IntakeStep.CADENCE: "cadences", IntakeStep.COMMUNICATION: "communication"}
    if step in groups and program.choice(groups[step], arg) is not None:
        return {step.value: arg}
    raise Invalid("That button is out of date — choose again.")


# --- showing answers -----------------------------------------------------------------


async def _names(session: AsyncSession, community_id: int, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Member.id, Member.display_name).where(Member.community_id == community_id, Member.id.in_(ids))  # type: ignore[union-attr]
    )
    return {i: n for i, n in rows.all()}


def answer_spans(program: Program, step: IntakeStep, a: dict[str, Any], names: dict[int, str]) -> tuple[Span, ...]:
    """One answer as the member sees it (member-typed text stays `UserText`)."""
    value = a.get(step.value)
    if step is IntakeStep.CAREER:
        label = program.label("career_stages", a.get("career", ""))
        years = a.get("years")
        return (label + (f", {years} years" if years is not None else ""),)
    if value in (None, "", []):
        return ("—",)
    if step is IntakeStep.ROLE:
        return ({"mentor": "Mentor", "mentee": "Mentee", "both": "Mentor and mentee"}.get(value, value),)
    if step in (IntakeStep.TOPICS_OFFERED, IntakeStep.TOPICS_WANTED, IntakeStep.LANGUAGES):
        return (", ".join(value),)
    if step is IntakeStep.TIMEZONE:
        return (describe(value),)
    if step is IntakeStep.HOURS:
        return (f"{value} hours a month",)
    if step is IntakeStep.LENGTH:
        return (program.label("lengths", value),)
    if step is IntakeStep.CADENCE:
        return (program.label("cadences", value),)
    if step is IntakeStep.COMMUNICATION:
        return (program.label("communication", value),)
    if step is IntakeStep.CAPACITY:
        return (str(value),)
    if step is IntakeStep.AVOID:
        spans: list[Span] = []
        for n, member_id in enumerate(value):
            spans.extend(([", "] if n else []) + [UserText(names.get(member_id, "a former member"))])
        return tuple(spans)
    if step is IntakeStep.CONSENT:
        return ("Yes" if value else "No",)
    return (UserText(str(value)),)  # free text: goals, can help with, other topics, team


async def _answer_spans(turn: Turn, step: IntakeStep) -> tuple[Span, ...]:
    names = await _names(turn.session, turn.intake.community_id, list(turn.answers.get("avoid") or []))
    return answer_spans(turn.program, step, turn.answers, names)


async def answer_rows(
    session: AsyncSession, program: Program, community_id: int, a: dict[str, Any]
) -> tuple[tuple[str, tuple[Span, ...]], ...]:
    names = await _names(session, community_id, list(a.get("avoid") or []))
    return tuple(
        (SPECS[step].title, answer_spans(program, step, a, names))
        for step in applicable(program, a)
        if step is not IntakeStep.CONSENT
    )


async def summary_message(turn: Turn, *, with_edit_select: bool = False) -> Message:
    rows = await answer_rows(turn.session, turn.program, turn.intake.community_id, turn.answers)
    intro = (
        "Here are your answers. Change any of them, then save."
        if turn.intake.editing
        else "That's everything. Here is what you told me — confirm to sign up, or edit an answer."
    )
    parts: list[Part] = [msg.text(msg.Strong("Your sign-up")), msg.text(intro), msg.Fields(rows)]
    if with_edit_select:
        parts.append(edit_select(turn))
    parts.append(Button("Save" if turn.intake.editing else "Confirm", turn.cid("confirm"), ButtonStyle.PRIMARY))
    if not with_edit_select:
        parts.append(Button("Edit", turn.cid("edit")))
    return Message(tuple(parts))


def edit_select(turn: Turn) -> Select:
    options = tuple(
        Option(SPECS[s].title, s.value) for s in applicable(turn.program, turn.answers)
    )
    return Select(turn.cid("goto"), "What do you want to change?", options)


# --- storage helpers ------------------------------------------------------------------


@cache
def _intake_query() -> Query[tuple[Intake]]:
    # Built once, on first use: every intake answer runs it (building a statement costs more than running it).
    return select(Intake).where(Intake.community_id == bindparam("community"), Intake.member_id == bindparam("member"))


async def get_intake(session: AsyncSession, community_id: int, member_id: int) -> Intake | None:
    return (await session.execute(_intake_query(), {"community": community_id, "member": member_id})).scalar_one_or_none()


async def get_profile(session: AsyncSession, community_id: int, member_id: int) -> Profile | None:
    return (
        await session.execute(select(Profile).where(Profile.community_id == community_id, Profile.member_id == member_id))
    ).scalar_one_or_none()


def _turn(ctx: Ctx, intake: Intake) -> Turn:
    return Turn(ctx.session, ctx.program, intake, ctx.member)


async def to_member(ctx: Ctx, messages: list[Message], notice: str) -> list[Message]:
    """In a DM, answer right there; from a channel, continue in a DM (via the outbox)."""
    if ctx.in_dm:
        return messages
    for message in messages:
        await ctx.outbox.post(Destination.dm(ctx.member.platform_user_id), message)
    return [msg.message(notice)]


# --- entry points ------------------------------------------------------------------------


def intro_part(program: Program) -> msg.Text:
    return msg.text(
        "Let's sign you up for ", msg.Strong(program.name), ". ",
        f"{program.purpose} It takes about five minutes. Type back, skip, cancel or help at any time.",
    )


async def start_or_resume(ctx: Ctx, *, source: str, role: str | None = None) -> list[Message]:
    """/mentor join and the sign-up buttons: start the conversation, or pick it up where it stopped."""
    intake = await get_intake(ctx.session, ctx.community_id, ctx.member_id)
    if intake is not None and intake.status == IntakeStatus.IN_PROGRESS.value:
        turn = _turn(ctx, intake)
        question = await question_message(turn, before=(msg.text("Welcome back! We stopped here:"),))
        return await to_member(ctx, [question], "You're partway through signing up — I've sent you the question where we stopped, in a DM.")
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is not None and profile.status != ProfileStatus.LEFT.value:
        role_word = {"mentor": "a mentor", "mentee": "a mentee", "both": "a mentor and mentee"}.get(profile.role, profile.role)
        return [
            msg.message(
                f"You're already signed up as {role_word}. /mentor profile shows your answers; /mentor edit changes them."
            )
        ]
    if intake is None:
        intake = Intake(
            community_id=ctx.community_id, member_id=ctx.member_id, step=IntakeStep.ROLE.value,
            started_at=ctx.now, updated_at=ctx.now,
        )
    intake.status = IntakeStatus.IN_PROGRESS.value
    intake.source = source[:80]
    intake.started_at = ctx.now
    intake.editing = False
    intake.answers = {"role": role} if role in ("mentor", "mentee", "both") else {}
    intake.step = IntakeStep.ROLE.value
    if intake.answers:
        intake.step = next_step(ctx.program, intake).value
    _save(intake, ctx.now)
    ctx.session.add(intake)
    await ctx.session.flush()
    question = await question_message(_turn(ctx, intake), before=(intro_part(ctx.program),))
    return await to_member(ctx, [question], "I've sent you a DM — the sign-up continues there.")


async def join_command(ctx: Ctx, args: list[str]) -> list[Message]:
    role = " ".join(args).strip().casefold()
    if role and role not in ("mentor", "mentee", "both"):
        return [msg.message(msg.text("“", UserText(role[:40]), "” is not a role. Use /mentor join, or /mentor join mentor|mentee|both."))]
    return await start_or_resume(ctx, source="direct", role=role or None)


async def edit_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """/mentor edit [question]: change confirmed answers, in the DM conversation."""
    intake = await get_intake(ctx.session, ctx.community_id, ctx.member_id)
    if intake is not None and intake.status == IntakeStatus.IN_PROGRESS.value and not intake.editing:
        return await start_or_resume(ctx, source=intake.source)
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is None:
        return [msg.message("You haven't signed up yet, so there is nothing to edit. /mentor join starts the sign-up.")]
    if profile.status == ProfileStatus.LEFT.value:
        return [msg.message("You've left the program, so there is nothing to edit. /mentor join signs you up again.")]
    answers = answers_from_profile(profile)
    wanted = " ".join(args).strip()
    target = _step_named(ctx.program, answers, wanted) if wanted else None
    if wanted and target is None:
        titles = ", ".join(SPECS[s].title.lower() for s in applicable(ctx.program, answers))
        return [msg.message(msg.text("I don't have a question called “", UserText(wanted[:60]), f"”. Try one of: {titles}."))]
    if intake is None:
        intake = Intake(
            community_id=ctx.community_id, member_id=ctx.member_id, step=IntakeStep.SUMMARY.value,
            source=profile.source, started_at=ctx.now, updated_at=ctx.now,
        )
    intake.status = IntakeStatus.IN_PROGRESS.value
    intake.editing = True
    intake.answers = answers
    turn = _turn(ctx, intake)
    _save(intake, ctx.now, target or IntakeStep.SUMMARY)
    ctx.session.add(intake)
    await ctx.session.flush()
    if target is not None:
        message = await question_message(turn)
    else:
        message = await summary_message(turn, with_edit_select=True)
    return await to_member(ctx, [message], "I've sent you your answers in a DM — change them there.")


def _step_named(program: Program, answers: dict[str, Any], word: str) -> IntakeStep | None:
    folded = word.casefold()
    for step in applicable(program, answers):
        if folded in (step.value, SPECS[step].title.casefold()) or SPECS[step].title.casefold().startswith(folded):
            return step
    return None


# --- answering -----------------------------------------------------------------------------


async def on_direct_text(ctx: Ctx, text: str) -> list[Message] | None:
    """A DM while an intake is in progress is an answer (or back/skip/cancel/help)."""
    intake = await get_intake(ctx.session, ctx.community_id, ctx.member_id)
    if intake is None or intake.status != IntakeStatus.IN_PROGRESS.value:
        if " ".join(text.casefold().split()) in ("join", "sign up", "signup", "sign me up"):
            return await start_or_resume(ctx, source="direct")  # saying it in the DM works too
        return None
    turn = _turn(ctx, intake)
    word = " ".join(text.strip().casefold().split())
    if word in NAV_WORDS:
        return await _navigate(ctx, turn, NAV_WORDS[word])
    step = IntakeStep(intake.step)
    if step is IntakeStep.SUMMARY:
        if word in ("confirm", "yes", "save", "ok"):
            return await confirm(ctx, turn)
        if word == "edit":
            return [Message((edit_select(turn),))]
        return [await question_message(turn, before=(msg.text("Click Confirm to sign up, or Edit to change an answer."),))]
    if len(text) > 4 * MAX_FREE_TEXT:
        return [await question_message(turn, before=(msg.text("That message is too long for an answer; please keep it short."),))]
    try:
        updates = await parse_text(turn, step, text)
    except Invalid as exc:
        return [await question_message(turn, before=(msg.text(*exc.reason),), after=exc.extra)]
    return await _answer(ctx, turn, updates)


async def _answer(ctx: Ctx, turn: Turn, updates: Updates) -> list[Message]:
    intake = turn.intake
    partial = updates.pop("_partial", False)
    intake.answers = {**intake.answers, **updates}  # a new dict, so the JSON column is saved
    if partial:  # one of several topic lists: wait for Done
        _save(intake, ctx.now)
        chosen = ", ".join(intake.answers.get(intake.step, []))
        return [Message((msg.text(f"So far: {chosen}. Pick more from the other lists, or click Done."),
                         Button("Done", turn.cid("done", intake.step), ButtonStyle.PRIMARY)))]
    _save(intake, ctx.now, next_step(ctx.program, intake))
    ctx.session.add(intake)
    return [await question_message(turn)]


async def _navigate(ctx: Ctx, turn: Turn, action: str) -> list[Message]:
    intake = turn.intake
    step = IntakeStep(intake.step)
    if action == "help":
        spec = SPECS.get(step)
        about = spec.help if spec else "Check your answers, then Confirm — or Edit to change one."
        extra = " This question is optional: type skip to leave it out." if spec and spec.optional else ""
        return [
            await question_message(
                turn,
                before=(
                    msg.text(msg.Strong("Help: "), about + extra),
                    msg.text("Type back for the previous question, cancel to stop (nothing is kept), or just answer."),
                ),
            )
        ]
    if action == "cancel":
        return [await cancel(ctx, intake)]
    if action == "back":
        previous = previous_step(ctx.program, intake)
        if previous is None:
            return [await question_message(turn, before=(msg.text("This is the first question."),))]
        _save(intake, ctx.now, previous)
        return [await question_message(turn)]
    # skip
    spec = SPECS.get(step)
    if spec is None or not spec.optional:
        return [
            await question_message(
                turn,
                before=(msg.text("This question can't be skipped — I need it to find a good match. Type help if it is unclear."),),
            )
        ]
    intake.answers = {**intake.answers, step.value: [] if step is IntakeStep.AVOID else ""}
    _save(intake, ctx.now, next_step(ctx.program, intake))
    return [await question_message(turn)]


async def cancel(ctx: Ctx, intake: Intake) -> Message:
    intake.answers = {}  # cancelled answers are not kept: they are personal data nobody needs
    intake.remind_at = None
    intake.editing = False
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is not None and profile.status != ProfileStatus.LEFT.value:
        intake.status = IntakeStatus.CONFIRMED.value  # an edit was abandoned; the profile is untouched
        return msg.message("Nothing changed — your profile stays as it was.")
    intake.status = IntakeStatus.CANCELLED.value
    return msg.message("Cancelled — I haven't signed you up and your answers are deleted. /mentor join starts again any time.")


async def on_intake_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    if cid.key != str(ctx.member_id):
        return [msg.message("These buttons belong to someone else's sign-up. /mentor join starts your own.")]
    intake = await get_intake(ctx.session, ctx.community_id, ctx.member_id)
    if intake is None or intake.status != IntakeStatus.IN_PROGRESS.value:
        return [msg.message("This sign-up is finished or was cancelled. /mentor join starts again; /mentor edit changes your answers.")]
    turn = _turn(ctx, intake)
    step = IntakeStep(intake.step)
    verb = cid.verb
    if verb in ("back", "skip", "cancel", "help"):
        if verb == "skip" and cid.arg != step.value:
            return [await _stale(turn)]
        return await to_member(ctx, await _navigate(ctx, turn, verb), "I've answered in our DM.")
    if verb == "confirm":
        if step is not IntakeStep.SUMMARY:
            return [await _stale(turn)]
        return await confirm(ctx, turn)
    if verb == "edit":
        return [Message((edit_select(turn),))]
    if verb == "goto":
        target = next((s for s in applicable(ctx.program, intake.answers) if values and s.value == values[0]), None)
        if target is None:
            return [await _stale(turn)]
        intake.editing = True
        _save(intake, ctx.now, target)
        return await to_member(ctx, [await question_message(turn)], "I've sent you the question in a DM.")
    if verb == "done":
        if cid.arg != step.value or not intake.answers.get(step.value):
            return [await question_message(turn, before=(msg.text("Pick at least one topic first."),))]
        return await _answer(ctx, turn, {})
    try:
        asked = IntakeStep(verb)
    except ValueError:
        return [await _stale(turn)]
    if asked is not step:
        return [await _stale(turn)]
    try:
        updates = parse_choice(turn, step, cid.arg, values)
    except Invalid as exc:
        return [await question_message(turn, before=(msg.text(*exc.reason),), after=exc.extra)]
    return await to_member(ctx, await _answer(ctx, turn, updates), "I've sent you the next question in a DM.")


async def _stale(turn: Turn) -> Message:
    return await question_message(turn, before=(msg.text("That button belongs to an earlier question. Here is where we are:"),))


# --- confirming ---------------------------------------------------------------------------------


def answers_from_profile(profile: Profile) -> dict[str, Any]:
    """The profile as intake answers; questions the member's role was never asked are left out."""
    answers = {
        "role": profile.role, "offer": list(profile.topics_offered), "want": list(profile.topics_wanted),
        "other": profile.topics_other, "helpwith": profile.can_help_with, "goals": profile.goals,
        "career": profile.career_stage, "years": profile.years_experience, "tz": profile.timezone,
        "hours": profile.hours_per_month, "length": profile.program_length, "cadence": profile.cadence,
        "comm": profile.communication, "langs": list(profile.languages), "capacity": profile.capacity,
        "avoid": list(profile.do_not_match), "team": profile.team, "consent": profile.consent,
    }
    if not _mentors(answers):
        for key in ("offer", "helpwith", "capacity"):
            answers.pop(key)
    if not _mentees(answers):
        for key in ("want", "goals"):
            answers.pop(key)
    return answers


def _fill_profile(profile: Profile, program: Program, a: dict[str, Any]) -> None:
    steps = set(applicable(program, a))

    def get(step: IntakeStep, default: Any) -> Any:
        return a.get(step.value, default) if step in steps else default

    profile.role = a["role"]
    profile.topics_offered = list(get(IntakeStep.TOPICS_OFFERED, []))
    profile.topics_wanted = list(get(IntakeStep.TOPICS_WANTED, []))
    profile.topics_other = get(IntakeStep.TOPICS_OTHER, "") or ""
    profile.can_help_with = get(IntakeStep.CAN_HELP_WITH, "") or ""
    profile.goals = get(IntakeStep.GOALS, "") or ""
    profile.career_stage = a.get("career", "")
    profile.years_experience = a.get("years")
    profile.timezone = a.get("tz", "UTC")
    profile.hours_per_month = a.get("hours")
    profile.program_length = a.get("length", "")
    profile.cadence = a.get("cadence", "")
    profile.communication = a.get("comm", "")
    profile.languages = list(get(IntakeStep.LANGUAGES, list(program.languages[:1])))
    profile.capacity = int(get(IntakeStep.CAPACITY, program.mentor_capacity_min))
    profile.do_not_match = list(get(IntakeStep.AVOID, []) or [])
    profile.team = get(IntakeStep.TEAM, "") or ""
    profile.consent = bool(a.get("consent"))


def _missing(program: Program, a: dict[str, Any]) -> IntakeStep | None:
    for step in applicable(program, a):
        if not SPECS[step].optional and a.get(step.value) in (None, "", []):
            return step
    return None if a.get("consent") else IntakeStep.CONSENT


async def confirm(ctx: Ctx, turn: Turn) -> list[Message]:
    intake = turn.intake
    missing = _missing(ctx.program, intake.answers)
    if missing is not None:  # e.g. a role changed while editing: ask what the new role needs
        intake.editing = True
        _save(intake, ctx.now, missing)
        return [await question_message(turn, before=(msg.text("One more answer is needed first:"),))]
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    new_signup = profile is None or profile.status == ProfileStatus.LEFT.value
    if profile is None:
        profile = Profile(community_id=ctx.community_id, member_id=ctx.member_id, role=intake.answers["role"],
                          signed_up_at=ctx.now, updated_at=ctx.now)
    _fill_profile(profile, ctx.program, intake.answers)
    profile.updated_at = ctx.now
    if new_signup:
        profile.status = ProfileStatus.WAITING.value
        profile.source = intake.source
        profile.signed_up_at = ctx.now
        profile.waiting_since = ctx.now
        profile.left_at = None
        profile.paused_until = None
    ctx.session.add(profile)
    # The profile holds the answers now; the conversation keeps no second copy.
    intake.status = IntakeStatus.CONFIRMED.value
    intake.answers = {}
    intake.editing = False
    intake.remind_at = None
    intake.updated_at = ctx.now
    await ctx.session.flush()
    if not new_signup:
        return [msg.message("Saved — your profile is updated. /mentor profile shows it.")]
    await send_resources(ctx.outbox, ctx.member, ctx.program, profile, "signup")
    role_word = {"mentor": "a mentor", "mentee": "a mentee", "both": "a mentor and a mentee"}[profile.role]
    return [
        msg.message(
            msg.text(msg.Strong("You're signed up"), f" as {role_word} — thank you!"),
            "You're now waiting for a match; I'll introduce you in a DM when I find a good one. "
            "/mentor profile shows your answers, /mentor edit changes them, /mentor pause takes a break.",
        )
    ]


async def send_resources(outbox: Outbox, member: Member, program: Program, profile: Profile, milestone: str) -> None:
    topics = list(profile.topics_offered) + list(profile.topics_wanted)
    resources = program.resources_for(profile.role, milestone, topics)
    if not resources:
        return
    lines: list[Part] = [msg.text(msg.Strong(f"Welcome to {program.name}"), " — a few things worth reading before your first meeting:")]
    lines.extend(msg.text(f"• {r.title}: {r.link}") for r in resources)
    await outbox.post(
        Destination.dm(member.platform_user_id),
        Message(tuple(lines)),
        dedupe_key=f"resources:{member.id}:{milestone}:{int(profile.signed_up_at.timestamp())}",
    )


# --- reminders (a sweep job) ------------------------------------------------------------------------


async def send_due_reminders(session: AsyncSession, now: datetime, program: Program, limit: int = 100) -> int:
    """One reminder two days after the last answer, one a week after it, then silence."""
    intakes = (
        await session.execute(
            select(Intake)
            .where(Intake.status == IntakeStatus.IN_PROGRESS.value, Intake.remind_at <= now)  # type: ignore[operator]
            .order_by(Intake.remind_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).scalars().all()
    for intake in intakes:
        member = await session.get(Member, intake.member_id)
        community = await session.get(Community, intake.community_id)
        assert member is not None and community is not None and community.id is not None
        if intake.editing and await _signed_up(session, intake):
            intake.remind_at = None  # an abandoned edit changed nothing; no need to chase it
            continue
        number = intake.reminders_sent + 1
        intake.reminders_sent = number
        intake.remind_at = max(intake.updated_at + SECOND_REMINDER, now + timedelta(days=1)) if number == 1 else None
        turn = Turn(session, program, intake, member)
        since = format_when(intake.updated_at, community.timezone)
        nudge = msg.text(
            "You started signing up for ", msg.Strong(program.name), f" (last answer {since}). "
            "Pick up where you left off whenever you like — or type cancel."
        )
        await Outbox(session, community.id, now).post(
            Destination.dm(member.platform_user_id),
            await question_message(turn, before=(nudge,)),
            dedupe_key=f"intake:{intake.id}:reminder:{number}:{int(intake.updated_at.timestamp())}",
        )
    return len(intakes)


async def _signed_up(session: AsyncSession, intake: Intake) -> bool:
    profile = await get_profile(session, intake.community_id, intake.member_id)
    return profile is not None and profile.status != ProfileStatus.LEFT.value


async def next_reminder(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(Intake.remind_at)).where(Intake.status == IntakeStatus.IN_PROGRESS.value)
        )
    ).scalar_one_or_none()



def commands() -> list[Command]:
    return [
        Command("join", "join [mentor|mentee|both]", "sign up as a mentor or mentee (a short DM conversation)", join_command),
        Command("edit", "edit [question]", "change an answer of your sign-up", edit_command),
    ]


def components() -> list[ComponentRoute]:
    return [ComponentRoute("intake", on_intake_component)]
