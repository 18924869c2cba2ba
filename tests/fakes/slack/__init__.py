"""A local fake of the Slack Web API, response URLs, file uploads and Socket Mode.

It listens on 127.0.0.1 on an ephemeral port so the real `slack_sdk` / `slack_bolt`
clients can be pointed at it through `AsyncWebClient(base_url=fake.api_url)`; the
adapter code under test is not changed in any way.

What it models, because the adapter depends on it:
- arguments as JSON, form or query string (slack_sdk uses all three);
- the bot token in `Authorization: Bearer …` (unknown or revoked → `invalid_auth` /
  `token_revoked`);
- channels (public, IM, MPIM) with members, archived flag, messages, pins, metadata;
- Block Kit limits, so an over-long message is rejected like Slack rejects it
  (`invalid_blocks`), which lets the renderer be tested against the same rules;
- fault injection: `rate_limit(method, retry_after)` answers HTTP 429 with a
  `Retry-After` header, `fail(method, error)` answers `{"ok": false, "error": …}`;
- response_url endpoints (`/response/<id>`) that record what Bolt's `respond()` sends;
- Socket Mode: `apps.connections.open` returns a local `ws://` URL; `push()` sends an
  envelope over that websocket and returns the app's acknowledgement.

`signed_headers()` signs an HTTP body exactly as Slack does (v0 HMAC-SHA256 of
"v0:{timestamp}:{body}") so tests can post to the app's `/slack/events` endpoint.

Layout: `wire` (ids, tokens, limits, signing, request bodies), `state` (the workspace),
`limits` (rate limits and injected faults), `web_api` (the methods), `socket_mode`
(the websocket gateway) and `server` (the HTTP server that composes them).
"""

from .server import FakeSlack
from .state import FakeChannel, SlackApiFault
from .wire import (
    APP_ID,
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    TEAM_ID,
    TEAM_NAME,
    Call,
    fixture_slash_payload,
    form_body,
    payload_body,
    signed_headers,
)

__all__ = [
    "APP_ID",
    "APP_TOKEN",
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "SIGNING_SECRET",
    "TEAM_ID",
    "TEAM_NAME",
    "Call",
    "FakeChannel",
    "FakeSlack",
    "SlackApiFault",
    "fixture_slash_payload",
    "form_body",
    "payload_body",
    "signed_headers",
]
