"""Slack → the durable inbox: what is saved before the ack, and under which key.

A Bolt middleware runs after the signature check and before any listener (so before
`ack()`, and before Events API requests are auto-acknowledged). For the payloads
mentorbot acts on it saves the raw body to the inbox — one insert, committed — and
only then lets Bolt go on and acknowledge. When the save fails or takes longer than
two seconds it answers 503 instead: Slack retries events (and in Socket Mode an
envelope without an ack is redelivered); a slash command shows its error. Nothing
is acknowledged unsaved.

The keys are the ones the listeners give the core as `event_id`, so the core's
exactly-once mark lands on the saved row: `cmd:<trigger_id>`, `act:<trigger_id>`,
`view:<trigger_id>`, and Slack's own `event_id` for Events API payloads.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.response import BoltResponse

from bot.delivery.inbox import Inbox, InboxUnavailable

log = logging.getLogger(__name__)

COMMAND = "/mentor"
PREFIX = "mentor:"
TICKET = "mentorbot_inbox_ticket"  # key in Bolt's context


def team_of(body: dict[str, Any], context: Any) -> str:
    team = body.get("team")
    return context.get("team_id") or body.get("team_id") or (team.get("id") if isinstance(team, dict) else None) or ""


def classify(body: dict[str, Any], bot_user_id: str | None) -> tuple[str, str, str] | None:
    """(kind, event key, member id) for a payload mentorbot acts on, else None."""
    if body.get("command") == COMMAND:
        return "command", f"cmd:{body.get('trigger_id', '')}", str(body.get("user_id", ""))
    kind = body.get("type")
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    if kind == "block_actions":
        actions = body.get("actions") or []
        first = actions[0] if actions and isinstance(actions[0], dict) else {}
        if not str(first.get("action_id", "")).startswith(PREFIX):
            return None
        return "action", f"act:{body.get('trigger_id') or first.get('action_ts', '')}", str(user.get("id", ""))
    if kind == "view_submission":
        view = body.get("view") or {}
        if not str(view.get("callback_id", "")).startswith(PREFIX):
            return None
        return "view", f"view:{body.get('trigger_id') or view.get('id', '')}", str(user.get("id", ""))
    if kind == "event_callback":
        event = body.get("event") or {}
        if not isinstance(event, dict) or not body.get("event_id"):
            return None
        if event.get("type") == "message":
            sender = event.get("user", "")
            if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
                return None
            if not sender or sender == bot_user_id:
                return None
            return "dm", str(body["event_id"]), str(sender)
        if event.get("type") == "team_join":
            joined = event.get("user") if isinstance(event.get("user"), dict) else {}
            if joined.get("is_bot"):
                return None
            return "joined", str(body["event_id"]), str(joined.get("id", ""))
    return None


def inbox_middleware(inbox: Inbox, stopping: Callable[[], bool]) -> Callable[..., Awaitable[BoltResponse]]:
    """The Bolt middleware that saves before the ack (see the module docstring)."""

    async def save_first(
        body: dict[str, Any], context: Any, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        what = classify(body, context.get("bot_user_id"))
        if what is None:
            return await next()
        if stopping():  # SIGTERM: take nothing new; Slack retries, another worker answers
            return BoltResponse(status=503, body="stopping; retry")
        kind, key, member = what
        try:
            ticket = await inbox.receive("slack", team_of(body, context), key, member, kind, body)
        except InboxUnavailable:
            return BoltResponse(status=503, body="busy; retry")
        context[TICKET] = ticket
        return await next()

    return save_first
