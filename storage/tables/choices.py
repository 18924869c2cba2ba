"""Choice rounds: the shortlists mentees receive and each mentee's choice as a state machine.

A `MatchRound` with `mode="choice"` owns one `ChoiceOffer` per shortlist entry and one
`MenteeChoice` per mentee who received a list. The choice moves
waiting → picked → accepted | declined, or waiting → none; at the round's deadline
whoever is not accepted (or withdrawn) is placed by the optimum (fell_back) or not (unplaced).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class ChoiceState(StrEnum):
    WAITING = "waiting"  # the shortlist is out, no pick yet
    PICKED = "picked"  # the mentee picked; the mentor has not answered
    ACCEPTED = "accepted"  # the mentor said yes (or stayed silent where silence accepts)
    DECLINED = "declined"  # the mentor said no (or was full); falls back at the deadline
    NONE = "none"  # "none of these fit": not placed this round, priority next round
    FELL_BACK = "fell_back"  # placed by the optimum at the deadline
    UNPLACED = "unplaced"  # nobody free fitted at the deadline


class ChoiceOffer(SQLModel, table=True):
    """One entry of one mentee's shortlist."""

    __tablename__ = "choice_offer"
    __table_args__ = (UniqueConstraint("round_id", "mentee_member_id", "rank"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="match_round.id", index=True)
    mentee_member_id: int = Field(foreign_key="member.id")
    mentor_member_id: int = Field(foreign_key="member.id")
    rank: int  # 1 = the optimum's suggestion (when `optimal`)
    optimal: bool = Field(default=False)
    score: float
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class MenteeChoice(SQLModel, table=True):
    """What one mentee did with their shortlist, and what the mentor answered."""

    __tablename__ = "mentee_choice"
    __table_args__ = (UniqueConstraint("round_id", "mentee_member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    round_id: int = Field(foreign_key="match_round.id", index=True)
    mentee_member_id: int = Field(foreign_key="member.id")
    state: str = Field(default=ChoiceState.WAITING, max_length=16)
    mentor_member_id: int | None = Field(default=None, foreign_key="member.id")  # picked (then placed) mentor
    rank: int | None = Field(default=None)  # rank of the picked entry
    optimal_pick: bool = Field(default=False)  # the pick was the optimum's suggestion
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # "none fits": why
    picked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    silent: bool = Field(default=False)  # the mentor never answered before the deadline
    # Mentors who declined this mentee this round: never proposed to them again in the round.
    declined_by: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
