"""The durable outbox: services write what must be sent, in their own transaction.

A service never calls a platform. It changes state and, in the same unit of work,
adds rows here with `Outbox` (post, update, pin). A dedupe key makes writing the
same message twice harmless; pending updates of one message are coalesced. The
`Deliverer` (deliverer.py) sends the rows later. `moderator_destinations` says
where moderator alerts go.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.messages import Message
from bot.core.ports import Destination, DestinationKind, Operation
from storage.tables import Community, Member, OutboxMessage, OutboxStatus


class Outbox:
    """Writes outbox rows inside the caller's unit of work."""

    def __init__(self, session: AsyncSession, community_id: int, now: datetime) -> None:
        self.session = session
        self.community_id = community_id
        self.now = now

    async def _add(
        self,
        operation: Operation,
        destination: Destination,
        message: Message | None,
        *,
        dedupe_key: str | None,
        target: OutboxMessage | None = None,
        not_before: datetime | None = None,
    ) -> OutboxMessage:
        if dedupe_key is not None:
            existing = (
                await self.session.execute(_by_dedupe_key(), {"community": self.community_id, "key": dedupe_key})
            ).scalar_one_or_none()
            if existing is not None:
                return existing
        row = OutboxMessage(
            community_id=self.community_id,
            operation=operation.value,
            destination_kind=destination.kind.value,
            destination_target=destination.target,
            payload=msg.to_json(message) if message is not None else None,
            dedupe_key=dedupe_key,
            target_outbox_id=target.id if target is not None else None,
            not_before=not_before or self.now,
            created_at=self.now,
        )
        # Inserted with the rest of the transaction at its next flush (several rows in one
        # statement), not one flush per message; a caller that needs `row.id` flushes.
        self.session.add(row)
        return row

    async def post(
        self,
        destination: Destination,
        message: Message,
        *,
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
    ) -> OutboxMessage:
        return await self._add(Operation.POST, destination, message, dedupe_key=dedupe_key, not_before=not_before)

    async def update(self, target: OutboxMessage, message: Message) -> OutboxMessage:
        """Replace the content of a message we posted. Pending updates of the same
        message are coalesced: only the newest content is ever sent."""
        if target.id is None:
            await self.session.flush()  # the update names the posted row by id
        pending = (
            await self.session.execute(
                select(OutboxMessage).where(
                    col(OutboxMessage.target_outbox_id) == target.id,
                    col(OutboxMessage.operation) == Operation.UPDATE.value,
                    col(OutboxMessage.status) == OutboxStatus.PENDING.value,
                )
            )
        ).scalar_one_or_none()
        if pending is not None:
            pending.payload = msg.to_json(message)
            self.session.add(pending)
            return pending
        return await self._add(Operation.UPDATE, destination_of(target), message, dedupe_key=None, target=target)

    async def calendar_event(
        self,
        destination: Destination,
        message: Message,
        *,
        dedupe_key: str | None = None,
        target: OutboxMessage | None = None,
    ) -> OutboxMessage:
        """The platform's own event entry next to the post in `destination` (see Operation.CALENDAR_EVENT);
        with `target` (the row that created it), a change to that entry."""
        return await self._add(Operation.CALENDAR_EVENT, destination, message, dedupe_key=dedupe_key, target=target)

    async def space_member(self, channel_id: str, user_id: str, *, add: bool, dedupe_key: str) -> OutboxMessage:
        """Add a member to (or remove them from) a community space, once (see Operation.SPACE_ADD).
        Rows for one member and space share a destination, so they are sent in the order written."""
        op = Operation.SPACE_ADD if add else Operation.SPACE_REMOVE
        return await self._add(op, Destination.space_member(channel_id, user_id), None, dedupe_key=dedupe_key)

    async def pin(self, target: OutboxMessage, *, unpin: bool = False) -> OutboxMessage:
        op = Operation.UNPIN if unpin else Operation.PIN
        if target.id is None:
            await self.session.flush()  # the pin names the posted row by id
        return await self._add(
            op,
            destination_of(target),
            None,
            dedupe_key=f"{op.value}:{target.id}",
            target=target,
        )


# Statements run for every message are built once, on first use, with bind parameters:
# building a statement and its cache key cost more than running it on SQLite.
@cache
def _by_dedupe_key() -> Select[OutboxMessage]:
    return select(OutboxMessage).where(
        col(OutboxMessage.community_id) == bindparam("community"), col(OutboxMessage.dedupe_key) == bindparam("key")
    )


def destination_of(row: Any) -> Destination:
    """Where an outbox row (or a row of its columns) goes."""
    return Destination(DestinationKind(row.destination_kind), row.destination_target)


async def moderator_destinations(session: AsyncSession, community: Community) -> list[Destination]:
    """Where moderator alerts go: the moderators' channel, else a DM to each known moderator."""
    if community.moderator_channel_id:
        return [Destination.channel(community.moderator_channel_id)]
    moderators = (
        await session.execute(
            select(Member)
            .where(col(Member.community_id) == community.id, col(Member.is_moderator) == True)  # noqa: E712
            .where(or_(col(Member.dm_status) == "ok"))
            .order_by(col(Member.id))
            .limit(10)
        )
    ).scalars()
    return [Destination.dm(m.platform_user_id) for m in moderators]
