"""Member profiles: what intake collects and what matching reads.

One row per member who completed intake. Free-text fields hold personal data;
`forget-me` deletes the row (and the member's other personal rows).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    BOTH = "both"


class ProfileStatus(StrEnum):
    WAITING = "waiting"  # signed up, waiting to be matched
    ACTIVE = "active"  # in at least one active pairing (a mentor with free capacity stays matchable)
    PAUSED = "paused"  # no matching, no nudges until paused_until or /mentor resume
    LEFT = "left"


class Profile(SQLModel, table=True):
    __tablename__ = "profile"
    __table_args__ = (
        Index("ix_profile_community_status", "community_id", "status"),
        # Covers the dashboard's counts over profiles so /mentor stats reads an index, not 100k
        # rows of JSON and free text. Columns in GROUP BY order (role, status, source): SQLite
        # then counts in one ordered pass instead of sorting every row (120 ms → 20 ms at 100k).
        Index("ix_profile_stats", "community_id", "role", "status", "source", "signed_up_at"),
        # Sign-ups per week for the chart.
        Index("ix_profile_signed_up", "community_id", "signed_up_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    member_id: int = Field(foreign_key="member.id", unique=True)
    role: str = Field(max_length=8)
    status: str = Field(default=ProfileStatus.WAITING, max_length=8)
    topics_offered: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    topics_wanted: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Topics members typed that are not in the taxonomy (moderators see them to grow it).
    topics_other: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    goals: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # mentees
    can_help_with: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # mentors
    career_stage: str = Field(default="", max_length=32)
    years_experience: int | None = Field(default=None)
    timezone: str = Field(default="UTC", max_length=64)
    hours_per_month: int | None = Field(default=None)
    program_length: str = Field(default="", max_length=16)  # "3-6", "6-9", "9-12"
    cadence: str = Field(default="", max_length=16)  # "weekly", "biweekly", "monthly"
    communication: str = Field(default="", max_length=16)  # "chat", "video", "in_person"
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    capacity: int = Field(default=1)  # mentors: mentees at once (1-3)
    accepts_async: bool = Field(default=False)  # fine with a partner far outside their timezone
    # Member ids this member should never be matched with.
    do_not_match: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    team: str = Field(default="", max_length=120)
    consent: bool = Field(default=False)
    # Where the sign-up came from: "poll:3", "campaign:spring", "greeting", "direct".
    source: str = Field(default="direct", max_length=80)
    signed_up_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    waiting_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    times_unmatched: int = Field(default=0)  # rounds this member was left out of: priority next time
    # After a pairing ends: "asked" (another round? no answer yet), "yes", "no"; "" = never asked.
    # "asked" and "no" keep the member out of the next round's pool.
    next_round: str = Field(default="", max_length=8)
