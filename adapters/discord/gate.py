"""The global gate in front of every Discord REST request.

discord.py follows each route's bucket from the `X-RateLimit-*` headers and waits
out a global 429 before *starting* a request, but a request already inside its
retry loop (after a per-route 429) sends again without looking at the global
window. Discord counts such requests as invalid and bans IPs that send too many.

`GlobalGate` sits below discord.py, in aiohttp's request tracing, so it sees every
attempt including those retries:
- before each REST request it takes a slot of the bot's global limit (50/s)
  and so waits out any global `retry_after` that is in force;
- after a 429 marked global (`X-RateLimit-Global` / scope "global") it holds the
  global bucket for `retry_after`, for every route;
- every 429 is counted in `mentorbot_platform_rate_limited_total` by route, with
  ids replaced (`POST /channels/{id}/messages`), retried ones in the retries too.

With `DbPacingSlots` the global bucket is shared by every worker of the bot.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import aiohttp

from adapters.pacing import DISCORD_GLOBAL_INTERVAL, Pacer
from bot.core import metrics

GLOBAL_BUCKET = "discord:global"
_API_PREFIX = re.compile(r"^.*?/api(?:/v\d+)?")
_ID_OR_TOKEN = re.compile(r"/(?:\d{5,}|[A-Za-z0-9_\-.]{60,})(?=/|$)")  # snowflakes, interaction tokens


def route_label(method: str, url: Any) -> str:
    """A bounded metric label for a REST call: the route with its ids and tokens taken out."""
    path = str(url.path if hasattr(url, "path") else url)
    route = _ID_OR_TOKEN.sub("/{id}", _API_PREFIX.sub("", path, count=1))
    return f"{method.upper()} {route}"[:60]


def is_global_429(status: int, headers: Any) -> bool:
    if status != 429:
        return False
    return headers.get("X-RateLimit-Global", "").lower() == "true" or headers.get("X-RateLimit-Scope") == "global"


def retry_after_of(headers: Any) -> float:
    for key in ("X-RateLimit-Reset-After", "Retry-After"):
        try:
            return max(0.0, float(headers[key]))
        except (KeyError, TypeError, ValueError):
            continue
    return 1.0


class GlobalGate:
    """Paces every REST request to Discord's global limit and honours global 429s."""

    def __init__(self, pacer: Pacer | None = None, *, bucket: str = GLOBAL_BUCKET) -> None:
        self.pacer = pacer or Pacer()
        self.bucket = bucket
        self.global_429s = 0

    def trace_config(self) -> aiohttp.TraceConfig:
        """Give this to `discord.Client(http_trace=…)`."""
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(self._before)
        trace.on_request_end.append(self._after)
        return trace

    @staticmethod
    def _is_rest(url: Any) -> bool:
        path = str(url.path if hasattr(url, "path") else url)
        # Interaction responses and their follow-ups are not bound to the global limit.
        return "/api/" in path and "/interactions/" not in path and "/webhooks/" not in path

    async def _before(self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        if self._is_rest(params.url):
            await self.pacer.turn(self.bucket, DISCORD_GLOBAL_INTERVAL)

    async def _after(self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        response = params.response
        if response.status == 429:  # discord.py waits and sends again (or the messenger reschedules)
            metrics.count_rate_limited("discord", route_label(params.method, params.url), retried=True)
        if is_global_429(response.status, response.headers):
            self.global_429s += 1
            await self.pacer.hold(self.bucket, retry_after_of(response.headers))
