"""The door in front of Bolt's HTTP endpoint: reject what is not from Slack, cheaply and quietly.

Bolt parses the body before it checks the signature, and slack_sdk's verifier calls
`int()` on the timestamp header unchecked; either way a stranger's request could
become a 500 and a logged traceback (a log-flooding lever). This aiohttp middleware
runs first on POST /slack/events:

- timestamp or signature missing, not numeric, too old, or not matching → 401;
- signed by Slack but not a body Bolt can read (bad JSON, a `payload=` that is not
  a JSON object, a JSON array) → 400;
- while the process is stopping (SIGTERM) → 503, so Slack retries and a load
  balancer sends the retry to another worker.

One warning line per rejection, never the body (it may hold a member's text).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from aiohttp import web

log = logging.getLogger(__name__)

MAX_SKEW_SECONDS = 60 * 5  # Slack's own advice for replayed requests

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def signature_ok(secret: str, body: bytes, timestamp: str | None, signature: str | None, now: float) -> bool:
    """Slack's v0 HMAC-SHA256 over `v0:<timestamp>:<body>`, with every header checked before use."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if len(timestamp) > 12 or abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    basestring = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def body_readable(body: bytes, content_type: str) -> bool:
    """True when Bolt's own parser will get a JSON object or a form out of `body`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if not text:
        return True
    if content_type == "application/json" or text.startswith("{") or text.lstrip().startswith("["):
        return _json_object(text)
    if "payload" in text:
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        return payload is None or _json_object(payload)
    return True


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def request_guard(
    signing_secret: str,
    path: str,
    *,
    stopping: Callable[[], bool] = lambda: False,
    now: Callable[[], float] = time.time,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """An aiohttp middleware for the Bolt web app (see the module docstring)."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != path:
            return await handler(request)
        if stopping():
            return web.Response(status=503, text="stopping; retry")
        body = await request.read()  # aiohttp keeps it: Bolt reads the same bytes again
        headers = request.headers
        if not signature_ok(
            signing_secret, body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature"), now()
        ):
            log.warning("refused a request without a valid Slack signature from %s", request.remote)
            return web.Response(status=401, text="invalid signature")
        if not body_readable(body, request.content_type):
            log.warning("refused a signed request whose body is not a Slack payload (%d bytes)", len(body))
            return web.Response(status=400, text="malformed body")
        return await handler(request)

    return guard
