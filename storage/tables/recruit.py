"""Recruiting: shortage alerts, the asks they lead to, and first-time mentors' training.

`RecruitCheck` is when a community's mentor supply was last compared with its demand
(the shortage sweep looks again a day later). `RecruitAlert` is one shortage a
moderator can act on: the figures, a ready recruiting message, and whether it was
posted (as the campaign "ask-<id>") or dismissed; at most one per topic a week.
`RecruitAsk` is one direct ask to one member about one topic and their answer; the
rolling 90-day limit, "not now" and "never ask me" are read from these rows.
`MentorTraining` is a first-time mentor's onboarding path: the next step and when it
is due, and which steps they marked done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class RecruitCheck(SQLModel, table=True):
    __tablename__ = "recruit_check"

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    checked_at: datetime = Field(sa_type=UTCDateTime, index=True)


class RecruitAlert(SQLModel, table=True):
    __tablename__ = "recruit_alert"
    __table_args__ = (Index("ix_recruit_alert_topic", "community_id", "topic", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    topic: str = Field(max_length=80)
    created_at: datetime = Field(sa_type=UTCDateTime)
    waiting: int = Field(default=0)  # mentees waiting who want the topic
    free_places: int = Field(default=0)  # places left with mentors who offer it
    mentors_offering: int = Field(default=0)
    text: str = Field(default="", max_length=1500)  # the recruiting message, as a moderator left it
    channel_id: str | None = Field(default=None, max_length=64)  # where Post sends it
    status: str = Field(default="open", max_length=12)  # open, posted, dismissed
    decided_by: int | None = Field(default=None, foreign_key="member.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    asked: int = Field(default=0)  # members asked directly from this alert


class RecruitAsk(SQLModel, table=True):
    __tablename__ = "recruit_ask"
    __table_args__ = (Index("ix_recruit_ask_member", "community_id", "member_id", "asked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    member_id: int = Field(foreign_key="member.id")
    topic: str = Field(max_length=80)  # "" for an invitation back (lapsed)
    reason: str = Field(max_length=16)  # poll, related, alumni, lapsed
    alert_id: int | None = Field(default=None, foreign_key="recruit_alert.id")  # sign-ups count for its campaign
    asked_at: datetime = Field(sa_type=UTCDateTime)
    answer: str | None = Field(default=None, max_length=12)  # yes, not_now, never
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MentorTraining(SQLModel, table=True):
    __tablename__ = "mentor_training"

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    next_step: int = Field(default=0)  # the next lesson to send; past the last: all sent
    next_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    done: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # lesson keys marked done
