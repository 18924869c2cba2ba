"""Discord's rate limits enforced the way its response headers announce them (opt-in).

Discord publishes one figure, the global limit (50 requests a second per bot; interaction
callbacks and webhooks are exempt). Everything else is a per-route *bucket* that a
client learns from the headers of each response: `X-RateLimit-Limit` requests per
window, `X-RateLimit-Remaining` left in it, `X-RateLimit-Reset-After` seconds until it
refills, `X-RateLimit-Bucket` naming it. A bucket is per route and major parameter
(the channel of `POST /channels/{id}/messages`; one for the bot for a route without
one, such as `POST /users/@me/channels`).

`RouteBuckets` models that: a fixed window per (rule, major parameter) that opens with
its first request and holds `limit` requests, and a sliding one-second window over
every non-exempt request for the global limit. A request beyond its bucket is answered
429 (the bucket's scope); a request beyond the global limit is answered a global 429,
and every request that arrives before that global `retry_after` has run out gets one
too. Each refusal is a **violation** (`violations`): a client that keeps to what the
headers said never meets one. `tolerance` absorbs loopback jitter (a request that left
in time and arrived a few milliseconds early relative to the window) and is reported.
"""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BucketRule:
    method: str
    pattern: re.Pattern[str]  # fullmatch on the path after /api/v10; group "major" if any
    name: str  # the X-RateLimit-Bucket value
    limit: int
    window: float  # seconds from a window's first request until it refills


def message_create(limit: int = 5, window: float = 5.0) -> BucketRule:
    """Create Message, per channel (the widely reported 5 per 5 s)."""
    return BucketRule("POST", re.compile(r"/channels/(?P<major>[0-9]+)/messages"), "msg-create", limit, window)


def dm_create(limit: int = 10, window: float = 1.0) -> BucketRule:
    """Create DM, one bucket for the bot (Discord does not publish it; an assumption)."""
    return BucketRule("POST", re.compile(r"/users/@me/channels"), "dm-create", limit, window)


@dataclass
class Violation:
    route: str
    reason: str  # "bucket", "global", "inside global retry_after"
    early_by: float  # seconds before the request would have been allowed


@dataclass
class Admission:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float = 0.0
    is_global: bool = False


@dataclass
class _Window:
    resets_at: float
    used: int = 0


class RouteBuckets:
    """Per-route fixed windows plus the bot's global limit, on an injectable clock."""

    def __init__(
        self,
        rules: list[BucketRule],
        *,
        global_limit: int = 50,
        global_window: float = 1.0,
        tolerance: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rules = rules
        self.global_limit = global_limit
        self.global_window = global_window
        self.tolerance = tolerance
        self.clock = clock
        self._windows: dict[str, _Window] = {}
        self._recent: deque[float] = deque()
        self.global_until = float("-inf")
        self.violations: list[Violation] = []
        self.accepted: Counter[str] = Counter()  # rule name (or "other") -> requests let through

    def _rule(self, method: str, path: str) -> tuple[BucketRule | None, str]:
        for rule in self.rules:
            if rule.method == method and (match := rule.pattern.fullmatch(path)):
                major = match.groupdict().get("major") or ""
                return rule, f"{rule.name}:{major}"
        return None, ""

    def _refuse(self, route: str, reason: str, wait: float, *, is_global: bool, rule: BucketRule | None) -> Admission:
        self.violations.append(Violation(route, reason, wait))
        headers = {"X-RateLimit-Scope": "global" if is_global else "user"}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        elif rule is not None:
            headers.update(self._headers(rule, 0, wait))
        return Admission(False, headers, max(wait, 0.001), is_global)

    def _headers(self, rule: BucketRule, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": rule.name,
        }

    def admit(self, method: str, path: str, *, exempt: bool = False) -> Admission:
        """Decide one request (path without the /api/v10 prefix)."""
        now = self.clock()
        route = f"{method} {path}"
        rule, key = self._rule(method, path)
        if not exempt:
            if now < self.global_until - self.tolerance:
                return self._refuse(
                    route, "inside global retry_after", self.global_until - now, is_global=True, rule=rule
                )
            while self._recent and self._recent[0] <= now - self.global_window + self.tolerance:
                self._recent.popleft()
            if len(self._recent) >= self.global_limit:
                wait = self._recent[0] + self.global_window - now
                self.global_until = now + wait
                return self._refuse(route, "global", wait, is_global=True, rule=rule)
        headers: dict[str, str] = {}
        if rule is not None:
            window = self._windows.get(key)
            if window is None or now >= window.resets_at - self.tolerance:
                window = self._windows[key] = _Window(now + rule.window)
            if window.used >= rule.limit:
                return self._refuse(route, "bucket", window.resets_at - now, is_global=False, rule=rule)
            window.used += 1
            headers = self._headers(rule, rule.limit - window.used, window.resets_at - now)
        if not exempt:
            self._recent.append(now)
        self.accepted[rule.name if rule else "other"] += 1
        return Admission(True, headers)

    def ceiling_seconds(self, requests: dict[str, int], total: int) -> float:
        """The shortest time in which any client gets `requests[rule name]` requests
        through the busiest bucket of that rule and `total` requests in all through the
        global limit: the ceiling a round is measured against."""
        floors = [((total - 1) // self.global_limit) * self.global_window if total else 0.0]
        for rule in self.rules:
            n = requests.get(rule.name, 0)
            if n:
                floors.append((-(-n // rule.limit) - 1) * rule.window)
        return max(floors)
