"""What travels on Slack's wire: ids and tokens of the fake workspace, Block Kit limits,
request signing and the bodies Slack sends to an app."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

TEAM_ID = "T0MENTOR"
TEAM_NAME = "Mentor Community"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0MENTOR"
BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
SIGNING_SECRET = "fake-signing-secret"

# Block Kit limits Slack enforces (https://api.slack.com/reference/block-kit).
MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # a Home tab or a modal
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_ACTION_ELEMENTS = 25
MAX_OPTIONS = 100
MAX_MESSAGE_TEXT = 40_000  # chat.postMessage `text` is truncated/refused beyond this


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, **extra: str
) -> dict[str, str]:
    """Headers Slack sends with an HTTP request: timestamp + v0 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
    headers.update(extra)
    return headers


@dataclass
class Call:
    """One recorded Web API call."""

    method: str
    args: dict[str, Any]
    token: str | None
    ok: bool = True
    error: str | None = None


def form_body(fields: dict[str, Any]) -> str:
    """A slash command body as Slack sends it (application/x-www-form-urlencoded)."""
    return urlencode(fields)


def payload_body(payload: dict[str, Any]) -> str:
    """An interactivity body as Slack sends it: payload=<url-encoded JSON>."""
    return urlencode({"payload": json.dumps(payload)})


def fixture_slash_payload(text: str, response_url: str) -> dict[str, Any]:
    """A slash command as Socket Mode delivers it (the form fields as a JSON object)."""
    from pathlib import Path

    fields = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "slack" / "slash_command.json").read_text())
    fields.update(text=text, response_url=response_url)
    return fields
