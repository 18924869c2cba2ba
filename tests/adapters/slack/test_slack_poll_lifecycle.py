"""The whole interest-poll lifecycle through the real Bolt app in HTTP mode, the real
core and SlackMessenger, against the local fake Slack."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.clock import ManualClock
from bot.core.settings import Settings
from bot.features.polls.form import POLL_FORM
from storage.tables import InboxEvent, OutboxMessage
from tests.fakes.slack import FakeSlack
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text, button_ids, settle

QUESTION = "Would you join a mentorship program? <!channel> <@U0ALICE> & friends"


@pytest.fixture
async def stack(fake: FakeSlack, settings: Settings) -> AsyncIterator[SlackStack]:
    s = await SlackStack.start(fake, settings, ManualClock(START))
    yield s
    await s.stop()


async def post_poll(stack: SlackStack, extra: str = "--closes 3d") -> dict:
    reply = await stack.command("U0CAROL", f'poll "{QUESTION}" {extra}')
    assert "Poll #1 is posted and pinned" in reply["text"], reply
    assert reply["response_type"] == "ephemeral"
    await settle(lambda: len(stack.fake.pinned("C0MENTOR")) == 1)
    return stack.fake.messages("C0MENTOR")[0]


async def test_poll_posted_pinned_voted_closed_with_results(stack: SlackStack, fake: FakeSlack) -> None:
    poll = await post_poll(stack)
    # Posted once, pinned, and the member-typed question pings nobody.
    assert len(fake.messages("C0MENTOR")) == 1
    rendered = body_text(poll)
    assert "<!channel>" not in rendered and "<@U0ALICE>" not in rendered
    assert "&lt;!channel&gt;" in rendered and "&amp; friends" in rendered
    votes = button_ids(poll)
    assert len(votes) >= 2 and all(v.startswith("mentor:poll:") for v in votes)

    # Several members click; each gets a private confirmation, the poll message is updated.
    alice = await stack.click("U0ALICE", votes[0], poll["ts"])
    bob = await stack.click("U0BOB", votes[1], poll["ts"])
    assert alice["text"].startswith("You voted") and bob["text"].startswith("You voted")
    again = await stack.click("U0ALICE", votes[0], poll["ts"])
    assert "already voted" in again["text"]
    await settle(lambda: len(fake.calls_to("chat.update", ok=True)) >= 2)
    await stack.deliver()
    updated = fake.messages("C0MENTOR")[0]
    assert updated["ts"] == poll["ts"] and "edited" in updated

    # A member who is not a moderator cannot close it.
    refused = await stack.command("U0ALICE", "poll close 1")
    assert "moderator" in refused["text"].lower()

    closed = await stack.command("U0CAROL", "poll close 1")
    assert "closed" in closed["text"]
    await settle(lambda: len(fake.messages("C0MENTOR")) == 2 and not fake.pinned("C0MENTOR"))
    await stack.deliver()
    results = fake.messages("C0MENTOR")[1]
    assert "<!channel>" not in body_text(results)
    assert fake.pinned("C0MENTOR") == []
    # Every Slack call the adapter made succeeded.
    failed = [c for c in fake.calls if not c.ok]
    assert failed == []


async def test_poll_closes_by_itself_on_the_sweep(stack: SlackStack, fake: FakeSlack) -> None:
    poll = await post_poll(stack, "--closes 2d")
    votes = button_ids(poll)
    await stack.click("U0ALICE", votes[0], poll["ts"])
    await stack.deliver()
    stack.clock.advance(timedelta(days=1))
    assert await stack.bot.sweep() == 0
    stack.clock.advance(timedelta(days=1, minutes=1))
    assert await stack.bot.sweep() >= 1
    await stack.deliver()
    assert len(fake.messages("C0MENTOR")) == 2
    assert fake.pinned("C0MENTOR") == []
    late = await stack.click("U0BOB", votes[1], poll["ts"])
    assert "closed" in late["text"]


async def test_poll_form_creates_the_same_poll(stack: SlackStack, fake: FakeSlack) -> None:
    status, _ = await stack.submit(
        "U0CAROL",
        POLL_FORM.id,
        {
            "question": 'Mentor "circle" for <!here>?',
            "options": "Mentor\nMentee\nNot now",
            "closes": "3d",
            "anonymous": "no",
        },
    )
    assert status == 200
    await settle(lambda: fake.ephemerals)
    assert "Poll #1" in fake.ephemerals[0]["text"]
    await settle(lambda: fake.messages("C0MENTOR") and fake.pinned("C0MENTOR"))
    poll = fake.messages("C0MENTOR")[0]
    assert "&lt;!here&gt;" in body_text(poll) and "<!here>" not in body_text(poll)
    assert len(button_ids(poll)) == 3


async def test_event_retry_has_no_second_effect(stack: SlackStack, fake: FakeSlack) -> None:
    handled: list[object] = []
    core_handle = stack.services.adapter._handle

    async def counting(event):  # type: ignore[no-untyped-def]
        replies = await core_handle(event)
        handled.append((event, len(replies)))
        return replies

    stack.services.adapter._handle = counting
    status, _ = await stack.dm("U0ALICE", "hello", "Ev0RETRY1")
    assert status == 200
    im = fake.im_with("U0ALICE")
    await settle(lambda: len(fake.messages(im.id)) == 1)
    # Slack did not see our ack in time and re-delivers the same event.
    for retry in ("1", "2"):
        status, _ = await stack.dm(
            "U0ALICE", "hello", "Ev0RETRY1", **{"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"}
        )
        assert status == 200
    await stack.dm("U0ALICE", "hello again", "Ev0RETRY2")
    # All four deliveries were acknowledged; the two retries found their saved inbox row
    # and never reached the core.
    await settle(lambda: len(handled) == 2 and len(fake.messages(im.id)) == 2)
    async with stack.bot.db.unit() as session:
        saved = (
            await session.execute(
                select(func.count()).select_from(InboxEvent).where(InboxEvent.event_key.like("Ev0RETRY%"))
            )
        ).scalar_one()
    assert len(fake.messages(im.id)) == 2
    assert saved == 2


async def test_archived_channel_reaches_the_moderator(stack: SlackStack, fake: FakeSlack) -> None:
    poll = await post_poll(stack)
    fake.archive("C0MENTOR")
    await stack.click("U0ALICE", button_ids(poll)[0], poll["ts"])
    await stack.deliver()
    async with stack.bot.db.unit() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    failed = [r for r in rows if r.status == "failed"]
    assert failed and "is_archived" in (failed[0].last_error or "")
    assert "archived" in (failed[0].last_error or "")
    # The moderator hears about it in Slack, not only in a log line.
    await stack.deliver()
    carol = fake.im_with("U0CAROL")
    assert carol is not None
    notice = body_text(fake.messages(carol.id)[-1])
    assert "Delivery problem" in notice and "is_archived" in notice


async def test_closed_dm_becomes_a_permanent_failure_reported_once(stack: SlackStack, fake: FakeSlack) -> None:
    poll = await post_poll(stack)
    # Bob votes "mentee"-ish, then his account is deactivated before the invitations go out.
    await stack.click("U0BOB", button_ids(poll)[0], poll["ts"])
    fake.users["U0BOB"]["deleted"] = True
    await stack.command("U0CAROL", "poll close 1")
    await stack.deliver()
    await stack.deliver()
    async with stack.bot.db.unit() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    failed = [r for r in rows if r.status == "failed"]
    assert [r.destination_target for r in failed] == ["U0BOB"]
    assert (failed[0].last_error or "").startswith("user_disabled")
    carol = fake.im_with("U0CAROL")
    assert carol is not None and any("Delivery problem" in body_text(m) for m in fake.messages(carol.id))


async def test_rate_limited_delivery_recovers(stack: SlackStack, fake: FakeSlack) -> None:
    fake.rate_limit("chat.postMessage", retry_after=0, times=1)
    fake.rate_limit("pins.add", retry_after=0, times=1)
    await post_poll(stack)
    assert len(fake.messages("C0MENTOR")) == 1
    assert [c.ok for c in fake.calls_to("chat.postMessage")][:2] == [False, True]
    assert json.dumps(fake.calls_to("pins.add")[-1].args)


async def test_the_poll_modal_offers_public_and_names_stay_hidden_by_default(
    stack: SlackStack, fake: FakeSlack
) -> None:
    from tests.support.slack_harness import FORM
    from tests.support.slack_payloads import slash_command

    body = slash_command("poll", user_id="U0CAROL", channel_id="C0MENTOR", response_url=fake.response_url("poll"))
    await stack.post(body, FORM)
    await settle(lambda: bool(fake.modals))
    blocks = [b["block_id"] for b in fake.modals[-1]["blocks"]]
    assert "public" in blocks and "anonymous" in blocks
    form = {"question": "Public one?", "options": "", "closes": "3d"}
    await stack.submit("U0CAROL", POLL_FORM.id, {**form, "public": "yes", "anonymous": "no"})
    await settle(lambda: len(fake.messages("C0MENTOR")) == 1)
    shown = fake.messages("C0MENTOR")[0]
    await stack.click("U0BOB", button_ids(shown)[0], shown["ts"])
    await settle(lambda: len(fake.calls_to("chat.update", ok=True)) >= 1)
    await stack.deliver()
    assert "1 vote — Bob Mentee" in body_text(fake.messages("C0MENTOR")[0])
    await stack.submit("U0CAROL", POLL_FORM.id, {**form, "question": "Private one?", "public": "", "anonymous": ""})
    await settle(lambda: len(fake.messages("C0MENTOR")) == 2)
    async with stack.bot.db.unit() as session:
        from storage.tables import Poll

        polls = (await session.execute(select(Poll).order_by(Poll.id))).scalars().all()
    assert [p.show_voters for p in polls] == [True, False]
