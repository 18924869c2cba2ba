"""The outbox deliverer: retries, permanent failures, crashes, ordering."""

from datetime import timedelta

from sqlalchemy import func, select

from adapters.console.messenger import ConsoleMessenger
from bot.core.ports import Delivery, Operation, PermanentFailure, RetryLater
from bot.delivery.deliverer import LEASE, Deliverer
from storage.tables import Member, OutboxMessage
from tests.support.chat import Chat

POLL = '@carol /mentor poll "Join?" --closes 3d'


class FlakyMessenger(ConsoleMessenger):
    """Answers 429 to the first N posts, then behaves like the console."""

    def __init__(self, inner: ConsoleMessenger, failures: int, seconds: float = 30) -> None:
        super().__init__(inner.chat)
        self.sent_keys = inner.sent_keys
        self.failures = failures
        self.seconds = seconds
        self.calls: list[Delivery] = []

    async def deliver(self, delivery: Delivery):  # type: ignore[no-untyped-def]
        self.calls.append(delivery)
        if self.failures > 0:
            self.failures -= 1
            return RetryLater(self.seconds)
        return await super().deliver(delivery)


async def test_rate_limited_message_waits_for_retry_after_then_arrives(chat: Chat) -> None:
    await chat("moderators: carol")
    flaky = FlakyMessenger(chat.session.messenger, failures=1, seconds=30)
    chat.session.messenger = flaky
    out = await chat(POLL)
    assert "[#general] Interest poll" not in out  # 429: not yet
    row = await _row(chat, "poll:1:post")
    assert row.status == "pending" and row.not_before == chat.now + timedelta(seconds=30)
    assert row.attempts == 0  # being paced is not a failure
    out = await chat("wait 1m")
    assert "[#general] Interest poll #1" in out and "[pinned #general]" in out
    assert [c.operation for c in flaky.calls[:2]] == [Operation.POST, Operation.POST]


async def test_closed_dms_mark_member_and_tell_moderators_once(chat: Chat) -> None:
    await chat("moderators: carol", "closed-dms: alice", "@carol /mentor help", POLL, "@alice click I'd mentor")
    out = await chat("@carol /mentor poll close 1")
    assert "[DM alice]" not in out
    assert "[DM carol] Delivery problem" in out and "I could not send a direct message to alice" in out
    async with chat.bot.db.unit() as s:
        alice = (await s.execute(select(Member).where(Member.platform_user_id == "alice"))).scalar_one()
        assert alice.dm_status == "closed"
        failed = (await s.execute(select(OutboxMessage).where(OutboxMessage.status == "failed"))).scalars().all()
        assert len(failed) == 1 and failed[0].dedupe_key == "poll:1:invite:" + str(alice.id)
    # alice is told once, privately, the next time she uses the bot in a channel
    out = await chat("@alice /mentor polls", "@alice /mentor polls")
    assert out.count("your DMs are closed to me") == 1
    # nothing keeps retrying
    out = await chat("wait 1d")
    assert "Delivery problem" not in out


async def test_a_crash_mid_send_is_resent_once_with_the_same_key(chat: Chat) -> None:
    await chat("moderators: carol")
    real = chat.session.messenger

    class CrashAfterSend(ConsoleMessenger):
        async def deliver(self, delivery: Delivery):  # type: ignore[no-untyped-def]
            await real.deliver(delivery)  # the platform got it…
            raise SystemExit  # …and the process died before recording it

    chat.session.messenger = CrashAfterSend(real.chat)
    try:
        await chat(POLL)
    except SystemExit:
        pass
    assert chat.take().count("[#general] Interest poll #1") == 1
    row = await _row(chat, "poll:1:post")
    assert row.status == "sending"
    chat.session.messenger = real
    out = await chat("restart")
    assert "Interest poll #1\n" not in out  # lease not expired yet: nobody resends
    chat.session.clock.advance(LEASE)
    await chat.session.deliver()
    out = chat.take()
    assert "[#general] Interest poll #1" not in out  # same key: the platform had it already
    assert "[pinned #general] Interest poll #1" in out
    row = await _row(chat, "poll:1:post")
    assert row.status == "sent" and row.message_ref is not None


async def test_tally_updates_coalesce_while_waiting(chat: Chat) -> None:
    await chat("moderators: carol", POLL)
    chat.session.messenger = FlakyMessenger(chat.session.messenger, failures=100, seconds=60)
    await chat("@a click 1", "@b click 2", "@c click 3")
    async with chat.bot.db.unit() as s:
        updates = (
            await s.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.operation == "update", OutboxMessage.status == "pending")
            )
        ).scalar_one()
    assert updates == 1


async def test_permanent_failure_of_a_post_fails_its_pin_instead_of_looping(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")

    class ArchivedChannel(ConsoleMessenger):
        async def deliver(self, delivery: Delivery):  # type: ignore[no-untyped-def]
            if (
                delivery.destination.target == "#general"
                and delivery.operation is Operation.POST
                and delivery.message
                and "Interest poll" in delivery.message.plain_text()
            ):
                return PermanentFailure("is_archived", "channel is archived")
            return await super().deliver(delivery)

    messenger = ArchivedChannel(chat.session.messenger.chat)
    messenger.sent_keys = chat.session.messenger.sent_keys
    chat.session.messenger = messenger
    out = await chat(POLL)
    assert "[#general] Delivery problem" in out and "That channel is archived" in out
    async with chat.bot.db.unit() as s:
        statuses = dict(
            (
                await s.execute(
                    select(OutboxMessage.operation, OutboxMessage.status).where(
                        OutboxMessage.dedupe_key.is_not(None), OutboxMessage.dedupe_key.not_like("notice:%")
                    )
                )
            ).all()
        )
    assert statuses.get("post") == "failed" and statuses.get("pin") == "failed"


async def _row(chat: Chat, key: str) -> OutboxMessage:
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))).scalar_one()


def test_deliverer_is_importable_without_a_platform() -> None:
    assert Deliverer.__module__ == "bot.delivery.deliverer"
