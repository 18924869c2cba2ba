"""Slack OAuth installations (multi-workspace mode) and OAuth state values.

One row per workspace (or Enterprise Grid org) that installed mentorbot through
Slack's OAuth flow. The bot token is stored only as ciphertext: the Slack adapter
encrypts it with a key from the environment before it reaches this table, so a
copy of the database alone does not give access to any workspace.

`enterprise_id` and `team_id` are "" rather than NULL when absent, so the unique
constraint works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class SlackInstallation(SQLModel, table=True):
    __tablename__ = "slack_installation"
    __table_args__ = (
        UniqueConstraint("client_id", "enterprise_id", "team_id", name="uq_slack_installation_workspace"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64)
    enterprise_id: str = Field(default="", max_length=32)
    team_id: str = Field(default="", max_length=32, index=True)
    team_name: str = Field(default="", max_length=200)
    is_enterprise_install: bool = False
    app_id: str = Field(default="", max_length=32)
    bot_id: str = Field(default="", max_length=32)
    bot_user_id: str = Field(default="", max_length=32)
    bot_scopes: str = Field(default="", max_length=2000)
    bot_token_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    installer_user_id: str = Field(default="", max_length=32)
    installed_at: datetime = Field(sa_type=UTCDateTime)


class SlackOAuthState(SQLModel, table=True):
    """A one-time `state` value of an OAuth install in progress (CSRF protection)."""

    __tablename__ = "slack_oauth_state"

    state: str = Field(max_length=64, primary_key=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
