"""Benchmark: a round's introductions at Slack's Tier 3 ceiling, through the real
outbox, SlackMessenger and slack_sdk into a fake Slack that enforces the tiers.

Each introduction is a group DM (conversations.open — Tier 3, 50 a minute — then
chat.postMessage). The fake and the messenger's pacing share a scaled clock, so a
5,000-pair round (≈ 100 minutes of Slack time) runs in minutes; `--scale 1` runs in
real time and shows the scaled run is honest. One JSON line per run:

- platform_s: the round's duration in Slack time; ceiling_s: the shortest the tier
  allows ((pairs − 1) × 1.2 s); vs_ceiling = ceiling_s / platform_s (target ≥ 0.9).
- violations: calls the fake refused as beyond the tier (target 0); lost and
  duplicated: introductions missing or posted twice (target 0).
- tolerance_platform_s: loopback jitter allowed by the fake (10 ms real × scale).

What it does not show: Discord (discord.py sleeps on the real clock, so it cannot
be scaled; see bench/storm.py); Slack's own burst allowance above the tier.

    .venv/bin/python -m bench.intros [--pairs 5000] [--scale 50] [--workers 1]
        [--database-url postgresql+asyncpg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os

from tests.support.bench_api import run_discord_intros, run_intros


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--scale", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("INTROS_DATABASE_URL"))
    parser.add_argument("--platform", choices=("slack", "discord"), default="slack")
    parser.add_argument("--dm-limit", type=int, default=10, help="Discord: Create DM bucket, requests per window")
    parser.add_argument("--dm-window", type=float, default=1.0, help="Discord: Create DM bucket window (s)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    start_load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if args.platform == "discord":
        if args.scale != 1:
            parser.error("Discord runs in real time only (--scale 1): discord.py sleeps on the real clock")
        figures = await run_discord_intros(
            args.pairs,
            workers=args.workers,
            database_url=args.database_url,
            dm_limit=args.dm_limit,
            dm_window=args.dm_window,
        )
    else:
        figures = await run_intros(args.pairs, scale=args.scale, workers=args.workers, database_url=args.database_url)
    figures["load_start"] = start_load
    figures["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
