"""Benchmark: what the Prometheus metrics cost on the Slack ack path, side by side.

The same mentorbot Slack process as `bench.ack` (the real core on a SQLite file with
`--members` member rows, Bolt in HTTP mode, the local fake Slack), started once with
metrics as shipped and once with `bot.core.metrics.disable()` (every metric call a
no-op), in alternating order, `--rounds` times each. Each run posts signed `/mentor`
commands at `--rate` per second for `--seconds` (open loop) and measures until each
HTTP request is answered. On the ack path the metrics are the inbox's received counter;
the core's handled counter and handling-time histogram run right after on the same loop.

One JSON line per run, then a summary line with the median p50/p99 per side:
    .venv/bin/python -m bench.metrics_ack [--rounds 3] [--seconds 20] [--rate 50] [--members 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.ack import Child, build, load
from tests.support.bench_api import FakeSlack

SIDES = ("mentorbot", "mentorbot-nometrics")


def per_event_cost_us(events: int = 200_000) -> float:
    """CPU time of the metric calls one Slack command makes (received counter, handled counter,
    handling-time histogram), in this process, per event: the part of the cost that does not
    depend on how busy the machine's other processes keep the event loop."""
    import time

    from bot.core import metrics

    started = time.process_time()
    for _ in range(events):
        metrics.EVENTS_RECEIVED.labels("bench", "command").inc()  # as the code does: labels looked up each time
        metrics.EVENTS_HANDLED.labels("bench", "command", "ok").inc()
        metrics.EVENT_DURATION.labels("command").observe(0.004)
    return round((time.process_time() - started) / events * 1e6, 2)


async def drive(args: argparse.Namespace) -> None:
    fake = FakeSlack()
    fake.add_channel("C0MENTOR", "mentorship")
    for i in range(5000):
        fake.add_user(f"U{i:08d}", f"Member {i}")
    await fake.start()
    runs: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for round_no in range(args.rounds):
                order = SIDES if round_no % 2 == 0 else SIDES[::-1]  # neither side always goes first
                for side in order:
                    db = Path(tmp) / f"{side}-{round_no}.db"  # a fresh copy each run: no side inherits rows
                    await build(db, args.members)
                    child = Child(side, db, fake.api_url)
                    url = await child.ready()
                    await asyncio.sleep(1)
                    result = await load(url, fake, args.rate, args.seconds)
                    child.stop()
                    run = {"bench": "metrics_ack", "round": round_no + 1, "metrics": side == "mentorbot", **result,
                           "load_avg": " ".join(f"{x:.2f}" for x in os.getloadavg())}  # fmt: skip
                    runs.append(run)
                    print(json.dumps(run), flush=True)
    finally:
        await fake.stop()

    def median(with_metrics: bool, key: str) -> float | None:
        values = [r[key] for r in runs if r["metrics"] is with_metrics and r[key] is not None]
        return round(statistics.median(values), 1) if values else None

    summary = {
        "bench": "metrics_ack_summary",
        "metric_calls_per_event_us": per_event_cost_us(),
        "rounds": args.rounds,
        "rate_per_s": args.rate,
        "seconds": args.seconds,
        "members": args.members,
        "with_metrics_p50_ms": median(True, "p50_ms"),
        "with_metrics_p99_ms": median(True, "p99_ms"),
        "without_metrics_p50_ms": median(False, "p50_ms"),
        "without_metrics_p99_ms": median(False, "p99_ms"),
        "errors": sum(r["errors"] for r in runs),
    }
    print(json.dumps(summary), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--members", type=int, default=20_000)
    asyncio.run(drive(parser.parse_args()))


if __name__ == "__main__":
    main()
