"""Discord settings, read from the environment by the adapter itself (the core never sees them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.settings import ConfigError

DEFAULT_API_BASE = "https://discord.com/api/v10"


def normalise_api_base(value: str | None) -> str:
    """`https://host/api` or `https://host/api/v10` → the versioned base discord.py's Route uses."""
    base = (value or DEFAULT_API_BASE).strip().rstrip("/")
    if not re.search(r"/v\d+$", base):
        base += "/v10"
    return base


def configure_api_base(base: str) -> str:
    """Point discord.py's REST routes (bot API and interaction webhooks) at `base`.

    `Route.BASE` is a class attribute, so this is process-wide, as is DISCORD_API_BASE.
    """
    from discord.http import Route

    previous = Route.BASE
    Route.BASE = normalise_api_base(base)
    return previous


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _snowflake(value: str | None, key: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ConfigError(f"{key} must be a Discord id (digits), got {value!r}")
    return int(value)


def _shards(value: str | None) -> str:
    value = (value or "").strip().lower()
    if value not in ("", "auto"):
        raise ConfigError(f"DISCORD_SHARDS must be 'auto' or empty, got {value!r}")
    return value


@dataclass(frozen=True)
class DiscordSettings:
    token: str
    api_base: str = DEFAULT_API_BASE
    guild_id: int | None = None  # set: commands synced to this guild only (instant, for development)
    moderator_role_id: int | None = None
    moderator_role_name: str | None = None
    members_intent: bool = False  # privileged; only for the member-joined count
    shards: str = ""  # "auto" → AutoShardedClient
    intro_channel_id: int | None = None  # private threads for group introductions
    data_dir: str = "data"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DiscordSettings:
        token = (env.get("DISCORD_TOKEN") or "").strip()
        if not token:
            raise ConfigError("DISCORD_TOKEN is not set")
        role = (env.get("DISCORD_MODERATOR_ROLE") or "").strip()
        return cls(
            token=token,
            api_base=normalise_api_base(env.get("DISCORD_API_BASE")),
            guild_id=_snowflake(env.get("DISCORD_GUILD_ID"), "DISCORD_GUILD_ID"),
            moderator_role_id=int(role) if role.isdigit() else None,
            moderator_role_name=role if role and not role.isdigit() else None,
            members_intent=_flag(env.get("DISCORD_MEMBERS_INTENT")),
            shards=_shards(env.get("DISCORD_SHARDS")),
            intro_channel_id=_snowflake(env.get("DISCORD_INTRO_CHANNEL_ID"), "DISCORD_INTRO_CHANNEL_ID"),
            data_dir=(env.get("MENTORBOT_DATA_DIR") or "data").strip(),
        )
