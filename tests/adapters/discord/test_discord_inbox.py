"""Nothing acknowledged is lost on Discord: a command deferred just before the process died
is applied by the next process and the moderator's "thinking…" is completed — once.

`mentorbot run` for Discord (`serve`: the real discord.py client and core) against the fake
Discord; the "crash" is the process's work stopping right after the deferral."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.discord.client import MentorClientMixin
from storage.tables import InboxEvent, Poll
from tests.fakes.discord import FakeDiscord
from tests.support.discord_program import Program


async def test_a_poll_deferred_just_before_a_crash_is_posted_after_the_restart(
    program: Program, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def killed(self: Any, ticket: Any, job: Any) -> None:  # the process dies right after defer()
        return None

    monkeypatch.setattr(MentorClientMixin, "work", killed)
    interaction = await fake.slash(
        program.guild,
        program.general,
        program.owner,
        "poll create",
        {"question": "Join the program?", "closes": "3d"},
        command="mentor-admin",
    )
    await fake.wait_for_call("POST", rf"^/interactions/{interaction['id']}/{interaction['token']}/callback$")
    assert fake.response_to(interaction)["type"] == 5  # deferred: Discord will never send it again
    assert await program.count(Poll) == 0
    assert await program.count(InboxEvent, InboxEvent.finished_at.is_(None)) == 1  # type: ignore[union-attr]

    await program.stop()
    monkeypatch.undo()
    await program.start()
    # The restarted process resumes the saved command: the thinking… message is completed.
    await fake.wait_for_call("PATCH", rf"^/webhooks/\d+/{interaction['token']}/messages/@original$")
    answer = fake.messages[fake.interactions[interaction["token"]]["original_message_id"]]
    assert "Poll #1" in answer["content"]
    assert await program.count(Poll) == 1
    assert await program.count(InboxEvent, InboxEvent.finished_at.is_(None)) == 0  # type: ignore[union-attr]
