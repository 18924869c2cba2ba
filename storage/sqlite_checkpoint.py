"""SQLite's WAL checkpoints in a small process of their own, never on the event loop.

SQLite runs in place on the event loop (storage.sqlite_inline). In WAL mode with
`synchronous=NORMAL` a commit only appends to the WAL and never waits for the disk;
the wait happens at a checkpoint, which copies the WAL into the database file and
fsyncs both. By default SQLite checkpoints inside whichever commit pushes the WAL past
1,000 pages, so every few hundred commits one of them — often the inbox save in front
of an ack — held the whole event loop for two fsyncs, 8–45 ms on the VM's disk (27 of
4,000 commits slept on the disk with automatic checkpoints, none without).

So a running bot (`enable()`, called by the adapters' `serve`) switches automatic
checkpoints off on its in-place connections, and one child process per database file
checkpoints instead, every INTERVAL seconds: PASSIVE, which never waits for a reader
or a writer (writers go on appending to the WAL while it copies). A process, not a
thread: a checkpoint thread in the bot's process made the loop's commits sleep far more
than SQLite's own checkpoints (bench/checkpoint.py: 101 of 6,000 commits, 1.7 s in all,
against 14–15 and 0.2 s) — it takes the GIL back after every SQLite call, and on a busy
machine it is descheduled holding it. On the shared machine the process was measured at
19–26 commits and 0.08–0.15 s against 14–15 and 0.18–0.22 s (load 7.5–11): fewer
milliseconds on the loop, not yet a clear win; see docs/reliability.md, "Ack latency".

Under a steady stream of commits a PASSIVE checkpoint never reaches the WAL's end (new
frames arrive while it syncs), so SQLite never starts the WAL over and the file grows; a
bot's traffic has pauses, and the first PASSIVE checkpoint in a pause lets the next commit
start the WAL over. As a safety valve, past WAL_LIMIT the child flushes both files (no lock
held) and runs a RESTART checkpoint, during which writers wait. Not lower: at 64 MB the
valve opened every ~30 s of bench/checkpoint.py's 250 commits/s, and its flush of 64 MB made
commits on the loop sleep more than SQLite's own checkpoints did (bench/RESULTS.md).

Durability is unchanged: a committed transaction is in the WAL either way, and a
crash of either process at any moment leaves SQLite to replay the WAL on the next
open. The child exits when the bot closes the database, or when the bot dies (its
stdin, a pipe from the bot, reaches end of file).
"""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import threading

INTERVAL = 0.5  # seconds between checkpoints
WAL_LIMIT = 256 * 1024 * 1024  # bytes; past this the WAL is started over even if a writer must wait
CONNECT_PRAGMA = "PRAGMA wal_autocheckpoint=0"  # for the in-place connections while a checkpointer runs

_enabled = False
_lock = threading.Lock()
_running: dict[str, _Checkpointer] = {}


def enable() -> None:
    """This process is a long-running bot: its SQLite files get a checkpoint process (see above).
    Databases opened before this call keep SQLite's automatic checkpoints."""
    global _enabled
    _enabled = True


def disable() -> None:
    """Back to SQLite's own checkpoints for databases opened from now on (a stopped bot)."""
    global _enabled
    _enabled = False


def enabled() -> bool:
    return _enabled


class _Checkpointer:
    def __init__(self, path: str) -> None:
        self.users = 0
        # -I -S: only the standard library (and not this folder, whose types.py would shadow it).
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", os.path.abspath(__file__), path],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # end of file: one last checkpoint, then exit
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()  # our own child, by its pid
            self.process.wait()


def acquire(path: str) -> None:
    """A connection to `path` opened: make sure its file's checkpoint process runs."""
    key = os.path.abspath(path)
    with _lock:
        running = _running.get(key)
        if running is None or running.process.poll() is not None:
            running = _running[key] = _Checkpointer(key)
        running.users += 1


def release(path: str) -> None:
    """A Database on `path` was disposed: the last one out stops the child."""
    key = os.path.abspath(path)
    with _lock:
        running = _running.get(key)
        if running is None:
            return
        running.users -= 1
        if running.users > 0:
            return
        del _running[key]
    running.stop()


# --- the child ---------------------------------------------------------------------------


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _restart_wal(conn: sqlite3.Connection, path: str) -> None:
    """Flush both files without any lock (the slow part), then a RESTART checkpoint, which
    holds writers back only to copy the last frames and sync what little is left."""
    for name in (path + "-wal", path):
        fd = os.open(name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    conn.execute("PRAGMA busy_timeout=200")
    try:
        conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
    finally:
        conn.execute("PRAGMA busy_timeout=0")


def _checkpoint(conn: sqlite3.Connection, path: str) -> None:
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        if _size(path + "-wal") > WAL_LIMIT:
            _restart_wal(conn, path)
    except (sqlite3.Error, OSError):  # busy (another checkpoint), or the file went away: next time
        pass


def child(path: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the bot; it closes our stdin
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        while True:
            ready, _, _ = select.select([sys.stdin], [], [], INTERVAL)
            if ready and not os.read(sys.stdin.fileno(), 512):
                break  # the bot closed the database, or died
            if not os.path.exists(path):
                return
            _checkpoint(conn, path)
        _checkpoint(conn, path)
    finally:
        conn.close()


if __name__ == "__main__":
    child(sys.argv[1])
