"""Core settings, read from the environment (a `.env` file is loaded by the CLI).

Only keys the platform-neutral core needs live here; each adapter reads its own
keys (adapters/<platform>/settings.py). Every key is listed in `.env.example`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.events import Actor

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./mentorbot.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class ConfigError(ValueError):
    """A setting is present but unusable; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    program_path: str | None = None
    moderator_ids: frozenset[str] = field(default_factory=frozenset)
    timezone: str = "UTC"
    log_level: str = "INFO"
    sweep_seconds: float = 30.0
    # Interest polls: warn when would-be mentees outnumber mentors by more than this.
    mentee_mentor_ratio_warning: float = 3.0
    default_poll_days: int = 7
    # Files the bot keeps besides the database (dashboard charts, CSV exports; Discord's
    # command hash): adapters upload charts and exports from here. Same key and default as the Discord adapter.
    data_dir: str = "data"
    # Destinations the deliverer sends to at once (each in id order). Platforms pace about one
    # message a second per channel, so a burst to many channels and DMs drains only as fast
    # as this allows; database connections are held only around each record, not the send.
    delivery_concurrency: int = 16
    # Where pictures (the dashboard chart) are drawn when their message is delivered: a worker
    # "process" (default: the bot's event loop and acks never wait on matplotlib) or a "thread".
    picture_worker: str = "process"
    # A large matching round and a large CSV export run in a worker "process" (default), a "thread",
    # or "inline" on the event loop; communities smaller than heavy_work_min_members always run
    # inline (their round solves in milliseconds). See bot/core/heavy.py.
    heavy_work: str = "process"
    heavy_work_min_members: int = 2000
    # CSV exports hold personal data: their copies in data_dir are deleted after this many days.
    export_retention_days: float = 7.0
    # A workspace that uninstalled the app (a Discord server that removed the bot): its data is
    # deleted this many days later unless the app is installed again before (bot/features/admin/purge.py).
    purge_grace_days: float = 30.0
    # A small HTTP server for /healthz, /readyz and /metrics when the bot has no HTTP port of its
    # own (Socket Mode, Discord); None: off. Slack in HTTP mode serves them on PORT regardless.
    metrics_port: int | None = None
    # "plain" (default) or "json": one object per line for log search (adapters/ops/logs.py).
    log_format: str = "plain"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        def get(key: str) -> str | None:
            value = env.get(key, "").strip()
            return value or None

        tz = get("MENTORBOT_TIMEZONE") or "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"MENTORBOT_TIMEZONE={tz!r} is not an IANA timezone name (e.g. Europe/Berlin)") from exc

        def number(key: str, default: float, minimum: float) -> float:
            raw = get(key)
            if raw is None:
                return default
            try:
                value = float(raw)
            except ValueError as exc:
                raise ConfigError(f"{key}={raw!r} must be a number") from exc
            if value < minimum:
                raise ConfigError(f"{key}={raw!r} must be at least {minimum:g}")
            return value

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL={log_level!r} must be one of {', '.join(LOG_LEVELS)}")
        database_url = get("DATABASE_URL") or DEFAULT_DATABASE_URL
        _check_database_url(database_url)
        moderators = frozenset(part.strip() for part in (get("MENTORBOT_MODERATORS") or "").split(",") if part.strip())
        return cls(
            database_url=database_url,
            program_path=get("MENTORBOT_PROGRAM"),
            moderator_ids=moderators,
            timezone=tz,
            log_level=log_level,
            sweep_seconds=number("MENTORBOT_SWEEP_SECONDS", 30.0, 1.0),
            mentee_mentor_ratio_warning=number("MENTORBOT_RATIO_WARNING", 3.0, 1.0),
            default_poll_days=int(number("MENTORBOT_POLL_DAYS", 7, 1)),
            data_dir=get("MENTORBOT_DATA_DIR") or "data",
            delivery_concurrency=int(number("MENTORBOT_DELIVERY_CONCURRENCY", 16, 1)),
            picture_worker=_picture_worker(get("MENTORBOT_PICTURE_WORKER")),
            heavy_work=_heavy_work(get("MENTORBOT_HEAVY_WORK")),
            heavy_work_min_members=int(number("MENTORBOT_HEAVY_WORK_MIN_MEMBERS", 2000, 0)),
            export_retention_days=number("MENTORBOT_EXPORT_RETENTION_DAYS", 7.0, 0.0),
            purge_grace_days=number("MENTORBOT_PURGE_GRACE_DAYS", 30.0, 0.0),
            metrics_port=_port(get("METRICS_PORT")),
            log_format=_log_format(get("LOG_FORMAT")),
        )


def _check_database_url(url: str) -> None:
    """A URL SQLAlchemy can read, with one of the two async drivers mentorbot ships with."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError("DATABASE_URL is not a database URL (e.g. sqlite+aiosqlite:///./mentorbot.db)") from exc
    if parsed.drivername not in DRIVERS:
        raise ConfigError(
            f"DATABASE_URL uses {parsed.drivername!r}; use sqlite+aiosqlite:///… or postgresql+asyncpg://…"
        )


def _picture_worker(raw: str | None) -> str:
    mode = (raw or "process").lower()
    if mode not in ("process", "thread"):
        raise ConfigError(f"MENTORBOT_PICTURE_WORKER={raw!r} must be process or thread")
    return mode


def _heavy_work(raw: str | None) -> str:
    mode = (raw or "process").lower()
    if mode not in ("process", "thread", "inline"):
        raise ConfigError(f"MENTORBOT_HEAVY_WORK={raw!r} must be process, thread or inline")
    return mode


def _log_format(raw: str | None) -> str:
    fmt = (raw or "plain").lower()
    if fmt not in ("plain", "json"):
        raise ConfigError(f"LOG_FORMAT={raw!r} must be plain or json")
    return fmt


def _port(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"METRICS_PORT={raw!r} must be a port number (1-65535), or empty for none")
    return int(raw)


def is_moderator_actor(actor: Actor, settings: Settings) -> bool:
    """The one moderator rule: the platform says so (workspace admin, Manage Server, the
    configured moderator role) or the operator listed the user in MENTORBOT_MODERATORS."""
    return actor.platform_moderator or actor.user_id in settings.moderator_ids
