"""The gate in front of every Discord REST request: the global limit and shared buckets.

discord.py follows each route's bucket from the `X-RateLimit-*` headers and waits
out a global 429 before *starting* a request, but a request already inside its
retry loop (after a per-route 429) sends again without looking at the global
window. Discord counts such requests as invalid and bans IPs that send too many.
discord.py also keeps each bucket's count in its own process only: workers of one
bot share Discord's buckets (Create DM has one for the whole bot) but not that count.

`GlobalGate` sits below discord.py, in aiohttp's request tracing, so it sees every
attempt including those retries:
- before each REST request to a route whose bucket it has learned, it takes that
  bucket's turn — evenly `window / limit` apart, with a margin — so the workers
  together never send more than a window allows; a response saying `Remaining: 0`
  holds the bucket until `Reset-After` (the window as Discord counts it, wherever it
  started: a request that arrived late opens it late), and within a process the next
  request of a bucket leaves only once the previous one is answered, so that hold is
  in place before it (the bench found 5 of 10,000 Create DMs early without it, on a
  machine at load 10–20). A route without a major
  parameter is one bucket for the whole bot: until its first answer says what the
  bucket is (or that there is none), a turn a second;
- then it takes a slot of the bot's global limit (50/s, with a margin) and so waits
  out any global `retry_after` that is in force;
- after each response it learns the route's bucket (`X-RateLimit-Limit`, and the
  longest `X-RateLimit-Reset-After` seen as its window); after a 429 marked global
  (`X-RateLimit-Global` / scope "global") it holds the global bucket for
  `retry_after`, for every route, and after a route's 429 that route's bucket;
- every 429 is counted in `mentorbot_platform_rate_limited_total` by route, with
  ids replaced (`POST /channels/{id}/messages`), retried ones in the retries too.

A channel's bucket is paced from its second request on (the first teaches it), so a
bucket used once — a new DM channel's first message — costs no pacing turn.
With `DbPacingSlots` the global limit's and the bot-wide buckets' turns are shared by
every worker of the bot; a channel's or guild's bucket is paced per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from types import SimpleNamespace
from typing import Any

import aiohttp

from adapters.pacing import (
    DISCORD_GLOBAL_INTERVAL,
    DISCORD_ROUTE_CATCH_UP,
    DISCORD_ROUTE_MARGIN,
    DISCORD_UNLEARNED_INTERVAL,
    MemorySlots,
    Pacer,
)
from bot.core import metrics

GLOBAL_BUCKET = "discord:global"
_API_PREFIX = re.compile(r"^.*?/api(?:/v\d+)?")
_ID_OR_TOKEN = re.compile(r"/(?:\d{5,}|[A-Za-z0-9_\-.]{60,})(?=/|$)")  # snowflakes, interaction tokens
_MAJOR = re.compile(r"^/(?:channels|guilds)/\d+")  # Discord's major parameters (webhooks are exempt)
LEARNED_LIMIT = 20_000  # buckets remembered per process
IN_FLIGHT_WAIT = 2.0  # seconds a bucket's next request waits at most for the previous answer


def route_label(method: str, url: Any) -> str:
    """A bounded metric label for a REST call: the route with its ids and tokens taken out."""
    path = str(url.path if hasattr(url, "path") else url)
    route = _ID_OR_TOKEN.sub("/{id}", _API_PREFIX.sub("", path, count=1))
    return f"{method.upper()} {route}"[:60]


def bucket_key(method: str, url: Any) -> str:
    """The route with its major parameter kept (Discord's bucket unit) and other ids taken out."""
    path = _API_PREFIX.sub("", str(url.path if hasattr(url, "path") else url), count=1)
    major = _MAJOR.match(path)
    head = major.group(0) if major else ""
    return f"{method.upper()} {head}{_ID_OR_TOKEN.sub('/{id}', path[len(head) :])}"


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
    """Paces every REST request to Discord's global limit and to the buckets it has learned."""

    def __init__(self, pacer: Pacer | None = None, *, bucket: str = GLOBAL_BUCKET) -> None:
        self.pacer = pacer or Pacer()
        # A channel's or guild's bucket is paced in this process only: thousands of DM channels
        # would each leave a row in the shared table, and two workers rarely write to one channel.
        self.local = Pacer(MemorySlots(), clock=self.pacer.clock, sleep=self.pacer.sleep, scale=self.pacer.scale)
        self.bucket = bucket
        self.global_429s = 0
        self.route_429s = 0
        self.buckets: dict[str, tuple[int, float]] = {}  # bucket key -> (limit, window seconds)
        self.unlimited: set[str] = set()  # routes answered without rate-limit headers
        self._order: dict[str, asyncio.Lock] = {}  # per learned bucket: turns one after another
        self._in_flight: dict[str, asyncio.Event] = {}  # per learned bucket: set once answered

    def trace_config(self) -> aiohttp.TraceConfig:
        """Give this to `discord.Client(http_trace=…)`."""
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(self._before)
        trace.on_request_end.append(self._after)
        trace.on_request_exception.append(self._failed)
        return trace

    @staticmethod
    def _is_rest(url: Any) -> bool:
        path = str(url.path if hasattr(url, "path") else url)
        # Interaction responses and their follow-ups are not bound to the global limit.
        return "/api/" in path and "/interactions/" not in path and "/webhooks/" not in path

    def interval(self, key: str) -> float | None:
        """Seconds between two requests of a learned bucket (None: not learned yet)."""
        learned = self.buckets.get(key)
        if learned is None:
            return None
        limit, window = learned
        return window / max(limit, 1) * DISCORD_ROUTE_MARGIN

    async def _before(self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        if not self._is_rest(params.url):
            return
        key = bucket_key(params.method, params.url)
        if interval := self.interval(key):
            async with self._order.setdefault(key, asyncio.Lock()):
                # One request of a bucket in flight per process: the next leaves only once the
                # previous answer is in, so a `Remaining: 0` holds the window before it (on a busy
                # machine an answer can come later than the next turn). Bounded: a lost answer
                # (a cancelled request) delays the bucket by IN_FLIGHT_WAIT, no more.
                previous = self._in_flight.get(key)
                if previous is not None and not previous.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(previous.wait(), IN_FLIGHT_WAIT)
                # A late turn may be dated back by a quarter interval, so one slow wake-up does not
                # push every later turn back; the window hold below still caps each window at Limit.
                pacer = self._pacer_for(key)
                await pacer.turn(f"discord:{key}", interval, interval * DISCORD_ROUTE_CATCH_UP)
                self._in_flight[key] = context.gate_answered = asyncio.Event()
        elif key not in self.unlimited and not _MAJOR.match(key.partition(" ")[2]):
            # One bucket for the whole bot, maybe in use by another worker: not blind.
            await self.pacer.turn(f"discord:{key}", DISCORD_UNLEARNED_INTERVAL)
        await self.pacer.turn(self.bucket, DISCORD_GLOBAL_INTERVAL)

    def _pacer_for(self, key: str) -> Pacer:
        return self.local if _MAJOR.match(key.partition(" ")[2]) else self.pacer

    def _learn(self, key: str, headers: Any) -> None:
        try:
            limit = int(headers["X-RateLimit-Limit"])
            reset_after = float(headers["X-RateLimit-Reset-After"])
        except (KeyError, TypeError, ValueError):
            if len(self.unlimited) >= LEARNED_LIMIT:
                self.unlimited.clear()
            self.unlimited.add(key)  # Discord announced no bucket for this route: nothing to pace
            return
        self.unlimited.discard(key)
        known = self.buckets.get(key)
        if known is None and len(self.buckets) >= LEARNED_LIMIT:
            self.buckets.clear()  # relearned from the next responses
            self._order = {k: v for k, v in self._order.items() if v.locked()}
            self._in_flight = {k: v for k, v in self._in_flight.items() if not v.is_set()}
        self.buckets[key] = (limit, max(reset_after, known[1] if known else 0.0))

    async def _failed(self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        answered = getattr(context, "gate_answered", None)
        if answered is not None:
            answered.set()

    async def _after(self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        try:
            await self._learn_from(context, params)
        finally:
            await self._failed(session, context, params)

    async def _learn_from(self, context: SimpleNamespace, params: Any) -> None:
        if not self._is_rest(params.url):
            return
        response = params.response
        key = bucket_key(params.method, params.url)
        if response.status != 429:
            self._learn(key, response.headers)
            if response.headers.get("X-RateLimit-Remaining") == "0" and key in self.buckets:
                # The window Discord counts in is full: no worker sends on it before it refills
                # (this follows the server's window wherever it started, late arrivals included).
                await self._pacer_for(key).hold(f"discord:{key}", retry_after_of(response.headers))
            return
        # discord.py waits and sends again (or the messenger reschedules)
        metrics.count_rate_limited("discord", route_label(params.method, params.url), retried=True)
        if is_global_429(response.status, response.headers):
            self.global_429s += 1
            await self.pacer.hold(self.bucket, retry_after_of(response.headers))
        elif key in self.buckets:
            self.route_429s += 1
            await self._pacer_for(key).hold(f"discord:{key}", retry_after_of(response.headers))
