"""Community events (a kick-off mixer, a talk) and members' RSVPs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class CommunityEvent(SQLModel, table=True):
    __tablename__ = "community_event"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    channel_id: str = Field(max_length=64)
    title: str = Field(max_length=100)
    location: str = Field(default="", max_length=100)
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=EventStatus.SCHEDULED, max_length=16)
    # The calendar invite's SEQUENCE: one higher for every change sent with the same UID.
    sequence: int = Field(default=0)
    # The reminder sweep reads this (the database is the schedule); cleared once sent.
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_by_member_id: int = Field(foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The outbox row that posted the event (updated with the count, marked when cancelled).
    post_outbox_id: int | None = Field(default=None, foreign_key="outbox.id")


class EventRsvp(SQLModel, table=True):
    __tablename__ = "event_rsvp"
    __table_args__ = (UniqueConstraint("event_id", "member_id", name="uq_rsvp_once"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    event_id: int = Field(foreign_key="community_event.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    going: bool
    answered_at: datetime = Field(sa_type=UTCDateTime)
