"""The one worker process behind heavy work and pictures, and its tie to the bot.

Both `HeavyWork` (rounds, dashboards, exports) and `PictureWorker` (charts) hand CPU
work to a spawned interpreter. Such a worker must not outlive the bot: a bot killed
with kill -9 (or by the OOM killer) leaves `ProcessPoolExecutor` workers running their
current job to the end, however long it takes, holding memory nobody will collect.
So each worker watches its parent and exits as soon as it is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PARENT_CHECK_SECONDS = 1.0


def worker_pool() -> ProcessPoolExecutor:
    """One spawned worker process (never a fork of a process with a running loop and threads)."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=watch_parent,
        initargs=(os.getpid(),),
    )


def watch_parent(parent: int) -> None:
    """Runs in the worker at start: a daemon thread ends the process once `parent` has gone.

    A polling thread rather than PR_SET_PDEATHSIG: the signal follows the *thread* that
    started the worker, and a pool may start it from any thread."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(70)  # the bot is gone: nobody is waiting for this job's result

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
