"""Meetings: the pair's session log, weekly availability, kick-off scheduling, certificates, pulses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class MeetingLog(SQLModel, table=True):
    """One session a pair held: the source of every meeting count (health, at-risk, stats, completion).

    A "We met" check-in answer logs one (keyed by the check-in, so a second click changes it
    instead of adding another); `/mentor log` adds one per call. The note is for the pair only.
    """

    __tablename__ = "meeting_log"
    __table_args__ = (
        UniqueConstraint("checkin_id", name="uq_meeting_log_checkin"),
        Index("ix_meeting_log_stats", "community_id", "met_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    logged_by_member_id: int = Field(foreign_key="member.id", index=True)
    met_on: datetime = Field(sa_type=UTCDateTime)
    minutes: int | None = Field(default=None)  # None: they met, length not given
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    checkin_id: int | None = Field(default=None, foreign_key="checkin.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Availability(SQLModel, table=True):
    """A member's usual free times in a week, in their own timezone.

    `windows` is a list of [weekday 0–6 (Monday 0), start minute, end minute]; an empty
    list means "not given" (waking hours are used). `asked_at` records the one time a
    member without availability was asked for it.
    """

    __tablename__ = "availability"

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    windows: list[list[int]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    text: str = Field(default="", max_length=200)
    asked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MeetingPlanStatus(StrEnum):
    PROPOSED = "proposed"  # slots offered, not every member has ticked a common one
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class MeetingPlan(SQLModel, table=True):
    """Finding a time for a pair's meeting, then the meeting itself (one UID for its whole life).

    `slots` are ISO UTC start times; `picks` maps a member id (as text) to the indexes of the
    slots they ticked. `remind_at` is the swept due time of the reminder one hour before.
    `sequence` is the invite's SEQUENCE: every reschedule or cancellation sends it one higher.
    """

    __tablename__ = "meeting_plan"
    __table_args__ = (Index("ix_meeting_plan_remind", "remind_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    status: str = Field(default=MeetingPlanStatus.PROPOSED, max_length=16)
    minutes: int = 30
    round: int = 1  # how many sets of slots were offered (each "none of these" offers the next three)
    slots: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    picks: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    start_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sequence: int = 0
    invites_sent: int = 0  # how many invites (request/update/cancel) went out: SEQUENCE follows it
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Certificate(SQLModel, table=True):
    """A participation certificate; the code lets a moderator verify it. Forget-me revokes it."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("code", name="uq_certificate_code"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    code: str = Field(max_length=32)
    role: str = Field(max_length=16)
    started_on: datetime = Field(sa_type=UTCDateTime)
    ended_on: datetime = Field(sa_type=UTCDateTime)
    minutes: int = 0
    mentees: int = 0
    issued_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Pulse(SQLModel, table=True):
    """The mid-program pulse: how is it going (1–5) and anything the moderators should know."""

    __tablename__ = "pulse"
    __table_args__ = (UniqueConstraint("pairing_id", "member_id", name="uq_pulse_member"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    rating: int | None = Field(default=None)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    asked_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PublicThanks(SQLModel, table=True):
    """A mentor who agreed to be thanked by name in the monthly post (no row: never named)."""

    __tablename__ = "public_thanks"

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    agreed_at: datetime = Field(sa_type=UTCDateTime)


class ThanksPost(SQLModel, table=True):
    """When a community's next monthly "thank you, mentors" post is due (the swept due time)."""

    __tablename__ = "thanks_post"

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    next_at: datetime = Field(sa_type=UTCDateTime, index=True)


def hours(minutes: int) -> float:
    """Logged minutes as hours, to one decimal (what a certificate and stats show)."""
    return round(minutes / 60, 1)
