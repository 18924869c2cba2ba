"""Worker processes at background priority: heavy work yields to interactive work.

The heavy-work worker (bot/core/heavy.py) and the picture worker (bot/delivery/pictures.py)
each run in a process of their own so the event loop is never held by a solve, a big query
or matplotlib. That keeps the loop free, but not the CPU: on a machine with two cores the
matching solve's two threads would take the time the loop needs to answer the next
acknowledgement. So every worker process starts by lowering its OS priority by
BACKGROUND_NICE: the scheduler then gives the bot's process the CPU whenever it has work
and the worker the rest, so on an otherwise idle machine the heavy work takes as long as
before. Kept free of imports beyond the standard library: the picture worker imports this.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

BACKGROUND_NICE = 10  # added to a worker process's niceness (0 is normal, 19 the lowest priority)


def background_priority() -> None:
    """Runs first in a worker process: lower its OS priority (see the module docstring).
    Without the permission or on a platform without nice, the worker simply runs as before."""
    try:
        os.nice(BACKGROUND_NICE)
    except (AttributeError, OSError):  # no os.nice (Windows), or not allowed: the usual priority
        log.debug("could not lower the worker's priority")


def background_pool() -> ProcessPoolExecutor:
    """One worker process at background priority. spawn: a fresh interpreter, never a fork of a
    process with a running loop and threads."""
    return ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=background_priority
    )
