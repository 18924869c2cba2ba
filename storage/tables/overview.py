"""Overview: who has a Slack App Home to keep fresh, and the dashboard's headline snapshot.

`HomeView` is one row per member who opened the bot's Home tab. A change to the
member's program state marks it `stale`; the home sweep republishes it (at most once
per debounce window, so a burst of changes costs one `views.publish`).
`StatsSnapshot` holds the headline figures of `/mentor stats` for a community, kept
fresh by a sweep so that opening a moderator's Home never counts 100k rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class HomeView(SQLModel, table=True):
    __tablename__ = "home_view"
    __table_args__ = (
        UniqueConstraint("community_id", "member_id", name="uq_home_view_member"),
        Index("ix_home_view_stale", "stale", "published_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stale: bool = Field(default=False)
    page: int = Field(default=1)  # the moderator's list page they last looked at


class StatsSnapshot(SQLModel, table=True):
    __tablename__ = "stats_snapshot"

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    computed_at: datetime = Field(sa_type=UTCDateTime, index=True)
    # Aggregates only: counts by status and role, relationships, check-in response, at-risk.
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
