"""Program administration that belongs to no single feature (where moderator alerts go; purging
a workspace that removed the app)."""

from __future__ import annotations

from bot.core.feature import Command, Feature, Sweep
from bot.features.admin import admin, purge


def feature() -> Feature:
    return Feature(
        name="admin",
        commands=(
            Command(
                "modchannel",
                "modchannel",
                "send moderator alerts to this channel",
                admin.set_moderator_channel,
                moderator_only=True,
            ),
        ),
        sweeps=(Sweep("workspace purge", purge.purge_due, purge.next_purge_due),),
    )
