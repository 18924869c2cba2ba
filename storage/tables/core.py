"""Core tables: communities, members, the outbox, the inbox and live workers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Community(SQLModel, table=True):
    """One Slack workspace, Discord guild or console session."""

    __tablename__ = "community"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_community_platform"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    # Where moderator alerts go (delivery failures, warnings); set by the first poll or by config.
    moderator_channel_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # The app was removed (Slack uninstall, Discord server removed the bot): every row of the
    # community is deleted at this moment unless it is installed again first (bot/features/admin/purge.py).
    purge_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """A person in a community, as the bot knows them (profile data comes with intake)."""

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("community_id", "platform_user_id", name="uq_member_platform_user"),
        Index("ix_member_joined", "community_id", "joined_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    platform_user_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    # "ok", "closed" (the platform refused a DM for good), "closed_told" (older rows) or "retry"
    # (they used the bot since: one more try) — see bot/delivery/doors.py.
    dm_status: str = Field(default="ok", max_length=16)
    # Last known moderator rights (platform or config), so alerts can reach moderators by DM.
    is_moderator: bool = Field(default=False)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # When the platform told us they joined the community (MemberJoined); None when we only
    # met them later. The dashboard's "new members since the program started" counts these.
    joined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a deliverer; a crash leaves it here and it is retried
    SENT = "sent"
    FAILED = "failed"  # permanent failure, reported to moderators
    HELD = "held"  # a DM not attempted: the member's DMs are closed (bot/delivery/doors.py)


class OutboxMessage(SQLModel, table=True):
    """A message (or pin/update) that a state change caused and that must reach the platform."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("community_id", "dedupe_key", name="uq_outbox_dedupe"),
        Index("ix_outbox_due", "status", "not_before"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # No index of its own: the unique (community_id, dedupe_key) index serves community lookups,
    # and every index costs time when a sweep queues thousands of messages.
    community_id: int = Field(foreign_key="community.id")
    operation: str = Field(max_length=16)
    destination_kind: str = Field(max_length=16)
    destination_target: str = Field(max_length=600)
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Optional business key ("poll:12:results"): enqueueing the same key twice is a no-op.
    dedupe_key: str | None = Field(default=None, max_length=200)
    # For update/pin/unpin: the outbox row whose posted message this acts on.
    target_outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = Field(default=0)
    # Incremented by every claim: the deliverer holding the current value owns the row.
    claim_token: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    not_before: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_ref: str | None = Field(default=None, max_length=200)
    last_error: str | None = Field(default=None, max_length=500)


class InboxEvent(SQLModel, table=True):
    """What came in from a platform, saved before it was acknowledged.

    One short insert before the ack; the core marks the row handled in the same
    transaction as the change the event caused (so a redelivery or a resume is a
    no-op), and the private replies it produced are kept until the adapter has
    sent them. `(platform, team_id, event_key)` is the platform's own event key:
    a second insert of it is a platform retry.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "team_id", "event_key", name="uq_inbox_event"),
        # Resume scans and sweeps look at what is not finished yet, oldest first.
        Index("ix_inbox_open", "finished_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    team_id: str = Field(max_length=64)  # the workspace / guild id as the platform names it
    event_key: str = Field(max_length=200)
    member_key: str = Field(default="", max_length=64)  # platform user id: events of one member run in order
    kind: str = Field(max_length=16)
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    received_at: datetime = Field(sa_type=UTCDateTime)
    # Lease: the worker working on the row and until when (PostgreSQL workers; restart).
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the core applied it
    replies: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON list, until sent
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # replies sent (or none due)


class WorkerHeartbeat(SQLModel, table=True):
    """A live worker process (PostgreSQL): a dead one's inbox and outbox claims are released."""

    __tablename__ = "worker_heartbeat"

    worker_id: str = Field(primary_key=True, max_length=64)
    started_at: datetime = Field(sa_type=UTCDateTime)
    beat_at: datetime = Field(sa_type=UTCDateTime)
