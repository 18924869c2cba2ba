"""Completing a mentorship: closing message, feedback, thanks, testimonials.

At the agreed end date (a due-time column swept like the others) or on
`/mentor wrap-up` by either member, the pairing becomes `completed`. Each member
gets a short feedback conversation in their DM — a 1–5 rating, what worked,
what to improve, and whether the moderators may quote them (and under which
name). Mentors are thanked with a summary of what the pair did.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import Arity, parse_args
from bot.core.ports import Destination
from bot.core.questions import ask as ask_question
from bot.core.questions import close as close_questions
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox
from bot.features.completion.answers import (
    FEEDBACK_QUESTIONS,
    FEEDBACK_TEXT,
    QUOTE,
    WRAP_UP,
    typed_quote_choice,
    typed_rating,
)
from bot.features.completion.choices import Ending, completion_message
from bot.features.meetings.pulse import ask_pulse
from bot.features.milestones.milestones import send_milestone
from bot.features.pairs.pairs import (
    after_pairing_ends,
    deactivate_checkin_plans,
    group_of,
    members_of,
    my_pairing,
    pairing_of_button,
    report_if_at_risk,
)
from bot.features.recruit.alumni import alumni_choice
from storage.meeting_log import logged_for
from storage.tables import Feedback, FeedbackStep, Goal, GoalStatus, Member, Pairing, PairingStatus
from storage.tables.meetings import hours

TEXT_MAX = 1000
STALE_QUESTION = timedelta(days=14)  # after this, unclear words are not taken as an answer to the rating
QUOTE_CHOICES = {
    "name": "Yes, with my name",
    "anon": "Yes, anonymously",
    "other": "Yes, under another name",
    "no": "No",
}


async def complete_pairing(
    session: AsyncSession,
    pairing: Pairing,
    now: datetime,
    program: Any,
    *,
    wrapped_up_by: Member | None = None,
    announce: bool = True,
) -> bool:
    """Mark completed and start feedback; False when it was not active (idempotent).

    `announce=False`: no "your mentorship ended" group DM (a circle says it once in its space)."""
    if pairing.status != PairingStatus.ACTIVE.value:
        return False
    pairing.status = PairingStatus.COMPLETED.value
    pairing.ended_at = now
    pairing.end_reason = "wrapped up early" if wrapped_up_by is not None else "reached the agreed end date"
    session.add(pairing)
    await deactivate_checkin_plans(session, pairing)
    mentee, mentor = await members_of(session, pairing)
    outbox = Outbox(session, pairing.community_id, now)
    why: list[msg.Span] = (
        [UserText(wrapped_up_by.display_name), " wrapped up your mentorship."]
        if wrapped_up_by is not None
        else ["Your mentorship has reached its agreed end date."]
    )
    if announce:
        await outbox.post(
            group_of(mentee, mentor),
            msg.message(
                msg.Text(tuple(why)),
                "Thank you both for the time and care you put into it. I'll ask you each for a little feedback.",
            ),
            dedupe_key=f"pair:{pairing.id}:completed",
        )
    thanks = await _mentor_thanks(session, pairing, mentee, now)
    for member, role in ((mentee, "mentee"), (mentor, "mentor")):
        partner = mentor if member is mentee else mentee
        end = Ending(session, pairing, member, partner, role, now, program)
        # One message holds every end-of-relationship choice (choices.END_CHOICES): never a burst of DMs.
        message = await completion_message(end, thanks.parts if member is mentor else ())
        await outbox.post(
            Destination.dm(member.platform_user_id), message, dedupe_key=f"pair:{pairing.id}:end-choices:{member.id}"
        )
    assert mentee.id is not None and mentor.id is not None
    await after_pairing_ends(session, pairing, now, rematch_priority=False, ask=frozenset({mentee.id, mentor.id}))
    return True


def human_duration(days: int) -> str:
    """How long something lasted, as a person says it: "1 day", "3 weeks", "4 months"."""
    if days < 14:
        return msg.plural(max(1, days), "day")
    if days < 60:
        return msg.plural(round(days / 7), "week")
    return msg.plural(round(days / 30), "month")


async def _mentor_thanks(session: AsyncSession, pairing: Pairing, mentee: Member, now: datetime) -> Message:
    lasted = human_duration((now - pairing.started_at).days)
    logged = await logged_for(session, [pairing.id or 0])
    meetings = logged.meetings
    goals = (
        await session.execute(
            select(func.count())
            .select_from(Goal)
            .where(col(Goal.pairing_id) == pairing.id, col(Goal.status) == GoalStatus.DONE.value)
        )
    ).scalar_one()
    # Only what happened is counted; a pair that never got going is thanked, not praised for zero.
    done = [
        d
        for d in (
            meetings
            and f"logged {msg.plural(meetings, 'meeting')}"
            + (logged.minutes and f" ({hours(logged.minutes)} h)" or ""),
            goals and f"reached {msg.plural(goals, 'goal')}",
        )
        if d
    ]
    if done:
        summary = (
            f"! Over {lasted} you {' and '.join(done)} together. "
            "Giving back like this is what keeps the community strong."
        )
    else:
        summary = f" and for the time you set aside. Your mentorship lasted {lasted}."
    return msg.message(msg.text(msg.Strong("Thank you for mentoring "), UserText(mentee.display_name), summary))


async def wrap_up(ctx: Ctx, pairing: Pairing) -> list[Message]:
    done = await complete_pairing(
        ctx.session, pairing, ctx.now, getattr(ctx, "program", None), wrapped_up_by=ctx.member
    )
    if not done:
        return [msg.message("This mentorship is already over.")]
    return [msg.message("Wrapped up. Thank you! Look out for a short feedback question in your DMs.")]


async def wrap_up_command(ctx: Ctx, args: list[str]) -> list[Message]:
    parsed = parse_args(args, {"pair": Arity.ONE})
    pairing = await my_pairing(ctx, parsed.one("pair"), "wrap up")
    return await ask_to_confirm_wrap_up(ctx, pairing)


async def ask_to_confirm_wrap_up(ctx: Ctx, pairing: Pairing) -> list[Message]:
    """Ending a mentorship is never one click: say what it does and ask."""
    mentee, mentor = await members_of(ctx.session, pairing)
    partner = mentor if ctx.member_id == mentee.id else mentee
    pid = str(pairing.id)
    await ask_question(ctx.session, ctx.community_id, [ctx.member_id], WRAP_UP, pid, ctx.now)
    return [
        Message(
            (
                msg.text(
                    "Wrap up your mentorship with ",
                    UserText(partner.display_name),
                    " now? It ends for both of you, and I'll ask you each for a little feedback.",
                ),
                Button("Yes, wrap up", str(ComponentId("wrapup", pid, "confirm")), ButtonStyle.DANGER),
                Button("No, carry on", str(ComponentId("wrapup", pid, "cancel"))),
            )
        )
    ]


async def on_wrap_up_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    if cid.verb == "cancel":
        return [msg.message("Nothing changed: your mentorship goes on.")]
    if cid.verb != "confirm":
        raise InvalidInput("That button is not valid any more.")
    pairing = await pairing_of_button(ctx, cid.key)
    return await wrap_up(ctx, pairing)


# --- the feedback conversation ---------------------------------------------------------


async def _feedback_for(ctx: Ctx, key: str) -> Feedback:
    if not key.isdigit():
        raise InvalidInput("That feedback button is not valid any more.")
    feedback = await ctx.session.get(Feedback, int(key))
    if feedback is None or feedback.community_id != ctx.community_id:
        raise NotFound("I can't find that feedback form any more.")
    if feedback.member_id != ctx.member_id:
        raise InvalidInput("That feedback form is someone else's.")
    return feedback


async def on_feedback_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    feedback = await _feedback_for(ctx, cid.key)
    if feedback.step == FeedbackStep.DONE.value:
        return [msg.message("Your feedback is already in — thank you!")]
    if cid.verb == "rate":
        if not cid.arg.isdigit() or not 1 <= int(cid.arg) <= 5:
            raise InvalidInput("Ratings go from 1 to 5.")
        return await _rate(ctx, feedback, int(cid.arg))
    if cid.verb == "quote":
        if cid.arg not in QUOTE_CHOICES:
            raise InvalidInput("That choice is not valid any more.")
        return await _quote(ctx, feedback, cid.arg)
    raise InvalidInput("That feedback button is not valid any more.")


async def _now_asking(ctx: Ctx, feedback: Feedback, question: str | None) -> None:
    """The feedback's one open question moves on with its step (None: it is finished)."""
    key = str(feedback.id)
    await close_questions(ctx.session, [ctx.member_id], key=key, names=FEEDBACK_QUESTIONS)
    if question is not None:
        await ask_question(ctx.session, ctx.community_id, [ctx.member_id], question, key, ctx.now)


async def _rate(ctx: Ctx, feedback: Feedback, rating: int) -> list[Message]:
    feedback.rating = rating
    feedback.step = FeedbackStep.WORKED.value
    await _now_asking(ctx, feedback, FEEDBACK_TEXT)
    ctx.session.add(feedback)
    await ctx.session.flush()
    if rating <= 2:
        pairing = await ctx.session.get(Pairing, feedback.pairing_id)
        assert pairing is not None
        await report_if_at_risk(ctx.session, pairing, ctx.now)  # low rating: the moderators should know
    thanks = msg.text(f"Thanks, {rating}/5 noted. What worked well? Reply here in a line or two (or skip).")
    return [Message((thanks, *alumni_choice(feedback, rating)))]  # a happy mentee may mentor next


async def _quote(ctx: Ctx, feedback: Feedback, choice: str) -> list[Message]:
    if choice == "other":
        feedback.step = FeedbackStep.QUOTE_NAME.value
        ctx.session.add(feedback)
        await _now_asking(ctx, feedback, FEEDBACK_TEXT)
        return [msg.message("Which name should a quote carry? Reply with it (e.g. 'A data engineer in Berlin').")]
    feedback.quote_ok = choice != "no"
    feedback.quote_name = {"name": ctx.member.display_name, "anon": "Anonymous member"}.get(choice, "")[:80]
    return await _finish(ctx, feedback)


async def _finish(ctx: Ctx, feedback: Feedback) -> list[Message]:
    feedback.step = FeedbackStep.DONE.value
    feedback.completed_at = ctx.now
    await _now_asking(ctx, feedback, None)
    ctx.session.add(feedback)
    return [msg.message("Thank you — your feedback helps the moderators make the program better.")]


def _quote_question(feedback: Feedback) -> Message:
    fid = str(feedback.id)
    return Message(
        (
            msg.text("May the moderators quote what you wrote as a testimonial?"),
            *(
                Button(
                    label,
                    str(ComponentId("feedback", fid, "quote", key)),
                    ButtonStyle.PRIMARY if key == "name" else ButtonStyle.DEFAULT,
                )
                for key, label in QUOTE_CHOICES.items()
            ),
        )
    )


async def on_direct_text(ctx: Ctx, text: str) -> list[Message] | None:
    """Typed answers of a feedback conversation in progress (every button step accepts words too)."""
    feedback = (
        await ctx.session.execute(
            select(Feedback)
            .where(
                col(Feedback.member_id) == ctx.member_id,
                col(Feedback.community_id) == ctx.community_id,
                col(Feedback.step) != FeedbackStep.DONE.value,
            )
            .order_by(col(Feedback.requested_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if feedback is None:
        return None
    answer = " ".join(text.split())
    skip = answer.lower() in ("skip", "-", "none")
    if not answer:
        return [msg.message("Write a line or two, or reply skip.")]
    if feedback.step == FeedbackStep.RATING.value:
        if skip:
            return await _finish(ctx, feedback)  # no feedback at all is a fine answer
        rating = typed_rating(answer)
        if rating is None and ctx.now - feedback.requested_at > STALE_QUESTION:
            return None  # an old, unanswered rating question does not swallow everything they write later
        if rating is None:
            return [
                msg.message(
                    "I didn't catch a rating there. Reply with a number from 1 (poor) to 5 (excellent), or skip."
                )
            ]
        return await _rate(ctx, feedback, rating)
    if feedback.step == FeedbackStep.QUOTE.value:
        choice = typed_quote_choice(answer)
        if choice is None:
            return [
                msg.message(
                    "May the moderators quote you? "
                    "Reply yes with my name, yes anonymously, yes under another name, or no."
                )
            ]
        return await _quote(ctx, feedback, choice)
    if len(answer) > TEXT_MAX:
        return [msg.message(f"That is {len(answer)} characters; please keep it under {TEXT_MAX}.")]
    if feedback.step == FeedbackStep.WORKED.value:
        feedback.worked = "" if skip else answer
        feedback.step = FeedbackStep.IMPROVE.value
        ctx.session.add(feedback)
        return [msg.message("And what could have been better? (or skip)")]
    if feedback.step == FeedbackStep.IMPROVE.value:
        feedback.improve = "" if skip else answer
        feedback.step = FeedbackStep.QUOTE.value
        ctx.session.add(feedback)
        if not feedback.worked:
            feedback.quote_ok = False
            return await _finish(ctx, feedback)  # nothing quotable was written
        await _now_asking(ctx, feedback, QUOTE)
        return [_quote_question(feedback)]
    if skip:
        return [msg.message("Give the name a quote should carry, or click No on the question above.")]
    feedback.quote_ok, feedback.quote_name = True, answer[:80]
    return await _finish(ctx, feedback)


async def testimonials_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("read testimonials")
    rows = (
        (
            await ctx.session.execute(
                select(Feedback)
                .where(
                    col(Feedback.community_id) == ctx.community_id,
                    col(Feedback.quote_ok) == True,  # noqa: E712
                    col(Feedback.worked) != "",
                )
                .order_by(col(Feedback.completed_at).desc())
                .limit(20)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return [msg.message("No testimonials yet: they appear when members finish a mentorship and allow a quote.")]
    parts: list[msg.Part] = [msg.text(msg.Strong("Testimonials"), " (quoted with permission)")]
    for f in rows:
        stars = f" — {f.rating}/5" if f.rating else ""
        parts.append(
            msg.text(
                "“", UserText(f.worked), "” — ", UserText(f.quote_name or "Anonymous member"), f" ({f.role}{stars})"
            )
        )
    return [Message(tuple(parts))]


# --- sweeps ---------------------------------------------------------------------------


async def complete_due_pairings(session: AsyncSession, now: datetime, settings: Any = None, program: Any = None) -> int:
    due = (
        (
            await session.execute(
                select(Pairing)
                # A circle ends as one, by its own sweep (bot/features/circles/checkins.py).
                .where(col(Pairing.status) == PairingStatus.ACTIVE.value, col(Pairing.ends_on) <= now)
                .where(col(Pairing.circle_id).is_(None))
                .order_by(col(Pairing.ends_on))
                .limit(200)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for pairing in due:
        await complete_pairing(session, pairing, now, program)
    return len(due)


async def next_completion(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(Pairing.ends_on))).where(
                col(Pairing.status) == PairingStatus.ACTIVE.value, col(Pairing.circle_id).is_(None)
            )
        )
    ).scalar_one_or_none()


async def send_due_midpoints(session: AsyncSession, now: datetime, settings: Any = None, program: Any = None) -> int:
    due = (
        (
            await session.execute(
                select(Pairing)
                .where(col(Pairing.status) == PairingStatus.ACTIVE.value, col(Pairing.midpoint_at) <= now)
                .limit(500)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for pairing in due:
        outbox = Outbox(session, pairing.community_id, now)
        await send_milestone(session, outbox, pairing, "midpoint", program)
        await ask_pulse(session, outbox, pairing, now)  # the two half-way questions
        pairing.midpoint_at = None
        session.add(pairing)
    return len(due)


async def next_midpoint(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(Pairing.midpoint_at))).where(col(Pairing.status) == PairingStatus.ACTIVE.value)
        )
    ).scalar_one_or_none()
