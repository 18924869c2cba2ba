"""The console platform after a restart: its transcript is its memory of what it received."""

import json
from pathlib import Path

from adapters.console.chat import ConsoleChat
from adapters.console.messenger import ConsoleMessenger
from bot.core.messages import message
from bot.core.ports import Delivered, Delivery, Destination, Operation, PermanentFailure


def _delivery(operation: Operation, key: str, target_ref: str | None = None) -> Delivery:
    return Delivery("console", operation, Destination.channel("#general"), message("Poll tally"), key, target_ref)


async def test_after_a_restart_new_messages_never_reuse_an_old_ref(tmp_path: Path) -> None:
    transcript = tmp_path / "transcript.jsonl"
    transcript.write_text(
        "\n".join(json.dumps({"key": f"mb{n}", "ref": f"m{n}", "to": "#general", "text": "x"}) for n in (1, 7)) + "\n",
        encoding="utf-8",
    )
    chat = ConsoleChat()
    messenger = ConsoleMessenger(chat, transcript)
    # A resend of something delivered before the restart is recognised, not posted again.
    assert await messenger.deliver(_delivery(Operation.POST, "mb7")) == Delivered("m7")
    assert chat.messages == []
    # New posts continue the numbering, so an edit of the old poll (m7) cannot hit them.
    posted = [await messenger.deliver(_delivery(Operation.POST, f"mb{n}")) for n in (20, 21, 22, 23, 24, 25, 26, 27)]
    assert [p.message_ref for p in posted if isinstance(p, Delivered)] == [f"m{n}" for n in range(8, 16)]
    edit = await messenger.deliver(_delivery(Operation.UPDATE, "mb30", target_ref="m7"))
    assert isinstance(edit, PermanentFailure) and edit.code == "message_not_found"
    assert all(m.message.plain_text() == "Poll tally" for m in chat.messages) and len(chat.messages) == 8
