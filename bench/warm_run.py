"""`mentorbot run`, with its imports done before it is told to start (bench/crash_inbound.py).

A crash trial kills the bot and starts the next process on the same database. Most of a
start on the shared 2-core machine is importing (10–15 s at load 9: Bolt or discord.py,
SQLAlchemy, the features), none of which touches the database, the port or the platform.
This wrapper imports `mentorbot run`'s modules ahead, while the previous process is still
alive, then waits for one line on stdin and runs exactly `mentorbot run` (adapters.cli.main)
— opening the database, taking back a dead predecessor's claims, resuming saved events —
after the kill. What a trial checks is unchanged; only the import is no longer in the wait.

    python -m bench.warm_run slack|discord   (then write a line to its stdin)
"""

from __future__ import annotations

import importlib
import sys

MODULES = {
    "slack": ("adapters.slack.main", "adapters.slack.app", "slack_bolt.async_app"),
    "discord": ("adapters.discord.main", "adapters.discord.client", "discord"),
}
COMMON = ("adapters.cli", "bot.bootstrap", "bot.runtime", "storage.migrate", "storage.tables", "adapters.ops.health")


def main() -> None:
    for name in COMMON + MODULES[sys.argv[1]]:
        importlib.import_module(name)
    if not sys.stdin.readline():  # the driver went away without starting us
        raise SystemExit(0)
    from adapters.cli import main as mentorbot

    raise SystemExit(mentorbot(["run"]))


if __name__ == "__main__":
    main()
