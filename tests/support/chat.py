"""The one fake chat every feature test talks through (errbot's TestBackend idea).

`await chat("@alice /mentor poll …")` runs console lines; `chat.take()` returns
what was printed since the last take, so a test reads like a conversation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adapters.console.session import ConsoleSession
from bot.core.settings import Settings
from tests.support.db import START, DatabaseFactory


class Chat:
    def __init__(self, session: ConsoleSession, lines: list[str]) -> None:
        self.session = session
        self.lines = lines
        self._taken = 0

    @classmethod
    async def open(cls, factory: DatabaseFactory, *, settings: Settings | None = None, start: datetime = START) -> Chat:
        lines: list[str] = []
        settings = replace(settings or Settings(), database_url=factory.url)
        session = await ConsoleSession.open(settings, start=start, out=lines.append, make_db=factory)
        return cls(session, lines)

    async def __call__(self, *script: str) -> str:
        """Run lines; return everything printed meanwhile."""
        await self.session.run_script(list(script))
        return self.take()

    def take(self) -> str:
        new = self.lines[self._taken :]
        self._taken = len(self.lines)
        return "\n".join(new)

    @property
    def bot(self):
        assert self.session.bot is not None
        return self.session.bot

    @property
    def now(self) -> datetime:
        return self.session.clock.now()

    async def close(self) -> None:
        await self.session.close()
