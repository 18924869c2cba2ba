"""Start-up time and idle memory of `mentorbot console`, then of a *running* bot.

The console figures come first (one JSON line). Then, unless `--no-running`,
bench/idle.py measures in the same run the idle RSS of `mentorbot run` in Slack
HTTP mode against the local fake Slack, side by side with a bare slack-bolt app
and a bare discord.py client (one JSON line each, and the bot/bare-Bolt ratio):
the console's peak RSS is not what a deployed bot holds.

Runs the real console as a subprocess on a fresh SQLite file (so migrations run
too) with a one-line script, several times, and prints one JSON line with the
medians: wall-clock seconds from exec to exit, and peak RSS (the idle console's
resident memory: after start-up it only waits for input).

    .venv/bin/python -m bench.startup [--runs 7] [--no-running] [--settle 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(workdir: Path, fresh: bool) -> tuple[float, float]:
    db = workdir / "bench.db"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    script = workdir / "idle.txt"
    script.write_text("@alice /mentor help\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "adapters.cli", "console", "--db", str(db), "--script", str(script)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[1],
    )
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the maximum over all children so far, which is why
    # main() measures each run in an interpreter of its own.
    return elapsed, max(peak_kb, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", choices=["fresh", "warm"])
    parser.add_argument("--no-running", action="store_true", help="skip the running-bot comparison")
    parser.add_argument("--settle", type=float, default=5.0, help="idle seconds before measuring a running process")
    args = parser.parse_args()
    if args.child:  # measure exactly one run in this interpreter, so ru_maxrss is that run's
        with tempfile.TemporaryDirectory() as tmp:
            if args.child == "warm":
                one_run(Path(tmp), fresh=True)  # create and migrate the database first
            seconds, rss = one_run(Path(tmp), fresh=args.child == "fresh")
        print(json.dumps({"seconds": seconds, "rss_mb": rss}))
        return
    results: dict[str, list[dict[str, float]]] = {"fresh": [], "warm": []}
    for kind in results:
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-m", "bench.startup", "--child", kind], check=True, capture_output=True, text=True
            ).stdout
            results[kind].append(json.loads(out))
    print(
        json.dumps(
            {
                "runs": args.runs,
                "startup_s_fresh_db_p50": round(statistics.median(r["seconds"] for r in results["fresh"]), 3),
                "startup_s_existing_db_p50": round(statistics.median(r["seconds"] for r in results["warm"]), 3),
                "idle_rss_mb_p50": round(statistics.median(r["rss_mb"] for r in results["warm"]), 1),
                "cpus": os.cpu_count(),
            }
        ),
        flush=True,
    )
    if not args.no_running:
        import asyncio

        from bench.idle import run

        asyncio.run(run(args.settle))


if __name__ == "__main__":
    main()
