"""The local fake Slack in a process of its own, for benches that time acknowledgements.

Served from the driver's own event loop, the fake's work (the bot's `response_url`
posts and `users.info` calls, one or two per command) queued in front of the
driver's reading of the next ack: the bot's measured latency grew by work the
bare Bolt app, which sends nothing back, never caused. Slack is another machine;
here it is at least another process, at background priority: its work (checking
every message the bot sends against Slack's schemas) takes no CPU the driver or
the measured processes want, and the driver's clock times only the acks.

    fake = FakeSlackProcess(users=[("U1", "Ann", False)], channels=[("C1", "general")])
    fake.start()  # returns once the child listens
    ... fake.api_url, fake.response_url("r1") ...
    fake.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from multiprocessing.connection import Connection
from typing import Any

from tests.support.bench_api import FakeSlack

BACKGROUND_NICE = 10  # as the bot's own workers: the stand-in for a remote service yields the CPU
User = tuple[str, str, bool]  # (user id, name, is workspace admin)
Channel = tuple[str, str]  # (channel id, name)


def _serve(users: list[User], channels: list[Channel], conn: Connection) -> None:
    """The child: start the fake, tell the parent its URL, serve until the parent says stop."""

    with contextlib.suppress(OSError):
        os.nice(BACKGROUND_NICE)

    async def main() -> None:
        fake = FakeSlack()
        for channel_id, name in channels:
            fake.add_channel(channel_id, name)
        for user_id, name, is_admin in users:
            fake.add_user(user_id, name, is_admin=is_admin)
        await fake.start()
        conn.send(fake.url)
        try:
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop", or EOF
        except EOFError:
            pass
        finally:
            await fake.stop()

    asyncio.run(main())


class FakeSlackProcess:
    def __init__(self, users: list[User], channels: list[Channel]) -> None:
        self.users, self.channels = users, channels
        self.url = ""
        self._conn: Connection | None = None
        self._proc: Any = None

    def start(self) -> FakeSlackProcess:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._proc = context.Process(target=_serve, args=(self.users, self.channels, child), daemon=True)
        self._proc.start()
        child.close()
        if not parent.poll(60):
            self._proc.kill()
            raise RuntimeError("the fake Slack did not start within 60 s")
        self.url = parent.recv()
        self._conn = parent
        return self

    def stop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.send("stop")
            except (BrokenPipeError, OSError):
                pass
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.kill()
            self._proc = None

    @property
    def api_url(self) -> str:
        """What AsyncWebClient(base_url=…) needs (with the trailing slash), as FakeSlack.api_url."""
        return f"{self.url}/api/"

    def response_url(self, rid: str) -> str:
        """As FakeSlack.response_url."""
        return f"{self.url}/response/{rid}"
