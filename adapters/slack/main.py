"""`mentorbot run` with Slack: wire settings, the core, the messenger and Bolt.

`serve(settings, env)` picks the transport from the environment (see
adapters/slack/settings.py): Socket Mode when SLACK_APP_TOKEN is set, otherwise
HTTP mode on PORT at /slack/events; OAuth mode (HTTP, many workspaces) when
SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import SlackAdapter
from adapters.slack.messenger import SlackMessenger, make_web_client
from adapters.slack.settings import EVENTS_PATH, SlackSettings

log = logging.getLogger(__name__)


@dataclass
class HttpServer:
    runner: web.AppRunner
    url: str  # base URL, e.g. http://127.0.0.1:3000

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_http(app: AsyncApp, host: str, port: int) -> HttpServer:
    """Serve the Bolt app's aiohttp application (POST /slack/events, OAuth pages)."""
    web_app = app.web_app(path=EVENTS_PATH, port=port)
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
) -> SlackServices:
    client = make_web_client(None if settings.oauth else settings.bot_token, base_url=settings.api_url)
    token_for = None
    if settings.oauth and installation_store is not None:

        async def token_for(team_id: str) -> str | None:
            found = await installation_store.async_find_bot(enterprise_id=None, team_id=team_id)
            return found.bot_token if found else None

    messenger = SlackMessenger(client, token_for=token_for, pace_seconds=pace_seconds, **shared_platform_state(bot, pace_seconds))
    adapter = SlackAdapter(
        bot.handle,
        settings,
        client=client,
        kick=kick,
        installation_store=installation_store,
        oauth_state_store=oauth_state_store,
        form_for=bot.router.form_for,
        form_by_id=bot.router.forms.get,
    )
    return SlackServices(adapter, messenger, client, installation_store)


async def serve(settings: Any, env: Mapping[str, str]) -> None:
    """Run mentorbot in Slack until cancelled."""
    from bot.bootstrap import bootstrap
    from bot.runtime import Runtime

    slack = SlackSettings.from_env(env)
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
    runtime.start()

    stop_transport: Any
    if slack.socket_mode:
        handler = await start_socket_mode(services.adapter.app, slack, services.client)
        log.info("mentorbot is connected to Slack in Socket Mode")
        stop_transport = handler.close_async
    else:
        server = await start_http(services.adapter.app, slack.host, slack.port)
        log.info("mentorbot listens for Slack on %s%s", server.url, EVENTS_PATH)
        if slack.oauth:
            log.info("install it in a workspace at %s%s", server.url, slack.install_path)
        stop_transport = server.stop
    try:
        await asyncio.Event().wait()
    finally:
        await stop_transport()
        await runtime.stop()
        await bot.close()
