"""Interactions: what members do (slash commands, clicks, modal submits, DMs, joins)
pushed over the gateway, and the callback and webhook routes the bot answers on."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .commands import CommandUnavailable, interaction_data, modal_problem
from .state import FakeGuild, FakeUser
from .wire import ADMINISTRATOR, RecordedCall, message_body_problem


class Interactions:
    """Member actions and the interaction response routes (mixed into FakeDiscord)."""

    # interactions --------------------------------------------------------

    async def _callback(self, call: RecordedCall, iid: str, token: str) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None or interaction["id"] != iid:
            return self._error(404, 10062, "Unknown interaction")
        if token in self.interaction_responses:
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        body = call.json or {}
        if problem := (modal_problem if body.get("type") == 9 else message_body_problem)(body.get("data") or {}):
            return self._invalid(problem)
        self.interaction_responses[token] = body
        kind = body.get("type")
        data = body.get("data") or {}
        result: dict[str, Any] = {"interaction": {"id": iid, "type": interaction["type"]}}
        if kind in (4, 5):  # message now, or "thinking…" placeholder
            message = self._message_payload(
                interaction["channel_id"],
                data if kind == 4 else {"flags": data.get("flags", 0)},
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

    def _interaction(
        self,
        kind: int,
        guild: FakeGuild | None,
        channel_id: str,
        user_id: str,
        data: dict[str, Any],
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
                "id": channel_id,
                "type": 0,
                "guild_id": guild.id,
                "name": guild.channels.get(channel_id, "thread"),
                "position": 0,
                "permission_overwrites": [],
                "flags": 0,
                "nsfw": False,
                "parent_id": None,
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

    def registered(self, name: str, guild_id: str | None) -> dict[str, Any] | None:
        """The chat-input command `/name` as registered for this guild (guild commands, then global)."""
        for command in self.commands.get(guild_id, []) + self.commands.get(None, []):
            if command["name"] == name and command.get("type", 1) == 1:
                return command
        return None

    def grant_command(self, guild: FakeGuild, name: str, target_id: str, allow: bool = True) -> None:
        """A server admin allows (or denies) `/name` for a role or member in Integrations."""
        command = self.registered(name, guild.id)
        assert command is not None, f"/{name} is not registered"
        self.command_overrides.setdefault((guild.id, command["id"]), {})[target_id] = allow

    def may_use(self, guild: FakeGuild, user_id: str, command: dict[str, Any]) -> bool:
        """Whether Discord shows the command to this member and lets them run it."""
        perms = self._permissions(guild, user_id)
        if perms & ADMINISTRATOR:
            return True
        overrides = self.command_overrides.get((guild.id, command["id"]), {})
        if user_id in overrides:
            return overrides[user_id]
        by_role = [overrides[r] for r in guild.members.get(user_id, []) if r in overrides]
        if by_role:
            return any(by_role)
        if guild.id in overrides:
            return overrides[guild.id]
        required = command.get("default_member_permissions")
        if required is None:
            return True
        return int(required) != 0 and perms & int(required) == int(required)

    def _command_data(
        self,
        guild: FakeGuild,
        user_id: str,
        command: str,
        sub: str,
        values: dict[str, Any],
        focused: str | None = None,
    ) -> dict[str, Any]:
        registered = self.registered(command, guild.id)
        if registered is None:
            raise CommandUnavailable(f"/{command} is not registered for guild {guild.id}")
        if not self.may_use(guild, user_id, registered):
            raise CommandUnavailable(f"/{command} is not available to member {user_id}")
        data, users = interaction_data(registered, sub.split(), values, focused=focused)
        if registered.get("guild_id"):
            data["guild_id"] = guild.id
        if users:
            data["resolved"] = {
                "users": {u: self.users[u].payload() for u in users},
                "members": {
                    u: {k: v for k, v in self._member_payload(guild, u).items() if k != "user"}
                    | {"permissions": str(self._permissions(guild, u))}
                    for u in users
                    if u in guild.members
                },
            }
        return data

    async def slash(
        self,
        guild: FakeGuild,
        channel_id: str,
        user_id: str,
        sub: str,
        options: dict[str, Any] | None = None,
        *,
        command: str = "mentor",
    ) -> dict[str, Any]:
        """A member runs `/<command> <sub…> option:value …` (`sub` may be "group leaf"), as registered.

        Raises `CommandUnavailable` where Discord's client would not let the member send it.
        """
        data = self._command_data(guild, user_id, command, sub, options or {})
        return await self._push_interaction(self._interaction(2, guild, channel_id, user_id, data))

    async def autocomplete(
        self,
        guild: FakeGuild,
        channel_id: str,
        user_id: str,
        sub: str,
        option: str,
        typed: str,
        *,
        command: str = "mentor",
        others: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A member is typing into an option that has autocomplete (APPLICATION_COMMAND_AUTOCOMPLETE)."""
        data = self._command_data(guild, user_id, command, sub, {**(others or {}), option: typed}, focused=option)
        return await self._push_interaction(self._interaction(4, guild, channel_id, user_id, data))

    async def click(
        self,
        guild: FakeGuild | None,
        user_id: str,
        message_id: str,
        custom_id: str,
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
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in fields.items()]
        data = {"custom_id": custom_id, "components": rows}
        return await self._push_interaction(self._interaction(5, guild, channel_id, user_id, data))

    async def dm_to_bot(self, user_id: str, content: str) -> dict[str, Any]:
        """A member writes to the bot in DMs (MESSAGE_CREATE without guild_id)."""
        channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
        self._dm_owners[channel_id] = user_id
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
            c
            for c in self.calls
            if c.method in ("POST", "PATCH") and c.path.startswith(f"/webhooks/{self.application_id}/{token}")
        ]
