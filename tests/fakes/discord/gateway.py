"""The gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME, member
chunks, zlib-stream compression, and dispatching events to connected shards."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import zlib
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes import PATIENCE

from .state import FakeGuild
from .wire import MEMBER_PERMISSIONS, now_iso


@dataclass
class GatewaySession:
    ws: web.WebSocketResponse
    compressor: Any  # zlib compressobj or None
    seq: itertools.count
    shard: tuple[int, int]
    ready: asyncio.Event
    intents: int = 0


class Gateway:
    """Gateway sessions and dispatch (mixed into FakeDiscord)."""

    async def drop_connections(self) -> None:
        """Close every gateway socket (what a client restart or network blip looks like)."""
        for session in list(self._sessions):
            await session.ws.close(code=4000)
        self._sessions.clear()

    def early_identifies(self) -> list[tuple[int, int]]:
        """(shard, shard) pairs that identified within 5 s of each other in one bucket: Discord
        allows one IDENTIFY per 5 s per `shard_id % max_concurrency` (its session start limit)."""
        early = []
        for i, (at, shard) in enumerate(self.identify_times):
            for before, other in self.identify_times[:i]:
                if other % self.max_concurrency == shard % self.max_concurrency and at - before < 5.0:
                    early.append((other, shard))
        return early

    # --- gateway -----------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        compressor = zlib.compressobj() if request.query.get("compress") == "zlib-stream" else None
        session = GatewaySession(ws, compressor, itertools.count(1), (0, 1), asyncio.Event())
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
                    self.identify_times.append((time.monotonic(), session.shard[0]))
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

    async def _send(self, session: GatewaySession, frame: dict[str, Any]) -> None:
        data = json.dumps(frame)
        if session.compressor is not None:
            # zlib-stream: one shared deflate context, each frame ends with Z_SYNC_FLUSH.
            payload = session.compressor.compress(data.encode()) + session.compressor.flush(zlib.Z_SYNC_FLUSH)
            await session.ws.send_bytes(payload)
        else:
            await session.ws.send_str(data)

    async def _dispatch_to(self, session: GatewaySession, event: str, data: dict[str, Any]) -> None:
        await self._send(session, {"op": 0, "t": event, "s": next(session.seq), "d": data})

    def _on_shard(self, session: GatewaySession, guild_id: str | None) -> bool:
        shard_id, shard_count = session.shard
        if guild_id is None:
            return shard_id == 0  # DMs go to shard 0
        return (int(guild_id) >> 22) % shard_count == shard_id

    async def _identify(self, session: GatewaySession) -> None:
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

    async def _members_chunk(self, session: GatewaySession, request: dict[str, Any]) -> None:
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
            "joined_at": now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }

    def guild_payload(self, guild: FakeGuild) -> dict[str, Any]:
        everyone = {
            "id": guild.id,
            "name": "@everyone",
            "permissions": str(MEMBER_PERMISSIONS),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        roles = [everyone] + [
            {**everyone, "id": rid, "name": name, "position": i + 1, "permissions": "0"}
            for i, (rid, name) in enumerate(guild.roles.items())
        ]
        channels = [
            {
                "id": cid,
                "type": 0,
                "name": name,
                "position": i,
                "permission_overwrites": [],
                "parent_id": None,
                "nsfw": False,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "flags": 0,
            }
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
            "joined_at": now_iso(),
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

    async def wait_connected(self, timeout: float = PATIENCE) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not any(s.ready.is_set() for s in self._sessions):
            if loop.time() > deadline:
                raise AssertionError("no gateway session connected")
            await asyncio.sleep(0.01)
