"""Program administration commands that belong to no single feature."""

from __future__ import annotations

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Message


async def set_moderator_channel(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("choose the moderators' channel")
    if ctx.in_dm:
        raise InvalidInput("Run this in the (private) channel where moderators should get alerts.")
    ctx.community.moderator_channel_id = ctx.channel_id
    ctx.session.add(ctx.community)
    return [
        msg.message(
            "Moderator alerts (delivery problems, at-risk pairs, matching rounds) will be posted in this channel. "
            "Keep it private to moderators."
        )
    ]
