"""Discord → the durable inbox: the neutral event and where its replies go, saved first.

Interactions (slash commands, buttons, selects, modals) are saved before `defer()`,
DMs on receipt. discord.py has already built the actor and the community, so the
row holds the neutral event itself plus what answering needs later: the interaction
token (valid 15 minutes) and whether the reply edits the deferred "thinking…"
message, or the DM channel. After a crash `resume` applies what the core had not
applied and sends the kept replies of what it had, through the interaction webhook
or the DM channel.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any

import discord

from adapters.discord.render import render
from bot.core.events import (
    Actor,
    CommunityRef,
    ComponentAction,
    DirectText,
    Event,
    FormSubmission,
    MemberJoined,
    SlashCommand,
)
from bot.core.messages import Message
from bot.delivery.inbox import OpenEvent

log = logging.getLogger(__name__)

KINDS: dict[str, type[Any]] = {
    "command": SlashCommand,
    "action": ComponentAction,
    "form": FormSubmission,
    "dm": DirectText,
    "joined": MemberJoined,
}
KIND_OF = {cls: kind for kind, cls in KINDS.items()}
SAVE_FAILED = "Sorry, I couldn't take that in just now and nothing was changed. Please try again in a moment."


def kind_of(event: Event) -> str:
    return KIND_OF[type(event)]


def payload_of(event: Event, **reply: Any) -> dict[str, Any]:
    """The event as plain data, with where its replies go (`token`, `edit_original`, `channel`…)."""
    return {"event": asdict(event), "reply": reply}


def event_from(kind: str, data: dict[str, Any]) -> Event:
    fields = dict(data)
    fields["community"] = CommunityRef(**fields["community"])
    fields["actor"] = Actor(**fields["actor"])
    if "values" in fields:
        fields["values"] = tuple(fields["values"])
    return KINDS[kind](**fields)  # type: ignore[no-any-return]


async def resume_one(client: Any, row: OpenEvent) -> None:
    """Finish one saved Discord event a crash left open."""
    data = json.loads(row.payload or "{}")
    reply = data.get("reply") or {}
    replies: list[Message] = row.replies
    if not row.handled:
        replies = await client.run_core(event_from(row.kind, data["event"]))
    if row.kind == "dm":
        channel = client.get_partial_messageable(int(reply["channel"]), type=discord.ChannelType.private)
        for message in replies:
            await channel.send(**render(message, client.command_refs).send_kwargs())
        return
    if not reply.get("token"):
        return
    # The interaction's own follow-up webhook (what `Interaction.followup` is): an application
    # webhook, so ephemeral follow-ups are allowed.
    webhook = discord.Webhook.from_state(
        data={"id": int(reply["app"]), "type": 3, "token": reply["token"]}, state=client._connection
    )
    try:
        if reply.get("edit_original"):
            first = render(replies[0], client.command_refs) if replies else None
            kwargs = first.edit_kwargs() if first else {"content": "Done.", "embeds": [], "view": None}
            await webhook.edit_message("@original", **kwargs)
            replies = replies[1:]
        for message in replies:
            await webhook.send(
                ephemeral=bool(reply.get("ephemeral", True)), **render(message, client.command_refs).send_kwargs()
            )
    except discord.HTTPException as exc:  # the token lives 15 minutes; after that the reply cannot be shown
        log.warning("could not answer saved interaction %s after a restart: %s", row.event_key, exc)
