"""Prometheus metrics the bot keeps while it runs (scraped from /metrics, adapters/ops/health.py).

Names follow Prometheus conventions (`mentorbot_` prefix, base units, `_total` for
counters). Labels carry only bounded, non-personal values — platform, operation,
kind — never member ids, names, channel ids or texts. Gauges computed from the
database (inbox and outbox depth and oldest age) are set at scrape time by the health
server. `disable()` turns every call into a no-op (the ack bench measures the cost).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from bot.core.ports import Delivered, DeliveryResult, PermanentFailure, RetryLater

INBOX_DEPTH = Gauge("mentorbot_inbox_depth", "Inbound events saved and not finished yet (handled, replies sent).")
INBOX_OLDEST_AGE = Gauge(
    "mentorbot_inbox_oldest_age_seconds", "Age of the oldest inbound event that is not finished yet."
)
EVENTS_RECEIVED = Counter(
    "mentorbot_events_received_total",
    "Inbound events saved to the inbox before their ack, redeliveries included.",
    ["platform", "kind"],
)
EVENTS_HANDLED = Counter(
    "mentorbot_events_handled_total",
    "Events the core handled, by kind and outcome (ok, refused, duplicate, error).",
    ["platform", "kind", "outcome"],
)
EVENT_DURATION = Histogram(
    "mentorbot_event_handling_seconds",
    "Time the core took to handle one event (its whole transaction).",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_DEPTH = Gauge("mentorbot_outbox_depth", "Outbox messages waiting to be delivered (pending or in flight).")
OUTBOX_OLDEST_AGE = Gauge(
    "mentorbot_outbox_oldest_age_seconds", "Age of the oldest outbox message still waiting to be delivered."
)
DELIVERY_LATENCY = Histogram(
    "mentorbot_delivery_latency_seconds",
    "From a message entering the outbox to the platform accepting it.",
    ["platform"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
RATE_LIMITED = Counter(
    "mentorbot_platform_rate_limited_total", "Platform calls answered 429 (rate limited).", ["platform", "method"]
)
RETRIES = Counter(
    "mentorbot_delivery_retries_total",
    "Deliveries put back for a later retry, 429s included.",
    ["platform", "method"],
)
FAILED = Counter(
    "mentorbot_delivery_failures_total", "Deliveries the platform refused for good.", ["platform", "method"]
)
SWEEP_LAG = Gauge(
    "mentorbot_sweep_lag_seconds",
    "How late the earliest due item (poll close, reminder, retry) was when the sweep ran.",
)
SWEEPS = Counter("mentorbot_sweeps_total", "Sweep and delivery ticks run.")
MATCHING_ROUND_DURATION = Histogram(
    "mentorbot_matching_round_duration_seconds",
    "Time the matching engine took to propose a round.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
ERRORS = Counter("mentorbot_errors_total", "Errors logged, by exception type (or logger when there is none).", ["kind"])


def observe_delivery(platform: str, operation: str, result: DeliveryResult, queued_seconds: float) -> None:
    """Count one outbox delivery attempt by its outcome. Its `method` label is the outbox
    operation (post, update, pin…); transports that retry in place (slack_sdk) count their
    429s under the Web API method instead (`count_rate_limited`)."""
    if isinstance(result, Delivered):
        DELIVERY_LATENCY.labels(platform).observe(max(queued_seconds, 0.0))
    elif isinstance(result, RetryLater):
        RETRIES.labels(platform, operation).inc()
        if result.reason == "rate limited":
            RATE_LIMITED.labels(platform, operation).inc()
    elif isinstance(result, PermanentFailure):
        FAILED.labels(platform, operation).inc()


def count_rate_limited(platform: str, method: str, *, retried: bool) -> None:
    """A 429 seen by the transport itself; `retried` when it waits and tries again in place."""
    RATE_LIMITED.labels(platform, method[:60]).inc()
    if retried:
        RETRIES.labels(platform, method[:60]).inc()


def platform_name(messenger: object) -> str:
    """A short platform label from the messenger ("slack", "discord", "console")."""
    named = getattr(messenger, "platform", None)
    if isinstance(named, str):
        return named
    return type(messenger).__name__.lower().replace("messenger", "") or "unknown"


class _Off:
    """Stands in for every metric once metrics are disabled: each call does nothing."""

    def labels(self, *_: Any, **__: Any) -> _Off:
        return self

    def inc(self, *_: Any) -> None:
        pass

    def set(self, *_: Any) -> None:
        pass

    def observe(self, *_: Any) -> None:
        pass

    @contextmanager
    def time(self) -> Iterator[None]:
        yield


def disable() -> None:
    """Make every metric a no-op in this process (callers look them up at each use)."""
    names = [name for name, value in globals().items() if isinstance(value, (Counter, Gauge, Histogram))]
    for name in names:
        globals()[name] = _Off()
