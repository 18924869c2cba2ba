"""The fake Discord's server: one aiohttp app for REST and the gateway, composed of the
mixins that hold each concern."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from aiohttp import web

from .buckets import RouteBuckets
from .gateway import Gateway, GatewaySession
from .interactions import Interactions
from .limits import RateLimitRule, RateLimits
from .messages import MessageRoutes
from .rest import RestRoutes
from .state import FakeGuild, FakeUser, WorldState
from .wire import DISCORD_EPOCH_MS, RecordedCall


class FakeDiscord(WorldState, RateLimits, RestRoutes, MessageRoutes, Interactions, Gateway):
    """One fake Discord: a bot user, an application, guilds, members and DMs."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._snowflake_base = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self.token = "fake-bot-token"
        self.bot = FakeUser(self.snowflake(), "mentorbot", "mentorbot", bot=True)
        self.application_id = self.snowflake()
        self.application_flags = 0  # e.g. 1 << 15: the Server Members intent enabled in the portal
        self.users: dict[str, FakeUser] = {self.bot.id: self.bot}
        self.guilds: dict[str, FakeGuild] = {}
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self._dm_owners: dict[str, str] = {}  # DM channel id -> user id (see _dm_user_of)
        self._nonces: dict[tuple[str, str], str] = {}  # (channel id, nonce) -> message id
        self.messages: dict[str, dict[str, Any]] = {}  # message id -> payload
        self.pins: dict[str, list[str]] = {}  # channel id -> message ids
        self.threads: dict[str, dict[str, Any]] = {}  # thread id -> channel payload
        self.thread_members: dict[str, set[str]] = {}
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # guild id (None = global)
        # A server's own command permissions (Server Settings → Integrations):
        # (guild id, command id) → role/user id (the guild id = @everyone) → allowed.
        self.command_overrides: dict[tuple[str, str], dict[str, bool]] = {}
        self.interactions: dict[str, dict[str, Any]] = {}  # token -> interaction payload
        self.interaction_responses: dict[str, dict[str, Any]] = {}  # token -> callback body
        self.calls: list[RecordedCall] = []
        self.rejected: list[str] = []  # why message bodies were refused (limits)
        self.closed_dms: set[str] = set()
        self.attachment_data: dict[str, bytes] = {}  # attachment id -> the uploaded bytes
        self.gateway_queries: list[dict[str, str]] = []  # query string of each gateway connection
        self.identifies: list[dict[str, Any]] = []  # IDENTIFY payloads (token removed)
        self.shard_count = 1
        self.max_concurrency = 1  # session_start_limit: IDENTIFY buckets (shard_id % this)
        self.identify_times: list[tuple[float, int]] = []  # (monotonic time, shard id) of each IDENTIFY
        self._rules: list[RateLimitRule] = []
        self.buckets: RouteBuckets | None = None  # Discord's buckets and global limit, when enforced
        # Discord's global limit: after a global 429 no request may come before it runs out.
        self.global_until = float("-inf")
        self.inside_global: list[str] = []  # "<METHOD> <path>" sent inside a global retry_after
        self._failures: list[list[Any]] = []
        self._stalls = []
        self._sessions: list[GatewaySession] = []
        self._call_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for session in list(self._sessions):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
