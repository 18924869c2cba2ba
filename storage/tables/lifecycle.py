"""The relationship lifecycle: check-ins, goals, milestones, feedback, moderator notes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class CheckInPlan(SQLModel, table=True):
    """When one member of a pairing is next asked how it is going.

    Per member, not per pair: a member who ignores check-ins gets them half as
    often, while their partner keeps the agreed cadence.
    """

    __tablename__ = "checkin_plan"
    __table_args__ = (
        UniqueConstraint("pairing_id", "member_id", name="uq_checkin_plan_member"),
        Index("ix_checkin_plan_due", "active", "next_checkin_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    active: bool = Field(default=True)
    next_checkin_at: datetime = Field(sa_type=UTCDateTime)
    base_interval_days: int = 14  # from the agreed cadence
    interval_days: int = 14  # doubled after two ignored check-ins in a row
    sent_count: int = 0  # also the sequence number of the latest check-in
    awaiting_answer: bool = False  # the latest check-in is still unanswered
    ignored_in_a_row: int = 0
    not_yet_in_a_row: int = 0


class CheckInAnswer(StrEnum):
    MET = "met"
    NOT_YET = "not_yet"
    NEED_HELP = "need_help"
    PAUSE = "pause"


class CheckIn(SQLModel, table=True):
    __tablename__ = "checkin"
    __table_args__ = (
        UniqueConstraint("plan_id", "sequence", name="uq_checkin_sequence"),
        # The dashboard's response rate counts a million check-ins from this index alone,
        # already grouped by answer (no sort); --since filters on sent_at inside the index.
        Index("ix_checkin_stats", "community_id", "answer", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    plan_id: int = Field(foreign_key="checkin_plan.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    sequence: int
    sent_at: datetime = Field(sa_type=UTCDateTime)
    answer: str | None = Field(default=None, max_length=16)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class GoalStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class Goal(SQLModel, table=True):
    __tablename__ = "goal"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    number: int  # 1, 2, 3 … within the pairing
    text: str = Field(sa_column=Column(Text, nullable=False))
    by_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=GoalStatus.OPEN, max_length=8)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PairNote(SQLModel, table=True):
    """A goal progress note by a member, or a moderator's note on a pairing."""

    __tablename__ = "pair_note"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    goal_id: int | None = Field(default=None, foreign_key="goal.id")
    member_id: int | None = Field(default=None, foreign_key="member.id")
    kind: str = Field(max_length=16)  # "progress" or "moderator"
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)


class FeedbackStep(StrEnum):
    RATING = "rating"
    WORKED = "worked"
    IMPROVE = "improve"
    QUOTE = "quote"
    QUOTE_NAME = "quote_name"
    DONE = "done"


class Feedback(SQLModel, table=True):
    """A member's closing feedback on a pairing, filled in step by step in a DM."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("pairing_id", "member_id", name="uq_feedback_once"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    role: str = Field(max_length=8)  # mentor or mentee in this pairing
    step: str = Field(default=FeedbackStep.RATING, max_length=16)
    rating: int | None = None
    worked: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    improve: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    quote_ok: bool = False
    quote_name: str = Field(default="", max_length=80)
    requested_at: datetime = Field(sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AskedQuestion(SQLModel, table=True):
    """A button question a member has been asked and not yet answered.

    Every button step also takes the typed answer: a direct message goes to the
    newest open question whose words it matches (`bot.core.questions`). `name`
    says which question ("wrapup", "pair.policy"), `key` is the key its buttons
    carry (a pairing's id, a feedback's id); answering deletes the row.
    """

    __tablename__ = "asked_question"
    __table_args__ = (UniqueConstraint("member_id", "name", "key", name="uq_asked_question"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    name: str = Field(max_length=40)
    key: str = Field(max_length=60)
    asked_at: datetime = Field(sa_type=UTCDateTime)
