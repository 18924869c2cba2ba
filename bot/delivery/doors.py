"""Closed doors: members the bot cannot reach by direct message.

An episode starts when a DM to a member fails because their DMs are closed
(Slack `messages_tab_disabled`/`user_disabled`…, Discord 50007): the member is
marked `closed` and the moderators are told once. While it lasts, DMs to them are
not attempted at all — the deliverer marks each such row `held` without calling
the platform. When the member interacts with the bot again, the held DMs are
released for one retry (`retry`) and they get a heads-up in their private reply;
if the retry fails they are `closed` again without a second moderator notice;
a DM that gets through (or a DM from them) ends the episode (`ok`).

`Member.dm_status`: ok | closed | closed_told (older rows: closed, member told) | retry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.messages import Message
from bot.core.ports import DestinationKind
from storage.tables import Member, OutboxMessage, OutboxStatus

OK, CLOSED, CLOSED_TOLD, RETRY = "ok", "closed", "closed_told", "retry"
SHUT = (CLOSED, CLOSED_TOLD)  # no DM is attempted in these states
HELD_REASON = "not attempted: the member's DMs are closed to the bot; held until they interact again"

HEADS_UP = msg.message(
    "Heads-up: I could not send you a direct message — your DMs are closed to me. "
    "Allow direct messages from this app so you get invitations and check-ins; I'll try once more now."
)


async def door_states(session: AsyncSession, rows: Iterable[Any]) -> dict[tuple[int, str], str]:
    """(community, user) → dm_status for the recipients of DM posts among `rows` that are not `ok`."""
    wanted = {
        (row.community_id, row.destination_target)
        for row in rows
        if row.destination_kind == DestinationKind.DM.value and row.operation == "post"
    }
    if not wanted:
        return {}
    by_community: dict[int, list[str]] = {}
    for community_id, user_id in sorted(wanted):
        by_community.setdefault(community_id, []).append(user_id)
    # One (community, user ids) term per community, each a search of the unique index. A row-value
    # IN over both columns is a full scan of the member table on SQLite: 12 ms at 80k members, on
    # the event loop, for every drain that delivers a DM.
    found = await session.execute(
        select(col(Member.community_id), col(Member.platform_user_id), col(Member.dm_status)).where(
            or_(
                *(
                    and_(col(Member.community_id) == community_id, col(Member.platform_user_id).in_(users))
                    for community_id, users in by_community.items()
                )
            ),
            col(Member.dm_status) != OK,
        )
    )
    return {(community_id, user_id): status for community_id, user_id, status in found.all()}


async def closed_again(session: AsyncSession, community_id: int, user_id: str) -> None:
    """The retry failed: the door is shut again (same episode, nobody is told twice)."""
    await _set_status(session, community_id, user_id, CLOSED)


async def reopened(session: AsyncSession, community_id: int, user_id: str) -> None:
    """A DM to a member on `retry` got through: the episode is over."""
    await _set_status(session, community_id, user_id, OK)


async def _set_status(session: AsyncSession, community_id: int, user_id: str, status: str) -> None:
    await session.execute(
        update(Member)
        .where(col(Member.community_id) == community_id, col(Member.platform_user_id) == user_id)
        .values(dm_status=status)
        .execution_options(synchronize_session=False)
    )


async def hold(session: AsyncSession, row_id: int, token: int) -> bool:
    """Mark a claimed DM row `held` (no platform call); False when it is no longer ours."""
    held = await session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == bindparam("row"), col(OutboxMessage.claim_token) == bindparam("token"))
        .values(status=OutboxStatus.HELD.value, last_error=HELD_REASON)
        .execution_options(synchronize_session=False),
        {"row": row_id, "token": token},
    )
    return bool(cast(CursorResult[Any], held).rowcount == 1)


async def release_held(session: AsyncSession, community_id: int, user_id: str, now: datetime) -> int:
    """The member's held DMs become due again (oldest first, as they were written)."""
    released = await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.community_id) == community_id,
            col(OutboxMessage.destination_kind) == DestinationKind.DM.value,
            col(OutboxMessage.destination_target) == user_id,
            col(OutboxMessage.status) == OutboxStatus.HELD.value,
        )
        .values(status=OutboxStatus.PENDING.value, not_before=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], released).rowcount or 0)


def failed_dm(member: Member) -> bool:
    """Record a DM that failed for good; True when this starts an episode (tell the moderators)."""
    starts = member.dm_status == OK
    member.dm_status = CLOSED
    return starts


async def member_interacted(session: AsyncSession, member: Member, in_dm: bool, now: datetime) -> list[Message]:
    """The member used the bot: a closed door gets one retry; returns the heads-up to add, if any."""
    if member.dm_status == OK or member.id is None:
        return []
    if in_dm:
        member.dm_status = OK  # they reached us by DM, so DMs work again
        await release_held(session, member.community_id, member.platform_user_id, now)
        return []
    if member.dm_status in SHUT:
        member.dm_status = RETRY
        await release_held(session, member.community_id, member.platform_user_id, now)
        return [HEADS_UP]
    return []  # a retry is already on its way
