"""Ports: the interfaces the core needs from the outside world.

`Messenger` is implemented once per platform (adapters/<platform>/messenger.py)
and is the only code that calls a platform API. The outbox deliverer hands it one
`Delivery` at a time and records the `DeliveryResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.core.messages import Message


class DestinationKind(StrEnum):
    CHANNEL = "channel"  # target: channel id
    DM = "dm"  # target: user id
    GROUP_DM = "group_dm"  # target: comma-separated user ids (2–8)
    EPHEMERAL = "ephemeral"  # target: "<channel id>|<user id>"
    HOME = "home"  # target: user id — the member's App Home (Slack); replaced whole on each post
    SPACE_MEMBER = "space_member"  # target: "<channel id>|<user id>" — one member of a community space


@dataclass(frozen=True)
class Destination:
    kind: DestinationKind
    target: str

    @classmethod
    def channel(cls, channel_id: str) -> Destination:
        return cls(DestinationKind.CHANNEL, channel_id)

    @classmethod
    def dm(cls, user_id: str) -> Destination:
        return cls(DestinationKind.DM, user_id)

    @classmethod
    def group_dm(cls, user_ids: list[str] | tuple[str, ...]) -> Destination:
        return cls(DestinationKind.GROUP_DM, ",".join(user_ids))

    @classmethod
    def ephemeral(cls, channel_id: str, user_id: str) -> Destination:
        return cls(DestinationKind.EPHEMERAL, f"{channel_id}|{user_id}")

    @classmethod
    def space_member(cls, channel_id: str, user_id: str) -> Destination:
        return cls(DestinationKind.SPACE_MEMBER, f"{channel_id}|{user_id}")

    @property
    def space(self) -> tuple[str, str]:
        """(channel id, user id) of a SPACE_MEMBER destination."""
        channel, _, user = self.target.partition("|")
        return channel, user

    @property
    def user_ids(self) -> list[str]:
        if self.kind is DestinationKind.DM:
            return [self.target]
        if self.kind is DestinationKind.GROUP_DM:
            return self.target.split(",")
        if self.kind is DestinationKind.EPHEMERAL:
            return [self.target.split("|", 1)[1]]
        return []


class Operation(StrEnum):
    POST = "post"  # send a new message
    UPDATE = "update"  # replace the content of a message we sent earlier
    PIN = "pin"
    UNPIN = "unpin"
    # The platform's own calendar entry for a community event (Discord: a Guild Scheduled Event).
    # The message carries the event as label/value rows; platforms without one skip it.
    CALENDAR_EVENT = "calendar_event"
    # A member into / out of a community space (a channel the program file names): Slack
    # conversations.invite / conversations.kick, Discord a member permission overwrite.
    # Both are idempotent on the platform (already in / not in counts as done); no message.
    SPACE_ADD = "space_add"
    SPACE_REMOVE = "space_remove"


@dataclass(frozen=True)
class Delivery:
    """One outbox row as the messenger sees it."""

    community_external_id: str
    operation: Operation
    destination: Destination
    message: Message | None
    # Stable across retries and restarts: Discord nonce, Slack metadata.
    idempotency_key: str
    # For UPDATE/PIN/UNPIN: the platform's id of the message we posted earlier.
    target_ref: str | None = None
    attempt: int = 0


@dataclass(frozen=True)
class Delivered:
    message_ref: str | None = None  # platform message id / ts ("channel:ts" where needed)


@dataclass(frozen=True)
class RetryLater:
    seconds: float
    reason: str = "rate limited"


@dataclass(frozen=True)
class PermanentFailure:
    """The platform will never accept this (closed DMs, archived channel, revoked token)."""

    code: str
    detail: str = ""
    # Set when the failure means the member cannot be reached by DM at all.
    unreachable_user_id: str | None = None


DeliveryResult = Delivered | RetryLater | PermanentFailure


class Messenger(Protocol):
    async def deliver(self, delivery: Delivery) -> DeliveryResult: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
