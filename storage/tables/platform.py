"""Platform state shared by every worker: opened DM channels and rate-limit pacing.

`DmChannel` remembers the conversation a platform gave us for a member or a group
of members (Slack `conversations.open` D…/G… ids, Discord DM channel ids), so a
restart or a second worker never opens it again: opening costs a Tier 3 call on
Slack. `members` is the sorted, comma-joined platform user ids; forget-me deletes
every row that names the member.

`PacingSlot` is the next moment (seconds on the bot's clock) a platform method or
rate-limit bucket may be called again. A worker takes the bucket with one
UPDATE, so several workers together never exceed a method's tier. A Discord bucket's
turn also takes a lease (`lease_until`, `lease_owner`): the request is in flight, and
no worker takes the bucket until its answer has been applied (or the lease runs out,
should the worker die).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class DmChannel(SQLModel, table=True):
    __tablename__ = "dm_channel"

    platform: str = Field(primary_key=True, max_length=16)
    community_external_id: str = Field(primary_key=True, max_length=64)
    members: str = Field(primary_key=True, max_length=400)  # sorted "U1,U2,…" (≤ 8 on Slack)
    channel_id: str = Field(max_length=64)
    opened_at: datetime = Field(sa_type=UTCDateTime)


class PacingSlot(SQLModel, table=True):
    __tablename__ = "pacing_slot"

    bucket: str = Field(primary_key=True, max_length=200)  # e.g. "slack:T1:conversations.open"
    next_at: float = Field(default=0.0)
    lease_until: float = Field(default=0.0)  # a request of this bucket is in flight until then
    lease_owner: str = Field(default="", max_length=64)  # the turn that holds it (its answer releases it)
