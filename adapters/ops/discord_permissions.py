"""Discord's permission arithmetic for one member in one channel, from what the REST API
returns (roles, the member's role ids, the channel's overwrites): used by `mentorbot doctor`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ADMINISTRATOR = 1 << 3


def channel_permissions(
    guild_id: str, roles: Iterable[Mapping[str, Any]], member_roles: Iterable[str], member_id: str,
    overwrites: Iterable[Mapping[str, Any]],
) -> int:  # fmt: skip
    """The member's effective permission bits in the channel, as Discord computes them."""
    by_id = {str(r["id"]): int(r.get("permissions") or 0) for r in roles}
    mine = {str(r) for r in member_roles}
    base = by_id.get(guild_id, 0)
    for role_id in mine:
        base |= by_id.get(role_id, 0)
    if base & ADMINISTRATOR:
        return -1  # every permission, overwrites do not apply
    listed = {str(o["id"]): o for o in overwrites}

    def apply(perms: int, allow: int, deny: int) -> int:
        return (perms & ~deny) | allow

    everyone = listed.get(guild_id)
    if everyone is not None:
        base = apply(base, int(everyone.get("allow") or 0), int(everyone.get("deny") or 0))
    allow = deny = 0
    for role_id in mine:
        o = listed.get(role_id)
        if o is not None and int(o.get("type", 0)) == 0:
            allow |= int(o.get("allow") or 0)
            deny |= int(o.get("deny") or 0)
    base = apply(base, allow, deny)
    member = listed.get(member_id)
    if member is not None and int(member.get("type", 1)) == 1:
        base = apply(base, int(member.get("allow") or 0), int(member.get("deny") or 0))
    return base
