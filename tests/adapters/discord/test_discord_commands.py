"""The generated Discord command tree, synced to the fake Discord and used as members do.

Every core command is a real (sub-)command under `/mentor` (members) or
`/mentor-admin` (moderators, default permission Manage Server), with typed options
that match its declared arguments; members are not offered moderator commands;
a server that grants `/mentor-admin` to a role still goes through the core's check
on every call; `/mentor join` and `/mentor-admin stats` work as typed; a poll
typed with hostile text, as options or in the form, arrives exactly.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.bootstrap import build_router
from bot.core.feature import ArgKind, Command
from bot.core.messages import message
from bot.core.parsing import tokenize
from bot.features.polls.form import POLL_FORM
from storage.tables import Poll
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.commands import CommandUnavailable
from tests.support.discord_program import Program, start_program, text_of, until

OPTION_TYPE = {
    ArgKind.TEXT: 3,
    ArgKind.WHEN: 3,
    ArgKind.LIST: 3,
    ArgKind.CHOICE: 3,
    ArgKind.INT: 4,
    ArgKind.FLAG: 5,
    ArgKind.MEMBER: 6,
}
MANAGE_SERVER = str(discord.Permissions(manage_guild=True).value)


class RecordingCore:
    def __init__(self) -> None:
        self.events: list[Any] = []

    async def handle(self, event: Any) -> list[Any]:
        self.events.append(event)
        return [message("ok")]


def _leaves(registered: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """ "group leaf" or "leaf" → the registered sub-command."""
    found: dict[str, dict[str, Any]] = {}
    for option in registered.get("options") or []:
        if option["type"] == 2:
            for leaf in option["options"]:
                found[f"{option['name']} {leaf['name']}"] = leaf
        elif option["type"] == 1:
            found[option["name"]] = option
    return found


def _sample(command: Command, member_id: str) -> dict[str, Any]:
    """A value for every argument, as a moderator would fill the options in."""
    samples = {ArgKind.INT: 1, ArgKind.FLAG: True, ArgKind.MEMBER: member_id, ArgKind.WHEN: "3d"}
    return {
        a.name: a.choices[0]
        if a.kind is ArgKind.CHOICE
        else (a.min_value or 1)  # the smallest number Discord lets them type
        if a.kind is ArgKind.INT
        else samples.get(a.kind, f"some {a.name}")
        for a in command.args
    }


async def test_every_core_command_is_a_real_discord_command(fake: FakeDiscord, discord_settings, run_client) -> None:
    guild = fake.add_guild()
    channel = next(iter(guild.channels))
    lee = fake.add_member(guild, "lee")
    core = RecordingCore()
    runner = await run_client(core, discord_settings)
    assert runner.client.last_sync == "synced"
    mentor, admin = fake.registered("mentor", guild.id), fake.registered("mentor-admin", guild.id)
    assert mentor is not None and admin is not None
    assert mentor["default_member_permissions"] is None and admin["default_member_permissions"] == MANAGE_SERVER
    member_leaves, admin_leaves = _leaves(mentor), _leaves(admin)
    router = build_router()

    reached = []
    for command in router.commands.values():
        top, leaves = ("mentor-admin", admin_leaves) if command.moderator_only else ("mentor", member_leaves)
        path = " ".join(command.discord_path)
        leaf = leaves.get(path)
        assert leaf is not None and leaf["type"] == 1, (command.name, top, path)
        options = {o["name"]: o for o in leaf.get("options", [])}
        assert list(options) == sorted((a.name for a in command.args), key=lambda n: not options[n].get("required"))
        for arg in command.args:
            option = options[arg.name]
            assert option["type"] == OPTION_TYPE[arg.kind], (command.name, arg.name)
            assert bool(option.get("required")) == arg.required
            assert [c["value"] for c in option.get("choices", [])] == list(arg.choices)
            assert option.get("autocomplete", False) == (arg.kind is ArgKind.WHEN)
            if arg.kind is ArgKind.INT:
                assert (option.get("min_value"), option.get("max_value")) == (arg.min_value, arg.max_value)
            if option["type"] == 3 and arg.max_length:
                assert option["max_length"] == arg.max_length
        # Typed by the server owner, it reaches the core as exactly this command.
        before = len(core.events)
        await fake.slash(guild, channel, guild.owner_id, path, _sample(command, lee.id), command=top)
        await until(lambda before=before: len(core.events) > before)
        resolved, _ = router.resolve(tokenize(core.events[-1].text))
        assert resolved is command, (command.name, core.events[-1].text)
        reached.append(command.name)
    assert sorted(reached) == sorted(router.commands)
    # Nothing else is offered: /mentor holds members' commands and help, /mentor-admin moderators' and help.
    member_paths = {" ".join(c.discord_path) for c in router.commands.values() if not c.moderator_only}
    admin_paths = {" ".join(c.discord_path) for c in router.commands.values() if c.moderator_only}
    assert set(member_leaves) == member_paths | {"help"}
    assert set(admin_leaves) == admin_paths | {"help"}


async def test_members_are_not_offered_moderator_commands(fake: FakeDiscord, discord_settings, run_client) -> None:
    guild = fake.add_guild()
    channel = next(iter(guild.channels))
    mia = fake.add_member(guild, "mia")
    core = RecordingCore()
    await run_client(core, discord_settings)
    admin = fake.registered("mentor-admin", guild.id)
    assert not fake.may_use(guild, mia.id, admin) and fake.may_use(guild, guild.owner_id, admin)
    for path in ("stats", "match run", "poll create", "help"):
        with pytest.raises(CommandUnavailable):
            await fake.slash(guild, channel, mia.id, path, command="mentor-admin")
    await fake.slash(guild, channel, mia.id, "help")  # /mentor is everyone's
    await until(lambda: len(core.events) == 1)
    assert core.events[0].text == "help"


async def _poll(p: Program) -> Poll:
    async with p.store.db.unit() as session:
        return (await session.execute(select(Poll))).scalars().one()


async def test_join_and_stats_typed_and_help_in_discords_own_form(program: Program, fake: FakeDiscord) -> None:
    p = program
    newbie = fake.add_member(p.guild, "newbie")
    joined = await p.command(newbie.id, "join", {"role": "mentee"})
    assert "I've sent you a DM" in joined["content"] and joined["flags"] & 64
    await until(lambda: bool(p.dms(newbie)))
    await p.seed(fake.add_member(p.guild, "maria"), "mentor", topics_offered=["Python"])
    stats = await p.command(p.owner, "stats", {"since": "30d"}, command="mentor-admin")
    assert "Mentorship program dashboard" in text_of(stats) and stats["flags"] & 64
    assert "Signed up: 1 — mentors 1" in text_of(stats)
    helped = text_of(await p.command(newbie.id, "help"))
    assert "/mentor goal set goal:… [by:…]" in helped and "/mentor join [role:mentor|mentee|both]" in helped
    assert "/mentor-admin" not in helped and 'goal set "<' not in helped  # not the text syntax
    moderator_help = text_of(await p.command(p.owner, "help", command="mentor-admin"))
    assert "/mentor-admin poll create [question:…]" in moderator_help
    assert "/mentor-admin match swap pair:… other:…" in moderator_help
    assert fake.rejected == []


HOSTILE_QUESTION = 'Join "us"? @everyone <@&{role}> **now** ||x|| \u202e'
HOSTILE_CHOICES = ["I'd mentor, gladly", "No @here", "<@{owner}> `code`"]


async def test_a_typed_poll_with_hostile_text_arrives_exactly(program: Program, fake: FakeDiscord) -> None:
    p = program
    role = fake.add_role(p.guild, "Staff")
    question = HOSTILE_QUESTION.format(role=role)
    choices = [c.format(owner=p.owner) for c in HOSTILE_CHOICES]
    reply = await p.command(
        p.owner,
        "poll create",
        {"question": question, "options": " | ".join(choices), "anonymous": True},
        command="mentor-admin",
    )
    assert "posted" in reply["content"].lower()
    poll = await _poll(p)
    # Slash options go through the text syntax: a straight quote becomes an apostrophe, by design.
    assert poll.question == question.replace('"', "'").strip()
    assert [o["label"] for o in poll.options] == choices and poll.anonymous is True
    await until(lambda: any(m.get("components") for m in fake.channel_messages(p.general)))
    assert fake.rejected == []


async def test_the_poll_form_with_hostile_text_arrives_exactly(program: Program, fake: FakeDiscord) -> None:
    p = program
    opened = await fake.slash(p.guild, p.general, p.owner, "poll create", command="mentor-admin")
    await fake.wait_for_call("POST", rf"^/interactions/{opened['id']}/")
    assert fake.response_to(opened)["type"] == 9
    question = HOSTILE_QUESTION.format(role="1").strip()
    choices = [c.format(owner=p.owner) for c in HOSTILE_CHOICES]
    submitted = await fake.submit_modal(
        p.guild,
        p.general,
        p.owner,
        POLL_FORM.id,
        {"question": question, "options": "\n".join(choices), "closes": "3d", "anonymous": "no"},
    )
    await fake.wait_for_call("PATCH", rf"^/webhooks/\d+/{submitted['token']}/messages/@original$")
    poll = await _poll(p)
    assert poll.question == question  # the form keeps quote marks: no text syntax in between
    assert [o["label"] for o in poll.options] == choices and poll.anonymous is False
    assert poll.channel_id == p.general  # posted where the form was opened


async def test_a_role_granted_mentor_admin_still_meets_the_cores_check(
    fake: FakeDiscord, tmp_path, migrated_sqlite
) -> None:
    """Servers grant /mentor-admin to roles in Integrations; DISCORD_MODERATOR_ROLE decides who is one."""
    p = start_program(fake, tmp_path, threads=False, template=migrated_sqlite)
    team, helpers = fake.add_role(p.guild, "Mentor Team"), fake.add_role(p.guild, "Helpers")
    p.env = {**p.env, "DISCORD_MODERATOR_ROLE": "Mentor Team"}
    lead, helper = fake.add_member(p.guild, "lead", roles=(team,)), fake.add_member(p.guild, "helper", roles=(helpers,))
    await p.start()
    try:
        with pytest.raises(CommandUnavailable):  # before the grant, Discord offers it to neither
            await p.command(lead.id, "stats", command="mentor-admin")
        fake.grant_command(p.guild, "mentor-admin", team)
        fake.grant_command(p.guild, "mentor-admin", helpers)  # granted too widely
        allowed = await p.command(lead.id, "stats", command="mentor-admin")
        assert "Signed up" in text_of(allowed)
        refused = await p.command(helper.id, "stats", command="mentor-admin")
        assert "Only moderators can use /mentor-admin stats" in text_of(refused)
    finally:
        await p.stop()


def test_the_tree_follows_the_table() -> None:
    """A command added to a feature appears on Discord with no adapter change."""
    from adapters.discord.client import MentorClient
    from adapters.discord.settings import DiscordSettings
    from adapters.discord.sync import command_payload
    from bot.core.feature import Arg

    router = build_router()

    async def handler(ctx, args):  # pragma: no cover - never called
        return []

    extra = Command(
        "availability",
        "availability <hours>",
        "how many hours a month you can give",
        handler,
        args=(Arg("hours", ArgKind.INT, "Hours a month", required=True, min_value=1, max_value=40),),
    )
    router.commands[extra.name] = extra
    core = RecordingCore()
    core.router = router  # type: ignore[attr-defined]
    payload = command_payload(MentorClient(core, DiscordSettings(token="x")).tree, None)
    mentor = next(c for c in payload if c["name"] == "mentor")
    leaf = next(o for o in mentor["options"] if o["name"] == "availability")
    assert leaf["options"] == [
        {"type": 4, "name": "hours", "description": "Hours a month", "required": True, "min_value": 1, "max_value": 40}
    ]


async def test_the_poll_modal_and_options_offer_public_and_names_stay_hidden_by_default(
    program: Program, fake: FakeDiscord
) -> None:
    p = program
    opened = await fake.slash(p.guild, p.general, p.owner, "poll create", command="mentor-admin")
    await fake.wait_for_call("POST", rf"^/interactions/{opened['id']}/")
    modal = fake.response_to(opened)
    assert modal is not None and modal["type"] == 9
    inputs = [c["custom_id"] for row in modal["data"]["components"] for c in row["components"]]
    assert "public" in inputs and "anonymous" in inputs and len(inputs) <= 5  # Discord's modal limit
    submitted = await fake.submit_modal(
        p.guild, p.general, p.owner, POLL_FORM.id, {"question": "Shown?", "public": "yes", "anonymous": "no"}
    )
    await fake.wait_for_call("PATCH", rf"^/webhooks/\d+/{submitted['token']}/messages/@original$")
    await p.command(p.owner, "poll create", {"question": "Hidden?"}, command="mentor-admin")
    await p.command(p.owner, "poll create", {"question": "Shown too?", "public": True}, command="mentor-admin")
    async with p.store.db.unit() as session:
        polls = (await session.execute(select(Poll).order_by(Poll.id))).scalars().all()
    assert [(q.question, q.show_voters) for q in polls] == [("Shown?", True), ("Hidden?", False), ("Shown too?", True)]
