"""What travels on Discord's wire: permission bits, recorded calls, message limits, and
`pinged()` which says whom a message body would notify."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

JSON = "application/json"
# Permission bits (Discord's numbering) used to build members' permission strings.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 31)  # view, send, use app commands

DISCORD_EPOCH_MS = 1420070400000
CALL_KEY = web.RequestKey("call", object)


@dataclass
class RecordedCall:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 200
    response: Any = None  # the JSON the fake answered with

    def __repr__(self) -> str:  # short form keeps assertion output readable
        return f"<{self.method} {self.path} -> {self.status}>"


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


# Discord's documented message limits; a body beyond them is answered 400 / 50035.
LIMITS = {
    "content": 2000,
    "embeds": 10,
    "embed_total": 6000,
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "rows": 5,
    "buttons_per_row": 5,
    "custom_id": 100,
    "label": 80,
    "options": 25,
    "option_text": 100,
    "placeholder": 150,
}


def message_body_problem(body: dict[str, Any]) -> str | None:
    """Why Discord would refuse this message body (content, embeds, components), or None."""
    if len(body.get("content") or "") > LIMITS["content"]:
        return "content: Must be 2000 or fewer in length."
    embeds = body.get("embeds") or []
    if len(embeds) > LIMITS["embeds"]:
        return "embeds: Must be 10 or fewer in length."
    total = 0
    for embed in embeds:
        fields = embed.get("fields") or []
        if len(fields) > LIMITS["fields"]:
            return "embeds.fields: Must be 25 or fewer in length."
        for key in ("title", "description"):
            if len(embed.get(key) or "") > LIMITS[key]:
                return f"embeds.{key}: Must be {LIMITS[key]} or fewer in length."
            total += len(embed.get(key) or "")
        for f in fields:
            if not f.get("name") or not f.get("value"):
                return "embeds.fields: name and value are required."
            if len(f["name"]) > LIMITS["field_name"] or len(f["value"]) > LIMITS["field_value"]:
                return "embeds.fields: a name or value is too long."
            total += len(f["name"]) + len(f["value"])
        total += len((embed.get("footer") or {}).get("text") or "")
    if total > LIMITS["embed_total"]:
        return "embeds: Embed size exceeds maximum size of 6000."
    rows = body.get("components") or []
    if len(rows) > LIMITS["rows"]:
        return "components: Must be 5 or fewer in length."
    seen: set[str] = set()
    for row in rows:
        items = row.get("components") or []
        selects = [c for c in items if c.get("type") == 3]
        if not items or len(items) > LIMITS["buttons_per_row"] or (selects and len(items) > 1):
            return "components: an action row holds 1-5 buttons or one select."
        for item in items:
            custom_id = item.get("custom_id") or ""
            if not custom_id or len(custom_id) > LIMITS["custom_id"] or custom_id in seen:
                return "components.custom_id: missing, too long or duplicated."
            seen.add(custom_id)
            if len(item.get("label") or "") > LIMITS["label"]:
                return "components.label: Must be 80 or fewer in length."
            if item.get("type") == 3:
                options = item.get("options") or []
                if not options or len(options) > LIMITS["options"]:
                    return "components.options: Must be between 1 and 25 in length."
                if any(
                    len(o["label"]) > LIMITS["option_text"] or len(o["value"]) > LIMITS["option_text"] for o in options
                ):
                    return "components.options: a label or value is too long."
                if len(item.get("placeholder") or "") > LIMITS["placeholder"]:
                    return "components.placeholder: Must be 150 or fewer in length."
    return None


def pinged(body: dict[str, Any]) -> dict[str, set[str]]:
    """Who a message body would notify on Discord, applying its `allowed_mentions` like Discord does.

    Returns {"users": ids, "roles": ids, "everyone": {"everyone"} or empty}.
    """
    # Embeds never ping on Discord, so only `content` counts.
    users = set(re.findall(r"<@!?(\d+)>", body.get("content") or ""))
    roles = set(re.findall(r"<@&(\d+)>", body.get("content") or ""))
    everyone = bool(re.search(r"@(everyone|here)", body.get("content") or ""))
    allowed = body.get("allowed_mentions")
    if allowed is None:  # Discord's default: everything in content pings
        return {"users": users, "roles": roles, "everyone": {"everyone"} if everyone else set()}
    parse = set(allowed.get("parse", []))
    ok_users = users if "users" in parse else users & {str(u) for u in allowed.get("users", [])}
    ok_roles = roles if "roles" in parse else roles & {str(r) for r in allowed.get("roles", [])}
    return {
        "users": ok_users,
        "roles": ok_roles,
        "everyone": {"everyone"} if everyone and "everyone" in parse else set(),
    }
