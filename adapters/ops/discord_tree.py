"""Is the command tree Discord shows members the one this version of the bot expects?

The bot syncs its commands at start-up only when their definition changed since the last
sync it recorded (adapters/discord/sync.py). Commands can still drift: another copy of the
bot (an older version, a developer's) synced the same application, someone deleted
commands, or the recorded hash survived a wiped application. Members then see options the
bot no longer reads, or miss new ones. This compares what Discord has registered with what
the bot would register, by shape (names, types, options, descriptions, permissions),
ignoring the ids, versions and defaults Discord adds.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from adapters.discord.settings import DiscordSettings

# Option fields that change what a member sees or sends; Discord adds others (ids, versions,
# localisations) that say nothing about the shape.
_OPTION_KEYS = ("type", "name", "description", "required", "autocomplete", "min_value", "max_value",
                "min_length", "max_length", "channel_types")  # fmt: skip


def expected_commands(settings: DiscordSettings) -> list[dict[str, Any]]:
    """What `tree.sync()` would PUT for these settings (global, or the development guild)."""
    import discord

    from adapters.discord.client import MentorClient
    from adapters.discord.sync import command_payload

    client = MentorClient(SimpleNamespace(), settings)  # type: ignore[arg-type]  # no core: the tree only
    guild = discord.Object(settings.guild_id) if settings.guild_id is not None else None
    if guild is not None:
        client.tree.copy_global_to(guild=guild)
    return command_payload(client.tree, guild)


def _shape(item: dict[str, Any]) -> dict[str, Any]:
    shape = {key: item.get(key) for key in _OPTION_KEYS}
    shape["type"] = item.get("type", 1)
    shape["required"] = bool(item.get("required"))
    shape["autocomplete"] = bool(item.get("autocomplete"))
    shape["choices"] = sorted((str(c.get("name")), str(c.get("value"))) for c in item.get("choices") or [])
    shape["options"] = [_shape(o) for o in item.get("options") or []]
    return shape


def command_shape(command: dict[str, Any]) -> dict[str, Any]:
    shape = _shape(command)
    permissions = command.get("default_member_permissions")
    shape["default_member_permissions"] = str(permissions) if permissions not in (None, "") else None
    return shape


def tree_differences(expected: list[dict[str, Any]], registered: list[dict[str, Any]]) -> list[str]:
    """Short, operator-readable differences ("/mentor: options differ"); empty when in sync."""
    want = {c["name"]: command_shape(c) for c in expected if c.get("type", 1) == 1}
    have = {c.get("name"): command_shape(c) for c in registered if c.get("type", 1) == 1}
    found: list[str] = []
    for name in sorted(want.keys() - have.keys()):
        found.append(f"/{name} is not registered")
    for name in sorted(have.keys() - want.keys()):
        found.append(f"/{name} is registered but this version has no such command")
    for name in sorted(want.keys() & have.keys()):
        if want[name] != have[name]:
            found.append(f"/{name} differs ({_first_difference(want[name], have[name], '/' + name)})")
    return found


def _first_difference(want: dict[str, Any], have: dict[str, Any], path: str) -> str:
    wanted = {o["name"]: o for o in want["options"]}
    had = {o["name"]: o for o in have["options"]}
    missing = sorted(wanted.keys() - had.keys())
    if missing:
        return f"{path} {missing[0]} missing"
    extra = sorted(had.keys() - wanted.keys())
    if extra:
        return f"{path} {extra[0]} is extra"
    for name in wanted:
        if wanted[name] != had[name]:
            return _first_difference(wanted[name], had[name], f"{path} {name}")
    differing = sorted(k for k in want if k != "options" and want[k] != have.get(k))
    return f"{path}: {', '.join(differing) or 'order'}"
