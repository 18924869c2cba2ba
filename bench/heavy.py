"""Benchmark: where should a 20k-member round be solved — a worker process, a thread, or in place?

While `propose_round` runs for a realistic community (bench/matching.py's generator; 20k
profiles by default), a probe on the event loop sleeps 5 ms again and again and records how
late it wakes up: the delay every acknowledgement would see. The worker (process or thread)
is started and warmed first, as the bot's is after its first heavy command; the profiles are
sent to it like the bot's worker receives its job's result (pickled, for the process).

One JSON line per mode:
    .venv/bin/python -m bench.heavy [--mentees 16000] [--mentors 4000] [--modes process thread inline]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from bench.matching import make_community


def solve(profiles: list[Any], rules: Any) -> int:
    """Runs in the worker: the same engine call as the round's prepare step."""
    from bot.features.matching import propose_round

    return len(propose_round(profiles, rules).pairs)


def warm() -> bool:
    import bot.features.matching.round  # noqa: F401  (numpy, SciPy, OR-Tools)

    return True


async def probe(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append((time.perf_counter() - started - 0.005) * 1000)


async def one(mode: str, profiles: list[Any], rules: Any) -> dict[str, Any]:
    pool: Executor | None = None
    if mode == "process":
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    elif mode == "thread":
        pool = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()
    if pool is not None:
        await loop.run_in_executor(pool, warm)
    else:
        warm()
    stop, lags = asyncio.Event(), []
    prober = asyncio.create_task(probe(stop, lags))
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    if pool is not None:
        pairs = await loop.run_in_executor(pool, solve, profiles, rules)
    else:
        pairs = solve(profiles, rules)
    took = time.perf_counter() - started
    await asyncio.sleep(0.05)
    stop.set()
    await prober
    if pool is not None:
        pool.shutdown()
    lags.sort()
    return {
        "bench": "heavy",
        "mode": mode,
        "profiles": len(profiles),
        "pairs": pairs,
        "solve_s": round(took, 2),
        "loop_lag_p50_ms": round(lags[len(lags) // 2], 1),
        "loop_lag_p99_ms": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 1),
        "loop_lag_max_ms": round(lags[-1], 1),
        "probes": len(lags),
        "load_avg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentees", type=int, default=16_000)
    parser.add_argument("--mentors", type=int, default=4_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--modes", nargs="+", default=["process", "thread", "inline"])
    args = parser.parse_args()
    profiles, rules = make_community(args.mentees, args.mentors, args.seed)
    for mode in args.modes:
        print(json.dumps(asyncio.run(one(mode, profiles, rules))), flush=True)


if __name__ == "__main__":
    main()
