"""One mentorbot worker for the scale-out test: sweep and deliver until idle.

Run as `python -m tests.scale.worker URL SCHEMA OUT`; every delivery it makes is
appended to OUT as the idempotency key, so the test can count how often each
message was sent across all workers.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from bot.bootstrap import bootstrap
from bot.core.ports import Delivered, Delivery
from bot.core.settings import Settings
from storage.db import Database


class RecordingMessenger:
    def __init__(self, out: Path) -> None:
        self.file = out.open("a", encoding="utf-8")

    async def deliver(self, delivery: Delivery) -> Delivered:
        self.file.write(f"{delivery.idempotency_key} {delivery.attempt} {time.time():.3f} {os.getpid()}\n")
        self.file.flush()
        await asyncio.sleep(0)  # let other coroutines (and workers) interleave
        return Delivered(f"ref-{delivery.idempotency_key}")


async def main(url: str, schema: str, out: str) -> None:
    settings = replace(Settings(), database_url=url)
    bot = await bootstrap(settings, db=Database(url, schema=schema), migrate=False)
    messenger = RecordingMessenger(Path(out))
    idle = 0
    while idle < 3:
        work = await bot.sweep() + await bot.deliver_outbox(messenger)
        idle = idle + 1 if work == 0 else 0
        if work == 0:
            await asyncio.sleep(0.2)
    await bot.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
