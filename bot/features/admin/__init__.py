"""Program administration that belongs to no single feature (where moderator alerts go)."""

from __future__ import annotations

from bot.core.feature import Command, Feature
from bot.features.admin import admin


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
    )
