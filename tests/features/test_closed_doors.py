"""Closed doors on the console: a member who refuses DMs is tried once, then left alone
until they use the bot again; moderators hear of it once (see tests/closed_doors.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.console.chat import ConsoleChat
from adapters.console.messenger import ConsoleMessenger
from adapters.console.session import COMMUNITY
from bot.core.ports import Delivery, DeliveryResult
from tests.support.closed_doors import Platform, closed_doors_scenario, open_for, partner_scenario


class CountingMessenger:
    """The console platform, counting the deliveries that tried to reach each member."""

    def __init__(self, chat: ConsoleChat) -> None:
        self.inner = ConsoleMessenger(chat)
        self.tries: dict[str, int] = {}

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        for user_id in delivery.destination.user_ids:
            self.tries[user_id] = self.tries.get(user_id, 0) + 1
        return await self.inner.deliver(delivery)


def _console() -> tuple[ConsoleChat, Platform]:
    chat = ConsoleChat(out=lambda line: None)
    messenger = CountingMessenger(chat)
    platform = Platform(
        COMMUNITY,
        "#moderators",
        messenger,
        close=chat.closed_dms.add,
        reopen=chat.closed_dms.discard,
        calls_for=lambda u: messenger.tries.get(u, 0),
    )
    return chat, platform


async def test_a_closed_door_is_tried_once_until_the_member_comes_back(tmp_path: Path) -> None:
    _, platform = _console()
    bot: Any = await open_for(tmp_path, platform.ref, platform.moderators)
    try:
        await closed_doors_scenario(bot, platform, "robin", "robin")
    finally:
        await bot.close()


async def test_the_partner_hears_when_an_introduction_missed_their_partner(tmp_path: Path) -> None:
    chat, platform = _console()
    bot: Any = await open_for(tmp_path, platform.ref, platform.moderators)
    try:
        await partner_scenario(bot, platform, ("robin", "robin"), ("ann", "ann"))
        assert any(m.header == "DM ann" and "could not reach robin" in m.message.plain_text() for m in chat.messages)
    finally:
        await bot.close()
