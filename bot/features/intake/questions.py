"""The intake's questions as the member sees them: one question, the summary, the edit select.

Each question is text then its buttons or selects; component ids carry the member
and the step (`mentor:intake:<member id>:<step>[:<arg>]`). Answers are shown back
with member-typed text kept as `UserText`, so every renderer escapes it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.messages import Button, ButtonStyle, Message, Option, Part, Select, Span, UserText
from bot.core.program import Program
from bot.features.intake import extras
from bot.features.intake.steps import MAX_HOURS, MIN_HOURS, SPECS, IntakeStep, Turn, applicable, topic_lists
from bot.features.intake.timezone import describe, resolve_timezone
from storage.tables import Member


def _choice_buttons(turn: Turn, step: IntakeStep, choices: list[tuple[str, str]]) -> list[Part]:
    return [Button(label, turn.cid(step.value, key)) for key, label in choices]


def _topic_selects(turn: Turn, step: IntakeStep) -> list[Part]:
    chunks = topic_lists(turn.program)
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
    program = turn.program
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
    if step is IntakeStep.AVAILABILITY:
        return extras.availability_parts(turn.cid, program)
    if step is IntakeStep.SPACES:
        return extras.spaces_parts(turn.cid, program, turn.answers)
    if step is IntakeStep.HOURS:
        return [
            msg.text(
                f"About how many hours a month can you give to mentoring? Type a number ({MIN_HOURS}–{MAX_HOURS})."
            ),
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
                turn.cid(step.value, "0"),
                "Choose languages",
                tuple(Option(lang, lang) for lang in program.languages),
                1,
                len(program.languages),
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
        out.append(Button("Any time" if step is IntakeStep.AVAILABILITY else "Skip", turn.cid("skip", step.value)))
    out.extend(after)
    return Message(tuple(out))


async def _names(session: AsyncSession, community_id: int, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(col(Member.id), col(Member.display_name)).where(
            col(Member.community_id) == community_id, col(Member.id).in_(ids)
        )
    )
    return {i: n for i, n in rows.all() if i is not None}  # (never None: a stored key)


def answer_spans(program: Program, step: IntakeStep, a: dict[str, Any], names: dict[int, str]) -> tuple[Span, ...]:
    """One answer as the member sees it (member-typed text stays `UserText`)."""
    value = a.get(step.value)
    if step is IntakeStep.AVAILABILITY:
        return extras.availability_spans(value, program)
    if step is IntakeStep.SPACES:
        return extras.spaces_spans(value)
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
    options = tuple(Option(SPECS[s].title, s.value) for s in applicable(turn.program, turn.answers))
    return Select(turn.cid("goto"), "What do you want to change?", options)


def intro_part(program: Program) -> msg.Text:
    """The first words of a new sign-up: the program, its purpose, how long it takes."""
    return msg.text(
        "Let's sign you up for ",
        msg.Strong(program.name),
        ". ",
        f"{program.purpose} It takes about five minutes. Type back, skip, cancel or help at any time.",
    )
