"""Nothing typed is lost: an event saved and acknowledged just before the process died is
worked on by the next process — applied once, its reply sent, the conversation going on at
the right question. The real Bolt app over HTTP, the real core, the fake Slack; the "crash"
is the process's work stopping right after the ack (or right after the core's commit)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.core.clock import ManualClock
from bot.core.settings import Settings
from bot.delivery.leases import take_back_at_start
from storage.tables import InboxEvent
from tests.fakes.slack import FakeSlack
from tests.support.db import START
from tests.support.slack_harness import SlackStack, settle

ROLE_QUESTION = "Would you like to mentor someone, be mentored, or both?"
TOPICS_QUESTION = "Which topics do you want to grow in?"


def button(message: dict[str, Any], label: str) -> str:
    return next(
        e["action_id"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button" and e["text"]["text"] == label
    )


async def joined(stack: SlackStack, fake: FakeSlack) -> dict[str, Any]:
    await stack.command("U0BOB", "join")
    await stack.deliver()
    question = fake.im_with("U0BOB").messages[-1]
    assert ROLE_QUESTION in question["text"]
    return question


async def click_role_and_die(stack: SlackStack, fake: FakeSlack, question: dict[str, Any]) -> None:
    from tests.support.slack_payloads import block_action

    im = fake.im_with("U0BOB")
    body = block_action(
        button(question, "Mentee"),
        user_id="U0BOB",
        channel_id=im.id,
        message_ts=question["ts"],
        response_url=fake.response_url("role"),
    )
    status, _ = await stack.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200  # Slack got its ack: it will never send this click again


async def restart(fake: FakeSlack, settings: Settings) -> SlackStack:
    stack = await SlackStack.start(fake, settings, ManualClock(START))
    await take_back_at_start(stack.bot.db, stack.bot.clock, stack.services.inbox)
    return stack


async def the_click(stack: SlackStack) -> InboxEvent:
    async with stack.bot.db.unit() as s:
        return (await s.execute(select(InboxEvent).where(InboxEvent.kind == "action"))).scalar_one()


async def test_a_click_acknowledged_just_before_a_crash_is_applied_after_the_restart(
    fake: FakeSlack, settings: Settings
) -> None:
    first = await SlackStack.start(fake, settings, ManualClock(START))
    question = await joined(first, fake)

    async def killed(context: Any, job: Any) -> None:  # the process dies right after the ack
        return None

    first.services.adapter.work = killed  # type: ignore[method-assign]
    await click_role_and_die(first, fake, question)
    await first.stop()
    im = fake.im_with("U0BOB")
    assert ROLE_QUESTION in im.messages[-1]["text"]  # nobody answered the click

    second = await restart(fake, settings)
    try:
        assert await second.services.adapter.resume() == 1
        await settle(lambda: TOPICS_QUESTION in im.messages[-1]["text"])
        assert await second.services.adapter.resume() == 0  # finished: never worked on again
        # The conversation goes on at the right question: the next answer is the topics.
        topics = next(
            e
            for b in im.messages[-1]["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if "select" in e["type"]
        )
        nxt = await second.select_in_dm("U0BOB", topics["action_id"], ["Python"], im.messages[-1]["ts"])
        assert "Anything to add that isn't on the list?" in nxt["text"]
        assert sum(TOPICS_QUESTION in m["text"] for m in im.messages) == 1
    finally:
        await second.stop()


async def test_replies_of_an_event_applied_just_before_a_crash_are_sent_after_the_restart(
    fake: FakeSlack, settings: Settings
) -> None:
    first = await SlackStack.start(fake, settings, ManualClock(START))
    question = await joined(first, fake)
    adapter = first.services.adapter

    async def lost(*args: Any, **kwargs: Any) -> None:  # the process dies between commit and reply
        return None

    adapter.reply_in_dm = lost  # type: ignore[method-assign]
    first.services.inbox.finish = lost  # type: ignore[method-assign]
    await click_role_and_die(first, fake, question)
    await adapter.idle()  # the core has committed; the reply never left
    row = await the_click(first)
    assert row.handled_at is not None and row.replies and row.finished_at is None
    await first.stop()
    im = fake.im_with("U0BOB")
    assert ROLE_QUESTION in im.messages[-1]["text"]

    second = await restart(fake, settings)
    try:
        assert await second.services.adapter.resume() == 1
        await settle(lambda: TOPICS_QUESTION in im.messages[-1]["text"])
        assert sum(TOPICS_QUESTION in m["text"] for m in im.messages) == 1
        row = await the_click(second)
        assert row.finished_at is not None and row.replies is None  # the kept replies are gone once sent
    finally:
        await second.stop()
