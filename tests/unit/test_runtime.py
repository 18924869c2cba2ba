"""The runtime (APScheduler) does overdue work at start-up and delivers on a kick."""

import asyncio
from datetime import timedelta

from bot.runtime import Runtime
from tests.fakes import PATIENCE
from tests.support.chat import Chat


async def _until(condition, timeout: float = PATIENCE) -> bool:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def test_overdue_poll_is_closed_when_the_runtime_starts(chat: Chat) -> None:
    await chat("moderators: carol", '@carol /mentor poll "Join?" --closes 1h', "@alice click 1")
    await chat.session.close()
    chat.session.clock.advance(timedelta(hours=5))  # the bot was down when the poll was due
    await chat("restart")
    runtime = Runtime(chat.bot, chat.session.messenger, interval_seconds=3600)
    runtime.start()
    try:
        assert await _until(lambda: "Poll results #1" in "\n".join(chat.lines))
    finally:
        await runtime.stop()
    assert "[DM alice] Thanks for saying" in chat.take()


async def test_kick_delivers_queued_messages_at_once(chat: Chat) -> None:
    await chat("moderators: carol")
    runtime = Runtime(chat.bot, chat.session.messenger, interval_seconds=3600)
    # Handle an event without the console's own delivery, as an adapter would.
    from adapters.console.session import COMMUNITY
    from bot.core.events import SlashCommand

    await chat.bot.handle(SlashCommand(COMMUNITY, chat.session.actor("carol"), "#general", 'poll "Join?"'))
    assert "Interest poll" not in chat.take()
    runtime.kick()
    assert await _until(lambda: "[#general] Interest poll #1" in "\n".join(chat.lines))
    await runtime.stop()
