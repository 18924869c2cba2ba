"""REST routes for messages: DMs, create/edit/get with nonce de-duplication, pins and
private threads."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .wire import RecordedCall, message_body_problem, now_iso


class MessageRoutes:
    """Message, pin and thread routes (mixed into FakeDiscord)."""

    def _attachment(self, name: str, data: bytes) -> dict[str, Any]:
        """An attachment object as Discord returns it; the bytes are kept in `attachment_data`."""
        attachment_id = self.snowflake()
        self.attachment_data[attachment_id] = data
        content_type = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "application/octet-stream"
        return {
            "id": attachment_id,
            "filename": name,
            "size": len(data),
            "content_type": content_type,
            "url": f"http://127.0.0.1/attachments/{attachment_id}/{name}",
            "proxy_url": f"http://127.0.0.1/attachments/{attachment_id}/{name}",
        }

    def _message_payload(
        self,
        channel_id: str,
        body: dict[str, Any],
        *,
        author: dict[str, Any] | None = None,
        flags: int = 0,
        interaction: dict[str, Any] | None = None,
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
                for name, data in zip(
                    body.get("_files") or [],
                    body.get("_file_data") or [b""] * len(body.get("_files") or []),
                    strict=True,
                )
            ],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "type": 0,
            "flags": flags | int(body.get("flags") or 0),
            "allowed_mentions": body.get("allowed_mentions"),
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
            self._nonces[(channel_id, body["nonce"])] = message["id"]
        if guild_id:
            message["guild_id"] = guild_id
        if interaction:
            message["interaction_metadata"] = interaction
        self.messages[message["id"]] = message
        return message

    async def _create_dm(self, call: RecordedCall) -> web.Response:
        user_id = str((call.json or {}).get("recipient_id"))
        if user_id not in self.users:
            return self._error(400, 50033, "Invalid Recipient(s)")
        channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
        self._dm_owners[channel_id] = user_id
        return self._json(
            {"id": channel_id, "type": 1, "last_message_id": None, "recipients": [self.users[user_id].payload()]}
        )

    async def _create_message(self, call: RecordedCall, channel: str) -> web.Response:
        if not self._channel_exists(channel):
            return self._error(404, 10003, "Unknown Channel")
        dm_user = self._dm_user_of(channel)
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
            existing = self.messages.get(self._nonces.get((channel, nonce), ""))
            if existing is not None and existing["channel_id"] == channel and existing.get("nonce") == nonce:
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
        message["edited_timestamp"] = now_iso()
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
                "archive_timestamp": now_iso(),
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

    async def _archived_threads(self, call: RecordedCall, channel: str) -> web.Response:
        threads = [
            t
            for t in self.threads.values()
            if t["parent_id"] == channel
            and t["thread_metadata"]["archived"]
            and t["type"] == 12
            and self.bot.id in self.thread_members.get(t["id"], set())
        ]
        members = [{"id": t["id"], "user_id": self.bot.id, "join_timestamp": now_iso(), "flags": 0} for t in threads]
        return self._json({"threads": threads, "members": members, "has_more": False})

    async def _active_threads(self, call: RecordedCall, guild: str) -> web.Response:
        threads = [t for t in self.threads.values() if t["guild_id"] == guild and not t["thread_metadata"]["archived"]]
        members = [{"id": t["id"], "user_id": self.bot.id, "join_timestamp": now_iso(), "flags": 0} for t in threads]
        return self._json({"threads": threads, "members": members})
