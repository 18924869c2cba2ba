"""Benchmark: how long approving a large round holds the event loop (SQLite, the default store).

A console community of N mentors and N mentees (one topic per pair, bench/crash.py's seed)
gets a proposal from `mentorbot console` (`/mentor match`); then, in a fresh process, the
approval runs as the bot runs it: `approve_round` in one unit of work, then the "introduce
approved pairs" sweep, one unit per run, until nothing is left — while a probe on the event
loop sleeps 5 ms again and again and records how late it wakes (what every acknowledgement
would wait). `--batch` sets `approval.APPROVE_BATCH`; `--batch 0` means everything in the
approving unit, as before batching. One JSON line per run, then the medians per batch size:

    .venv/bin/python -m bench.approve [--pairs 3000] [--runs 3] [--batch 50 0]

What it does not show: PostgreSQL (statements are awaited there, so the loop is free between
them, but one unit of 3,000 pairs is still one long transaction); delivery (the outbox sends
the introductions afterwards, paced: bench/intros.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.crash import T0, iso, seed_community

ROOT = Path(__file__).resolve().parent.parent


def propose(work: Path, pairs: int) -> Path:
    db = work / "proposed.db"
    asyncio.run(seed_community(db, pairs=pairs, paired=False))
    script = work / "match.txt"
    script.write_text("moderators: carol\n@carol /mentor match\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "DATABASE_URL"))}
    argv = [sys.executable, "-m", "adapters.cli", "console", "--db", str(db), "--script", str(script)]
    subprocess.run([*argv, "--start", iso(T0)], cwd=ROOT, env=env, check=True, capture_output=True)
    return db


async def approve(db_path: Path, batch: int) -> dict[str, object]:
    from sqlalchemy import func, select
    from sqlmodel import col

    from bot.features.rounds import approval
    from bot.features.rounds.proposal import RoundPolicy
    from storage.db import Database
    from storage.tables import MatchRound, Pairing

    approval.APPROVE_BATCH = batch or 1_000_000
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    lags: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - before - 0.005)

    task = asyncio.create_task(probe())
    await asyncio.sleep(0.05)
    began = time.perf_counter()
    async with db.unit() as session:
        round_ = (await session.execute(select(MatchRound).where(col(MatchRound.status) == "proposed"))).scalar_one()
        await approval.approve_round(session, round_, T0, RoundPolicy(), approved_by=1)
    units = 1
    while True:
        async with db.unit() as session:
            if await approval.next_pending(session) is None:
                break
            await approval.introduce_pending(session, T0, RoundPolicy(), None)
        units += 1
        await asyncio.sleep(0)  # what the runtime's wake-up gives other tasks between runs
    seconds = time.perf_counter() - began
    stop.set()
    await task
    async with db.unit() as session:
        made = (await session.execute(select(func.count()).select_from(Pairing))).scalar_one()
    await db.dispose()
    worst = max(lags)
    return {
        "batch": batch,
        "pairings": made,
        "seconds": round(seconds, 2),
        "units": units,
        "longest_hold_ms": round(worst * 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, nargs="+", default=[50, 0])
    parser.add_argument("--child", nargs=2, metavar=("DB", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(approve(Path(args.child[0]), int(args.child[1])))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        template = propose(work, args.pairs)
        rows: dict[int, list[dict[str, object]]] = {b: [] for b in args.batch}
        for run in range(args.runs):
            for batch in args.batch:  # in turn, so both see the same machine
                db = work / f"run{run}-{batch}.db"
                shutil.copy(template, db)
                load = os.getloadavg()[0]
                child = [sys.executable, "-m", "bench.approve", "--child", str(db), str(batch)]
                done = subprocess.run(child, cwd=ROOT, capture_output=True, text=True, check=True)
                row = {"pairs": args.pairs, **json.loads(done.stdout), "load_1m": round(load, 2)}
                rows[batch].append(row)
                print(json.dumps(row), flush=True)
        for batch, runs in rows.items():
            median = {k: statistics.median(float(r[k]) for r in runs) for k in ("seconds", "longest_hold_ms")}
            print(
                json.dumps(
                    {
                        "batch": batch,
                        "pairs": args.pairs,
                        "runs": len(runs),
                        **{f"{k}_median": v for k, v in median.items()},
                    }
                )
            )


if __name__ == "__main__":
    main()
