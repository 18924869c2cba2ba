"""The invite URL with the least permissions the bot needs (`mentorbot discord-invite`)."""

from __future__ import annotations

from collections.abc import Mapping

import discord

from adapters.discord.settings import DiscordSettings, configure_api_base
from bot.core.settings import ConfigError

# Each permission and why it is needed; nothing else is asked for.
LEAST_PERMISSIONS = discord.Permissions(
    view_channel=True,  # see the channels it posts polls in
    send_messages=True,  # post polls and results
    embed_links=True,  # tallies and long text are embeds
    attach_files=True,  # charts and CSV exports
    read_message_history=True,  # edit/pin its own earlier poll message
    pin_messages=True,  # pin open polls (the dedicated pin permission, not Manage Messages)
    create_private_threads=True,  # group introductions as private threads
    send_messages_in_threads=True,  # post the introduction in that thread
    manage_events=True,  # community events also appear in the server's Events (Guild Scheduled Events)
    # The community spaces: a member permission overwrite on the space's private channel lets an
    # opted-in member see it (PUT/DELETE /channels/{id}/permissions/{user} need Manage Roles).
    # A server that wants less can leave it out and grant Manage Permissions on those channels only.
    manage_roles=True,
)

SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int | str) -> str:
    return discord.utils.oauth_url(int(application_id), permissions=LEAST_PERMISSIONS, scopes=SCOPES)


async def application_id_from_env(env: Mapping[str, str]) -> int:
    """DISCORD_APPLICATION_ID if set, else ask Discord with the bot token (GET /oauth2/applications/@me)."""
    explicit = (env.get("DISCORD_APPLICATION_ID") or "").strip()
    if explicit:
        if not explicit.isdigit():
            raise ConfigError(f"DISCORD_APPLICATION_ID must be digits, got {explicit!r}")
        return int(explicit)
    settings = DiscordSettings.from_env(env)
    configure_api_base(settings.api_base)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(settings.token)
        assert client.application_id is not None
        return int(client.application_id)
    except discord.LoginFailure as exc:
        raise ConfigError("Discord refused DISCORD_TOKEN; copy the bot token again from the Developer Portal") from exc
    finally:
        await client.close()


async def invite_url_from_env(env: Mapping[str, str]) -> str:
    """What `mentorbot discord-invite` prints."""
    return invite_url(await application_id_from_env(env))
