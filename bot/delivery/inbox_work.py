"""Working saved inbox events after their ack, the same way on every platform: a member's
events one at a time in inbox order, each row finished after its job (even a failed one),
and a count of the events in hand so a graceful stop can wait until there are none."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.delivery.inbox import Inbox, Ticket

log = logging.getLogger(__name__)


class InboxWork:
    """The events an adapter is working on; `idle()` returns when there are none."""

    def __init__(self) -> None:
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def run(self, inbox: Inbox, ticket: Ticket, job: Callable[[], Awaitable[None]] | None) -> None:
        self._busy += 1
        self._idle.clear()
        try:
            async with inbox.turns.turn(ticket.member_key, ticket.id):
                try:
                    if job is not None:
                        await job()
                except Exception:
                    log.exception("working on inbox row %s failed", ticket.id)
                finally:
                    await inbox.finish(ticket.id)
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

    async def idle(self) -> None:
        await self._idle.wait()
