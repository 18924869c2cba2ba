"""What the Discord end-to-end program tests share: `mentorbot run` for Discord
(`adapters.discord.main.serve`) with an injected ManualClock and a one-second sweep,
plus helpers to act as members against the fake Discord and read what they see."""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from adapters.discord.main import serve
from bot.bootstrap import bootstrap, build_router
from bot.core.clock import ManualClock
from bot.core.events import Actor, CommunityRef
from bot.core.feature import DISCORD_ADMIN_COMMAND, DISCORD_MEMBER_COMMAND, ArgKind
from bot.core.parsing import tokenize
from bot.core.settings import Settings
from tests.fakes import PATIENCE
from tests.fakes.discord import FakeDiscord, FakeGuild, FakeUser
from tests.support.community import seed_profile
from tests.support.db import START


class RunningClock(ManualClock):
    """The test's clock for a whole running bot: it starts at START and moves with real time, as a
    deployed bot's does, and a test can still jump it forward. (Standing still, a delivery told
    to retry a few seconds later would never fall due, however long the test waited.)"""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=time.monotonic() - self._started)

    def advance(self, delta: timedelta) -> datetime:
        super().advance(delta)
        return self.now()

    def set(self, when: datetime) -> None:
        if when > self.now():
            self.advance(when - self.now())


class Program:
    """`mentorbot run` for Discord with an injected clock, plus what a test needs around it."""

    def __init__(self, fake: FakeDiscord, guild: FakeGuild, settings: Settings, env: dict[str, str]) -> None:
        self.fake, self.guild, self.settings, self.env = fake, guild, settings, env
        self.clock = RunningClock(START)
        self.task: asyncio.Task[None] | None = None
        self.store: Any = None  # a second handle on the same database, for seeding and reading
        self.general = next(iter(guild.channels))
        self.owner = guild.owner_id  # Manage Server: a moderator

    async def start(self) -> None:
        self.task = asyncio.create_task(serve(self.settings, self.env, clock=self.clock))
        waiter = asyncio.create_task(self.fake.wait_connected())
        done, _ = await asyncio.wait({self.task, waiter}, timeout=PATIENCE, return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            waiter.cancel()
            self.task.result()
        await waiter
        self.store = await bootstrap(self.settings, clock=self.clock, migrate=False)

    async def stop(self) -> None:
        if self.store is not None:
            await self.store.close()
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.fake.drop_connections()

    async def seed(self, user: FakeUser, role: str, **fields: Any) -> int:
        community = CommunityRef("discord", self.guild.id, self.guild.name)
        actor = Actor(user.id, user.global_name or user.username)
        return await seed_profile(self.store, community, actor, role, self.clock.now(), **fields)

    async def count(self, model: Any, *where: Any) -> int:
        async with self.store.db.unit() as s:
            return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()

    async def command(
        self, user_id: str, sub: str, options: dict[str, Any] | None = None, *, command: str = "mentor"
    ) -> dict[str, Any]:
        """A slash command; returns the private answer (the deferred reply, edited)."""
        interaction = await self.fake.slash(self.guild, self.general, user_id, sub, options, command=command)
        await self.fake.wait_for_call("PATCH", rf"^/webhooks/\d+/{interaction['token']}/messages/@original$")
        return self.fake.messages[self.fake.interactions[interaction["token"]]["original_message_id"]]

    async def run(self, user_id: str, text: str) -> dict[str, Any]:
        """A core command written in the text syntax, typed into Discord's options (see `invocation`)."""
        top, sub, options = invocation(text)
        return await self.command(user_id, sub, options, command=top)

    async def click(
        self, user_id: str, message: dict[str, Any], label: str, values: list[str] | None = None
    ) -> dict[str, Any]:
        """Click a button (by label) on a bot message; returns the ephemeral follow-up body."""
        in_guild = message.get("guild_id") is not None or message["channel_id"] in self.fake.threads
        interaction = await self.fake.click(
            self.guild if in_guild else None, user_id, message["id"], buttons(message)[label], values
        )
        (call,) = await self.fake.wait_for_call("POST", rf"^/webhooks/\d+/{interaction['token']}$")
        assert self.fake.response_to(interaction)["type"] == 6  # deferred within 3 s
        # Only the member sees it: ephemeral in the server, a normal message in their own DM.
        assert bool(call.json.get("flags", 0) & 64) is in_guild
        return call.json

    async def dm(self, user: FakeUser, text: str, expect: str) -> dict[str, Any]:
        """The member writes to the bot in DMs; returns the bot's answer there (the first
        new message containing `expect`: outbox messages may arrive in between)."""
        channel = self.fake.dm_channels.setdefault(user.id, self.fake.snowflake())
        path = rf"^/channels/{channel}/messages$"
        before = len(self.fake.calls_to("POST", path))
        await self.fake.dm_to_bot(user.id, text)
        calls = await self.fake.wait_for_call(
            "POST",
            path,
            where=lambda c: c in self.fake.calls_to("POST", path)[before:] and expect in c.json.get("content", ""),
        )
        return calls[-1].json

    def dms(self, user: FakeUser) -> list[dict[str, Any]]:
        return self.fake.channel_messages(self.fake.dm_channels.get(user.id, "-"))

    def threads(self) -> list[str]:
        intro = self.env.get("DISCORD_INTRO_CHANNEL_ID")
        return [t for t, data in self.fake.threads.items() if data["parent_id"] == intro]


def invocation(line: str) -> tuple[str, str, dict[str, Any]]:
    """What a member picks and types on Discord for a text-syntax line:
    `goal set "Ship it" --by 3d` → ("mentor", "goal set", {"goal": "Ship it", "by": "3d"})."""
    command, words = build_router().resolve(tokenize(line))
    if command is None:
        return DISCORD_MEMBER_COMMAND, line.split()[0], {}  # "help", or a name Discord does not have
    positional = [a for a in command.args if not a.is_option]
    named = {a.name: a for a in command.args if a.is_option}
    values: dict[str, Any] = {}
    current = None
    for word in words:
        if word.startswith("--") and word[2:] in named:
            current = named[word[2:]]
            if current.kind is ArgKind.FLAG:
                values[current.name], current = True, None
            continue
        if current is not None and current.kind is ArgKind.LIST:
            values[current.name] = "\n".join(filter(None, [values.get(current.name, ""), str(word)]))
            continue
        arg, current = (current, None) if current is not None else (positional.pop(0), None)
        if arg.kind is ArgKind.INT:
            values[arg.name] = int(word)
        elif arg.kind is ArgKind.MEMBER:
            values[arg.name] = str(word).strip("<@!>")
        elif arg.kind is ArgKind.TEXT and arg.name in values:
            values[arg.name] += f" {word}"
        else:
            values[arg.name] = str(word)
    top = DISCORD_ADMIN_COMMAND if command.moderator_only else DISCORD_MEMBER_COMMAND
    return top, " ".join(command.discord_path), values


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {c.get("label", ""): c["custom_id"] for row in message.get("components", []) for c in row["components"]}


def text_of(message: dict[str, Any]) -> str:
    """Everything a member reads: content, embed descriptions and fields."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts.append(embed.get("description") or "")
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
    return "\n".join(parts)


async def until(predicate: Any, timeout: float = PATIENCE) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def start_program(fake: FakeDiscord, tmp_path: Any, *, threads: bool, template: Path | None = None) -> Program:
    """`template`: a migrated database to start from (the `migrated_sqlite` fixture); `serve` still migrates."""
    if template is not None:
        shutil.copyfile(template, tmp_path / "mentorbot.db")
    guild = fake.add_guild("Mentor Guild", channels=("general", "intros"))
    intros = list(guild.channels)[1]
    settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp_path / 'mentorbot.db'}", sweep_seconds=1.0)
    env = {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GUILD_ID": guild.id,
        "MENTORBOT_DATA_DIR": str(tmp_path / "data"),
    }
    if threads:
        env["DISCORD_INTRO_CHANNEL_ID"] = intros
    return Program(fake, guild, settings, env)
