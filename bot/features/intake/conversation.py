"""Intake: the sign-up conversation, a state machine saved in the database.

The program guide asks for "a thoughtful application, not random assignment":
questions robust enough to find the right fit. The conversation runs in a DM,
one question at a time, in an order that feels natural (role, topics, goals,
experience, time and preferences, then consent), and ends with a summary the
member confirms. Confirmed answers become the member's `Profile`.

How it is built (python-telegram-bot's ConversationHandler idea, but with an
enum and a table instead of memory), in four modules:

- `steps`: `IntakeStep` names the states; `STEPS` says, per step, whether it
  applies to this member (mentors are asked different things than mentees) and
  whether it may be skipped. The next state is computed from the answers so far.
- `questions`: each question, the summary and the edit select as messages.
  Choices are buttons and selects whose component ids carry the member and the
  step (`mentor:intake:<member id>:<step>[:<arg>]`), so a handler needs no memory
  and a click on an old or someone else's button is recognised and answered.
- `answers`: every typed or clicked answer is validated: a wrong one gets a short
  reason and the same question again, and never changes what is stored.
- this module, the conversation itself: the `intake` row (one per member) holds
  the current step and the answers and is saved on every transition, so a
  restart, a second device or a week of silence resumes at the same question;
  `remind_at` schedules the two reminders. Free text is typed in the DM; `back`,
  `skip`, `cancel` and `help` work at every step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select as Query
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx, OutboxWriter
from bot.core.messages import Button, ButtonStyle, Message, Part, UserText
from bot.core.ports import Destination
from bot.core.program import Program
from bot.core.router import ComponentId
from bot.features.intake import extras
from bot.features.intake.answers import (
    MAX_FREE_TEXT,
    Invalid,
    Updates,
    answers_from_profile,
    fill_profile,
    parse_choice,
    parse_text,
)
from bot.features.intake.questions import edit_select, intro_part, question_message, summary_message
from bot.features.intake.steps import SPECS, IntakeStep, Turn, applicable, first_missing, next_step, previous_step
from bot.features.milestones.milestones import render_resources
from storage.tables import Intake, IntakeStatus, Member, Profile, ProfileStatus

FIRST_REMINDER = timedelta(days=2)  # after the last answer; the sweep in `reminders` sends it
NAV_WORDS = {
    "back": "back",
    "previous": "back",
    "skip": "skip",
    "cancel": "cancel",
    "stop": "cancel",
    "quit": "cancel",
    "help": "help",
    "?": "help",
}


def _save(intake: Intake, now: datetime, step: IntakeStep | None = None) -> None:
    """Every transition is saved, and re-arms the reminders (they count from the last answer)."""
    if step is not None:
        intake.step = step.value
    intake.updated_at = now
    intake.remind_at = now + FIRST_REMINDER
    intake.reminders_sent = 0


# --- storage helpers ------------------------------------------------------------------


@cache
def _intake_query() -> Query[Intake]:
    # Built once, on first use: every intake answer runs it (building a statement costs more than running it).
    return select(Intake).where(
        col(Intake.community_id) == bindparam("community"), col(Intake.member_id) == bindparam("member")
    )


async def get_intake(session: AsyncSession, community_id: int, member_id: int) -> Intake | None:
    return (
        await session.execute(_intake_query(), {"community": community_id, "member": member_id})
    ).scalar_one_or_none()


async def get_profile(session: AsyncSession, community_id: int, member_id: int) -> Profile | None:
    return (
        await session.execute(
            select(Profile).where(col(Profile.community_id) == community_id, col(Profile.member_id) == member_id)
        )
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


async def start_or_resume(
    ctx: Ctx, *, source: str, role: str | None = None, preset: dict[str, Any] | None = None, become: bool = False
) -> list[Message]:
    """/mentor join and the sign-up buttons: start the conversation, or pick it up where it stopped.

    `preset` answers are filled in already (a recruiting post's topic, an alumna's carried-over
    answers): their questions are skipped, and the summary shows them to confirm or edit.
    `become`: a signed-up member takes on a new role (an alumna becoming a mentor)."""
    intake = await get_intake(ctx.session, ctx.community_id, ctx.member_id)
    if intake is not None and intake.status == IntakeStatus.IN_PROGRESS.value:
        turn = _turn(ctx, intake)
        question = await question_message(turn, before=(msg.text("Welcome back! We stopped here:"),))
        return await to_member(
            ctx, [question], "You're partway through signing up — I've sent you the question where we stopped, in a DM."
        )
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is not None and profile.status != ProfileStatus.LEFT.value and not become:
        role_word = {"mentor": "a mentor", "mentee": "a mentee", "both": "a mentor and mentee"}.get(
            profile.role, profile.role
        )
        return [
            msg.message(
                f"You're already signed up as {role_word}. "
                "/mentor profile shows your answers; /mentor edit changes them."
            )
        ]
    if intake is None:
        intake = Intake(
            community_id=ctx.community_id,
            member_id=ctx.member_id,
            step=IntakeStep.ROLE.value,
            started_at=ctx.now,
            updated_at=ctx.now,
        )
    intake.status = IntakeStatus.IN_PROGRESS.value
    intake.source = source[:80]
    intake.started_at = ctx.now
    intake.editing = False
    intake.answers = {"role": role} if role in ("mentor", "mentee", "both") else {}
    if intake.answers and preset:
        intake.answers = {**preset, **intake.answers}
        if become:  # what they told us outside the profile is carried over too (availability, spaces)
            await extras.load_answers(ctx.session, ctx.program, ctx.member_id, intake.answers)
    intake.step = IntakeStep.ROLE.value
    if intake.answers:
        intake.editing = become  # carried-over answers: only what is missing is asked, then the summary
        intake.step = next_step(ctx.program, intake).value
    _save(intake, ctx.now)
    ctx.session.add(intake)
    await ctx.session.flush()
    question = await question_message(_turn(ctx, intake), before=(intro_part(ctx.program),))
    return await to_member(ctx, [question], "I've sent you a DM — the sign-up continues there.")


async def join_command(ctx: Ctx, args: list[str]) -> list[Message]:
    role = " ".join(args).strip().casefold()
    if role and role not in ("mentor", "mentee", "both"):
        return [
            msg.message(
                msg.text(
                    "“", UserText(role[:40]), "” is not a role. Use /mentor join, or /mentor join mentor|mentee|both."
                )
            )
        ]
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
    await extras.load_answers(ctx.session, ctx.program, ctx.member_id, answers)  # availability, spaces
    wanted = " ".join(args).strip()
    target = _step_named(ctx.program, answers, wanted) if wanted else None
    if wanted and target is None:
        titles = ", ".join(SPECS[s].title.lower() for s in applicable(ctx.program, answers))
        return [
            msg.message(
                msg.text("I don't have a question called “", UserText(wanted[:60]), f"”. Try one of: {titles}.")
            )
        ]
    if target is None:  # a question added since they signed up (availability, spaces) is asked first, once
        new = [s for s in (IntakeStep.AVAILABILITY, IntakeStep.SPACES) if s.value not in answers]
        target = next((s for s in applicable(ctx.program, answers) if s in new), None)
    if intake is None:
        intake = Intake(
            community_id=ctx.community_id,
            member_id=ctx.member_id,
            step=IntakeStep.SUMMARY.value,
            source=profile.source,
            started_at=ctx.now,
            updated_at=ctx.now,
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
        return [
            await question_message(turn, before=(msg.text("Click Confirm to sign up, or Edit to change an answer."),))
        ]
    if len(text) > 4 * MAX_FREE_TEXT:
        return [
            await question_message(
                turn, before=(msg.text("That message is too long for an answer; please keep it short."),)
            )
        ]
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
        return [
            Message(
                (
                    msg.text(f"So far: {chosen}. Pick more from the other lists, or click Done."),
                    Button("Done", turn.cid("done", intake.step), ButtonStyle.PRIMARY),
                )
            )
        ]
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
                before=(
                    msg.text(
                        "This question can't be skipped — I need it to find a good match. Type help if it is unclear."
                    ),
                ),
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
    return msg.message(
        "Cancelled — I haven't signed you up and your answers are deleted. /mentor join starts again any time."
    )


async def on_intake_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    if cid.key != str(ctx.member_id):
        return [msg.message("These buttons belong to someone else's sign-up. /mentor join starts your own.")]
    intake = await get_intake(ctx.session, ctx.community_id, ctx.member_id)
    if intake is None or intake.status != IntakeStatus.IN_PROGRESS.value:
        return [
            msg.message(
                "This sign-up is finished or was cancelled. "
                "/mentor join starts again; /mentor edit changes your answers."
            )
        ]
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
    return await question_message(
        turn, before=(msg.text("That button belongs to an earlier question. Here is where we are:"),)
    )


# --- confirming ---------------------------------------------------------------------------------


async def confirm(ctx: Ctx, turn: Turn) -> list[Message]:
    intake = turn.intake
    missing = first_missing(ctx.program, intake.answers)
    if missing is not None:  # e.g. a role changed while editing: ask what the new role needs
        intake.editing = True
        _save(intake, ctx.now, missing)
        return [await question_message(turn, before=(msg.text("One more answer is needed first:"),))]
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    new_signup = profile is None or profile.status == ProfileStatus.LEFT.value
    if profile is not None and not new_signup and profile.role == "mentee" and intake.answers["role"] != "mentee":
        profile.next_round = ""  # a mentee who now mentors starts afresh in the next round's pool
        profile.waiting_since = ctx.now
    if profile is None:
        profile = Profile(
            community_id=ctx.community_id,
            member_id=ctx.member_id,
            role=intake.answers["role"],
            signed_up_at=ctx.now,
            updated_at=ctx.now,
        )
    fill_profile(profile, ctx.program, intake.answers)
    profile.updated_at = ctx.now
    if new_signup:
        profile.status = ProfileStatus.WAITING.value
        profile.source = intake.source
        profile.signed_up_at = ctx.now
        profile.waiting_since = ctx.now
        profile.left_at = None
        profile.paused_until = None
    ctx.session.add(profile)
    await extras.save_answers(ctx, intake.answers, ctx.now)  # availability and space choices: their own tables
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


async def send_resources(
    outbox: OutboxWriter, member: Member, program: Program, profile: Profile, milestone: str
) -> None:
    topics = list(profile.topics_offered) + list(profile.topics_wanted)
    resources = program.resources_for(profile.role, milestone, topics)
    if not resources:
        return
    lines: list[Part] = [
        msg.text(msg.Strong(f"Welcome to {program.name}"), " — a few things worth reading before your first meeting:")
    ]
    guides = render_resources(resources, "")  # the titles with "Read" buttons; the heading is ours
    await outbox.post(
        Destination.dm(member.platform_user_id),
        Message(tuple(lines) + guides.parts[1:]),
        dedupe_key=f"resources:{member.id}:{milestone}:{int(profile.signed_up_at.timestamp())}",
    )
