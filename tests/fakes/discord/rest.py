"""REST dispatch: every call recorded, checked against the injected rules, and routed;
plus the application, gateway-discovery, command and user routes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from .commands import bulk_problem
from .wire import CALL_KEY, JSON, RecordedCall


def _bitfield(value: Any) -> str | None:
    """Discord takes permissions as an integer and answers them as a string."""
    return None if value is None else str(value)


class RestRoutes:
    """The route table and the routes that are not about messages or interactions."""

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
        request[CALL_KEY] = call
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
        call: RecordedCall = request[CALL_KEY]
        if request.headers.get("Authorization") != f"Bot {self.token}" and not call.path.startswith(
            ("/webhooks/", "/interactions/")
        ):
            return self._error(401, 0, "401: Unauthorized")
        exempt = call.path.startswith(("/webhooks/", "/interactions/"))  # not bound to the global limit
        if not exempt and time.monotonic() < self.global_until:
            self.inside_global.append(f"{call.method} {call.path}")
        if self.buckets is None:
            await self._stall(call.method, call.path)
            return await self._dispatch(call)
        admission = self.buckets.admit(call.method, call.path, exempt=exempt)
        if not admission.allowed:
            return self._bucket_429(admission)
        await self._stall(call.method, call.path)
        response = await self._dispatch(call)
        if response.status != 429:
            response.headers.update(admission.headers)
        return response

    async def _dispatch(self, call: RecordedCall) -> web.Response:
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
                if rule.is_global:
                    self.global_until = max(self.global_until, time.monotonic() + rule.retry_after)
                return self._too_many(rule)
        for method, pattern, handler in self._routes():
            match = pattern.fullmatch(call.path)
            if match and method == call.method:
                return await handler(call, **match.groupdict())
        return self._error(404, 0, f"404: Not Found ({call.method} {call.path})")

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
            (
                "PATCH",
                f"/webhooks/{s.format('app')}/(?P<token>[^/]+)/messages/(?P<mid>@original|[0-9]+)",
                self._edit_webhook_message,
            ),
            (
                "GET",
                f"/webhooks/{s.format('app')}/(?P<token>[^/]+)/messages/(?P<mid>@original|[0-9]+)",
                self._get_webhook_message,
            ),
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
            (
                "DELETE",
                f"/channels/{s.format('channel')}/thread-members/{s.format('user')}",
                self._remove_thread_member,
            ),
            ("GET", f"/guilds/{s.format('guild')}/threads/active", self._active_threads),
            ("GET", f"/channels/{s.format('channel')}/users/@me/threads/archived/private", self._archived_threads),
            ("GET", f"/users/{s.format('user')}", self._get_user),
            ("GET", f"/channels/{s.format('channel')}", self._get_channel),
            ("PUT", f"/channels/{s.format('channel')}/permissions/{s.format('target')}", self._put_overwrite),
            ("DELETE", f"/channels/{s.format('channel')}/permissions/{s.format('target')}", self._delete_overwrite),
            ("GET", f"/guilds/{s.format('guild')}/roles", self._get_roles),
            ("GET", f"/guilds/{s.format('guild')}/members/{s.format('user')}", self._get_member),
            ("POST", f"/guilds/{s.format('guild')}/scheduled-events", self._create_scheduled_event),
            (
                "PATCH",
                f"/guilds/{s.format('guild')}/scheduled-events/{s.format('event')}",
                self._edit_scheduled_event,
            ),
        ]
        return [(m, re.compile(p), h) for m, p, h in raw]

    # The permission model's inputs, as Discord serves them (doctor computes from them).
    # view, send, embed, attach, history, private threads, send in threads, pin (Discord's bit numbers)
    EVERYONE_DEFAULT = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 36) | (1 << 38) | (1 << 51)

    async def _get_channel(self, call: RecordedCall, channel: str) -> web.Response:
        for guild in self.guilds.values():
            if channel in guild.channels:
                return self._json(
                    {
                        "id": channel,
                        "type": 0,
                        "guild_id": guild.id,
                        "name": guild.channels[channel],
                        "permission_overwrites": [
                            {**o, "allow": str(o.get("allow", 0)), "deny": str(o.get("deny", 0))}
                            for o in guild.overwrites.get(channel, [])
                        ],
                    }
                )
        return self._error(404, 10003, "Unknown Channel")

    async def _create_scheduled_event(self, call: RecordedCall, guild: str) -> web.Response:
        """Create Guild Scheduled Event, checked the way Discord's docs state it: name 1–100, privacy_level 2
        (GUILD_ONLY); entity_type 3 (EXTERNAL) requires entity_metadata.location (1–100) and
        scheduled_end_time, and no channel_id; ISO 8601 times, the end after the start."""
        g = self.guilds.get(guild)
        if g is None:
            return self._error(404, 10004, "Unknown Guild")
        if not g.bot_manage_events:
            return self._error(403, 50013, "Missing Permissions")
        body = call.json if isinstance(call.json, dict) else {}
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            return self._invalid("scheduled event name must be 1-100 characters")
        if body.get("privacy_level") != 2:
            return self._invalid("privacy_level must be 2 (GUILD_ONLY)")
        if len(body.get("description") or "") > 1000:
            return self._invalid("description over 1000 characters")
        try:
            start = datetime.fromisoformat(body["scheduled_start_time"])
            end = datetime.fromisoformat(body["scheduled_end_time"]) if body.get("scheduled_end_time") else None
        except (KeyError, TypeError, ValueError):
            return self._invalid("scheduled_start_time/scheduled_end_time must be ISO 8601")
        if body.get("entity_type") == 3:
            location = (body.get("entity_metadata") or {}).get("location")
            if not isinstance(location, str) or not 1 <= len(location) <= 100:
                return self._invalid("an external event needs entity_metadata.location (1-100 characters)")
            if end is None:
                return self._invalid("an external event needs scheduled_end_time")
            if body.get("channel_id") is not None:
                return self._invalid("an external event has no channel_id")
        elif body.get("entity_type") not in (1, 2):
            return self._invalid("entity_type must be 1, 2 or 3")
        if end is not None and end <= start:
            return self._invalid("scheduled_end_time must be after scheduled_start_time")
        event = {
            "id": self.snowflake(),
            "guild_id": guild,
            "channel_id": body.get("channel_id"),
            "creator_id": self.bot.id,
            "name": name,
            "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": 2,
            "status": 1,
            "entity_type": body["entity_type"],
            "entity_id": None,
            "entity_metadata": body.get("entity_metadata"),
            "creator": self.bot.payload(),
            "user_count": 0,
            "image": None,
        }
        g.scheduled_events.append(event)
        return self._json(event)

    async def _edit_scheduled_event(self, call: RecordedCall, guild: str, event: str) -> web.Response:
        """Modify Guild Scheduled Event: only the status here; SCHEDULED (1) may become ACTIVE (2) or
        CANCELED (4), nothing comes back from CANCELED or COMPLETED."""
        g = self.guilds.get(guild)
        found = next((e for e in g.scheduled_events if e["id"] == event), None) if g else None
        if g is None or found is None:
            return self._error(404, 10070, "Unknown Guild Scheduled Event")
        if not g.bot_manage_events:
            return self._error(403, 50013, "Missing Permissions")
        status = (call.json or {}).get("status")
        if status is not None:
            allowed = {1: {2, 4}, 2: {3}}.get(found["status"], set())
            if status not in allowed:
                return self._invalid(f"scheduled event status cannot go from {found['status']} to {status}")
            found["status"] = status
        return self._json(found)

    async def _put_overwrite(self, call: RecordedCall, channel: str, target: str) -> web.Response:
        """Edit Channel Permissions, as Discord documents it: body {allow?, deny?, type: 0 role | 1 member},
        Manage Roles required, only permissions the bot has may be allowed or denied; 204 No Content.
        A second PUT for the same target replaces the overwrite."""
        g = self.guilds.get(self._guild_of_channel(channel) or "")
        if g is None:
            return self._error(404, 10003, "Unknown Channel")
        if not g.bot_manage_roles:
            return self._error(403, 50013, "Missing Permissions")
        body = call.json if isinstance(call.json, dict) else {}
        kind = body.get("type")
        if kind not in (0, 1):
            return self._invalid("type must be 0 (role) or 1 (member)")
        try:
            allow, deny = int(body.get("allow") or 0), int(body.get("deny") or 0)
        except (TypeError, ValueError):
            return self._invalid("allow/deny must be permission bitfields")
        if (allow | deny) & ~self.EVERYONE_DEFAULT:  # the bot's own permissions here: no more
            return self._error(403, 50013, "Missing Permissions")
        if kind == 1 and target not in g.members:
            return self._error(404, 10013, "Unknown User")
        kept = [o for o in g.overwrites.get(channel, []) if o["id"] != target]
        g.overwrites[channel] = kept + [{"id": target, "type": kind, "allow": allow, "deny": deny}]
        return web.Response(status=204)

    async def _delete_overwrite(self, call: RecordedCall, channel: str, target: str) -> web.Response:
        """Delete Channel Permission: Manage Roles required; 204, or 404 Unknown Overwrite when none is set."""
        g = self.guilds.get(self._guild_of_channel(channel) or "")
        if g is None:
            return self._error(404, 10003, "Unknown Channel")
        if not g.bot_manage_roles:
            return self._error(403, 50013, "Missing Permissions")
        existing = g.overwrites.get(channel, [])
        if not any(o["id"] == target for o in existing):
            return self._error(404, 10009, "Unknown Overwrite")
        g.overwrites[channel] = [o for o in existing if o["id"] != target]
        return web.Response(status=204)

    async def _get_roles(self, call: RecordedCall, guild: str) -> web.Response:
        g = self.guilds.get(guild)
        if g is None:
            return self._error(404, 10004, "Unknown Guild")
        roles = [{"id": g.id, "name": "@everyone", "position": 0}] + [
            {"id": rid, "name": name, "position": i + 1} for i, (rid, name) in enumerate(g.roles.items())
        ]
        default = {g.id: self.EVERYONE_DEFAULT}
        perms = {r["id"]: g.role_permissions.get(r["id"], default.get(r["id"], 0)) for r in roles}
        return self._json([{**r, "permissions": str(perms[r["id"]])} for r in roles])

    async def _get_member(self, call: RecordedCall, guild: str, user: str) -> web.Response:
        g = self.guilds.get(guild)
        if g is None or user not in g.members:
            return self._error(404, 10007, "Unknown Member")
        return self._json({"user": self.users[user].payload(), "roles": g.members[user], "nick": None})

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
                "flags": self.application_flags,
                "team": None,
            }
        )

    async def _gateway_bot(self, call: RecordedCall) -> web.Response:
        return self._json(
            {
                "url": self.gateway_url,
                "shards": self.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": self.max_concurrency,
                },
            }
        )

    async def _gateway_plain(self, call: RecordedCall) -> web.Response:
        return self._json({"url": self.gateway_url})

    async def _put_commands(self, call: RecordedCall, app: str, guild: str | None = None) -> web.Response:
        if problem := bulk_problem(call.json):
            return self._invalid(problem)
        stored = []
        for command in call.json or []:
            stored.append(
                {
                    **command,
                    "id": self.snowflake(),
                    "application_id": self.application_id,
                    "version": self.snowflake(),
                    "default_member_permissions": _bitfield(command.get("default_member_permissions")),
                    **({"guild_id": guild} if guild else {}),
                }
            )
        self.commands[guild] = stored
        return self._json(stored)

    async def _get_commands(self, call: RecordedCall, app: str, guild: str | None = None) -> web.Response:
        return self._json(self.commands.get(guild, []))

    async def _get_user(self, call: RecordedCall, user: str) -> web.Response:
        if user not in self.users:
            return self._error(404, 10013, "Unknown User")
        return self._json(self.users[user].payload())
