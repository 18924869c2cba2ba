"""The invite URL with the least permissions the bot needs (`mentorbot discord-invite`)."""

from __future__ import annotations

import discord

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
)

SCOPES = ("bot", "applications.commands")


def invite_url(application_id: int | str) -> str:
    return discord.utils.oauth_url(int(application_id), permissions=LEAST_PERMISSIONS, scopes=SCOPES)
