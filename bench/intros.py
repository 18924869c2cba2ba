"""Benchmark: a round's introductions at the platform's ceiling, through the real outbox,
the platform's messenger and SDK into the local fake enforcing the platform's limits.

Slack (default): each introduction is a group DM (conversations.open — Tier 3, 50 a
minute — then chat.postMessage). The fake and the messenger's pacing share a scaled
clock, so a 5,000-pair round (≈ 100 minutes of Slack time) runs in minutes; `--scale 1`
runs in real time and shows the scaled run is honest.

Discord (`--platform discord`, real time only): bots cannot open group DMs, so each
member gets the introduction in their own DM — two Create DM requests (one bucket for
the whole bot) and two Create Message requests (a bucket per DM channel) an
introduction, under the global 50 a second. The fake announces its buckets in
`X-RateLimit-*` headers (Create DM `--dm-limit` per `--dm-window` s, default 10 per
1 s — Discord does not publish it; Create Message 5 per 5 s per channel) and refuses
what goes beyond them. discord.py sleeps on the real clock, so nothing is scaled: at
the default bucket 5,000 pairs take about 17 minutes.

One JSON line per run:
- platform_s: the round's duration on the platform's clock; ceiling_s: the shortest
  the limits allow (Slack: (pairs − 1) × 1.2 s; Discord: the busiest of the Create DM
  bucket's windows and the global limit, from what the fake announces);
  vs_ceiling = ceiling_s / platform_s (target ≥ 0.9).
- violations: requests the fake refused — beyond a tier or bucket, beyond the global
  limit, or inside a global retry_after (target 0); lost and duplicated: introductions
  missing or arriving twice (target 0).
- tolerance: loopback jitter allowed by the fake (Slack 10 ms real × scale; Discord 10 ms).

What it does not show: Slack's own burst allowance above the tier; Discord's real
per-route limits (unpublished: the Create DM bucket is an assumption, change it with
--dm-limit/--dm-window) or its private-thread path (DISCORD_INTRO_CHANNEL_ID: a thread,
its members and a send per introduction, not run here); a Discord round with
members who already have a DM channel open (no Create DM then: only the global
limit binds); a `/mentor match approve` of N pairs end to end (rows are queued
directly, all due at once, not spread by the core).

    .venv/bin/python -m bench.intros [--pairs 5000] [--scale 50] [--workers 1]
        [--database-url postgresql+asyncpg://…] [--platform discord --scale 1
        [--dm-limit 10 --dm-window 1]]
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
