"""Rate limits and injected failures on REST routes, answered the way Discord does
(429 with `retry_after` and rate-limit headers; error status with a JSON code)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from aiohttp import web

from .buckets import Admission, BucketRule, RouteBuckets, dm_create, message_create


@dataclass
class RateLimitRule:
    method: str
    pattern: re.Pattern[str]
    remaining: int
    retry_after: float
    is_global: bool
    via: bool
    every: int = 0  # >0: every n-th matching call is limited (until `remaining` runs out)
    seen: int = 0


class RateLimits:
    """`rate_limit()`, `fail()` and `stall_answers()` rules, consumed by the REST dispatch."""

    _stalls: list[tuple[str, re.Pattern[str], asyncio.Event]]

    def rate_limit(
        self,
        method: str,
        path_regex: str,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        via: bool = True,
        every: int = 0,
    ) -> None:
        """Answer the next `times` matching calls (or every `every`-th one) with 429.

        `via=False` mimics a Cloudflare ban page (no `Via` header), which discord.py does not retry.
        """
        self._rules.append(
            RateLimitRule(method.upper(), re.compile(path_regex), times, retry_after, is_global, via, every)
        )

    def enforce_buckets(
        self, rules: list[BucketRule] | None = None, *, global_limit: int = 50, tolerance: float = 0.01
    ) -> RouteBuckets:
        """Enforce Discord's global limit and these per-route buckets (default: Create DM and
        Create Message), announcing them in `X-RateLimit-*` headers; refusals are recorded in
        the returned `RouteBuckets.violations`."""
        self.buckets = RouteBuckets(
            rules if rules is not None else [dm_create(), message_create()],
            global_limit=global_limit,
            tolerance=tolerance,
        )
        return self.buckets

    def _bucket_429(self, admission: Admission) -> web.Response:
        headers = {"Retry-After": str(max(1, round(admission.retry_after))), "Via": "1.1 google"}
        headers.update(admission.headers)
        headers.setdefault("X-RateLimit-Reset-After", f"{admission.retry_after:.3f}")
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(admission.retry_after, 3),
            "global": admission.is_global,
        }
        return self._json(body, 429, headers)

    def stall_answers(self, method: str, path_regex: str) -> asyncio.Event:
        """Matching requests are counted (and admitted to their bucket) at once, but their
        answers wait until the returned event is set: a slow answer, as a busy worker or a
        slow network makes it."""
        released = asyncio.Event()
        self._stalls.append((method.upper(), re.compile(path_regex), released))
        return released

    async def _stall(self, method: str, path: str) -> None:
        for stall_method, pattern, released in self._stalls:
            if stall_method == method and pattern.search(path):
                await released.wait()

    def fail(self, method: str, path_regex: str, *, status: int, code: int = 0, times: int = 1) -> None:
        """Answer the next `times` matching calls with an error (e.g. 503, or 403 code 50013)."""
        self._failures.append([method.upper(), re.compile(path_regex), status, code, times])

    def _too_many(self, rule: RateLimitRule) -> web.Response:
        headers = {
            "Retry-After": str(max(1, round(rule.retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(rule.retry_after),
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "global" if rule.is_global else "user",
        }
        if rule.via:
            headers["Via"] = "1.1 google"
        if rule.is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": rule.retry_after, "global": rule.is_global}
        return self._json(body, 429, headers)
