"""Pairings seen from the rest of the core (the matching issue fills this in).

`/mentor leave` and `/mentor forget-me` must end a member's active pairings
politely: the partner is told and the moderators see it. Pairings do not exist
yet, so the hook below is the single place the matching/introductions work will
implement; intake and privacy already call it at the right moments.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Member


async def end_pairings_for_member(session: AsyncSession, member: Member, now: datetime, reason: str) -> int:
    """End every active pairing of `member`; return how many were ended.

    Called inside the caller's unit of work, before the member's data changes.
    `reason` is "left" (/mentor leave) or "forgotten" (/mentor forget-me).
    To implement with pairings: mark each active pairing ended (ended_at=now,
    end_reason=reason), post a kind note to the partner through the outbox (never
    revealing the reason for "forgotten"), free the mentor's capacity, and tell
    the moderators via `bot.outbox.moderator_destinations`. For "forgotten", also
    delete or anonymise the pairing's personal text (check-in notes, goals).
    """
    return 0
