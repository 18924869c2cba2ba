"""The fake's world: users, guilds with channels and roles, DMs and threads, and the
call log tests query."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import PATIENCE

from .wire import ADMINISTRATOR, MANAGE_GUILD, MEMBER_PERMISSIONS, RecordedCall


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
    # Permission bits per role id (the guild id is @everyone; unset: everything the invite asks for),
    # and per channel the overwrites Discord returns ({"id", "type": 0 role / 1 member, "allow", "deny"}).
    role_permissions: dict[str, int] = field(default_factory=dict)
    overwrites: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Whether the bot's role has Manage Events (POST /guilds/{id}/scheduled-events needs it).
    bot_manage_events: bool = True
    # Whether the bot has Manage Roles (PUT/DELETE /channels/{id}/permissions/{target} need it).
    bot_manage_roles: bool = True
    scheduled_events: list[dict[str, Any]] = field(default_factory=list)  # as Discord returns them


class WorldState:
    """World building and call-log queries (mixed into FakeDiscord)."""

    # --- lifecycle --------------------------------------------------------

    def snowflake(self) -> str:
        return str(self._snowflake_base + next(self._ids))

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

    def archive_thread(self, thread_id: str) -> None:
        """A week without messages: Discord archives the thread (it leaves the active list)."""
        self.threads[thread_id]["thread_metadata"]["archived"] = True

    # --- call log helpers --------------------------------------------------

    def calls_to(self, method: str, path_regex: str) -> list[RecordedCall]:
        pattern = re.compile(path_regex)
        return [c for c in self.calls if c.method == method and pattern.search(c.path)]

    async def wait_for_call(
        self,
        method: str,
        path_regex: str,
        *,
        count: int = 1,
        timeout: float = PATIENCE,
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
                raise AssertionError(f"expected {count} call(s) {method} {path_regex}; calls so far: {self.calls}")
            self._call_event.clear()
            try:
                await asyncio.wait_for(self._call_event.wait(), remaining)
            except TimeoutError:
                pass

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]

    def _guild_of_channel(self, channel_id: str) -> str | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.id
        thread = self.threads.get(channel_id)
        return thread["guild_id"] if thread else None

    def _dm_user_of(self, channel_id: str) -> str | None:
        """The member whose DM channel this is (an index kept in step with `dm_channels`)."""
        if len(self._dm_owners) != len(self.dm_channels):
            self._dm_owners = {c: u for u, c in self.dm_channels.items()}
        return self._dm_owners.get(channel_id)

    def _channel_exists(self, channel_id: str) -> bool:
        return (
            self._dm_user_of(channel_id) is not None
            or channel_id in self.threads
            or self._guild_of_channel(channel_id) is not None
        )

    # --- what members do (INTERACTION_CREATE / MESSAGE_CREATE) -------------------

    def _permissions(self, guild: FakeGuild, user_id: str) -> int:
        perms = MEMBER_PERMISSIONS
        if user_id == guild.owner_id:
            perms |= ADMINISTRATOR | MANAGE_GUILD
        return perms
