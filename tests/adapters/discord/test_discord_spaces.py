"""The community spaces through Discord: `serve` (the real discord.py client) against the fake Discord.

An opted-in member gets a member permission overwrite on the space's private channel
(PUT /channels/{id}/permissions/{user}: View Channel, Send Messages, Read Message History);
leaving the program deletes it. Without Manage Roles Discord answers 403 and the moderators
are told once, plainly, how to re-invite the bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.program import DEFAULT_PATH
from tests.fakes.discord import FakeDiscord
from tests.support.discord_program import Program, start_program, text_of, until

ALLOW = (1 << 10) | (1 << 11) | (1 << 16)


@pytest.fixture
async def program(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[Program]:
    running = start_program(fake, tmp_path, threads=False)
    space = fake.snowflake()
    running.guild.channels[space] = "participants"
    running.space = space  # type: ignore[attr-defined]
    program_file = tmp_path / "program.toml"
    program_file.write_text(DEFAULT_PATH.read_text().replace("[spaces]\n", f'[spaces]\nparticipants = "{space}"\n', 1))
    running.settings = replace(running.settings, data_dir=str(tmp_path / "data"), program_path=str(program_file))
    await running.start()
    yield running
    await running.stop()


def _overwrite(p: Program, user_id: str) -> dict | None:
    return next((o for o in p.guild.overwrites.get(p.space, []) if o["id"] == user_id), None)  # type: ignore[attr-defined]


async def test_a_member_who_joins_gets_an_overwrite_and_leaving_deletes_it(program: Program, fake: FakeDiscord) -> None:
    p = program
    ann = fake.add_member(p.guild, "ann")
    await p.seed(ann, "mentee")
    shown = await p.command(ann.id, "spaces")
    assert "The participants' space" in text_of(shown)
    answer = await p.click(ann.id, shown, "Join participants")
    assert "I'm adding you now: the participants' space." in answer["content"]
    await until(lambda: _overwrite(p, ann.id) is not None)
    [put] = fake.calls_to("PUT", rf"^/channels/{p.space}/permissions/{ann.id}$")  # type: ignore[attr-defined]
    assert put.json["type"] == 1 and int(put.json["allow"]) == ALLOW and int(put.json["deny"]) == 0
    assert put.status == 204
    await p.command(ann.id, "leave")
    await until(lambda: _overwrite(p, ann.id) is None)
    [delete] = fake.calls_to("DELETE", rf"^/channels/{p.space}/permissions/{ann.id}$")  # type: ignore[attr-defined]
    assert delete.status == 204
    assert fake.rejected == []


async def test_without_manage_roles_the_moderators_are_told_once(program: Program, fake: FakeDiscord) -> None:
    p = program
    p.guild.bot_manage_roles = False
    await p.command(p.owner, "help")  # the server owner, a moderator the bot knows (notices reach them by DM)
    members = [fake.add_member(p.guild, name) for name in ("ann", "ben")]
    for member in members:
        await p.seed(member, "mentee")
        await p.command(member.id, "spaces", {"action": "join"})
    owner = fake.users[p.owner]

    def notices() -> list[str]:
        everywhere = [*p.dms(owner), *(m for c in p.guild.channels for m in fake.channel_messages(c))]
        return [text_of(m) for m in everywhere if "Community space problem" in text_of(m)]

    await until(lambda: len(fake.calls_to("PUT", r"/permissions/")) == 2 and bool(notices()))
    [notice] = notices()  # both failed; one notice
    assert "Manage Roles" in notice and "mentorbot discord-invite" in notice and "missing_permissions" in notice
    assert all(c.status == 403 for c in fake.calls_to("PUT", r"/permissions/"))
    assert " ann" not in notice and " ben" not in notice and members[0].id not in notice
    assert _overwrite(p, members[0].id) is None
