"""Interest polls and their votes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class PollStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # withdrawn by a moderator: no results, no invitations


class Poll(SQLModel, table=True):
    __tablename__ = "poll"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    channel_id: str = Field(max_length=64)
    question: str = Field(max_length=300)
    # [{"label": "I'd mentor", "role": "mentor"}, …]; role is mentor/mentee/both/none.
    options: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    anonymous: bool = Field(default=False)  # no names, ever
    # Names next to the tallies only when the moderator asked (--public); polls stored
    # before this setting existed keep showing them (the migration sets it from `anonymous`).
    show_voters: bool = Field(default=False)
    created_by_member_id: int = Field(foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=PollStatus.OPEN, max_length=16, index=True)
    # The outbox row that posted the poll message (its message_ref is updated/pinned later).
    post_outbox_id: int | None = Field(default=None, foreign_key="outbox.id")


class PollVote(SQLModel, table=True):
    __tablename__ = "poll_vote"
    __table_args__ = (UniqueConstraint("poll_id", "member_id", name="uq_vote_once"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    option_index: int
    voted_at: datetime = Field(sa_type=UTCDateTime)
