"""The runtime (APScheduler) does overdue work at start-up and delivers on a kick."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

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


async def test_a_command_that_leaves_sweep_work_due_wakes_the_runtime(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An approved round's later batches are sweep work due at once: they must not wait for the
    # periodic tick (an hour here), only for the wake the approving command asks for.
    from adapters.console.session import COMMUNITY
    from bot.core.events import SlashCommand
    from bot.features.rounds import approval
    from storage.tables import Pairing
    from tests.support.community import sign_up

    monkeypatch.setattr(approval, "APPROVE_BATCH", 1)
    await chat("moderators: carol")
    for k, name in enumerate(["ann", "ben", "cyd"]):
        await sign_up(chat, f"m{name}", "mentor", topics_offered=[f"Topic {k}"])
        await sign_up(chat, name, "mentee", topics_wanted=[f"Topic {k}"])
    await chat("@carol /mentor match")
    runtime = Runtime(chat.bot, chat.session.messenger, interval_seconds=3600)
    runtime.scheduler.start()  # the wake-ups only; the periodic job is left out
    try:
        await chat.bot.handle(SlashCommand(COMMUNITY, chat.session.actor("carol"), "#general", "match approve"))
        runtime.kick()

        async def pairings() -> int:
            async with chat.bot.db.unit() as s:
                return (await s.execute(select(func.count()).select_from(Pairing))).scalar_one()

        for _ in range(int(PATIENCE / 0.05)):
            if await pairings() == 3:
                break
            await asyncio.sleep(0.05)
        assert await pairings() == 3
    finally:
        await runtime.stop()


async def test_the_wake_is_asked_for_only_once_the_command_has_committed(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A wake taken while the approving unit is still open would sweep before its round is
    # visible, find nothing due, and the later batches would wait for the periodic tick.
    from adapters.console.session import COMMUNITY
    from bot import mentorbot
    from bot.core.events import SlashCommand
    from bot.features.rounds import approval
    from tests.support.community import sign_up

    monkeypatch.setattr(approval, "APPROVE_BATCH", 1)
    await chat("moderators: carol")
    for k, name in enumerate(["ann", "ben"]):
        await sign_up(chat, f"m{name}", "mentor", topics_offered=[f"Topic {k}"])
        await sign_up(chat, name, "mentee", topics_wanted=[f"Topic {k}"])
    await chat("@carol /mentor match")
    seen_inside: list[bool] = []
    real_keep = mentorbot.keep_replies

    async def keep_and_look(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen_inside.append(chat.bot.take_sweep_request())  # still inside the unit of work
        await real_keep(*args, **kwargs)

    monkeypatch.setattr(mentorbot, "keep_replies", keep_and_look)
    carol = chat.session.actor("carol")
    await chat.bot.handle(SlashCommand(COMMUNITY, carol, "#general", "match approve", event_id="Ev1"))
    assert seen_inside == [False]
    assert chat.bot.take_sweep_request() is True
    assert chat.bot.take_sweep_request() is False  # taken once
