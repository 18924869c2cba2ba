"""Short forms: setting or updating a goal, and changing one typed answer of the profile.

Where the platform has modals (Slack; Discord when the adapter opens them) a button
or a command opens these; the console and a platform without modals get the
command to type instead. Every field is validated here, once, the same way the
DM conversation validates it (`answers.parse_text`).
"""

from __future__ import annotations

import re
from typing import Any

from bot.core import messages as msg
from bot.core.errors import InvalidInput
from bot.core.feature import Form, FormField
from bot.core.messages import Message
from bot.core.parsing import quoted_word
from bot.core.router import ComponentId
from bot.features.goals.goals import GOAL_MAX, NOTE_MAX, set_goal, update_goal
from bot.features.intake.answers import Invalid, answers_from_profile, fill_profile, parse_text
from bot.features.intake.conversation import get_profile
from bot.features.intake.steps import SPECS, IntakeStep, Turn, applicable
from bot.features.overview.status import GOAL_FORM_ID, PROGRESS_FORM_ID
from storage.tables import Intake, ProfileStatus

GOAL_FORM = Form(
    id=GOAL_FORM_ID,
    title="Set a shared goal",
    submit="Set goal",
    fields=(
        FormField(
            "goal",
            "What do you want to achieve together?",
            required=True,
            max_length=GOAL_MAX,
            placeholder="Ship my first open-source PR",
        ),
        FormField("by", "By when? (2027-02-01, 6w; empty: no date)", max_length=40),
    ),
)
PROGRESS_FORM = Form(
    id=PROGRESS_FORM_ID,
    title="Goal progress",
    submit="Save",
    fields=(FormField("progress", "Where are you with your goal?", required=True, long=True, max_length=NOTE_MAX),),
)

# Profile answers a member types (a modal has text fields only; choices stay in the DM conversation).
TYPED_STEPS = (
    IntakeStep.GOALS,
    IntakeStep.CAN_HELP_WITH,
    IntakeStep.TOPICS_OTHER,
    IntakeStep.TEAM,
    IntakeStep.HOURS,
    IntakeStep.TIMEZONE,
)
_LONG = {IntakeStep.GOALS, IntakeStep.CAN_HELP_WITH}
EDIT_FORM_PATTERN = "mentor:editq:{arg}:save"  # `/mentor edit <question>` → the form for that one answer


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


# The words a member may type after /mentor edit: the step's short name and its title.
EDIT_KEYS: dict[str, IntakeStep] = {}
for _step in TYPED_STEPS:
    EDIT_KEYS[_key(_step.value)] = _step
    EDIT_KEYS[_key(SPECS[_step].title)] = _step


def _edit_form(key: str, step: IntakeStep) -> Form:
    spec = SPECS[step]
    return Form(
        id=EDIT_FORM_PATTERN.replace("{arg}", key),
        title=f"Edit: {spec.title}"[:24],
        submit="Save",
        fields=(
            FormField(
                "answer",
                spec.title,
                required=not spec.optional,
                long=step in _LONG,
                max_length=1000 if step in _LONG else 120,
                placeholder=spec.help[:150],
            ),
        ),
    )


EDIT_FORMS = tuple(_edit_form(key, step) for key, step in EDIT_KEYS.items())


async def submit_goal_form(ctx: Any, cid: ComponentId, fields: dict[str, str]) -> list[Message]:
    if cid.verb == "update":
        progress = " ".join((fields.get("progress") or "").split())
        if not progress:
            raise InvalidInput("Please write where you are with the goal.")
        return await update_goal(ctx, [quoted_word(progress)])
    goal = " ".join((fields.get("goal") or "").split())
    if not goal:
        raise InvalidInput("Please write the goal.")
    args: list[str] = [quoted_word(goal)]
    by = (fields.get("by") or "").strip()
    if by:
        args += ["--by", quoted_word(by)]
    return await set_goal(ctx, args)


async def on_form_button(ctx: Any, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """A form's button where no modal could open (console, a platform without modals): say what to type."""
    if cid.kind == "editq":
        return [msg.message("Type /mentor edit <question>, e.g. /mentor edit goals, or /mentor edit for the list.")]
    if cid.verb == "update":
        return [msg.message('Type /mentor goal update "where you are" — your partner sees it.')]
    return [msg.message('Type /mentor goal set "what you want to achieve" [--by 6w] — your partner sees it.')]


async def submit_edit_form(ctx: Any, cid: ComponentId, fields: dict[str, str]) -> list[Message]:
    """One typed answer of the profile, saved at once (the DM conversation is for the rest)."""
    step = EDIT_KEYS.get(cid.key)
    if step is None:
        raise InvalidInput("That form is from an older version. /mentor edit lists your answers.")
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is None or profile.status == ProfileStatus.LEFT.value:
        raise InvalidInput("You haven't signed up, so there is nothing to edit. /mentor join starts the sign-up.")
    answers = answers_from_profile(profile)
    if step not in applicable(ctx.program, answers):
        raise InvalidInput(
            f"“{SPECS[step].title}” is not part of your profile as a {profile.role}. /mentor edit lists your answers."
        )
    text = (fields.get("answer") or "").strip()
    if not text:
        if not SPECS[step].optional:
            raise InvalidInput(f"Please fill in {SPECS[step].title.lower()}.")
        updates: dict[str, Any] = {step.value: ""}
    else:
        # The same validation as the DM conversation, on a draft that is never stored.
        draft = Intake(
            community_id=ctx.community_id,
            member_id=ctx.member_id,
            step=step.value,
            answers=dict(answers),
            editing=True,
            started_at=ctx.now,
            updated_at=ctx.now,
        )
        try:
            updates = await parse_text(Turn(ctx.session, ctx.program, draft, ctx.member), step, text)
        except Invalid as exc:
            raise InvalidInput(str(exc)) from exc
    fill_profile(profile, ctx.program, {**answers, **updates})
    profile.updated_at = ctx.now
    ctx.session.add(profile)
    return [msg.message(f"Saved — your {SPECS[step].title.lower()} is updated. /mentor profile shows everything.")]
