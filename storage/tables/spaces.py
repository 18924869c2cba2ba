"""Community spaces: who chose to be in the participants' and the mentors' space, and where they are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class SpaceMember(SQLModel, table=True):
    """One member's place in one community space ("participants" or "mentors").

    `opted_in` is their own choice (intake or /mentor spaces); nobody is ever added without it.
    `channel` is where the bot last asked the platform to add them ("" = not added, or removed):
    the difference between what should be and `channel` is what the next sync sends through the
    outbox. `version` counts those changes, so every add and removal has its own dedupe key.
    """

    __tablename__ = "space_member"
    __table_args__ = (UniqueConstraint("member_id", "space", name="uq_space_member"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    space: str = Field(max_length=16)
    opted_in: bool = False
    channel: str = Field(default="", max_length=80)
    version: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)
