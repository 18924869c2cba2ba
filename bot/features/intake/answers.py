"""The intake's answers: typed and clicked answers parsed and validated, and the
answers mapped to and from the member's `Profile`.

Every answer is validated: a wrong one raises `Invalid` with a short reason (and
maybe extra buttons), and the caller shows the same question again; nothing is
stored from an invalid answer.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from bot.core import messages as msg
from bot.core.messages import Button, Part, Span, UserText
from bot.core.program import Program
from bot.features.intake import extras
from bot.features.intake.steps import (
    MAX_HOURS,
    MIN_HOURS,
    IntakeStep,
    Turn,
    applicable,
    is_mentee,
    is_mentor,
    topic_lists,
)
from bot.features.intake.timezone import resolve_timezone
from storage.tables import Member, Profile

MAX_FREE_TEXT = 1000
MAX_SHORT_TEXT = 300
MAX_TEAM = 120

Updates = dict[str, Any]


class Invalid(Exception):
    """An answer we cannot accept: the reason (spans) and optional extra buttons."""

    def __init__(self, *reason: Span, extra: tuple[Part, ...] = ()) -> None:
        super().__init__(msg.spans_plain(reason))
        self.reason = reason
        self.extra = extra


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
                "I don't have the topic “",
                UserText(word[:60]),
                f"” in the list.{hint} "
                "Pick from the list or type topics from it; the next question takes anything that is missing.",
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
            raise Invalid(
                "Choose a career stage from the buttons, or type your years of experience as a number (e.g. 5)."
            )
        return {"career": key, "years": None}
    if step is IntakeStep.TIMEZONE:
        return {step.value: _timezone(turn, text)}
    if step in (IntakeStep.AVAILABILITY, IntakeStep.SPACES):
        return _extra(turn, step, text, None)
    if step is IntakeStep.HOURS:
        hours = _number(text)
        if hours is None or not MIN_HOURS <= hours <= MAX_HOURS:
            raise Invalid(f"Type a number of hours a month between {MIN_HOURS} and {MAX_HOURS}, e.g. 4.")
        return {step.value: hours}
    if step in (IntakeStep.LENGTH, IntakeStep.CADENCE, IntakeStep.COMMUNICATION):
        group = {
            IntakeStep.LENGTH: "lengths",
            IntakeStep.CADENCE: "cadences",
            IntakeStep.COMMUNICATION: "communication",
        }[step]
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
                    "The program runs in ",
                    f"{', '.join(program.languages)}; “",
                    UserText(word[:40]),
                    "” is not one of them. Pick from the list or type those names.",
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


def _extra(turn: Turn, step: IntakeStep, text: str | None, arg: str | None) -> Updates:
    """The availability and spaces questions (bot/features/intake/extras.py), typed or clicked."""
    try:
        if step is IntakeStep.AVAILABILITY:
            value = (
                extras.parse_availability_text(text)
                if text is not None
                else extras.parse_availability_choice(arg or "")
            )
        elif text is not None:
            value = extras.parse_spaces_text(text, turn.program, turn.answers)
        else:
            value = extras.parse_spaces_choice(arg or "", turn.program, turn.answers)
    except extras.ExtraInvalid as exc:
        raise Invalid(str(exc)) from exc
    return {step.value: value}


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
        "I don't know the timezone “",
        UserText(text.strip()[:60]),
        f"”.{hint} Type a city (Berlin), an IANA name (Europe/Berlin), an offset (UTC+2) or an abbreviation (PST).",
        extra=extra,
    )


async def _avoid(turn: Turn, text: str) -> list[int]:
    ids: list[int] = []
    for raw in _split_list(text):
        name = raw.strip().lstrip("@")
        mention = re.fullmatch(r"<@!?([\w]+)>", raw.strip())
        query = select(Member).where(col(Member.community_id) == turn.intake.community_id)
        if mention:
            query = query.where(col(Member.platform_user_id) == mention.group(1))
        else:
            query = query.where(
                (func.lower(Member.display_name) == name.casefold()) | (Member.platform_user_id == name)
            )
        found = (await turn.session.execute(query.limit(2))).scalars().all()
        if not found:
            raise Invalid(
                "I don't know a member called “",
                UserText(name[:60]),
                "” here. Check the spelling (their display name), or click Skip.",
            )
        if len(found) > 1:
            raise Invalid("Two members are called “", UserText(name[:60]), "”; mention them with @ instead.")
        if found[0].id == turn.intake.member_id:
            raise Invalid("That's you! Type someone else's name, or click Skip.")
        if found[0].id not in ids:
            assert found[0].id is not None
            ids.append(found[0].id)
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
        chunks = topic_lists(program)
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
    if step in (IntakeStep.AVAILABILITY, IntakeStep.SPACES):
        return _extra(turn, step, None, arg)
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
    if (
        step is IntakeStep.CAPACITY
        and arg.isdigit()
        and program.mentor_capacity_min <= int(arg) <= program.mentor_capacity_max
    ):
        return {step.value: int(arg)}
    groups = {IntakeStep.LENGTH: "lengths", IntakeStep.CADENCE: "cadences", IntakeStep.COMMUNICATION: "communication"}
    if step in groups and program.choice(groups[step], arg) is not None:
        return {step.value: arg}
    raise Invalid("That button is out of date — choose again.")


def answers_from_profile(profile: Profile) -> dict[str, Any]:
    """The profile as intake answers; questions the member's role was never asked are left out."""
    answers = {
        "role": profile.role,
        "offer": list(profile.topics_offered),
        "want": list(profile.topics_wanted),
        "other": profile.topics_other,
        "helpwith": profile.can_help_with,
        "goals": profile.goals,
        "career": profile.career_stage,
        "years": profile.years_experience,
        "tz": profile.timezone,
        "hours": profile.hours_per_month,
        "length": profile.program_length,
        "cadence": profile.cadence,
        "comm": profile.communication,
        "langs": list(profile.languages),
        "capacity": profile.capacity,
        "avoid": list(profile.do_not_match),
        "team": profile.team,
        "consent": profile.consent,
    }
    if not is_mentor(answers):
        for key in ("offer", "helpwith", "capacity"):
            answers.pop(key)
    if not is_mentee(answers):
        for key in ("want", "goals"):
            answers.pop(key)
    return answers


def fill_profile(profile: Profile, program: Program, a: dict[str, Any]) -> None:
    """Copy confirmed answers onto the profile; questions this role was not asked get defaults."""
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
