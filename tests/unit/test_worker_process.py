"""A heavy-work or picture worker never outlives the bot that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PARENT = """
import os, sys, time
from bot.core.worker_process import worker_pool

pool = worker_pool()
print(pool.submit(os.getpid).result(), flush=True)  # the worker's pid
pool.submit(time.sleep, 300)  # a long job, as a 20k round can be
time.sleep(300)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it has exited all the same.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"


def test_worker_exits_when_the_bot_is_killed_mid_job() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert alive(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 30  # a liveness bound, not a speed target: it takes about 1 s
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker), "the worker kept running its job after the bot was killed"
    finally:
        parent.kill()


def test_worker_keeps_working_while_the_bot_lives() -> None:
    from bot.core.worker_process import worker_pool

    pool = worker_pool()
    try:
        first = pool.submit(os.getpid).result(timeout=60)
        assert pool.submit(time.sleep, 2.5).result(timeout=60) is None  # outlasts two parent checks
        assert pool.submit(os.getpid).result(timeout=60) == first  # the same worker, not restarted
    finally:
        pool.shutdown()
