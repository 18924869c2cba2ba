"""The console's `Messenger`: delivers outbox rows into the `ConsoleChat`."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.console.chat import ConsoleChat
from bot.core.messages import Message
from bot.core.ports import (
    Delivered,
    Delivery,
    DeliveryResult,
    DestinationKind,
    Operation,
    PermanentFailure,
)


class ConsoleMessenger:
    def __init__(self, chat: ConsoleChat, transcript: Path | None = None) -> None:
        self.chat = chat
        # idempotency key → message ref: a resend after a crash is recognised, as
        # Discord's nonce or Slack's metadata would let a real platform do.
        self.sent_keys: dict[str, str] = {}
        # The transcript is the console platform's durable record: it survives a
        # `kill -9` of the bot, exactly as a real platform keeps what it received.
        self.transcript = transcript
        if transcript is not None and transcript.exists():
            for line in transcript.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.sent_keys[entry["key"]] = entry["ref"]
            # New messages continue the numbering: an edit or pin aimed at a message from
            # before the restart must never land on a different, newer message.
            numbers = [int(ref[1:]) for ref in self.sent_keys.values() if ref[1:].isdigit()]
            chat.skip_refs_through(max(numbers, default=0))

    def _record(self, key: str, ref: str, header: str, message: Message) -> None:
        if self.transcript is None:
            return
        entry = {"key": key, "ref": ref, "to": header, "text": message.plain_text().split("\n", 1)[0]}
        with self.transcript.open("a", encoding="utf-8") as file:
            file.write(json.dumps(entry, ensure_ascii=False) + "\n")

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        destination = delivery.destination
        if delivery.operation is Operation.CALENDAR_EVENT:
            return Delivered(None)  # the console has no calendar: the post and the .ics invites serve
        if delivery.operation in (Operation.SPACE_ADD, Operation.SPACE_REMOVE):
            channel, user = destination.space
            if not user.startswith("forgotten:"):  # a queued add of someone forgotten since: nobody to add
                self.chat.set_space_member(channel, user, delivery.operation is Operation.SPACE_ADD)
            return Delivered(None)
        if delivery.operation is Operation.POST:
            if delivery.idempotency_key in self.sent_keys:
                return Delivered(self.sent_keys[delivery.idempotency_key])
            closed = [u for u in destination.user_ids if u in self.chat.closed_dms]
            if closed and destination.kind in (DestinationKind.DM, DestinationKind.GROUP_DM):
                return PermanentFailure("dm_closed", f"{closed[0]} does not accept DMs", unreachable_user_id=closed[0])
            assert delivery.message is not None
            posted = self.chat.post(destination, delivery.message)
            self.sent_keys[delivery.idempotency_key] = posted.ref
            self._record(delivery.idempotency_key, posted.ref, posted.header, delivery.message)
            return Delivered(posted.ref)
        if delivery.target_ref is None:
            return PermanentFailure("no_target", "nothing to act on")
        if delivery.operation is Operation.UPDATE:
            assert delivery.message is not None
            ok = self.chat.update(delivery.target_ref, delivery.message)
        else:
            ok = self.chat.pin(delivery.target_ref, delivery.operation is Operation.PIN)
        return Delivered(delivery.target_ref) if ok else PermanentFailure("message_not_found")
