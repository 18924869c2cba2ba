"""Benchmark: how often a commit on the event loop's thread waits, by who checkpoints SQLite's WAL.

Two connections in this thread, like the bot's (the inbox saver, busy timeout 0 and retried
every 2 ms; the core's, busy timeout 30 s), commit small transactions in turn (an insert of a
~600-byte payload; an update and a read on a 20k-row table) with `--gap` seconds between them.
Per commit the thread's voluntary context switches are counted (getrusage): a switch means the
thread slept — on the disk or on a lock — while it should have been answering the next ack.

Modes: `auto` (SQLite checkpoints inside the commit that crosses 1,000 WAL pages: the default),
`thread` (a thread of this process runs the checkpoints), `process` (storage/sqlite_checkpoint.py's
child process, what a running bot does).

    .venv/bin/python -m bench.checkpoint [--mode auto thread process] [--rounds 3000] [--gap 0.008]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import tempfile
import threading
import time
from pathlib import Path


def connect(path: Path, busy: float, autocheckpoint: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=busy, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    if not autocheckpoint:
        conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn


def run(mode: str, rounds: int, gap: float) -> dict[str, object]:
    from storage import sqlite_checkpoint

    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parents[1]) as tmp:  # the project's disk
        path = Path(tmp) / "bench.db"
        core, saver = connect(path, 30, mode == "auto"), connect(path, 0, mode == "auto")
        core.execute("CREATE TABLE inbox (id INTEGER PRIMARY KEY, payload TEXT)")
        core.execute("CREATE TABLE member (id INTEGER PRIMARY KEY, name TEXT)")
        core.executemany("INSERT INTO member (name) VALUES (?)", [(os.urandom(25).hex(),) for _ in range(20_000)])
        stop = threading.Event()
        child = None
        if mode == "process":
            sqlite_checkpoint.acquire(str(path))
        elif mode == "thread":

            def checkpoints() -> None:
                conn = sqlite3.connect(path, timeout=0)
                while not stop.wait(sqlite_checkpoint.INTERVAL):
                    sqlite_checkpoint._checkpoint(conn, str(path))
                conn.close()

            child = threading.Thread(target=checkpoints, daemon=True)
            child.start()
        slept: list[float] = []
        commits = 0
        for i in range(rounds):
            for conn, sql, args in (
                (saver, "INSERT INTO inbox (payload) VALUES (?)", (os.urandom(300).hex(),)),
                (core, "UPDATE member SET name = ? WHERE id = ?", (os.urandom(25).hex(), i % 20_000 + 1)),
            ):
                waits = resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw
                begin = time.perf_counter()
                while True:
                    try:
                        conn.execute("BEGIN IMMEDIATE")
                        break
                    except sqlite3.OperationalError:  # the saver: locked, retried after 2 ms (as Inbox does)
                        time.sleep(0.002)
                        waits -= 1  # our own sleep is not a stall
                conn.execute(sql, args)
                conn.execute("SELECT count(*) FROM member WHERE id < ?", (i % 100,)).fetchall()
                conn.execute("COMMIT")
                commits += 1
                if resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw > waits:
                    slept.append(time.perf_counter() - begin)
            time.sleep(gap)
        stop.set()
        if child is not None:
            child.join()
        if mode == "process":
            sqlite_checkpoint.release(str(path))
        wal_mb = os.path.getsize(str(path) + "-wal") / 1e6 if os.path.exists(str(path) + "-wal") else 0.0
        core.close()
        saver.close()
    slept.sort()
    return {
        "bench": "checkpoint",
        "mode": mode,
        "commits": commits,
        "commits_that_slept": len(slept),
        "slept_ms_total": round(sum(slept) * 1000),
        "slept_ms_max": round(slept[-1] * 1000, 1) if slept else 0.0,
        "wal_mb_at_end": round(wal_mb, 1),
        "load_avg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--mode", nargs="+", choices=("auto", "thread", "process"), default=["auto", "thread", "process"]
    )
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--gap", type=float, default=0.008)
    args = parser.parse_args()
    for mode in args.mode:
        print(json.dumps(run(mode, args.rounds, args.gap)), flush=True)


if __name__ == "__main__":
    main()
