"""Intake conversations: one row per member, the state machine's saved state.

The conversation is saved at every step (`step` + `answers`), keyed by
(community, member), so a restart, a second device or a week of silence resumes
at the same question. `remind_at` is the due-time column the sweep reads for the
two reminders of an unfinished intake. Answers hold personal data until the
intake is confirmed (then they live in `profile`) or cancelled (then they are
cleared); `forget-me` deletes the row.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class IntakeStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Intake(SQLModel, table=True):
    __tablename__ = "intake"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    step: str = Field(max_length=32)  # an IntakeStep value
    # {"role": "mentee", "want": ["Python"], …}; keys are IntakeStep values.
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Where the sign-up came from: "poll:3", "campaign:spring", "greeting", "direct".
    source: str = Field(default="direct", max_length=80)
    # True while a confirmed member changes answers (/mentor edit): answering goes back to the summary.
    editing: bool = Field(default=False)
    status: str = Field(default=IntakeStatus.IN_PROGRESS, max_length=16)
    started_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    reminders_sent: int = Field(default=0)
