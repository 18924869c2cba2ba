"""The mid-program pulse: two questions half-way through, answered in the member's DM.

How is it going (1–5) and, optionally, anything the moderators should know (a DM starting
with `pulse …`). A low answer (1 or 2) raises the pair's at-risk signal at once; the
dashboard shows only aggregates (how many answered, the average, how many were low), and
the free text reaches the moderators' channel without the member's rating next to it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, Message, UserText
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox, moderator_destinations
from bot.features.pairs.pairs import members_of, report_if_at_risk
from storage.tables import Community, Pairing, PairingStatus, Pulse

LOW = 2
TEXT_MAX = 500


async def ask_pulse(session: AsyncSession, outbox: Outbox, pairing: Pairing, now: datetime) -> None:
    """Half-way: each member gets the two questions (once per pairing: a unique key per member)."""
    mentee, mentor = await members_of(session, pairing)
    for member, partner in ((mentee, mentor), (mentor, mentee)):
        exists = (
            await session.execute(
                select(Pulse).where(col(Pulse.pairing_id) == pairing.id, col(Pulse.member_id) == member.id)
            )
        ).scalar_one_or_none()
        if exists is not None:
            continue
        pulse = Pulse(
            community_id=pairing.community_id,
            pairing_id=pairing.id,  # type: ignore[arg-type]
            member_id=member.id,  # type: ignore[arg-type]
            asked_at=now,
        )
        session.add(pulse)
        await session.flush()
        key = str(pulse.id)
        await outbox.post(
            Destination.dm(member.platform_user_id),
            Message(
                (
                    msg.text(
                        msg.Strong("Half-way check: "),
                        "how is your mentorship with ",
                        UserText(partner.display_name),
                        " going? (1 = not well, 5 = very well)",
                    ),
                    *(Button(str(n), str(ComponentId("pulse", key, "rate", str(n)))) for n in range(1, 6)),
                    msg.text("Anything the moderators should know? Reply here with: pulse <your words>."),
                )
            ),
            dedupe_key=f"pulse:{pulse.id}:ask",
        )


async def on_pulse_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """`mentor:pulse:<id>:rate:<n>`."""
    pulse = await ctx.session.get(Pulse, int(cid.key)) if cid.key.isdigit() else None
    if pulse is None or pulse.community_id != ctx.community_id:
        raise NotFound("I can't find that question any more.")
    if pulse.member_id != ctx.member_id:
        raise InvalidInput("That question was for someone else.")
    if cid.verb != "rate" or cid.arg not in {"1", "2", "3", "4", "5"}:
        raise InvalidInput("That button is not valid any more.")
    pulse.rating, pulse.answered_at = int(cid.arg), ctx.now
    ctx.session.add(pulse)
    await ctx.session.flush()
    pairing = await ctx.session.get(Pairing, pulse.pairing_id)
    if pulse.rating <= LOW and pairing is not None and pairing.status == PairingStatus.ACTIVE.value:
        await report_if_at_risk(ctx.session, pairing, ctx.now)
        return [msg.message(f"{pulse.rating}/5 noted — sorry it's not going well. A moderator will get in touch.")]
    return [msg.message(f"{pulse.rating}/5 noted. Thank you!")]


async def on_direct_text(ctx: Ctx, text: str) -> list[Message] | None:
    """`pulse …` in a DM: words for the moderators, passed on without the member's rating."""
    stripped = text.strip()
    if not stripped.lower().startswith("pulse"):
        return None
    body = stripped[5:].strip(" :")
    pulse = (
        await ctx.session.execute(
            select(Pulse)
            .where(col(Pulse.member_id) == ctx.member_id, col(Pulse.community_id) == ctx.community_id)
            .order_by(col(Pulse.asked_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if pulse is None:
        return None
    if not body:
        return [msg.message("Write your words after the word pulse, e.g. pulse we struggle to find time.")]
    if len(body) > TEXT_MAX:
        return [msg.message(f"Keep it under {TEXT_MAX} characters; yours has {len(body)}.")]
    pulse.text, pulse.answered_at = body, pulse.answered_at or ctx.now
    ctx.session.add(pulse)
    community = await ctx.session.get(Community, ctx.community_id)
    assert community is not None
    note = msg.message(
        msg.text(
            msg.Strong("Half-way pulse"), f" (pair #{pulse.pairing_id}), from ", UserText(ctx.member.display_name), ":"
        ),
        msg.text(UserText(body)),
    )
    for destination in await moderator_destinations(ctx.session, community):
        await ctx.outbox.post(destination, note, dedupe_key=f"pulse:{pulse.id}:text:{destination.target}")
    return [msg.message("Thank you — passed on to the moderators.")]
