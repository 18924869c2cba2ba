"""What a long-running bot process does at start-up that a test or a one-off command does not.

Both keep the event loop free for the next acknowledgement (bench/ack.py; docs/reliability.md,
"Ack latency"):

- `before_start()`: SQLite's WAL checkpoints (two fsyncs, 8–45 ms on the VM's disk) move out of
  the commits on the event loop into a small process of their own (storage/sqlite_checkpoint.py).
- `after_start()`: the ~150,000 objects start-up created (modules, the SQLAlchemy mappers,
  Bolt, the command table) are moved out of the garbage collector's sight (`gc.freeze`). They
  live as long as the process, yet every full collection walked them all: 100–270 ms of CPU on
  the event loop each time, a few times a minute under load. After the freeze a full
  collection walks only what was made since.
"""

from __future__ import annotations

import gc

from storage import sqlite_checkpoint


def before_start() -> None:
    """Call before the database is opened."""
    sqlite_checkpoint.enable()


def after_stop() -> None:
    """The bot stopped (its database closed): databases opened from now on, in this process
    (a test that ran `serve`), are back to SQLite's own checkpoints."""
    sqlite_checkpoint.disable()


def after_start() -> None:
    """Call once everything is built and listening."""
    gc.collect()
    gc.freeze()
