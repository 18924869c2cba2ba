"""Benchmark: time to deliver 100 queued DMs through SlackMessenger to the local fake
Slack, with a 429 (Retry-After: 1) on every 20th chat.postMessage.

Runs the real core outbox deliverer (`bot.deliver_outbox`) with the production
pacing (1 post/s per channel; each DM is its own channel) and slack_sdk's retry
handlers. Prints one JSON line per run and a summary line with the median.

    .venv/bin/python -m bench.slack_delivery --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import replace

from adapters.slack.messenger import SlackMessenger, make_web_client
from bot.bootstrap import bootstrap
from bot.core.events import CommunityRef
from bot.core.messages import Mention, message, text
from bot.core.ports import Destination
from bot.core.settings import Settings
from bot.delivery.outbox import Outbox
from bot.mentorbot import ensure_community
from tests.support.bench_api import BOT_TOKEN, FakeSlack


async def one_run(dms: int, every: int) -> dict[str, object]:
    fake = FakeSlack()
    for i in range(dms):
        fake.add_user(f"U{i:06d}", f"Member {i}")
    fake.rate_limit_every("chat.postMessage", every=every, retry_after=1)
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp}/bench.db")
        bot = await bootstrap(settings)
        try:
            async with bot.db.unit() as session:
                now = bot.clock.now()
                community = await ensure_community(session, CommunityRef("slack", fake.team_id), now, settings)
                outbox = Outbox(session, community.id, now)
                for i in range(dms):
                    await outbox.post(
                        Destination.dm(f"U{i:06d}"),
                        message(text("Hi ", Mention(f"U{i:06d}"), ", your mentorship match is ready.")),
                        dedupe_key=f"bench:{i}",
                    )
            messenger = SlackMessenger(make_web_client(BOT_TOKEN, base_url=fake.api_url), pace_seconds=1.0)
            start = time.perf_counter()
            delivered = 0
            while delivered < dms:
                delivered += await bot.deliver_outbox(messenger)
                if time.perf_counter() - start > 300:
                    break
            seconds = time.perf_counter() - start
        finally:
            await bot.close()
    posted = sum(len(c.messages) for c in fake.channels.values() if c.is_im)
    limited = len([c for c in fake.calls_to("chat.postMessage") if c.error == "ratelimited"])
    await fake.stop()
    return {
        "bench": "slack_delivery",
        "dms": dms,
        "delivered": posted,
        "rate_limited_429": limited,
        "api_calls": len(fake.calls),
        "seconds": round(seconds, 3),
        "dms_per_second": round(posted / seconds, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dms", type=int, default=100)
    parser.add_argument("--every", type=int, default=20, help="429 on every Nth chat.postMessage")
    args = parser.parse_args()
    results = []
    for _ in range(args.runs):
        result = await one_run(args.dms, args.every)
        results.append(result)
        print(json.dumps(result), flush=True)
    print(
        json.dumps(
            {
                "bench": "slack_delivery",
                "summary": True,
                "runs": args.runs,
                "median_seconds": round(statistics.median(r["seconds"] for r in results), 3),
                "median_429s": statistics.median(r["rate_limited_429"] for r in results),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
