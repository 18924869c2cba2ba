"""Persist, then acknowledge: Slack's request is answered once the event is saved in the
inbox — not before (a blocked database gets 503, never a 200 for an unsaved event), and not
later (the core's work runs after the answer).

No timing here (speed lives in bench/slack_ack.py): the database or the core is *blocked*
until the test releases it.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.clock import ManualClock
from bot.core.settings import Settings
from storage.tables import InboxEvent
from tests.fakes.slack import FakeSlack
from tests.support.db import START
from tests.support.slack_harness import FORM, SlackStack
from tests.support.slack_payloads import slash_command


async def test_a_command_is_answered_after_its_save_and_before_the_core_works(
    fake: FakeSlack, settings: Settings
) -> None:
    stack = await SlackStack.start(fake, settings, ManualClock(START))
    gate = asyncio.Event()
    core_handle = stack.services.adapter._handle

    async def blocked_core(event):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await core_handle(event)

    stack.services.adapter._handle = blocked_core
    try:
        body = slash_command("polls", user_id="U0CAROL", channel_id="C0MENTOR", response_url=fake.response_url("slow"))
        status, text = await stack.post(body, FORM)
        # Answered although the core has not run yet — and the command is already saved.
        assert status == 200 and text == ""
        async with stack.bot.db.unit() as session:
            saved = (await session.execute(select(InboxEvent))).scalars().all()
        assert [(r.kind, r.member_key, r.handled_at) for r in saved] == [("command", "U0CAROL", None)]
        assert not any(r["_rid"] == "slow" for r in fake.responses)
        gate.set()
        reply = await stack.response("slow")
        assert reply["response_type"] == "ephemeral"
    finally:
        gate.set()
        await stack.stop()


async def test_an_event_that_cannot_be_saved_gets_503_and_its_retry_is_worked_on(
    fake: FakeSlack, settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stack = await SlackStack.start(fake, settings, ManualClock(START))
    gate = asyncio.Event()
    original = AsyncConnection.execute  # the inbox save runs on a connection of its own

    async def blocked_execute(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await original(self, *args, **kwargs)

    try:
        monkeypatch.setattr(AsyncConnection, "execute", blocked_execute)
        body = slash_command("polls", user_id="U0CAROL", channel_id="C0MENTOR", response_url=fake.response_url("slow"))
        status, _ = await stack.post(body, FORM)
        assert status == 503  # never a 200 for an event that is not saved
        assert any(r.levelno == logging.ERROR and "could not save" in r.getMessage() for r in caplog.records)
        monkeypatch.setattr(AsyncConnection, "execute", original)
        gate.set()
        status, _ = await stack.post(body, FORM)  # the member runs it again (Slack retries events itself)
        assert status == 200
        reply = await stack.response("slow")
        assert reply["response_type"] == "ephemeral"
    finally:
        gate.set()
        await stack.stop()
