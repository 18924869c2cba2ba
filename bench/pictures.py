"""Which picture worker keeps acknowledgements fast: a process or a thread?

While the deliverer draws dashboard charts one after another (each redrawn: the
figures change every time), a member runs `/mentor help` every 20 ms through
`MentorBot.handle` — the work an adapter does before it can answer the
platform. Prints, per worker (and once with no chart being drawn, the baseline),
the p50 / p99 / max time of those commands and how long each chart took.

    .venv/bin/python -m bench.pictures [--charts 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _figures(i: int) -> str:
    weeks = [[f"2026-{1 + w // 4:02d}-{1 + 7 * (w % 4):02d}", 10 + (w * i) % 17, 5 + w] for w in range(40)]
    topics = [[f"Topic {t}", 3 + t, t % 3, 2 + (t * i) % 9] for t in range(8)]
    return json.dumps({"v": 2, "weeks": weeks, "topics": topics})


async def _acks(bot: Any, event: Any, stop: asyncio.Event, times: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await bot.handle(event)
        times.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)


async def run(mode: str | None, charts: int, tmp: Path) -> dict[str, Any]:
    from bot.bootstrap import bootstrap
    from bot.core import messages as msg
    from bot.core.clock import ManualClock
    from bot.core.events import Actor, CommunityRef, SlashCommand
    from bot.core.settings import Settings
    from bot.delivery.pictures import PictureWorker, drawer_name
    from bot.features.stats.chart import draw_dashboard_chart

    settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp}/acks-{mode}.db")
    bot = await bootstrap(settings, clock=ManualClock(datetime(2026, 11, 23, tzinfo=UTC)))
    event = SlashCommand(CommunityRef("bench", "c1", "Bench"), Actor("U1", "Ann"), "#general", "help")
    await bot.handle(event)  # the member and community exist; statements are built
    worker = PictureWorker(mode) if mode else None
    if worker is not None:
        worker.prepare()
        await worker.ready(
            msg.Message(
                (msg.Image(str(tmp / f"warm-{mode}.png"), "", "c.png", drawer_name(draw_dashboard_chart), _figures(0)),)
            )
        )
    acks: list[float] = []
    drawn: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.ensure_future(_acks(bot, event, stop, acks))
    for i in range(1, charts + 1):
        started = time.perf_counter()
        if worker is None:
            await asyncio.sleep(0.5)  # baseline: the same span with nothing drawn
        else:
            path = tmp / f"chart-{mode}-{i}.png"
            await worker.ready(
                msg.Message((msg.Image(str(path), "", "c.png", drawer_name(draw_dashboard_chart), _figures(i)),))
            )
        drawn.append((time.perf_counter() - started) * 1000)
    stop.set()
    await probe
    if worker is not None:
        worker.close()
    await bot.close()
    acks.sort()
    return {
        "picture_worker": mode or "none (baseline)",
        "charts": charts if worker else 0,
        "chart_ms_p50": round(statistics.median(drawn), 1) if worker else None,
        "ack_ms_p50": round(statistics.median(acks), 1),
        "ack_ms_p99": round(acks[int(0.99 * (len(acks) - 1))], 1),
        "ack_ms_max": round(acks[-1], 1),
        "acks_timed": len(acks),
        "load_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--charts", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for mode in (None, "process", "thread"):
            print(json.dumps(asyncio.run(run(mode, args.charts, Path(tmp)))), flush=True)


if __name__ == "__main__":
    main()
