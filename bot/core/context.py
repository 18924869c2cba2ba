"""The context a handler runs in: one unit of work for one member's action.

It is the core's vocabulary between the router and the features, so it lives in
the core; the outbox it carries is named by the `OutboxWriter` port, which the
delivery layer's `Outbox` implements (the core imports nothing from delivery).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import NotAllowed
from bot.core.events import Actor
from bot.core.messages import Message
from bot.core.ports import Destination
from bot.core.program import Program, default_program
from bot.core.settings import Settings
from storage.tables import Community, Member, OutboxMessage


class OutboxWriter(Protocol):
    """Writes what must be sent into the caller's unit of work (`bot.delivery.outbox.Outbox`)."""

    async def post(
        self,
        destination: Destination,
        message: Message,
        *,
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
    ) -> OutboxMessage: ...

    async def update(self, target: OutboxMessage, message: Message) -> OutboxMessage: ...

    async def pin(self, target: OutboxMessage, *, unpin: bool = False) -> OutboxMessage: ...

    async def calendar_event(
        self,
        destination: Destination,
        message: Message,
        *,
        dedupe_key: str | None = None,
        target: OutboxMessage | None = None,
    ) -> OutboxMessage: ...

    async def space_member(self, channel_id: str, user_id: str, *, add: bool, dedupe_key: str) -> OutboxMessage: ...


@dataclass
class Ctx:
    session: AsyncSession
    community: Community
    member: Member
    actor: Actor
    channel_id: str
    now: datetime
    settings: Settings
    outbox: OutboxWriter
    is_moderator: bool
    in_dm: bool = False
    # The program file (taxonomy, choices, resources); the shipped default unless configured.
    program: Program = field(default_factory=default_program)
    # What the command's prepare step computed off the event loop (bot/core/heavy.py), or None.
    prepared: Any = None
    # Set by a command that left sweep work due now (an approved round's later batches), so the
    # runtime runs the sweeps right after it instead of at the next periodic tick.
    sweep_soon: bool = False

    @property
    def tz(self) -> str:
        return self.community.timezone

    @property
    def community_id(self) -> int:
        assert self.community.id is not None
        return self.community.id

    @property
    def member_id(self) -> int:
        assert self.member.id is not None
        return self.member.id

    def require_moderator(self, action: str) -> None:
        """Every moderator action calls this first; members get a polite refusal."""
        if not self.is_moderator:
            raise NotAllowed(
                f"Only moderators can {action}. If you think you should be one, ask a workspace/server admin."
            )
