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
  bucket's turn with the bucket's *lease*: one request of a bucket in flight across
  all workers. The answer's hold — `Reset-After` when it says `Remaining: 0` (the
  window as Discord counts it, wherever it started: a request that arrived late opens
  it late), `retry_after` after a route's 429 — is written in the same statement that
  ends the lease, so no worker's next request of that bucket can leave into a window
  Discord has already filled. That is the guarantee; it does not rest on spacing or
  margins (the bench had 2 of 10,000 Create DMs early with 4 workers before the lease:
  a worker's turn between another's request and its answer). Turns are also spread
  evenly, `window / limit` apart, so waiting workers know when to look again. A lease
  lasts `DISCORD_LEASE` seconds at most: a worker that dies mid-request blocks the
  bucket no longer. A route without a major parameter is one bucket for the whole bot:
  until its first answer says what the bucket is (or that there is none), its requests
  go one at a time under the lease;
- then it takes a slot of the bot's global limit (50/s, with a margin) and so waits
  out any global `retry_after` that is in force;
- after each response it learns the route's bucket (`X-RateLimit-Limit`, and the
  longest `X-RateLimit-Reset-After` seen as its window); after a 429 marked global
  (`X-RateLimit-Global` / scope "global") it holds the global bucket for
  `retry_after`, for every route, and after a route's 429 that route's bucket;
- every 429 is counted in `mentorbot_platform_rate_limited_total` by route, with
  ids replaced (`POST /channels/{id}/messages`), retried ones in the retries too.

A channel's bucket is paced from its second request on (the first teaches it), so a
bucket used once — a new DM channel's first message — costs no pacing turn or lease.
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
    DISCORD_LEASE,
    DISCORD_ROUTE_CATCH_UP,
    DISCORD_ROUTE_MARGIN,
    MemorySlots,
    Pacer,
)
from bot.core import metrics

GLOBAL_BUCKET = "discord:global"
_API_PREFIX = re.compile(r"^.*?/api(?:/v\d+)?")
_ID_OR_TOKEN = re.compile(r"/(?:\d{5,}|[A-Za-z0-9_\-.]{60,})(?=/|$)")  # snowflakes, interaction tokens
_MAJOR = re.compile(r"^/(?:channels|guilds)/\d+")  # Discord's major parameters (webhooks are exempt)
LEARNED_LIMIT = 20_000  # buckets remembered per process
CREATE_DM = "POST /users/@me/channels"
# Discord answers a bot opening DMs too fast with 403 (code 40003), outside the buckets it
# announces (docs: "If you open a significant amount of DMs too quickly, your bot may be rate
# limited or blocked from opening new ones"). Create DM then pauses for every worker, so a
# round's other introductions do not each earn a 403 (an invalid request, as a 429 is).
DM_OPEN_PAUSE = 60.0


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

    def _leased(self, key: str) -> bool:
        """Requests of this bucket go one at a time, each under the bucket's lease: a learned
        bucket, and a bot-wide route until its first answer says whether it has one."""
        return key in self.buckets or (key not in self.unlimited and not _MAJOR.match(key.partition(" ")[2]))

    async def _before(self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        if not self._is_rest(params.url):
            return
        key = bucket_key(params.method, params.url)
        if self._leased(key):
            async with self._order.setdefault(key, asyncio.Lock()):
                # This process's previous request of the bucket first (woken by its answer,
                # no polling); the lease below keeps other workers' requests out as well.
                previous = self._in_flight.get(key)
                if previous is not None and not previous.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(previous.wait(), DISCORD_LEASE)
                # Spread evenly over the window (a late turn may be dated back by a quarter
                # interval, so one slow wake-up does not push every later turn back); until
                # the bucket is learned, no spacing: the lease alone keeps it one at a time.
                interval = self.interval(key) or 0.0
                pacer = self._pacer_for(key)
                owner = await pacer.turn(
                    f"discord:{key}", interval, interval * DISCORD_ROUTE_CATCH_UP, lease=DISCORD_LEASE
                )
                context.gate_lease = (pacer, f"discord:{key}", owner)
                self._in_flight[key] = context.gate_answered = asyncio.Event()
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
        # No answer: Discord may still have counted the request, so its bucket stays shut
        # for a window (rare: a broken connection) before the lease is let go.
        key = bucket_key(params.method, params.url)
        await self._release(context, key, self.buckets.get(key, (0, 0.0))[1])

    async def _release(self, context: SimpleNamespace, key: str, hold: float) -> None:
        """Let the bucket's next request go, after `hold` seconds: one write, before this
        process's next request of the bucket is woken."""
        lease = getattr(context, "gate_lease", None)
        answered = getattr(context, "gate_answered", None)
        context.gate_lease = context.gate_answered = None
        try:
            if lease is not None:
                pacer, bucket, owner = lease
                await pacer.release(bucket, owner, hold)
            elif hold > 0:  # a request sent without the bucket's lease (a route not learned yet)
                await self._pacer_for(key).hold(f"discord:{key}", hold)
        finally:
            if answered is not None:
                answered.set()

    async def _after(self, session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
        hold = 0.0
        try:
            hold = await self._learn_from(params)
        finally:
            await self._release(context, bucket_key(params.method, params.url), hold)

    async def _learn_from(self, params: Any) -> float:
        """Learn from an answer; how long its bucket must stay shut (0: not at all)."""
        if not self._is_rest(params.url):
            return 0.0
        response = params.response
        key = bucket_key(params.method, params.url)
        if response.status == 403 and key == CREATE_DM:
            return DM_OPEN_PAUSE
        if response.status != 429:
            self._learn(key, response.headers)
            if response.headers.get("X-RateLimit-Remaining") == "0" and key in self.buckets:
                # The window Discord counts in is full: no worker sends on it before it refills
                # (this follows the server's window wherever it started, late arrivals included).
                return retry_after_of(response.headers)
            return 0.0
        # discord.py waits and sends again (or the messenger reschedules)
        metrics.count_rate_limited("discord", route_label(params.method, params.url), retried=True)
        if is_global_429(response.status, response.headers):
            self.global_429s += 1
            await self.pacer.hold(self.bucket, retry_after_of(response.headers))
            return 0.0
        self.route_429s += 1
        return retry_after_of(response.headers)
