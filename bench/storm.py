"""Benchmark: a 429 storm on both platforms, through the real outbox and libraries.

300 messages (default) are queued in the outbox for 8 channels and 4 DMs in a
mixed order, then drained by the core's deliverer through SlackMessenger
(slack_sdk) and DiscordMessenger (discord.py) into local fakes that enforce the
platform's ceiling — 1 message/s per channel, a per-method tier (Slack) or global
limit (Discord) — and answer a seeded 15 % of otherwise-allowed sends 429 with
Retry-After 1 s. A call earlier than allowed is a violation (target 0).

drain_ratio = ideal_s / elapsed_s, where ideal_s is the best possible schedule for
the calls that were accepted (per channel: one per second plus every Retry-After
given; per tier: its quota). Target ≥ 0.9. One JSON line per platform and run.

    .venv/bin/python -m bench.storm [--messages 300] [--channels 8] [--dms 4]
        [--fraction 0.15] [--runs 1] [--platform slack|discord|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os

from tests.support.bench_api import discord_ceiling, run_discord, run_slack, slack_ceiling


def load() -> str:
    """The machine's load average while the figure was taken (other work shares it)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--dms", type=int, default=4)
    parser.add_argument("--fraction", type=float, default=0.15)
    parser.add_argument("--pace", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--platform", choices=("slack", "discord", "both"), default="both")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    platforms = ["slack", "discord"] if args.platform == "both" else [args.platform]
    for run in range(args.runs):
        for platform in platforms:
            if platform == "slack":
                ceiling = slack_ceiling(pace=args.pace, storm_fraction=args.fraction, seed=run + 1)
                result = await run_slack(args.messages, args.channels, args.dms, ceiling, seed=run + 1)
            else:
                ceiling = discord_ceiling(pace=args.pace, storm_fraction=args.fraction, seed=run + 1)
                result = await run_discord(args.messages, args.channels, args.dms, ceiling, seed=run + 1)
            result["load_avg"] = load()
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
