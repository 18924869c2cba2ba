"""Mentoring circles: one mentor with several mentees, grouped over ordinary pairings.

A `Circle` row holds what the group shares (topic, cadence, seats, its goal board and
check-in schedule); each member's relationship with the mentor stays a `Pairing` row
whose `circle_id` names the circle (storage/tables/pairings.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class CircleStatus(StrEnum):
    OPEN = "open"  # offered by its mentor, nobody placed yet
    ACTIVE = "active"  # has members; check-ins run
    COMPLETED = "completed"  # wrapped up; members were asked for feedback
    ENDED = "ended"  # ended early: its mentor left or was forgotten


class Circle(SQLModel, table=True):
    __tablename__ = "circle"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    mentor_member_id: int = Field(foreign_key="member.id", index=True)
    topic: str = Field(default="", max_length=100)
    cadence: str = Field(default="monthly", max_length=16)  # weekly | biweekly | monthly
    capacity: int = Field(default=4)  # mentees at most
    status: str = Field(default=CircleStatus.OPEN, max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The channel a Discord private thread hangs off when DISCORD_INTRO_CHANNEL_ID is not set
    # (where the moderator created the circle or approved the round); "" when unknown.
    home_channel_id: str = Field(default="", max_length=64)
    # The shared goal board: [{"n": 1, "text": …, "by": member id, "done": bool}].
    goals: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Finding a time for the whole circle (bot/features/circles/meeting.py): {"slots": [ISO], "picks":
    # {"<member id>": [index]}, "status": "proposed"|"confirmed"|"cancelled", "start": ISO, "sequence": n,
    # "round": n, "event": bool (also a Discord server event), "event_row": outbox id}; {} before the first.
    meeting: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    next_checkin_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    checkins_sent: int = Field(default=0)
