"""Slack request bodies built from the recorded shapes in tests/fixtures/slack/.

Each builder loads a fixture, overrides the ids a test cares about and returns the
body exactly as Slack would POST it (form-encoded), ready for `signed_headers()`.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from tests.fakes.slack import form_body, payload_body

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"


def fixture(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))


def slash_command(text: str, *, user_id: str, channel_id: str, response_url: str, trigger_id: str | None = None) -> str:
    fields = fixture("slash_command")
    fields.update(
        text=text,
        user_id=user_id,
        user_name=user_id.lower(),
        channel_id=channel_id,
        response_url=response_url,
        trigger_id=trigger_id or f"{uuid.uuid4().int % 10**10}.{uuid.uuid4().hex[:8]}",
    )
    return form_body(fields)


def block_action_payload(
    action_id: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A button click as the JSON Slack sends in `payload=`."""
    body = fixture("block_actions")
    body["user"].update(id=user_id, username=user_id.lower(), name=user_id.lower())
    body["container"].update(channel_id=channel_id, message_ts=message_ts)
    body["channel"]["id"] = channel_id
    body["message"]["ts"] = message_ts
    body["response_url"] = response_url
    body["trigger_id"] = trigger_id or f"{uuid.uuid4().int % 10**10}.{uuid.uuid4().hex[:8]}"
    body["actions"][0].update(action_id=action_id, value=action_id)
    return body


def block_action(
    action_id: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
    trigger_id: str | None = None,
) -> str:
    return payload_body(
        block_action_payload(
            action_id,
            user_id=user_id,
            channel_id=channel_id,
            message_ts=message_ts,
            response_url=response_url,
            trigger_id=trigger_id,
        )
    )


def select_action(
    action_id: str,
    values: list[str],
    *,
    multi: bool,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
) -> str:
    """A static_select / multi_static_select choice, as Slack posts it (the chosen options, no `value`)."""
    body = block_action_payload(
        action_id, user_id=user_id, channel_id=channel_id, message_ts=message_ts, response_url=response_url
    )
    options = [{"text": {"type": "plain_text", "text": v, "emoji": True}, "value": v} for v in values]
    action = {k: v for k, v in body["actions"][0].items() if k not in ("value", "text")}
    if multi:
        action.update(type="multi_static_select", selected_options=options)
    else:
        action.update(type="static_select", selected_option=options[0])
    body["actions"] = [action]
    return payload_body(body)


def view_submission(values: dict[str, str], *, user_id: str, channel_id: str, callback_id: str) -> str:
    body = fixture("view_submission")
    body["user"]["id"] = user_id
    body["view"]["callback_id"] = callback_id
    body["view"]["private_metadata"] = channel_id
    body["view"]["state"]["values"] = {
        key: {key: {"type": "plain_text_input", "value": value}} for key, value in values.items()
    }
    body["trigger_id"] = f"{uuid.uuid4().int % 10**10}.{uuid.uuid4().hex[:8]}"
    return payload_body(body)


def event(name: str, *, event_id: str | None = None, **event_fields: Any) -> dict[str, Any]:
    body = fixture(name)
    body["event"].update(event_fields)
    if event_id:
        body["event_id"] = event_id
    return body


def dm_event(text: str, *, user_id: str, channel_id: str, event_id: str) -> str:
    return json.dumps(event("event_message_im", event_id=event_id, text=text, user=user_id, channel=channel_id))


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """A posted message's buttons: label → action_id (what a test clicks)."""
    return {
        e["text"]["text"]: e["action_id"]
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    }
