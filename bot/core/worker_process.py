"""The one worker process behind heavy work and pictures, and its tie to the bot.

Both `HeavyWork` (rounds, dashboards, exports) and `PictureWorker` (charts) hand CPU
work to a spawned interpreter. Such a worker must not outlive the bot: a bot killed
with kill -9 (or by the OOM killer) leaves `ProcessPoolExecutor` workers running their
current job to the end, however long it takes, holding memory nobody will collect.
So each worker watches its parent and exits as soon as it is gone.

Background work yields to interactive work: each worker also lowers its OS priority by
BACKGROUND_NICE when it starts. The worker keeps the event loop free, but not the CPU: on
a machine with two cores the matching solve's two threads took the time the loop needed
to answer the next acknowledgement (bench/ack.py --heavy). Niced, the scheduler gives the
bot's process the CPU whenever it has work and the worker the rest, so on an otherwise
idle machine the heavy work takes as long as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

PARENT_CHECK_SECONDS = 1.0
BACKGROUND_NICE = 10  # added to a worker's niceness (0 is normal, 19 the lowest priority)


def worker_pool() -> ProcessPoolExecutor:
    """One spawned worker process (never a fork of a process with a running loop and threads)."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_worker,
        initargs=(os.getpid(),),
    )


def start_worker(parent: int) -> None:
    """Runs first in every worker: background priority, and an end when the bot has gone."""
    background_priority()
    watch_parent(parent)


def background_priority() -> None:
    """Lower this process's OS priority (see the module docstring). Without the permission or
    on a platform without nice, the worker simply runs at the usual priority."""
    try:
        os.nice(BACKGROUND_NICE)
    except (AttributeError, OSError):
        log.debug("could not lower the worker's priority")


def watch_parent(parent: int) -> None:
    """Runs in the worker at start: a daemon thread ends the process once `parent` has gone.

    A polling thread rather than PR_SET_PDEATHSIG: the signal follows the *thread* that
    started the worker, and a pool may start it from any thread."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(70)  # the bot is gone: nobody is waiting for this job's result

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
