"""`mentorbot run`, forked from a process that did its imports once (bench/crash_inbound.py).

A crash trial kills the bot and starts the next process on the same database. Most of a
start on the shared 2-core machine is importing (2–3 s of CPU; 10–15 s of wall time at load
9: Bolt or discord.py, SQLAlchemy, the features), none of which touches the database, the
port or the platform. This fork server imports `mentorbot run`'s modules once, then for
each line `go` on stdin forks a child that runs exactly `mentorbot run` (adapters.cli.main)
— opening the database, taking back a dead predecessor's claims, resuming saved events —
and writes the child's pid on stdout. The driver kills that pid with SIGKILL as before;
the server never opens the database, starts no thread and runs no event loop, so each
child starts from a clean interpreter state. What a trial checks is unchanged.

    python -m bench.warm_run slack|discord
"""

from __future__ import annotations

import importlib
import os
import signal
import sys

MODULES = {
    "slack": ("adapters.slack.main", "adapters.slack.app", "slack_bolt.async_app"),
    "discord": ("adapters.discord.main", "adapters.discord.client", "discord"),
}
COMMON = ("adapters.cli", "bot.bootstrap", "bot.runtime", "storage.migrate", "storage.tables", "adapters.ops.health")


def main() -> None:
    for name in COMMON + MODULES[sys.argv[1]]:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the killed children
    control_in, control_out = sys.stdin.fileno(), sys.stdout.fileno()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            continue
        pid = os.fork()
        if pid == 0:  # the bot: its output goes to the log (our stderr), not to the driver's pipe
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, control_in)
            os.dup2(2, control_out)
            from adapters.cli import main as mentorbot

            code = 1
            try:
                code = mentorbot(["run"])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
