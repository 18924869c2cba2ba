"""A local fake of Discord's REST API and gateway, for driving the real discord.py client.

It listens on 127.0.0.1 on an ephemeral port. Point discord.py at it with
``Route.BASE = fake.api_base`` (the adapter does that from DISCORD_API_BASE); the
gateway URL is then learned from ``GET /gateway/bot`` like on Discord.

What it does, and only as far as the adapter needs:

* REST: ``/users/@me``, ``/oauth2/applications/@me``, ``/gateway/bot``, application
  command bulk overwrite (global and guild), interaction callbacks and webhook
  follow-ups, create-DM, create/edit/get messages (with ``nonce``/``enforce_nonce``
  de-duplication), pins, private threads and thread members. Every response
  carries exactly ``Content-Type: application/json`` because discord.py only
  decodes JSON when the header is exactly that.
* Every REST call is recorded (`calls`) with its method, path, query and JSON body,
  so tests can inspect payloads such as ``allowed_mentions``.
* Failure injection: `rate_limit` answers the next N matching calls with 429 +
  ``retry_after`` + rate-limit headers; `close_dms` makes messages to a member's
  DM channel fail with 403 / code 50007 like Discord does.
* Gateway: HELLO (op 10), IDENTIFY (op 2) → READY + GUILD_CREATE, heartbeat
  (op 1) → ACK (op 11), RESUME (op 6) → RESUMED. Frames are compressed with
  ``zlib-stream`` when the client asks for it (``?compress=zlib-stream``), as discord.py does.
  Tests push INTERACTION_CREATE (slash command, button, select, modal submit) and
  MESSAGE_CREATE (a DM to the bot) with the helpers at the bottom.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from aiohttp import WSMsgType, web

JSON = "application/json"
# Permission bits (Discord's numbering) used to build members' permission strings.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 31)  # view, send, use app commands

_discord_epoch_ms = 1420070400000
_CALL = web.RequestKey("call", object)


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


@dataclass
class _RateLimitRule:
    method: str
    pattern: re.Pattern[str]
    remaining: int
    retry_after: float
    is_global: bool
    via: bool
    every: int = 0  # >0: every n-th matching call is limited (until `remaining` runs out)
    seen: int = 0


@dataclass
class FakeUser:
    id: str
    username: str
    global_name: str | None = None
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class FakeGuild:
    id: str
    name: str
    owner_id: str
    channels: dict[str, str] = field(default_factory=dict)  # id -> name
    roles: dict[str, str] = field(default_factory=dict)  # id -> name (besides @everyone)
    members: dict[str, list[str]] = field(default_factory=dict)  # user id -> role ids


@dataclass
class _Session:
    ws: web.WebSocketResponse
    compressor: Any  # zlib compressobj or None
    seq: itertools.count
    shard: tuple[int, int]
    ready: asyncio.Event
    intents: int = 0


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


# Discord's documented message limits; a body beyond them is answered 400 / 50035.
LIMITS = {
    "content": 2000, "embeds": 10, "embed_total": 6000, "title": 256, "description": 4096, "fields": 25,
    "field_name": 256, "field_value": 1024, "footer": 2048, "rows": 5, "buttons_per_row": 5, "custom_id": 100,
    "label": 80, "options": 25, "option_text": 100, "placeholder": 150,
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
                if any(len(o["label"]) > LIMITS["option_text"] or len(o["value"]) > LIMITS["option_text"] for o in options):
                    return "components.options: a label or value is too long."
                if len(item.get("placeholder") or "") > LIMITS["placeholder"]:
                    return "components.placeholder: Must be 150 or fewer in length."
    return None


class FakeDiscord:
    """One fake Discord: a bot user, an application, guilds, members and DMs."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._snowflake_base = (int(time.time() * 1000) - _discord_epoch_ms) << 22
        self.token = "fake-bot-token"
        self.bot = FakeUser(self.snowflake(), "mentorbot", "mentorbot", bot=True)
        self.application_id = self.snowflake()
        self.users: dict[str, FakeUser] = {self.bot.id: self.bot}
        self.guilds: dict[str, FakeGuild] = {}
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.messages: dict[str, dict[str, Any]] = {}  # message id -> payload
        self.pins: dict[str, list[str]] = {}  # channel id -> message ids
        self.threads: dict[str, dict[str, Any]] = {}  # thread id -> channel payload
        self.thread_members: dict[str, set[str]] = {}
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # guild id (None = global)
        self.interactions: dict[str, dict[str, Any]] = {}  # token -> interaction payload
        self.interaction_responses: dict[str, dict[str, Any]] = {}  # token -> callback body
        self.calls: list[RecordedCall] = []
        self.rejected: list[str] = []  # why message bodies were refused (limits)
        self.closed_dms: set[str] = set()
        self.attachment_data: dict[str, bytes] = {}  # attachment id -> the uploaded bytes
        self.gateway_queries: list[dict[str, str]] = []  # query string of each gateway connection
        self.identifies: list[dict[str, Any]] = []  # IDENTIFY payloads (token removed)
        self.shard_count = 1
        self._rules: list[_RateLimitRule] = []
        self._failures: list[list[Any]] = []
        self._sessions: list[_Session] = []
        self._call_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle --------------------------------------------------------

    def snowflake(self) -> str:
        return str(self._snowflake_base + next(self._ids))

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> "FakeDiscord":
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

    async def drop_connections(self) -> None:
        """Close every gateway socket (what a client restart or network blip looks like)."""
        for session in list(self._sessions):
            await session.ws.close(code=4000)
        self._sessions.clear()

    # --- world building ----------------------------------------------------

    def add_guild(self, name: str = "Mentor Guild", channels: tuple[str, ...] = ("general",)) -> FakeGuild:
        owner = self.add_user("owner")
        guild = FakeGuild(self.snowflake(), name, owner.id)
        for channel in channels:
            guild.channels[self.snowflake()] = channel
        guild.members[owner.id] = []
        guild.members[self.bot.id] = []
        self.guilds[guild.id] = guild
        return guild

    def add_user(self, username: str, global_name: str | None = None) -> FakeUser:
        user = FakeUser(self.snowflake(), username, global_name or username.title())
        self.users[user.id] = user
        return user

    def add_member(self, guild: FakeGuild, username: str, roles: tuple[str, ...] = ()) -> FakeUser:
        user = self.add_user(username)
        guild.members[user.id] = list(roles)
        return user

    def add_role(self, guild: FakeGuild, name: str) -> str:
        role_id = self.snowflake()
        guild.roles[role_id] = name
        return role_id

    def close_dms(self, user_id: str) -> None:
        """The member turned off DMs from server members: sends fail with 50007."""
        self.closed_dms.add(user_id)

    def rate_limit(
        self,
        method: str,
        path_regex: str,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        via: bool = True,
        every: int = 0,
    ) -> None:
        """Answer the next `times` matching calls (or every `every`-th one) with 429.

        `via=False` mimics a Cloudflare ban page (no `Via` header), which discord.py does not retry.
        """
        self._rules.append(
            _RateLimitRule(method.upper(), re.compile(path_regex), times, retry_after, is_global, via, every)
        )

    def fail(self, method: str, path_regex: str, *, status: int, code: int = 0, times: int = 1) -> None:
        """Answer the next `times` matching calls with an error (e.g. 503, or 403 code 50013)."""
        self._failures.append([method.upper(), re.compile(path_regex), status, code, times])

    # --- call log helpers --------------------------------------------------

    def calls_to(self, method: str, path_regex: str) -> list[RecordedCall]:
        pattern = re.compile(path_regex)
        return [c for c in self.calls if c.method == method and pattern.search(c.path)]

    async def wait_for_call(
        self, method: str, path_regex: str, *, count: int = 1, timeout: float = 10.0,
        where: Callable[[RecordedCall], bool] | None = None,
    ) -> list[RecordedCall]:
        """Wait until at least `count` matching calls have been recorded (the timeout is a safety net)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [c for c in self.calls_to(method, path_regex) if where is None or where(c)]
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"expected {count} call(s) {method} {path_regex}; calls so far: {self.calls}"
                )
            self._call_event.clear()
            try:
                await asyncio.wait_for(self._call_event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]

    # --- REST ---------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        body: Any = None
        if request.can_read_body and request.content_type.startswith("multipart/"):
            # Files: discord.py sends the JSON as `payload_json` next to files[n] parts.
            form = await request.post()
            body = json.loads(str(form.get("payload_json") or "{}"))
            uploads = [v for k, v in form.items() if k.startswith("files[")]
            body["_files"] = [getattr(v, "filename", None) for v in uploads]
            # The bytes too, so tests can check what a member would open.
            body["_file_data"] = [v.file.read() if hasattr(v, "file") else bytes(str(v), "utf-8") for v in uploads]
        elif request.can_read_body:
            raw = await request.read()
            if request.content_type == JSON and raw:
                body = json.loads(raw)
            elif raw:
                body = {"_raw": raw[:200].decode("utf-8", "replace")}
        call = RecordedCall(request.method, request.path.removeprefix("/api/v10"), dict(request.query), body)
        request[_CALL] = call
        self.calls.append(call)
        try:
            response = await handler(request)
        finally:
            self._call_event.set()
        call.status = response.status
        if isinstance(response, web.Response) and response.content_type == JSON and response.body:
            call.response = json.loads(response.body)  # type: ignore[arg-type]
        return response

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly "application/json", no charset: discord.py compares the header verbatim.
        response = web.Response(status=status, body=json.dumps(data).encode(), headers=headers or {})
        response.headers["Content-Type"] = JSON
        return response

    def _error(self, status: int, code: int, message: str) -> web.Response:
        return self._json({"message": message, "code": code}, status)

    def _invalid(self, problem: str) -> web.Response:
        """A message body Discord refuses; kept in `rejected` for tests to assert on."""
        self.rejected.append(problem)
        return self._error(400, 50035, f"Invalid Form Body: {problem}")

    async def _rest(self, request: web.Request) -> web.Response:
        call: RecordedCall = request[_CALL]
        if request.headers.get("Authorization") != f"Bot {self.token}" and not call.path.startswith(
            ("/webhooks/", "/interactions/")
        ):
            return self._error(401, 0, "401: Unauthorized")
        for failure in self._failures:
            method, pattern, status, code, times = failure
            if times > 0 and method == call.method and pattern.search(call.path):
                failure[4] -= 1
                return self._error(status, code, f"{status}: injected failure")
        for rule in self._rules:
            if rule.remaining > 0 and rule.method == call.method and rule.pattern.search(call.path):
                rule.seen += 1
                if rule.every and rule.seen % rule.every:
                    continue
                rule.remaining -= 1
                return self._too_many(rule)
        for method, pattern, handler in self._routes():
            match = pattern.fullmatch(call.path)
            if match and method == call.method:
                return await handler(call, **match.groupdict())
        return self._error(404, 0, f"404: Not Found ({call.method} {call.path})")

    def _too_many(self, rule: _RateLimitRule) -> web.Response:
        headers = {
            "Retry-After": str(max(1, round(rule.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(rule.retry_after),
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "global" if rule.is_global else "user",
        }
        if rule.via:
            headers["Via"] = "1.1 google"
        if rule.is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": rule.retry_after, "global": rule.is_global}
        return self._json(body, 429, headers)

    def _routes(self) -> list[tuple[str, re.Pattern[str], Callable[..., Any]]]:
        s = r"(?P<{}>[0-9]+)"
        raw = [
            ("GET", "/users/@me", self._me),
            ("GET", "/oauth2/applications/@me", self._application),
            ("GET", "/gateway/bot", self._gateway_bot),
            ("GET", "/gateway", self._gateway_plain),
            ("PUT", f"/applications/{s.format('app')}/commands", self._put_commands),
            ("GET", f"/applications/{s.format('app')}/commands", self._get_commands),
            ("PUT", f"/applications/{s.format('app')}/guilds/{s.format('guild')}/commands", self._put_commands),
            ("GET", f"/applications/{s.format('app')}/guilds/{s.format('guild')}/commands", self._get_commands),
            ("POST", f"/interactions/{s.format('iid')}/(?P<token>[^/]+)/callback", self._callback),
            ("POST", f"/webhooks/{s.format('app')}/(?P<token>[^/]+)", self._followup),
            ("PATCH", f"/webhooks/{s.format('app')}/(?P<token>[^/]+)/messages/(?P<mid>@original|[0-9]+)",
             self._edit_webhook_message),
            ("GET", f"/webhooks/{s.format('app')}/(?P<token>[^/]+)/messages/(?P<mid>@original|[0-9]+)",
             self._get_webhook_message),
            ("POST", "/users/@me/channels", self._create_dm),
            ("POST", f"/channels/{s.format('channel')}/messages", self._create_message),
            ("GET", f"/channels/{s.format('channel')}/messages/{s.format('mid')}", self._get_message),
            ("PATCH", f"/channels/{s.format('channel')}/messages/{s.format('mid')}", self._edit_message),
            ("PUT", f"/channels/{s.format('channel')}/messages/pins/{s.format('mid')}", self._pin),
            ("DELETE", f"/channels/{s.format('channel')}/messages/pins/{s.format('mid')}", self._unpin),
            ("PUT", f"/channels/{s.format('channel')}/pins/{s.format('mid')}", self._pin),
            ("DELETE", f"/channels/{s.format('channel')}/pins/{s.format('mid')}", self._unpin),
            ("POST", f"/channels/{s.format('channel')}/threads", self._create_thread),
            ("PUT", f"/channels/{s.format('channel')}/thread-members/{s.format('user')}", self._add_thread_member),
            ("GET", f"/guilds/{s.format('guild')}/threads/active", self._active_threads),
            ("GET", f"/channels/{s.format('channel')}/users/@me/threads/archived/private", self._archived_threads),
            ("GET", f"/users/{s.format('user')}", self._get_user),
        ]
        return [(m, re.compile(p), h) for m, p, h in raw]

    async def _me(self, call: RecordedCall) -> web.Response:
        return self._json({**self.bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0})

    async def _application(self, call: RecordedCall) -> web.Response:
        return self._json(
            {
                "id": self.application_id,
                "name": "mentorbot",
                "icon": None,
                "description": "Mentorship programs",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": self.users[next(iter(self.guilds.values())).owner_id].payload()
                if self.guilds
                else self.bot.payload(),
                "summary": "",
                "verify_key": "00" * 32,
                "flags": 0,
                "team": None,
            }
        )

    async def _gateway_bot(self, call: RecordedCall) -> web.Response:
        return self._json(
            {
                "url": self.gateway_url,
                "shards": self.shard_count,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
            }
        )

    async def _gateway_plain(self, call: RecordedCall) -> web.Response:
        return self._json({"url": self.gateway_url})

    async def _put_commands(self, call: RecordedCall, app: str, guild: str | None = None) -> web.Response:
        stored = []
        for command in call.json or []:
            stored.append(
                {**command, "id": self.snowflake(), "application_id": self.application_id, "version": self.snowflake(),
                 **({"guild_id": guild} if guild else {})}
            )
        self.commands[guild] = stored
        return self._json(stored)

    async def _get_commands(self, call: RecordedCall, app: str, guild: str | None = None) -> web.Response:
        return self._json(self.commands.get(guild, []))

    def _attachment(self, name: str, data: bytes) -> dict[str, Any]:
        """An attachment object as Discord returns it; the bytes are kept in `attachment_data`."""
        attachment_id = self.snowflake()
        self.attachment_data[attachment_id] = data
        content_type = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "application/octet-stream"
        return {
            "id": attachment_id, "filename": name, "size": len(data), "content_type": content_type,
            "url": f"http://127.0.0.1/attachments/{attachment_id}/{name}",
            "proxy_url": f"http://127.0.0.1/attachments/{attachment_id}/{name}",
        }

    def _message_payload(
        self, channel_id: str, body: dict[str, Any], *, author: dict[str, Any] | None = None,
        flags: int = 0, interaction: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        guild_id = self._guild_of_channel(channel_id)
        message = {
            "id": self.snowflake(),
            "channel_id": channel_id,
            "author": author or self.bot.payload(),
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [
                self._attachment(name, data)
                for name, data in zip(body.get("_files") or [], body.get("_file_data") or [b""] * len(body.get("_files") or []))
            ],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "type": 0,
            "flags": flags | int(body.get("flags") or 0),
            "allowed_mentions": body.get("allowed_mentions"),
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if guild_id:
            message["guild_id"] = guild_id
        if interaction:
            message["interaction_metadata"] = interaction
        self.messages[message["id"]] = message
        return message

    def _guild_of_channel(self, channel_id: str) -> str | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.id
        thread = self.threads.get(channel_id)
        return thread["guild_id"] if thread else None

    def _channel_exists(self, channel_id: str) -> bool:
        return (
            channel_id in self.dm_channels.values()
            or channel_id in self.threads
            or self._guild_of_channel(channel_id) is not None
        )

    async def _create_dm(self, call: RecordedCall) -> web.Response:
        user_id = str((call.json or {}).get("recipient_id"))
        if user_id not in self.users:
            return self._error(400, 50033, "Invalid Recipient(s)")
        channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
        return self._json(
            {"id": channel_id, "type": 1, "last_message_id": None, "recipients": [self.users[user_id].payload()]}
        )

    async def _create_message(self, call: RecordedCall, channel: str) -> web.Response:
        if not self._channel_exists(channel):
            return self._error(404, 10003, "Unknown Channel")
        dm_user = next((u for u, c in self.dm_channels.items() if c == channel), None)
        if dm_user is not None and dm_user in self.closed_dms:
            return self._error(403, 50007, "Cannot send messages to this user")
        body = call.json or {}
        if channel in self.threads:
            self.threads[channel]["thread_metadata"]["archived"] = False
        problem = message_body_problem(body)
        if problem:
            return self._invalid(problem)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            for existing in self.messages.values():
                if existing["channel_id"] == channel and existing.get("nonce") == nonce:
                    return self._json(existing)  # Discord returns the earlier message
        return self._json(self._message_payload(channel, body))

    async def _get_message(self, call: RecordedCall, channel: str, mid: str) -> web.Response:
        message = self.messages.get(mid)
        if message is None or message["channel_id"] != channel:
            return self._error(404, 10008, "Unknown Message")
        return self._json(message)

    async def _edit_message(self, call: RecordedCall, channel: str, mid: str) -> web.Response:
        message = self.messages.get(mid)
        if message is None or message["channel_id"] != channel:
            return self._error(404, 10008, "Unknown Message")
        if problem := message_body_problem(call.json or {}):
            return self._invalid(problem)
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in (call.json or {}):
                message[key] = call.json[key]
        message["edited_timestamp"] = _now_iso()
        return self._json(message)

    async def _pin(self, call: RecordedCall, channel: str, mid: str) -> web.Response:
        if mid not in self.messages:
            return self._error(404, 10008, "Unknown Message")
        pins = self.pins.setdefault(channel, [])
        if mid not in pins:
            pins.append(mid)
        self.messages[mid]["pinned"] = True
        return web.Response(status=204)

    async def _unpin(self, call: RecordedCall, channel: str, mid: str) -> web.Response:
        if mid in self.pins.get(channel, []):
            self.pins[channel].remove(mid)
        if mid in self.messages:
            self.messages[mid]["pinned"] = False
        return web.Response(status=204)

    async def _create_thread(self, call: RecordedCall, channel: str) -> web.Response:
        guild_id = self._guild_of_channel(channel)
        if guild_id is None:
            return self._error(404, 10003, "Unknown Channel")
        body = call.json or {}
        thread = {
            "id": self.snowflake(),
            "guild_id": guild_id,
            "parent_id": channel,
            "owner_id": self.bot.id,
            "name": body.get("name", "thread"),
            "type": body.get("type", 12),
            "last_message_id": None,
            "member_count": 1,
            "message_count": 0,
            "rate_limit_per_user": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 10080),
                "archive_timestamp": _now_iso(),
                "locked": False,
                "invitable": body.get("invitable", True),
            },
            "flags": 0,
        }
        self.threads[thread["id"]] = thread
        self.thread_members[thread["id"]] = {self.bot.id}
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True}, guild_id=guild_id)
        return self._json(thread, 201)

    async def _add_thread_member(self, call: RecordedCall, channel: str, user: str) -> web.Response:
        if channel not in self.threads:
            return self._error(404, 10003, "Unknown Channel")
        self.thread_members[channel].add(user)
        return web.Response(status=204)

    def archive_thread(self, thread_id: str) -> None:
        """A week without messages: Discord archives the thread (it leaves the active list)."""
        self.threads[thread_id]["thread_metadata"]["archived"] = True

    async def _archived_threads(self, call: RecordedCall, channel: str) -> web.Response:
        threads = [
            t for t in self.threads.values()
            if t["parent_id"] == channel and t["thread_metadata"]["archived"] and t["type"] == 12
            and self.bot.id in self.thread_members.get(t["id"], set())
        ]
        members = [
            {"id": t["id"], "user_id": self.bot.id, "join_timestamp": _now_iso(), "flags": 0} for t in threads
        ]
        return self._json({"threads": threads, "members": members, "has_more": False})

    async def _active_threads(self, call: RecordedCall, guild: str) -> web.Response:
        threads = [
            t for t in self.threads.values() if t["guild_id"] == guild and not t["thread_metadata"]["archived"]
        ]
        members = [
            {"id": t["id"], "user_id": self.bot.id, "join_timestamp": _now_iso(), "flags": 0} for t in threads
        ]
        return self._json({"threads": threads, "members": members})

    async def _get_user(self, call: RecordedCall, user: str) -> web.Response:
        if user not in self.users:
            return self._error(404, 10013, "Unknown User")
        return self._json(self.users[user].payload())

    # interactions --------------------------------------------------------

    async def _callback(self, call: RecordedCall, iid: str, token: str) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None or interaction["id"] != iid:
            return self._error(404, 10062, "Unknown interaction")
        if token in self.interaction_responses:
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        body = call.json or {}
        if problem := message_body_problem(body.get("data") or {}):
            return self._invalid(problem)
        self.interaction_responses[token] = body
        kind = body.get("type")
        data = body.get("data") or {}
        result: dict[str, Any] = {"interaction": {"id": iid, "type": interaction["type"]}}
        if kind in (4, 5):  # message now, or "thinking…" placeholder
            message = self._message_payload(
                interaction["channel_id"], data if kind == 4 else {"flags": data.get("flags", 0)},
                flags=0 if kind == 4 else 128,
                interaction={"id": iid, "type": interaction["type"], "user": interaction["member"]["user"]},
            )
            interaction["original_message_id"] = message["id"]
            result["interaction"].update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(message["flags"] & 64),
            )
            result["resource"] = {"type": kind, "message": message}
        elif kind == 7:  # update the message that carried the component
            target = self.messages.get(interaction.get("message", {}).get("id", ""))
            if target is not None:
                for key in ("content", "embeds", "components"):
                    if key in data:
                        target[key] = data[key]
                result["resource"] = {"type": kind, "message": target}
        return self._json(result)

    async def _followup(self, call: RecordedCall, app: str, token: str) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None or token not in self.interaction_responses:
            return self._error(404, 10015, "Unknown Webhook")
        if problem := message_body_problem(call.json or {}):
            return self._invalid(problem)
        message = self._message_payload(interaction["channel_id"], call.json or {})
        return self._json(message)

    async def _edit_webhook_message(self, call: RecordedCall, app: str, token: str, mid: str) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None:
            return self._error(404, 10015, "Unknown Webhook")
        if problem := message_body_problem(call.json or {}):
            return self._invalid(problem)
        mid = interaction.get("original_message_id", "") if mid == "@original" else mid
        message = self.messages.get(mid)
        if message is None:
            return self._error(404, 10008, "Unknown Message")
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in (call.json or {}):
                message[key] = call.json[key]
        message["flags"] = message["flags"] & ~128
        return self._json(message)

    async def _get_webhook_message(self, call: RecordedCall, app: str, token: str, mid: str) -> web.Response:
        interaction = self.interactions.get(token, {})
        mid = interaction.get("original_message_id", "") if mid == "@original" else mid
        message = self.messages.get(mid)
        return self._json(message) if message else self._error(404, 10008, "Unknown Message")

    # --- gateway -----------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        compressor = zlib.compressobj() if request.query.get("compress") == "zlib-stream" else None
        session = _Session(ws, compressor, itertools.count(1), (0, 1), asyncio.Event())
        await self._send(session, {"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await self._send(session, {"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    self.identifies.append({k: v for k, v in frame["d"].items() if k != "token"})
                    session.shard = tuple(frame["d"].get("shard") or (0, 1))  # type: ignore[assignment]
                    session.intents = int(frame["d"].get("intents") or 0)
                    self._sessions.append(session)
                    await self._identify(session)
                elif op == 8:  # REQUEST_GUILD_MEMBERS (members intent): one chunk with everyone
                    await self._members_chunk(session, frame["d"])
                elif op == 6:
                    self._sessions.append(session)
                    await self._dispatch_to(session, "RESUMED", {})
                    session.ready.set()
        finally:
            if session in self._sessions:
                self._sessions.remove(session)
        return ws

    async def _send(self, session: _Session, frame: dict[str, Any]) -> None:
        data = json.dumps(frame)
        if session.compressor is not None:
            # zlib-stream: one shared deflate context, each frame ends with Z_SYNC_FLUSH.
            payload = session.compressor.compress(data.encode()) + session.compressor.flush(zlib.Z_SYNC_FLUSH)
            await session.ws.send_bytes(payload)
        else:
            await session.ws.send_str(data)

    async def _dispatch_to(self, session: _Session, event: str, data: dict[str, Any]) -> None:
        await self._send(session, {"op": 0, "t": event, "s": next(session.seq), "d": data})

    def _on_shard(self, session: _Session, guild_id: str | None) -> bool:
        shard_id, shard_count = session.shard
        if guild_id is None:
            return shard_id == 0  # DMs go to shard 0
        return (int(guild_id) >> 22) % shard_count == shard_id

    async def _identify(self, session: _Session) -> None:
        guilds = [g for g in self.guilds.values() if self._on_shard(session, g.id)]
        await self._dispatch_to(
            session,
            "READY",
            {
                "v": 10,
                "user": self.bot.payload(),
                "guilds": [{"id": g.id, "unavailable": True} for g in guilds],
                "session_id": f"session-{self.snowflake()}",
                "resume_gateway_url": self.gateway_url,
                "shard": list(session.shard),
                "application": {"id": self.application_id, "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for guild in guilds:
            await self._dispatch_to(session, "GUILD_CREATE", self.guild_payload(guild))
        session.ready.set()

    async def _members_chunk(self, session: _Session, request: dict[str, Any]) -> None:
        guild = self.guilds.get(str(request.get("guild_id")))
        if guild is None:
            return
        chunk = {
            "guild_id": guild.id,
            "members": [self._member_payload(guild, uid) for uid in guild.members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if request.get("nonce"):
            chunk["nonce"] = request["nonce"]
        await self._dispatch_to(session, "GUILD_MEMBERS_CHUNK", chunk)

    def _member_payload(self, guild: FakeGuild, user_id: str) -> dict[str, Any]:
        return {
            "user": self.users[user_id].payload(),
            "nick": None,
            "roles": guild.members.get(user_id, []),
            "joined_at": _now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }

    def guild_payload(self, guild: FakeGuild) -> dict[str, Any]:
        everyone = {
            "id": guild.id, "name": "@everyone", "permissions": str(MEMBER_PERMISSIONS), "position": 0,
            "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0,
        }
        roles = [everyone] + [
            {**everyone, "id": rid, "name": name, "position": i + 1, "permissions": "0"}
            for i, (rid, name) in enumerate(guild.roles.items())
        ]
        channels = [
            {"id": cid, "type": 0, "name": name, "position": i, "permission_overwrites": [], "parent_id": None,
             "nsfw": False, "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}
            for i, (cid, name) in enumerate(guild.channels.items())
        ]
        return {
            "id": guild.id,
            "name": guild.name,
            "icon": None,
            "owner_id": guild.owner_id,
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "channels": channels,
            "threads": [],
            "members": [self._member_payload(guild, self.bot.id)],
            "presences": [],
            "voice_states": [],
            "member_count": len(guild.members),
            "large": False,
            "unavailable": False,
            "joined_at": _now_iso(),
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "system_channel_id": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "application_id": None,
        }

    async def dispatch(self, event: str, data: dict[str, Any], *, guild_id: str | None = None) -> int:
        """Send a DISPATCH frame to every session that owns `guild_id`; returns how many got it."""
        sent = 0
        for session in list(self._sessions):
            if self._on_shard(session, guild_id) and not session.ws.closed:
                await self._dispatch_to(session, event, data)
                sent += 1
        return sent

    async def wait_connected(self, timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not any(s.ready.is_set() for s in self._sessions):
            if loop.time() > deadline:
                raise AssertionError("no gateway session connected")
            await asyncio.sleep(0.01)

    # --- what members do (INTERACTION_CREATE / MESSAGE_CREATE) -------------------

    def _permissions(self, guild: FakeGuild, user_id: str) -> int:
        perms = MEMBER_PERMISSIONS
        if user_id == guild.owner_id:
            perms |= ADMINISTRATOR | MANAGE_GUILD
        return perms

    def _interaction(
        self, kind: int, guild: FakeGuild | None, channel_id: str, user_id: str, data: dict[str, Any],
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        token = f"itoken-{self.snowflake()}"
        payload: dict[str, Any] = {
            "id": self.snowflake(),
            "application_id": self.application_id,
            "type": kind,
            "token": token,
            "version": 1,
            "channel_id": channel_id,
            "data": data,
            "locale": "en-US",
            "app_permissions": str((1 << 53) - 1),
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild.id} if guild else {"1": user_id},
            "context": 0 if guild else 1,
            "attachment_size_limit": 10_485_760,
        }
        if guild is not None:
            member = self._member_payload(guild, user_id)
            member["permissions"] = str(self._permissions(guild, user_id))
            payload.update(guild_id=guild.id, guild_locale="en-US", member=member)
            payload["channel"] = {
                "id": channel_id, "type": 0, "guild_id": guild.id, "name": guild.channels.get(channel_id, "thread"),
                "position": 0, "permission_overwrites": [], "flags": 0, "nsfw": False, "parent_id": None,
                "permissions": str(self._permissions(guild, user_id)),
            }
        else:
            payload["user"] = self.users[user_id].payload()
            payload["member"] = {"user": self.users[user_id].payload()}  # for the callback bookkeeping
            payload["channel"] = {"id": channel_id, "type": 1, "flags": 0}
        if message is not None:
            payload["message"] = message
        self.interactions[token] = payload
        return payload

    async def _push_interaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("context") == 1:
            payload = {k: v for k, v in payload.items() if k != "member"}
            self.interactions[payload["token"]] = {**payload, "member": {"user": payload["user"]}}
        sent = await self.dispatch("INTERACTION_CREATE", payload, guild_id=payload.get("guild_id"))
        if not sent:
            raise AssertionError("no gateway session to receive the interaction")
        return payload

    def command_id(self, name: str, guild_id: str | None) -> str:
        for command in self.commands.get(guild_id, []) + self.commands.get(None, []):
            if command["name"] == name:
                return command["id"]
        return self.snowflake()  # not synced: Discord would still send it if it existed before

    async def slash(
        self, guild: FakeGuild, channel_id: str, user_id: str, sub: str, options: dict[str, Any] | None = None,
        *, command: str = "mentor", group: str | None = None,
    ) -> dict[str, Any]:
        """A member runs `/<command> [group] <sub> option:value …`."""
        type_of = {bool: 5, int: 4, float: 10, str: 3}
        leaf = {
            "name": sub,
            "type": 1,
            "options": [{"name": k, "type": type_of[type(v)], "value": v} for k, v in (options or {}).items()],
        }
        top = [{"name": group, "type": 2, "options": [leaf]}] if group else [leaf]
        data: dict[str, Any] = {"id": self.command_id(command, guild.id), "name": command, "type": 1, "options": top}
        if guild.id in self.commands:
            data["guild_id"] = guild.id
        return await self._push_interaction(self._interaction(2, guild, channel_id, user_id, data))

    async def autocomplete(
        self, guild: FakeGuild, channel_id: str, user_id: str, sub: str, option: str, typed: str,
        *, command: str = "mentor",
    ) -> dict[str, Any]:
        """A member is typing into an option that has autocomplete (APPLICATION_COMMAND_AUTOCOMPLETE)."""
        leaf = {"name": sub, "type": 1, "options": [{"name": option, "type": 3, "value": typed, "focused": True}]}
        data: dict[str, Any] = {"id": self.command_id(command, guild.id), "name": command, "type": 1, "options": [leaf]}
        if guild.id in self.commands:
            data["guild_id"] = guild.id
        return await self._push_interaction(self._interaction(4, guild, channel_id, user_id, data))

    async def click(
        self, guild: FakeGuild | None, user_id: str, message_id: str, custom_id: str,
        values: list[str] | None = None,
    ) -> dict[str, Any]:
        """A member clicks a button (or picks select values) on a message the bot sent."""
        message = self.messages[message_id]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
        if values is not None:
            data.update(component_type=3, values=values)
        return await self._push_interaction(
            self._interaction(3, guild, message["channel_id"], user_id, data, message=message)
        )

    async def submit_modal(
        self, guild: FakeGuild, channel_id: str, user_id: str, custom_id: str, fields: dict[str, str]
    ) -> dict[str, Any]:
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in fields.items()
        ]
        data = {"custom_id": custom_id, "components": rows}
        return await self._push_interaction(self._interaction(5, guild, channel_id, user_id, data))

    async def dm_to_bot(self, user_id: str, content: str) -> dict[str, Any]:
        """A member writes to the bot in DMs (MESSAGE_CREATE without guild_id)."""
        channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
        message = self._message_payload(channel_id, {"content": content}, author=self.users[user_id].payload())
        await self.dispatch("MESSAGE_CREATE", message, guild_id=None)
        return message

    async def member_joins(self, guild: FakeGuild, username: str) -> FakeUser:
        """GUILD_MEMBER_ADD (only sent to clients with the members intent)."""
        user = self.add_member(guild, username)
        members_bit = 1 << 1
        payload = {**self._member_payload(guild, user.id), "guild_id": guild.id}
        for session in list(self._sessions):
            if self._on_shard(session, guild.id) and session.intents & members_bit:
                await self._dispatch_to(session, "GUILD_MEMBER_ADD", payload)
        return user

    def response_to(self, interaction: dict[str, Any]) -> dict[str, Any] | None:
        return self.interaction_responses.get(interaction["token"])

    def followups_for(self, interaction: dict[str, Any]) -> list[RecordedCall]:
        token = interaction["token"]
        return [
            c for c in self.calls
            if c.method in ("POST", "PATCH") and c.path.startswith(f"/webhooks/{self.application_id}/{token}")
        ]


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
    return {"users": ok_users, "roles": ok_roles, "everyone": {"everyone"} if everyone and "everyone" in parse else set()}
