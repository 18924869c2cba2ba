"""A proposed round that waits for a moderator reminds the moderators.

`compute_round` sets the round's `remind_at` to the first of the program file's
`approval_reminder_days` (default 2 and 5 days after the round was computed).
The sweep posts a short reminder with Show / Approve buttons to the moderators'
channel (else each moderator's DM), moves `remind_at` to the next step, and after
the last one leaves it empty: the round stays quiet. Approving, discarding or
recomputing ends the reminders, since only proposed rounds are reminded of.
After downtime one reminder is sent for the latest step that fell due, no burst.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.messages import Button, ButtonStyle, Message
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox, moderator_destinations
from bot.features.rounds.proposal import RoundPolicy
from storage.tables import Community, MatchRound, ProposedPair, RoundStatus


async def remind_unapproved_rounds(session: AsyncSession, now: datetime, policy: RoundPolicy) -> int:
    due = (
        (
            await session.execute(
                select(MatchRound)
                .where(col(MatchRound.status) == RoundStatus.PROPOSED.value, col(MatchRound.remind_at) <= now)
                .order_by(col(MatchRound.id))
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for round_ in due:
        steps = policy.approval_reminder_days
        waited = now - round_.created_at
        reached = sum(1 for days in steps if timedelta(days=days) <= waited)
        community = await session.get(Community, round_.community_id)
        assert community is not None
        pairs = (
            await session.execute(
                select(func.count())
                .select_from(ProposedPair)
                .where(
                    col(ProposedPair.round_id) == round_.id,
                    col(ProposedPair.dropped) == False,  # noqa: E712
                )
            )
        ).scalar_one()
        reminder = _reminder(round_, waited.days, pairs, last=reached >= len(steps))
        assert community.id is not None
        outbox = Outbox(session, community.id, now)
        for destination in await moderator_destinations(session, community):
            await outbox.post(
                destination, reminder, dedupe_key=f"round:{round_.id}:reminder:{max(reached, 1)}:{destination.target}"
            )
        round_.reminders_sent = max(reached, round_.reminders_sent + 1)
        round_.remind_at = (
            round_.created_at + timedelta(days=steps[round_.reminders_sent])
            if round_.reminders_sent < len(steps)
            else None
        )
        session.add(round_)
    return len(due)


def _reminder(round_: MatchRound, days: int, pairs: int, *, last: bool) -> Message:
    rid = str(round_.id)
    waiting = f"{days} day{'s' if days != 1 else ''}"
    return Message(
        (
            msg.text(
                msg.Strong("Reminder: "),
                f"matching round #{round_.id} has waited {waiting} for a moderator's approval — "
                f"{pairs} pair{'s' if pairs != 1 else ''} not introduced yet.",
            ),
            msg.text(
                "Review it and approve it, or discard it with /mentor match discard."
                + (" This is the last reminder." if last else "")
            ),
            Button("Show the round", str(ComponentId("round", rid, "show"))),
            Button("Approve and introduce", str(ComponentId("round", rid, "approve")), ButtonStyle.PRIMARY),
        )
    )


async def next_round_reminder(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(MatchRound.remind_at))).where(col(MatchRound.status) == RoundStatus.PROPOSED.value)
        )
    ).scalar_one_or_none()
