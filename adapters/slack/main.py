"""`mentorbot run` with Slack: wire settings, the core, the messenger and Bolt.

`serve(settings, env)` picks the transport from the environment (see
adapters/slack/settings.py): Socket Mode when SLACK_APP_TOKEN is set, otherwise
HTTP mode on PORT at /slack/events; OAuth mode (HTTP, many workspaces) when
SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.ops import long_running
from adapters.ops.health import HealthProbe, add_health_routes, install_error_counter, start_health_server
from adapters.slack.app import SlackAdapter
from adapters.slack.guard import request_guard
from adapters.slack.messenger import SlackMessenger, make_web_client
from adapters.slack.settings import EVENTS_PATH, SlackSettings
from bot.delivery.inbox import Inbox
from bot.delivery.leases import take_back_at_start
from bot.features.admin.purge import Uninstalls

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0  # SIGTERM to exit, at most (container runtimes wait about this long before SIGKILL)


@dataclass
class HttpServer:
    runner: web.AppRunner
    url: str  # base URL, e.g. http://127.0.0.1:3000

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_http(
    app: AsyncApp,
    host: str,
    port: int,
    probe: HealthProbe | None = None,
    *,
    stopping: Callable[[], bool] = lambda: False,
) -> HttpServer:
    """Serve the Bolt app's aiohttp application (POST /slack/events, OAuth pages), and
    /healthz, /readyz and /metrics when given a probe.

    The guard in front of Bolt answers 401/400/503 for what Bolt itself would turn
    into a 500 and a traceback (adapters/slack/guard.py)."""
    web_app = app.web_app(path=EVENTS_PATH, port=port)
    web_app.middlewares.append(request_guard(app._signing_secret, EVENTS_PATH, stopping=stopping))
    if probe is not None:
        add_health_routes(web_app, probe)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1] if site._server and site._server.sockets else port  # type: ignore[union-attr]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return HttpServer(runner, f"http://{shown}:{bound}")


async def start_socket_mode(app: AsyncApp, settings: SlackSettings, client: AsyncWebClient) -> AsyncSocketModeHandler:
    """Open the Socket Mode websocket (apps.connections.open through SLACK_API_URL)."""
    handler = AsyncSocketModeHandler(app, settings.app_token, web_client=client)
    await handler.connect_async()
    return handler


@dataclass
class SlackServices:
    """Everything `serve` starts, so tests and benches can build the same thing."""

    adapter: SlackAdapter
    messenger: SlackMessenger
    client: AsyncWebClient
    installation_store: Any = None
    inbox: Inbox | None = None


def shared_platform_state(bot: Any, pace_seconds: float) -> dict[str, Any]:
    """Tier pacing and opened DM channels through the bot's database, shared by every worker."""
    db = getattr(bot, "db", None)
    if db is None:
        return {}
    from adapters.pacing import Pacer
    from storage.platform_state import DbPacingSlots, DmChannels

    # Wall-clock seconds: every worker process reads the same clock.
    pacer = Pacer(DbPacingSlots(db), scale=1.0 if pace_seconds > 0 else 0.0)
    return {"pacer": pacer, "dm_channels": DmChannels(db, "slack")}


def build_services(
    bot: Any,
    settings: SlackSettings,
    *,
    kick: Any = None,
    installation_store: Any = None,
    oauth_state_store: Any = None,
    pace_seconds: float = 1.0,
    inbox: Inbox | None = None,
) -> SlackServices:
    """`inbox`: defaults to one on the core's database (a stub core without one gets none)."""
    if inbox is None and getattr(bot, "db", None) is not None:
        inbox = Inbox(bot.db, bot.clock)
    client = make_web_client(None if settings.oauth else settings.bot_token, base_url=settings.api_url)
    token_for = None
    if settings.oauth and installation_store is not None:

        async def token_for(team_id: str) -> str | None:
            found = await installation_store.async_find_bot(enterprise_id=None, team_id=team_id)
            return found.bot_token if found else None

    uninstalls = Uninstalls(bot.db, bot.clock, bot.settings) if getattr(bot, "db", None) is not None else None
    if installation_store is not None and hasattr(installation_store, "uninstalls"):
        installation_store.uninstalls = uninstalls
    messenger = SlackMessenger(
        client, token_for=token_for, pace_seconds=pace_seconds, **shared_platform_state(bot, pace_seconds)
    )
    adapter = SlackAdapter(
        bot.handle,
        settings,
        client=client,
        kick=kick,
        installation_store=installation_store,
        oauth_state_store=oauth_state_store,
        form_for=bot.router.form_for,
        form_by_id=bot.router.forms.get,
        inbox=inbox,
        uninstalls=uninstalls,
    )
    return SlackServices(adapter, messenger, client, installation_store, inbox)


async def serve(settings: Any, env: Mapping[str, str]) -> None:
    """Run mentorbot in Slack until cancelled."""
    from bot.bootstrap import bootstrap
    from bot.runtime import Runtime

    slack = SlackSettings.from_env(env)
    long_running.before_start()
    bot = await bootstrap(settings)
    installation_store = state_store = None
    if slack.oauth:
        from adapters.slack.installation_store import DbInstallationStore, DbOAuthStateStore

        installation_store = DbInstallationStore(bot.db, slack.secret_key or "", client_id=slack.client_id or "")
        state_store = DbOAuthStateStore(bot.db)

    # The runtime needs the messenger; the adapter needs the runtime's kick.
    runtime_box: list[Runtime] = []
    services = build_services(
        bot,
        slack,
        kick=lambda: runtime_box[0].kick() if runtime_box else None,
        installation_store=installation_store,
        oauth_state_store=state_store,
    )
    runtime = Runtime(bot, services.messenger)
    runtime_box.append(runtime)
    adapter = services.adapter
    inbox = services.inbox
    assert inbox is not None
    # What a killed predecessor had claimed is ours again now, not after its leases.
    heartbeat = await take_back_at_start(bot.db, bot.clock, inbox)
    runtime.start()
    install_error_counter()
    probe = HealthProbe(bot.db, lambda: runtime.running)
    health = None

    stop_transport: Any
    if slack.socket_mode:
        socket: list[Any] = []  # the websocket client, once connected
        probe.platform_connected = lambda: socket[0].is_connected() if socket else False
        if settings.metrics_port:
            health = await start_health_server(probe, settings.metrics_port)
        handler = await start_socket_mode(adapter.app, slack, services.client)
        socket.append(handler.client)
        log.info("mentorbot is connected to Slack in Socket Mode")
        stop_transport = handler.close_async
    else:
        server = await start_http(adapter.app, slack.host, slack.port, probe, stopping=lambda: adapter.stopping)
        log.info("mentorbot listens for Slack on %s%s", server.url, EVENTS_PATH)
        if slack.oauth:
            log.info("install it in a workspace at %s%s", server.url, slack.install_path)
        stop_transport = server.stop
    stop = stop_signal()
    resumer = asyncio.create_task(keep_resuming(adapter, bot.settings.sweep_seconds))
    long_running.after_start()
    try:
        await stop.wait()
        log.info("stopping: no new events; finishing what is claimed")
    finally:
        await graceful_stop(adapter, runtime, services.messenger, bot, heartbeat, resumer, stop_transport)
        if health is not None:
            await health.cleanup()
        long_running.after_stop()


def stop_signal() -> asyncio.Event:
    """Set on SIGTERM (and SIGINT): the process stops taking events and exits cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests), or no signals here
            pass
    return stop


async def keep_resuming(adapter: SlackAdapter, every: float) -> None:
    """Open inbox rows: at start-up (a crash's leftovers), then now and then (a dead worker's)."""
    while True:
        try:
            await adapter.resume()
        except Exception:
            log.exception("resuming saved events failed; trying again later")
        await asyncio.sleep(min(every, 10.0))


async def graceful_stop(
    adapter: SlackAdapter,
    runtime: Any,
    messenger: Any,
    bot: Any,
    heartbeat: Any,
    resumer: asyncio.Task[Any],
    stop_transport: Any,
) -> None:
    """SIGTERM: 503 for new events, finish (or release) what is claimed, flush the outbox — within STOP_SECONDS."""
    adapter.stopping = True
    resumer.cancel()
    deadline = asyncio.get_running_loop().time() + STOP_SECONDS
    try:
        await asyncio.wait_for(adapter.idle(), max(deadline - asyncio.get_running_loop().time() - 4, 0.1))
    except TimeoutError:
        log.warning("stopping: events still being worked on are released for the next start")
    await runtime.stop()
    try:  # what the finished events caused goes out now rather than at the next start
        await asyncio.wait_for(
            bot.deliver_outbox(messenger), max(deadline - asyncio.get_running_loop().time() - 2, 0.1)
        )
    except TimeoutError:
        log.warning("stopping: the outbox is not empty; the next start sends the rest")
    if heartbeat is not None:
        await heartbeat.stop()
    elif adapter.inbox is not None:
        await adapter.inbox.release()
    await stop_transport()
    if adapter.inbox is not None:
        await adapter.inbox.close()
    await bot.close()
