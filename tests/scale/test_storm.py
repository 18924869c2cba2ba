"""A small 429 storm on both platforms: every message arrives once, none too early.

The same run as bench/storm.py (tests/support/storm.py), with small numbers and a short
pace so it stays fast: the fakes enforce the per-channel pace, the Retry-After of
every 429 they give and the per-method tiers, and record any call that comes
earlier as a violation.
"""

from __future__ import annotations

from tests.support.discord_storm import discord_ceiling
from tests.support.slack_storm import slack_ceiling
from tests.support.storm import run_discord, run_slack


async def test_slack_storm_delivers_everything_and_never_early() -> None:
    ceiling = slack_ceiling(pace=0.2, storm_fraction=0.2, retry_after=1, seed=3)
    result = await run_slack(16, 3, 1, ceiling, seed=3, limit_seconds=120)
    assert result["delivered"] == result["total"] == 16
    assert result["outbox_final"] == 16
    assert result["duplicates"] == 0
    assert ceiling.storms > 0, "the storm must actually hit"
    assert ceiling.violations == []


async def test_discord_storm_delivers_everything_and_never_early() -> None:
    ceiling = discord_ceiling(pace=0.2, storm_fraction=0.2, retry_after=0.3, seed=3)
    result = await run_discord(16, 3, 1, ceiling, seed=3, limit_seconds=120)
    assert result["delivered"] == result["total"] == 16
    assert result["outbox_final"] == 16
    assert result["duplicates"] == 0
    assert ceiling.storms > 0, "the storm must actually hit"
    assert ceiling.violations == []
