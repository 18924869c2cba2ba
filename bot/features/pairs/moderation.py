"""The moderator's `/mentor pair <id> [end|rematch|set …|note "…"]`.

Its own module because it uses both the pairing lifecycle (`pairs`) and the
partnership policy (`policy`), which itself builds on `pairs`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import NotFound
from bot.core.messages import Message
from bot.core.parsing import ParseError
from bot.features.pairs.pairs import describe_pairing, end_pairing
from bot.features.pairs.policy import moderator_set
from storage.tables import Pairing, PairingStatus, PairNote


async def pair_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("manage pairings")
    if not args or not args[0].lstrip("#").isdigit():
        raise ParseError(
            'Give the pairing number, e.g. /mentor pair 4, /mentor pair 4 end, /mentor pair 4 note "called them".'
        )
    pairing = (
        await ctx.session.execute(
            select(Pairing).where(
                col(Pairing.id) == int(args[0].lstrip("#")), col(Pairing.community_id) == ctx.community_id
            )
        )
    ).scalar_one_or_none()
    if pairing is None:
        raise NotFound(f"There is no pairing #{args[0].lstrip('#')} here.")
    action = args[1].lower() if len(args) > 1 else "show"
    if action == "show":
        return [await describe_pairing(ctx, pairing)]
    if action in ("end", "rematch"):
        if pairing.status != PairingStatus.ACTIVE.value:
            return [msg.message(f"Pairing #{pairing.id} is already {pairing.status}.")]
        await end_pairing(ctx.session, pairing, ctx.now, reason=f"ended by a moderator ({action})", ended_by=ctx.member)
        extra = " The mentee has priority in the next round (/mentor match)." if action == "rematch" else ""
        return [msg.message(f"Pairing #{pairing.id} is ended and both were told.{extra}")]
    if action == "set":
        if pairing.status != PairingStatus.ACTIVE.value:
            return [msg.message(f"Pairing #{pairing.id} is already {pairing.status}.")]
        return await moderator_set(ctx, pairing, args[2:])
    if action == "note":
        text = " ".join(args[2:]).strip()
        if not text:
            raise ParseError('Add the note in quotes: /mentor pair 4 note "called both, meeting next week"')
        if len(text) > 1000:
            raise ParseError("Keep a note under 1000 characters.")
        assert pairing.id is not None
        ctx.session.add(
            PairNote(
                community_id=ctx.community_id,
                pairing_id=pairing.id,
                member_id=ctx.member_id,
                kind="moderator",
                text=text,
                created_at=ctx.now,
            )
        )
        return [msg.message(f"Noted on pairing #{pairing.id}.")]
    raise ParseError(
        f"I don't know '{action}' for a pairing; use end, rematch, set --cadence/--ends/--channel or note \"…\"."
    )
