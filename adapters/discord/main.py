"""`mentorbot run` with DISCORD_TOKEN set: the core, the outbox runtime and the Discord client."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import discord

from adapters.discord.client import make_client
from adapters.discord.gate import GlobalGate
from adapters.discord.messenger import DiscordMessenger, RecentInteractions
from adapters.discord.settings import DiscordSettings, configure_api_base
from adapters.ops.health import HealthProbe, install_error_counter, start_health_server
from adapters.pacing import Pacer
from bot.bootstrap import bootstrap
from bot.core.settings import ConfigError, Settings
from bot.delivery.leases import take_back_at_start
from bot.runtime import Runtime
from storage.platform_state import DbPacingSlots, DmChannels

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0  # SIGTERM to exit, at most


async def serve(settings: Settings, env: Mapping[str, str], *, clock=None) -> None:
    """Run until the process is stopped. DISCORD_API_BASE points every REST call (and,
    through GET /gateway/bot, the gateway) somewhere else, e.g. a local fake."""
    discord_settings = DiscordSettings.from_env(env)
    configure_api_base(discord_settings.api_base)
    bot = await bootstrap(settings, clock=clock)
    recent = RecentInteractions()
    holder: dict[str, Runtime] = {}

    async def start_runtime(client) -> None:
        # The deliverer needs a logged-in HTTP session, so it starts after login.
        messenger = DiscordMessenger(
            client,
            intro_channel_id=discord_settings.intro_channel_id,
            recent=recent,
            dm_channels=DmChannels(bot.db, "discord"),
            command_refs=client.command_refs,
        )
        holder["messenger"] = messenger
        runtime = holder["runtime"] = Runtime(bot, messenger)
        client.runtime = runtime
        # What a killed predecessor had claimed is ours again now, not after its leases.
        holder["heartbeat"] = await take_back_at_start(bot.db, bot.clock, client.inbox)
        runtime.start()
        holder["resumer"] = asyncio.create_task(keep_resuming(client, settings.sweep_seconds))

    # Every REST attempt, retries included, keeps to the bot's global limit (shared by workers).
    gate = GlobalGate(Pacer(DbPacingSlots(bot.db)))
    client = make_client(bot, discord_settings, recent=recent, on_login=start_runtime, http_trace=gate.trace_config())
    install_error_counter()
    health = None
    if settings.metrics_port:
        probe = HealthProbe(
            bot.db,
            lambda: "runtime" in holder and holder["runtime"].running,
            platform_connected=lambda: client.is_ready() and not client.is_closed(),
        )
        health = await start_health_server(probe, settings.metrics_port)
    stopper = on_sigterm(lambda: graceful_stop(client, holder, bot))
    try:
        async with client:
            await client.start(discord_settings.token)
    except discord.LoginFailure as exc:
        raise ConfigError("Discord refused DISCORD_TOKEN; copy the bot token again from the Developer Portal") from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise ConfigError(
            "DISCORD_MEMBERS_INTENT=1 needs the Server Members Intent switched on in the Developer Portal "
            "(Bot tab); switch it on or unset DISCORD_MEMBERS_INTENT"
        ) from exc
    finally:
        stopper()
        if "resumer" in holder:
            holder["resumer"].cancel()
        if health is not None:
            await health.cleanup()
        if "runtime" in holder:
            await holder["runtime"].stop()
        heartbeat = holder.pop("heartbeat", None)
        if heartbeat is not None:
            await heartbeat.stop()
        if client.inbox is not None:
            await client.inbox.close()
        await bot.close()


def on_sigterm(stop: Callable[[], Awaitable[None]]) -> Callable[[], None]:
    """SIGTERM/SIGINT start the graceful stop once; the returned function removes the handlers."""
    loop = asyncio.get_running_loop()
    started: list[asyncio.Task[None]] = []

    def begin() -> None:
        if not started:
            log.info("stopping: events are still saved, no longer worked on; finishing what is claimed")
            started.append(asyncio.ensure_future(stop()))

    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, begin)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests), or no signals here
            pass

    def remove() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return remove


async def graceful_stop(client: Any, holder: dict[str, Any], bot: Any) -> None:
    """SIGTERM: work on nothing new, finish (or release) what is claimed, flush the outbox, close
    the gateway — within STOP_SECONDS (container runtimes send SIGKILL about then)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STOP_SECONDS
    client.stopping = True
    if "resumer" in holder:
        holder["resumer"].cancel()
    try:
        await asyncio.wait_for(client.idle(), max(deadline - loop.time() - 4, 0.1))
    except TimeoutError:
        log.warning("stopping: events still being worked on are released for the next start")
    if "runtime" in holder:
        await holder["runtime"].stop()
        try:  # what the finished events caused goes out now rather than at the next start
            await asyncio.wait_for(bot.deliver_outbox(holder["messenger"]), max(deadline - loop.time() - 2, 0.1))
        except TimeoutError:
            log.warning("stopping: the outbox is not empty; the next start sends the rest")
    heartbeat = holder.pop("heartbeat", None)
    if heartbeat is not None:
        await heartbeat.stop()
    elif client.inbox is not None:
        await client.inbox.release()
    await client.close()  # the gateway: client.start() returns and serve() cleans up


async def keep_resuming(client: Any, every: float) -> None:
    """Open inbox rows: once the guilds are known (a crash's leftovers), then now and then."""
    await client.wait_until_ready()
    while True:
        try:
            await client.resume()
        except Exception:
            log.exception("resuming saved events failed; trying again later")
        await asyncio.sleep(min(every, 10.0))
