"""Matching rounds, the pairs they propose, and the pairings that result."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class RoundStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for a moderator
    APPROVED = "approved"  # pairings created, introductions queued
    DISCARDED = "discarded"  # recomputed or thrown away
    CHOOSING = "choosing"  # a choice round: shortlists sent, mentees picking, mentors answering
    STORING = "storing"  # being written by the heavy-work worker: shown nowhere until published


class MatchRound(SQLModel, table=True):
    __tablename__ = "match_round"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    status: str = Field(default=RoundStatus.PROPOSED, max_length=16)
    dry_run: bool = Field(default=False)
    allow_rematch: bool = Field(default=False)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    # Round-level figures for the proposal and the dashboard: average score, demand gaps,
    # unmatched mentees with reasons ({"member_id", "cause", "reason"}).
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # While proposed: when the moderators are next reminded that it waits (None: never again).
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    reminders_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # "assign": moderators approve pairs; "choice": mentees pick from shortlists (storage/tables/choices.py).
    mode: str = Field(default="assign", max_length=8, sa_column_kwargs={"server_default": "assign"})
    # A choice round's deadline: then the remaining mentees fall back to the optimum (the choice sweep).
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Once approved, pairs are introduced a batch per unit of work (bot/features/rounds/approval.py):
    # the next pair's position (None: all done) and how many introductions were queued so far.
    introduce_from: int | None = Field(default=None, index=True)
    introduced: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # A batch that failed: how many times in a row, and when the round is tried again (other
    # rounds go first meanwhile; the moderators hear of it after a few failures).
    introduce_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    introduce_retry_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProposedPair(SQLModel, table=True):
    __tablename__ = "proposed_pair"
    __table_args__ = (UniqueConstraint("round_id", "position", name="uq_proposed_pair_position"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="match_round.id", index=True)
    position: int  # 1-based number the moderator uses ("drop 3")
    mentee_member_id: int = Field(foreign_key="member.id")
    mentor_member_id: int = Field(foreign_key="member.id")
    score: float
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    dropped: bool = Field(default=False)


class PairingStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    ENDED = "ended"  # ended early (leave, moderator end)


class Pairing(SQLModel, table=True):
    """A mentoring relationship. Due-time columns drive its lifecycle sweeps."""

    __tablename__ = "pairing"
    __table_args__ = (
        # Approving a round twice, or resuming after a crash, can never pair the same two twice.
        UniqueConstraint("round_id", "mentee_member_id", "mentor_member_id", name="uq_pairing_once_per_round"),
        Index("ix_pairing_kickoff_due", "status", "kickoff_due_at"),
        Index("ix_pairing_ends_on", "status", "ends_on"),
        # Dashboard: relationship counts, lengths and starts/ends per week without touching JSON columns.
        # Status first: counts per status and the at-risk count read it in order, GROUP BY needs no sort.
        Index(
            "ix_pairing_stats",
            "community_id",
            "status",
            "started_at",
            "ended_at",
            "kickoff_at",
            "at_risk_reported_at",
            "mentor_member_id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    round_id: int = Field(foreign_key="match_round.id")
    mentee_member_id: int = Field(foreign_key="member.id", index=True)
    mentor_member_id: int = Field(foreign_key="member.id", index=True)
    status: str = Field(default=PairingStatus.ACTIVE, max_length=16)
    score: float = 0.0
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The partnership policy proposed in the introduction (agreed or changed by the pair).
    cadence: str = Field(default="biweekly", max_length=16)
    communication: str = Field(default="video", max_length=16)
    program_length: str = Field(default="3-6", max_length=16)
    ends_on: datetime = Field(sa_type=UTCDateTime)
    policy_confirmed_by: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(sa_type=UTCDateTime)
    kickoff_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    kickoff_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    kickoff_reminders_sent: int = Field(default=0)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str = Field(default="", max_length=200)
    # Lifecycle due times: the mid-point milestone and the agreed end (ends_on) are swept.
    midpoint_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    at_risk_reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A change to the policy one member proposed and the partner has not answered yet:
    # {"by": member id, "cadence": …, "communication": …, "ends_on": ISO date}; {} when none.
    policy_change: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What each member chose on the latest reassess prompt ({"<member id>": "continue"|"wrapup"}).
    reassess_choices: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Set when this pairing is one member's seat in a mentoring circle (storage/tables/circles.py).
    circle_id: int | None = Field(default=None, foreign_key="circle.id", index=True)


class RoundSchedule(SQLModel, table=True):
    """A rolling program: compute a round every N days (still reviewed unless auto-approve)."""

    __tablename__ = "round_schedule"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", unique=True)
    every_days: int
    next_run_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")


class PairBlock(SQLModel, table=True):
    """Two members a moderator decided must never be proposed to each other (either role)."""

    __tablename__ = "pair_block"
    __table_args__ = (UniqueConstraint("community_id", "first_member_id", "second_member_id", name="uq_pair_block"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    first_member_id: int = Field(foreign_key="member.id")  # the smaller id of the two
    second_member_id: int = Field(foreign_key="member.id")
    reason: str = Field(default="", max_length=300)  # moderators only
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
