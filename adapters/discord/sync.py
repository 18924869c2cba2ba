"""Sync app commands only when their definition changed.

Discord allows 200 command creates a day per guild, and every start-up of a bot
that syncs blindly spends some. The definition that would be sent is hashed and
compared with the hash stored after the last successful sync (a small file under
the data directory, one per application and scope); only a difference syncs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from adapters.discord.settings import DiscordSettings

log = logging.getLogger(__name__)


def command_payload(tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
    """Exactly what `tree.sync(guild=…)` would PUT (untranslated)."""
    return [command.to_dict(tree) for command in tree._get_all_commands(guild=guild)]


def definition_hash(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _hash_file(settings: DiscordSettings, application_id: int, scope: str) -> Path:
    return Path(settings.data_dir) / f"discord-commands-{application_id}-{scope}.sha256"


async def sync_commands_if_changed(
    tree: app_commands.CommandTree, settings: DiscordSettings, application_id: int | None
) -> str:
    """Returns "synced", "unchanged" or "failed: …" (a failed sync never stops the bot)."""
    if application_id is None:
        return "failed: no application id"
    guild = discord.Object(settings.guild_id) if settings.guild_id is not None else None
    if guild is not None:
        # Development: the same commands, but guild-scoped so they appear at once.
        tree.clear_commands(guild=guild)
        tree.copy_global_to(guild=guild)
    scope = f"guild-{settings.guild_id}" if guild is not None else "global"
    digest = definition_hash(command_payload(tree, guild))
    path = _hash_file(settings, application_id, scope)
    try:
        if path.read_text().strip() == digest:
            log.info("app commands unchanged (%s); not syncing", scope)
            return "unchanged"
    except OSError:
        pass
    try:
        synced = await tree.sync(guild=guild)
    except discord.HTTPException as error:
        log.error("app command sync failed (%s): %s", scope, error)
        return f"failed: {error.status}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(digest + "\n")
    log.info("synced %d app command(s) (%s)", len(synced), scope)
    return "synced"
