"""Authorization matrix, generated from the router so a new command cannot skip it.

1. Every moderator-only command, tried by a member, is refused politely and
   changes nothing.
2. Every command or button that names an id, used from another community by a
   moderator of that community, finds nothing there.
"""

import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from adapters.console.session import COMMUNITY
from bot.bootstrap import build_router
from bot.core.events import CommunityRef, ComponentAction, SlashCommand
from bot.core.settings import Settings
from tests.support.chat import Chat
from tests.support.community import sign_up
from tests.support.db import run_apart, sqlite_copy

# Arguments that make each command do its real work when a moderator runs it.
SAMPLE_ARGS = {
    "poll": '"Join?" --closes 3d',
    "poll close": "1",
    "poll edit": '1 "New question"',
    "poll cancel": "1",
    "polls": "",
    "match": "",
    "match approve": "1",
    "match drop": "1",
    "match swap": "1 2",
    "match recompute": "",
    "match discard": "",
    "match show": "",
    "match close": "",
    "choice": "",
    "choice none": '"not my topics"',
    "pair": "1 end",
    "block": '@ann @maria "reason"',
    "unblock": "@ann @maria",
    "blocks": "",
    "goal set": '"Learn Rust"',
    "goal update": '"Progress"',
    "goal done": "",
    "goals": "",
    "resources": "",
    "wrap-up": "",
    "testimonials": "",
    "modchannel": "",
    "join": "",
    "edit": "",
    "profile": "@maria",
    "pause": "2",
    "resume": "",
    "leave": "",
    "forget-me": "",
    "announce": '--campaign spring "Join us"',
    "stats": "--since 30d",
    "export": "",
    "me": "",
    "overview": "",
    "pairs": "--at-risk",
    "members": "--waiting",
    "log": '45m "review"',
    "schedule": "",
    "availability": '"Mon-Fri 18-20"',
    "certificate": "",
    "verify": "MB-AAAA-BBBB",
    "thanks": "on",
    "recruit asks": "",
    "recruit post": "1",
    "recruit edit": '1 "Mentors wanted"',
    "recruit lapsed": "",
    "event": '"Mixer" --at 3d',
    "event cancel": "1",
    "circle offer": '--topic "Data" --size 3',
    "circle list": "",
    "circle goal": '"Ship it" --circle 1',
    "circle done": "1 --circle 1",
    "circle goals": "--circle 1",
    "circle schedule": "--circle 1",
    "circle wrap-up": "1",
    "circle create": "@maria @ann",
    "spaces": "",
}
# Commands that name an object by id, and the id to try from another community.
ID_COMMANDS = {
    "poll close": "1",
    "poll edit": '1 "New question"',
    "poll cancel": "1",
    "match approve": "1",
    "pair": "1 end",
    "recruit post": "1",
    "recruit edit": '1 "Mentors wanted"',
    "event cancel": "1",
    "circle wrap-up": "1",
    "circle goals": "--circle 1",
}
ID_BUTTONS = [
    "mentor:poll:1:vote:0",
    "mentor:round:1:approve",
    "mentor:pair:1:kickoff",
    "mentor:checkin:1.1:met",
    "mentor:feedback:1:rate:5",
    "mentor:nextround:1:yes",
    "mentor:wrapup:1:confirm",
    "mentor:met:1:len:45",
    "mentor:slot:1:pick:0",
    "mentor:cert:1:get",
    "mentor:pulse:1:rate:2",
    "mentor:rcr:1:post",
    "mentor:rcrl:all:invite",
    "mentor:event:1:going",
    "mentor:event:1:cancel",
    "mentor:circle:1:wrapup",
    "mentor:circle:1:slot:0",
    "mentor:circle:1:attention:1",
]


def test_every_command_has_a_sample() -> None:
    names = set(build_router().commands)
    missing = names - set(SAMPLE_ARGS)
    assert not missing, f"add these commands to the authorization matrix: {sorted(missing)}"


async def _table_counts(chat: Chat) -> dict[str, int]:
    counts = {}
    async with chat.bot.db.unit() as s:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in ("seen_event", "member", "community"):
                continue  # touching the bot at all registers the member
            counts[table.name] = (await s.execute(select(func.count()).select_from(table))).scalar_one()
    return counts


async def _world(chat: Chat) -> None:
    """A community with a poll, an approved round, a pairing, a circle and a check-in."""
    await chat("moderators: carol", '@carol /mentor poll "Join?"')
    await sign_up(chat, "maria", "mentor")
    await sign_up(chat, "ann", "mentee")
    await sign_up(chat, "max", "mentor")
    await sign_up(chat, "amy", "mentee")
    await chat("@carol /mentor match", "@carol /mentor match approve", "@carol /mentor match")
    await chat("@carol /mentor circle create @maria @amy")  # circle #1, for the id checks
    await chat("wait 14d")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> tuple[Path, datetime]:
    """`_world` built once for the module (every test here needs the same one): its database and time."""
    directory = tmp_path_factory.mktemp("world")
    factory = sqlite_copy(migrated_sqlite, directory)

    async def build() -> datetime:
        chat = await Chat.open(factory, settings=Settings(data_dir=str(directory / "data")))
        await _world(chat)
        now = chat.now
        await chat.close()
        return now

    now = run_apart(build())
    with sqlite3.connect(directory / "mentorbot.db") as conn:  # everything in the one file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return directory / "mentorbot.db", now


@pytest.fixture
async def world_chat(world: tuple[Path, datetime], tmp_path: Path) -> AsyncIterator[Chat]:
    """A chat on a copy of the world, at the time it was left (the bot restarts on it)."""
    template, now = world
    chat = await Chat.open(
        sqlite_copy(template, tmp_path), settings=Settings(data_dir=str(tmp_path / "data")), start=now
    )
    await chat("moderators: carol")
    yield chat
    await chat.close()


MODERATOR_ONLY = sorted(c.name for c in build_router().commands.values() if c.moderator_only)


@pytest.mark.parametrize("name", MODERATOR_ONLY)
async def test_members_are_refused_every_moderator_command(world_chat: Chat, name: str) -> None:
    chat = world_chat
    before = await _table_counts(chat)
    out = await chat(f"@ann /mentor {name} {SAMPLE_ARGS[name]}".rstrip())
    assert f"[only ann] Only moderators can use /mentor {name}" in out
    assert await _table_counts(chat) == before


def test_the_matrix_covers_moderator_commands() -> None:
    assert {"poll", "poll close", "match", "match approve", "pair", "testimonials", "modchannel"} <= set(MODERATOR_ONLY)


@pytest.mark.parametrize("name", sorted(ID_COMMANDS))
async def test_ids_from_another_community_are_not_found(world_chat: Chat, name: str) -> None:
    chat = world_chat
    before = await _table_counts(chat)
    elsewhere = CommunityRef("console", "another-community")
    intruder = chat.session.actor("carol")  # a moderator — of the other community
    replies = await chat.bot.handle(SlashCommand(elsewhere, intruder, "#general", f"{name} {ID_COMMANDS[name]}"))
    text = replies[0].plain_text()
    assert "There is no" in text or "no matching round here" in text, text
    assert await _table_counts(chat) == before


@pytest.mark.parametrize("component_id", ID_BUTTONS)
async def test_buttons_from_another_community_do_nothing(world_chat: Chat, component_id: str) -> None:
    chat = world_chat
    before = await _table_counts(chat)
    elsewhere = CommunityRef("console", "another-community")
    replies = await chat.bot.handle(ComponentAction(elsewhere, chat.session.actor("ann"), "#general", component_id))
    text = replies[0].plain_text().lower()
    assert any(
        word in text
        for word in ("no poll", "no event", "no circle", "can't find", "no matching round", "only moderators")
    ), text
    assert await _table_counts(chat) == before


async def test_buttons_for_someone_else_are_refused(world_chat: Chat) -> None:
    chat = world_chat
    before = await _table_counts(chat)
    for component_id in (
        "mentor:pair:1:confirm",
        "mentor:checkin:1.1:met",
        "mentor:intake:1:role:mentor",
        "mentor:privacy:1:forget",
    ):
        replies = await chat.bot.handle(
            ComponentAction(COMMUNITY, chat.session.actor("amy"), "dm:x", component_id, in_dm=True)
        )
        assert "someone else" in replies[0].plain_text()
    assert await _table_counts(chat) == before
