"""Alumni to mentors, and what recruiting adds to `/mentor stats`.

A mentee who rates their finished mentorship 4 or 5 is asked, in the answer to that
rating, whether they would mentor someone newer next round. "Yes" starts the mentor side
of intake with their answers carried over and the topics they have since learned filled
in (the topics they wanted, and those their goal names). Stats count the mentors who
were mentees here before, and the first-time mentors trained or in training.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Button, ButtonStyle, Message
from bot.core.program import Program
from bot.core.router import ComponentId
from bot.features.intake.conversation import get_profile, start_or_resume
from bot.features.recruit.asks import carried_over
from bot.features.recruit.training import training_counts
from storage.tables import Feedback, Pairing, PairingStatus, Profile, ProfileStatus, RecruitAlert, RecruitAsk


def alumni_choice(feedback: Feedback, rating: int) -> tuple[msg.Part, ...]:
    """The extra choice for a mentee who rated their mentorship 4 or 5 (nothing otherwise)."""
    if feedback.role != "mentee" or rating < 4:
        return ()
    fid = str(feedback.id)
    return (
        msg.text(
            "You've come a long way. Would you mentor someone newer in the next round? "
            "Your answers carry over: you'd only add what mentors are asked."
        ),
        Button("Yes, I'd mentor", str(ComponentId("alum", fid, "yes")), ButtonStyle.PRIMARY),
        Button("Not this time", str(ComponentId("alum", fid, "no"))),
    )


async def on_alumni(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    feedback = await ctx.session.get(Feedback, int(cid.key)) if cid.key.isdigit() else None
    if feedback is None or feedback.member_id != ctx.member_id or feedback.community_id != ctx.community_id:
        raise InvalidInput("That question was for someone else.")
    if cid.verb not in ("yes", "no"):
        raise InvalidInput("That button is from an older version.")
    ctx.session.add(
        RecruitAsk(
            community_id=ctx.community_id,
            member_id=ctx.member_id,
            topic="",
            reason="alumni",
            asked_at=feedback.requested_at,
            answer="yes" if cid.verb == "yes" else "not_now",
            answered_at=ctx.now,
        )
    )
    if cid.verb == "no":
        return [msg.message("Noted — thank you for taking part. You can always sign up as a mentor with /mentor join.")]
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is None or profile.status != ProfileStatus.WAITING.value:
        return [msg.message("You're paused or have left the program; /mentor resume or /mentor join brings you back.")]
    if profile.role in ("mentor", "both"):
        return [msg.message("You're signed up as a mentor already — thank you!")]
    return await start_or_resume(
        ctx, source="alumni", role="mentor", preset=carried_over(ctx.program, profile), become=True
    )


async def mentors_from_alumni(session: AsyncSession, community_id: int) -> int:
    """Mentors now who completed a mentorship here as a mentee."""
    alumni = select(col(Pairing.mentee_member_id)).where(
        col(Pairing.community_id) == community_id, col(Pairing.status) == PairingStatus.COMPLETED.value
    )
    return int(
        (
            await session.execute(
                select(func.count()).where(
                    col(Profile.community_id) == community_id,
                    col(Profile.role).in_(["mentor", "both"]),
                    col(Profile.status) != ProfileStatus.LEFT.value,
                    col(Profile.member_id).in_(alumni),
                )
            )
        ).scalar_one()
    )


async def recruiting_summary(session: AsyncSession, community_id: int, program: Program) -> list[msg.Part]:
    """The Recruiting section of `/mentor stats` (nothing when recruiting never happened)."""
    alerts = dict(
        (
            await session.execute(
                select(col(RecruitAlert.status), func.count())
                .where(col(RecruitAlert.community_id) == community_id)
                .group_by(col(RecruitAlert.status))
            )
        ).all()
    )
    # Grouped by the plain column (PostgreSQL will not group by an expression with a bound value).
    answers = {
        answer or "none": count
        for answer, count in (
            await session.execute(
                select(col(RecruitAsk.answer), func.count())
                .where(col(RecruitAsk.community_id) == community_id)
                .group_by(col(RecruitAsk.answer))
            )
        ).all()
    }
    from_alumni = await mentors_from_alumni(session, community_id)
    trained, training = await training_counts(session, community_id, program)
    if not (alerts or answers or from_alumni or trained or training):
        return []
    asks = sum(answers.values())
    return [
        msg.text(msg.Strong("Recruiting")),
        msg.text(
            f"Shortage alerts: {sum(alerts.values())} ({alerts.get('posted', 0)} posted, "
            f"{alerts.get('dismissed', 0)} dismissed, {alerts.get('open', 0)} open) · direct asks: {asks} "
            f"({answers.get('yes', 0)} yes, {answers.get('not_now', 0)} not now, {answers.get('never', 0)} never)"
        ),
        msg.text(f"Mentors from alumni: {from_alumni}"),
        msg.text(f"Mentor training: {trained} trained · {training} in training"),
    ]
