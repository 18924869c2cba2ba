"""The /mentor definition that tree.sync sends, checked against Discord's documented limits."""

from __future__ import annotations

import re

import discord

from adapters.discord.client import MentorClient
from adapters.discord.settings import DiscordSettings
from adapters.discord.sync import command_payload, definition_hash
from tests.fakes.discord.commands import bulk_problem

NAME = re.compile(r"^[-_\w]{1,32}$")


class _NoCore:
    async def handle(self, event):  # pragma: no cover - never called
        return []


def _payload():
    client = MentorClient(_NoCore(), DiscordSettings(token="x"))
    return command_payload(client.tree, None)


def _check_options(options, depth=0):
    assert len(options) <= 25
    required_seen_optional = False
    for option in options:
        assert NAME.match(option["name"]) and option["name"] == option["name"].lower(), option["name"]
        assert 1 <= len(option["description"]) <= 100, option["name"]
        assert len(option.get("choices", [])) <= 25
        if option["type"] in (1, 2):
            assert depth < 2
            _check_options(option.get("options", []), depth + 1)
        else:
            # Discord requires required options before optional ones.
            if not option.get("required"):
                required_seen_optional = True
            else:
                assert not required_seen_optional, option["name"]
            if option["type"] == 3:
                assert option.get("max_length", 6000) <= 6000


def _chars(command):
    total = len(command["name"]) + len(command["description"])
    stack = list(command.get("options", []))
    while stack:
        option = stack.pop()
        total += len(option["name"]) + len(option["description"])
        total += sum(len(str(c["name"])) + len(str(c["value"])) for c in option.get("choices", []))
        stack.extend(option.get("options", []))
    return total


def test_sync_payload_is_within_discords_limits():
    payload = _payload()
    assert [c["name"] for c in payload] == ["mentor", "mentor-admin"]
    assert bulk_problem(payload) is None  # the fake's reading of Discord's published rules
    for command in payload:
        assert command["type"] == 1 and 1 <= len(command["description"]) <= 100
        assert command.get("contexts") == [0] or command.get("dm_permission") is False  # guild only
        assert _chars(command) <= 4000
        _check_options(command["options"])
    mentor, admin = payload
    assert mentor["default_member_permissions"] is None
    assert admin["default_member_permissions"] == discord.Permissions(manage_guild=True).value
    goal = next(o for o in mentor["options"] if o["name"] == "goal")
    assert goal["type"] == 2 and [o["name"] for o in goal["options"]] == ["set", "update", "done", "list"]
    poll = next(o for o in admin["options"] if o["name"] == "poll")
    create = next(o for o in poll["options"] if o["name"] == "create")
    types = {o["name"]: o["type"] for o in create["options"]}
    assert types == {"question": 3, "options": 3, "closes": 3, "anonymous": 5, "public": 5}
    join = next(o for o in mentor["options"] if o["name"] == "join")
    assert [c["value"] for c in join["options"][0]["choices"]] == ["mentor", "mentee", "both"]
    profile = next(o for o in mentor["options"] if o["name"] == "profile")
    assert profile["options"][0]["type"] == 6  # a user picker


def test_the_fake_refuses_what_discord_refuses():
    """The checks the payload test relies on can fail."""
    (mentor, admin) = _payload()
    too_many = dict(mentor, options=[dict(mentor["options"][0], name=f"c{i}") for i in range(26)])
    assert "25 or fewer" in bulk_problem([too_many])
    long = dict(mentor, description="x" * 101)
    assert "description" in bulk_problem([long])
    mixed = dict(mentor, options=[*mentor["options"], {"type": 3, "name": "text", "description": "d"}])
    assert "mixed" in bulk_problem([mixed])
    order = {
        "type": 1,
        "name": "x",
        "description": "d",
        "options": [
            {"type": 3, "name": "a", "description": "d"},
            {"type": 3, "name": "b", "description": "d", "required": True},
        ],
    }
    assert "before non-required" in bulk_problem([dict(mentor, options=[order])])
    deep = dict(
        admin,
        options=[
            {
                "type": 2,
                "name": "g",
                "description": "d",
                "options": [{"type": 2, "name": "h", "description": "d", "options": []}],
            }
        ],
    )
    assert bulk_problem([deep])
    assert "bitfield" in bulk_problem([dict(admin, default_member_permissions="32")])
    assert "Command name" in bulk_problem([dict(mentor, name="Mentor")])


def test_definition_hash_is_stable_and_changes_with_the_definition():
    payload = _payload()
    assert definition_hash(payload) == definition_hash(_payload())
    payload[0]["description"] = "changed"
    assert definition_hash(payload) != definition_hash(_payload())


def test_settings_from_env_explain_bad_values():
    import pytest

    from bot.core.settings import ConfigError

    settings = DiscordSettings.from_env(
        {"DISCORD_TOKEN": " t ", "DISCORD_API_BASE": "http://127.0.0.1:9/api/", "DISCORD_MODERATOR_ROLE": "Mentor Team"}
    )
    assert settings.token == "t" and settings.api_base == "http://127.0.0.1:9/api/v10"
    assert settings.moderator_role_name == "Mentor Team" and settings.guild_id is None
    assert DiscordSettings.from_env({"DISCORD_TOKEN": "t", "DISCORD_MODERATOR_ROLE": "42"}).moderator_role_id == 42
    for bad in (
        {},
        {"DISCORD_TOKEN": "t", "DISCORD_GUILD_ID": "my server"},
        {"DISCORD_TOKEN": "t", "DISCORD_SHARDS": "4"},
    ):
        with pytest.raises(ConfigError):
            DiscordSettings.from_env(bad)


async def test_invite_url_asks_for_the_least_permissions(fake):
    from urllib.parse import parse_qs, urlparse

    import discord

    from adapters.discord.invite import invite_url_from_env

    url = await invite_url_from_env({"DISCORD_TOKEN": fake.token, "DISCORD_API_BASE": fake.api_base})
    query = parse_qs(urlparse(url).query)
    assert query["client_id"] == [fake.application_id]
    assert query["scope"] == ["bot applications.commands"]
    perms = discord.Permissions(int(query["permissions"][0]))
    assert perms.send_messages and perms.pin_messages and perms.create_private_threads
    assert not (perms.administrator or perms.manage_messages or perms.manage_guild or perms.mention_everyone)
    assert not perms.manage_threads and not perms.manage_channels
    assert perms.manage_roles  # the community spaces: a member permission overwrite on the space's channel
    offline = await invite_url_from_env({"DISCORD_APPLICATION_ID": "42"})
    assert "client_id=42" in offline
