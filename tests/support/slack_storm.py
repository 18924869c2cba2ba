"""FakeSlack with Slack's rate ceiling enforced (see tests/support/ceiling.py).

chat.postMessage is paced per channel (Slack: about one message per second per
channel) and may be answered 429 + Retry-After by the storm; methods with a tier
(conversations.open is Tier 3: 50+/min) are limited per window. A call that comes
earlier than allowed is recorded as a violation and answered 429, as Slack would.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.slack import Call, FakeSlack
from tests.support.ceiling import Ceiling, Verdict

_ARGS = web.RequestKey("storm_args", dict)
PACED = frozenset({"chat.postMessage", "chat.postEphemeral"})
# Slack's published tiers (api.slack.com/methods/<method>): calls per minute per workspace.
SLACK_TIERS: dict[str, tuple[int, float]] = {
    "conversations.open": (50, 60.0),  # Tier 3
    "conversations.history": (50, 60.0),  # Tier 3
    "conversations.info": (50, 60.0),  # Tier 3
    "chat.update": (50, 60.0),  # Tier 3
    "pins.add": (20, 60.0),  # Tier 2
    "pins.remove": (20, 60.0),  # Tier 2
    "views.publish": (100, 60.0),  # Tier 4
    "users.info": (100, 60.0),  # Tier 4
}


def slack_ceiling(*, pace: float = 1.0, storm_fraction: float = 0.15, retry_after: int = 1, seed: int = 9) -> Ceiling:
    """Slack's documented limits, with a storm of 429s on chat.postMessage."""
    return Ceiling(
        pace=pace,
        paced_methods=PACED,
        tiers=dict(SLACK_TIERS),
        storm_fraction=storm_fraction,
        storm_retry_after=float(retry_after),
        storm_methods=frozenset({"chat.postMessage"}),
        seed=seed,
    )


class CeilingSlack(FakeSlack):
    """The local fake Slack, rate-limited like Slack is."""

    def __init__(self, ceiling: Ceiling, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.ceiling = ceiling

    async def _args(self, request: web.Request) -> dict[str, Any]:
        # The body can be read once (can_read_body turns False): keep what was parsed.
        if _ARGS not in request:
            request[_ARGS] = await super()._args(request)
        return dict(request[_ARGS])

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await self._args(request)
        channel = args.get("channel") if method in PACED else None
        decision = self.ceiling.check(method, str(channel) if channel else None)
        if decision.verdict is Verdict.ALLOW:
            return await super()._api(request)
        self.calls.append(Call(method, args, None, ok=False, error="ratelimited"))
        # Slack sends whole seconds; round up so an obedient client is never early.
        seconds = max(1, int(-(-decision.retry_after // 1)))
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(seconds)}
        )
