"""FakeDiscord with Discord's rate ceiling enforced (see tests/support/ceiling.py).

Message sends are paced per channel and every accepted send says so the way
Discord does — `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset-After` for the
channel's bucket — so discord.py paces itself from the headers like it does in
production. The storm answers a seeded fraction of sends 429 with `retry_after`;
all REST calls share a global limit (50 per second). A call that comes earlier
than allowed is recorded as a violation and answered 429.
"""

from __future__ import annotations

import re

from aiohttp import web

from tests.fakes.discord import FakeDiscord
from tests.support.ceiling import Ceiling, Verdict

SEND = "POST /channels/{id}/messages"
GLOBAL = "global"
_SEND_PATH = re.compile(r"^/channels/(\d+)/messages$")


def discord_ceiling(
    *, pace: float = 1.0, storm_fraction: float = 0.15, retry_after: float = 1.0, seed: int = 9
) -> Ceiling:
    """One message per second per channel, 50 REST calls per second in all, with a storm."""
    return Ceiling(
        pace=pace,
        paced_methods=frozenset({SEND}),
        tiers={GLOBAL: (50, 1.0)},
        storm_fraction=storm_fraction,
        storm_retry_after=retry_after,
        storm_methods=frozenset({SEND}),
        seed=seed,
    )


class CeilingDiscord(FakeDiscord):
    """The local fake Discord, rate-limited like Discord is."""

    def __init__(self, ceiling: Ceiling) -> None:
        super().__init__()
        self.ceiling = ceiling

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix("/api/v10")
        match = _SEND_PATH.match(path) if request.method == "POST" else None
        channel = match.group(1) if match else None
        decision = self.ceiling.check(GLOBAL, None)
        if decision.verdict is Verdict.ALLOW and channel is not None:
            decision = self.ceiling.check(SEND, channel)
        if decision.verdict is not Verdict.ALLOW:
            return self._limited(decision.retry_after, is_global=channel is None)
        response = await super()._rest(request)
        if channel is not None and response.status < 400:
            # Discord tells the client its bucket is empty until Reset-After.
            response.headers.update(
                {
                    "X-RateLimit-Limit": "1",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": f"{self.ceiling.pace:.3f}",
                    "X-RateLimit-Bucket": "channel-messages",
                }
            )
        return response

    def _limited(self, retry_after: float, *, is_global: bool) -> web.Response:
        headers = {
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "1",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": "channel-messages",
            "X-RateLimit-Scope": "global" if is_global else "user",
            "Via": "1.1 google",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        return self._json(body, 429, headers)
