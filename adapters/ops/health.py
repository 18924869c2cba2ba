"""Health and metrics over HTTP: `/healthz` (the process answers), `/readyz` (database
reachable, scheduler running, platform connected) and `/metrics` (Prometheus text format).

Slack in HTTP mode serves them on its own port next to /slack/events; every other
mode serves them on METRICS_PORT when it is set (`start_health_server`).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from sqlmodel import col

from bot.core import metrics
from storage.db import Database
from storage.tables import InboxEvent, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
WAITING = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


@dataclass
class HealthProbe:
    db: Database
    # The runtime starts late on Discord (after login), so it is looked up on every probe.
    scheduler_running: Callable[[], bool]
    # The platform's connection (Discord's gateway, Slack's Socket Mode websocket); None where
    # the platform reaches us instead (Slack HTTP mode: this server answering is the connection).
    platform_connected: Callable[[], bool | Awaitable[bool]] | None = None

    async def platform_ok(self) -> bool | None:
        if self.platform_connected is None:
            return None
        try:
            answer = self.platform_connected()
            return bool(await answer) if inspect.isawaitable(answer) else bool(answer)
        except Exception:  # a probe never fails the probe; the reason goes to the log
            log.warning("readiness: could not ask the platform connection", exc_info=True)
            return False

    async def database_ok(self) -> bool:
        try:
            async with self.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # any driver error means "not ready"; the reason goes to the log
            log.warning("readiness: the database did not answer", exc_info=True)
            return False
        return True

    async def refresh_queue_gauges(self) -> None:
        """Inbox and outbox depth and oldest age, read at scrape time (cheap: each reads an index)."""
        async with self.db.unit() as session:
            outbox = (
                await session.execute(
                    select(func.count(), func.min(OutboxMessage.created_at)).where(
                        col(OutboxMessage.status).in_(WAITING)
                    )
                )
            ).one()
            inbox = (
                await session.execute(
                    select(func.count(), func.min(InboxEvent.received_at)).where(col(InboxEvent.finished_at).is_(None))
                )
            ).one()
        now = datetime.now(UTC)
        for (depth, oldest), depth_gauge, age_gauge in (
            (outbox, metrics.OUTBOX_DEPTH, metrics.OUTBOX_OLDEST_AGE),
            (inbox, metrics.INBOX_DEPTH, metrics.INBOX_OLDEST_AGE),
        ):
            depth_gauge.set(depth)
            if oldest is not None and oldest.tzinfo is None:  # min() skips the column type on SQLite
                oldest = datetime.fromisoformat(oldest) if isinstance(oldest, str) else oldest
                oldest = oldest.replace(tzinfo=UTC)
            age_gauge.set(max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)


def add_health_routes(app: web.Application, probe: HealthProbe) -> None:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        checks = {"database": await probe.database_ok(), "scheduler": probe.scheduler_running()}
        platform = await probe.platform_ok()
        if platform is not None:
            checks["platform"] = platform
        ready = all(checks.values())
        return web.json_response({"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503)

    async def scrape(_: web.Request) -> web.Response:
        try:
            await probe.refresh_queue_gauges()
        except Exception:  # a scrape still answers with what the process knows
            log.warning("metrics: could not read the inbox and outbox", exc_info=True)
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", scrape)


async def start_health_server(probe: HealthProbe, port: int, host: str = "0.0.0.0") -> web.AppRunner:
    """The small separate server for modes without an HTTP port of their own."""
    app = web.Application()
    add_health_routes(app, probe)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("health and metrics on port %s (/healthz, /readyz, /metrics)", port)
    return runner


class ErrorCounter(logging.Handler):
    """Counts ERROR records into mentorbot_errors_total by exception type, else by logger:
    bounded labels that say what broke without carrying any message text."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else record.name
        metrics.ERRORS.labels(kind[:80]).inc()


def install_error_counter() -> None:
    root = logging.getLogger()
    if not any(isinstance(h, ErrorCounter) for h in root.handlers):
        root.addHandler(ErrorCounter())
