"""Every end-of-relationship choice, in the one completion message each member gets.

When a mentorship completes, each member receives **one** direct message that holds
every choice about what comes next — never a burst of separate DMs. `END_CHOICES`
is the single place that lists them, in the order the member reads them: to offer
another choice (a certificate, the alumni-to-mentor question), write a function
`(Ending) -> parts` that words it (and records its question with `ask` so a typed
answer reaches it too) and add it to the tuple.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import messages as msg
from bot.core.messages import Button, Message, Part, UserText
from bot.core.questions import ask as ask_question
from bot.core.router import ComponentId
from bot.features.completion.answers import RATING
from bot.features.milestones.milestones import closing_resources
from bot.features.pairs.pairs import next_round_question
from storage.tables import Feedback, Member, Pairing


@dataclass(frozen=True)
class Ending:
    """One member's side of a completed pairing: what a choice needs to word itself."""

    session: AsyncSession
    pairing: Pairing
    member: Member
    partner: Member
    role: str  # "mentee" or "mentor" in this pairing
    now: datetime
    program: Any


EndChoice = Callable[[Ending], Awaitable[tuple[Part, ...]]]


async def feedback_choice(end: Ending) -> tuple[Part, ...]:
    """The 1–5 rating that starts the feedback conversation."""
    feedback = Feedback(
        community_id=end.pairing.community_id,
        pairing_id=end.pairing.id,  # type: ignore[arg-type]
        member_id=end.member.id,  # type: ignore[arg-type]
        role=end.role,
        requested_at=end.now,
    )
    end.session.add(feedback)
    await end.session.flush()
    fid = str(feedback.id)
    await ask_question(end.session, end.pairing.community_id, [end.member.id], RATING, fid, end.now)  # type: ignore[list-item]
    return (
        msg.text(
            "How would you rate your mentorship with ",
            UserText(end.partner.display_name),
            "? (1 = poor, 5 = excellent)",
        ),
        *(Button(str(n), str(ComponentId("feedback", fid, "rate", str(n)))) for n in range(1, 6)),
    )


async def next_round_choice(end: Ending) -> tuple[Part, ...]:
    """Another mentor (or mentee) next round? Asked, never assumed (`after_pairing_ends` records it)."""
    return next_round_question(end.pairing, end.role)


async def resources_choice(end: Ending) -> tuple[Part, ...]:
    return tuple(closing_resources(end.program, end.role))


# The one list of end-of-relationship choices: add new ones here.
END_CHOICES: tuple[EndChoice, ...] = (feedback_choice, next_round_choice, resources_choice)


async def completion_message(end: Ending, before: tuple[Part, ...] = ()) -> Message:
    """The member's one completion message: `before` (the mentor's thanks), then every choice."""
    parts: list[Part] = list(before)
    for choice in END_CHOICES:
        parts += await choice(end)
    return Message(tuple(parts))
