"""Ack first: Slack's request is answered while the database is still busy.

No timing here (speed lives in bench/slack_ack.py): the database is *blocked* until
the test releases it, so the HTTP answer can only arrive if the adapter acked before
touching the database.
"""

from __future__ import annotations

import asyncio

import pytest
from tests.fakes.slack import FakeSlack
from tests.support.slack_harness import FORM, SlackStack
from tests.support.slack_payloads import slash_command
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import ManualClock
from bot.core.settings import Settings
from tests.support.db import START


async def test_command_is_acked_while_the_database_is_blocked(
    fake: FakeSlack, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = await SlackStack.start(fake, settings, ManualClock(START))
    try:
        gate = asyncio.Event()
        entered = asyncio.Event()
        original = AsyncSession.execute

        async def blocked_execute(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            entered.set()
            await gate.wait()
            return await original(self, *args, **kwargs)

        monkeypatch.setattr(AsyncSession, "execute", blocked_execute)
        body = slash_command("polls", user_id="U0CAROL", channel_id="C0MENTOR", response_url=fake.response_url("slow"))
        status, text = await stack.post(body, FORM)
        # Answered although the core has not been able to run a single query yet.
        assert status == 200 and text == ""
        await asyncio.wait_for(entered.wait(), 10)
        assert not any(r["_rid"] == "slow" for r in fake.responses)
        gate.set()
        reply = await stack.response("slow")
        assert reply["response_type"] == "ephemeral"
    finally:
        gate.set()
        await stack.stop()
