"""What keeps two members apart, as the proposal sees it: same team, or a moderator's block.

Teams are compared after normalising what members typed ("Acme Corp" and
"ACME corp." are one team), here where stored profiles become the engine's
`MatchProfile`s — the engine compares the keys as given. Moderators block a pair
for good with `/mentor block @a @b ["reason"]`; the reason is for moderators
only (it shows in the proposal's exclusions and in `/mentor blocks`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Message, UserText
from bot.core.parsing import ParseError
from bot.features.profile.profile import find_member
from storage.tables import Member, PairBlock

LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "gmbh",
        "ag",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "oy",
        "ab",
        "kg",
        "pty",
        "srl",
        "spa",
    }
)
REASON_MAX = 300


def normalise_team(raw: str | None) -> str:
    """One key per team: case, accents, punctuation, spacing and legal suffixes don't matter."""
    if not raw:
        return ""
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().casefold()
    words = re.sub(r"[^a-z0-9]+", " ", folded).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def team_groups(teams: dict[int, str]) -> list[dict[str, object]]:
    """Teams with more than one member, as grouped: the spellings members typed and how many."""
    spellings: dict[str, set[str]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for raw in teams.values():
        key = normalise_team(raw)
        if key:
            spellings[key].add(" ".join(raw.split()))
            counts[key] += 1
    return [
        {"team": key, "spellings": sorted(spellings[key]), "members": counts[key]}
        for key in sorted(counts)
        if counts[key] > 1
    ]


async def blocked_partners(session: AsyncSession, community_id: int) -> dict[int, set[int]]:
    """Member id → the members they must never be proposed with."""
    partners: dict[int, set[int]] = defaultdict(set)
    rows = (await session.execute(select(PairBlock).where(col(PairBlock.community_id) == community_id))).scalars()
    for block in rows:
        partners[block.first_member_id].add(block.second_member_id)
        partners[block.second_member_id].add(block.first_member_id)
    return partners


async def blocks_among(session: AsyncSession, community_id: int, member_ids: set[int]) -> list[dict[str, object]]:
    """The blocks that touch this round's pool, for the proposal's exclusions."""
    rows = (await session.execute(select(PairBlock).where(col(PairBlock.community_id) == community_id))).scalars()
    return [
        {"a": b.first_member_id, "b": b.second_member_id, "reason": b.reason}
        for b in rows
        if b.first_member_id in member_ids and b.second_member_id in member_ids
    ]


# --- /mentor block, unblock, blocks ------------------------------------------------------


async def _two_members(ctx: Ctx, args: list[str], usage: str) -> tuple[Member, Member, list[str]]:
    if len(args) < 2:
        raise ParseError(f"Name two members, e.g. /mentor {usage}.")
    found: list[Member] = []
    for raw in args[:2]:
        member = await find_member(ctx.session, ctx.community_id, raw)
        if member is None:
            raise InvalidInput(f"I don't know a member called {raw[:60]} here.")
        found.append(member)
    if found[0].id == found[1].id:
        raise InvalidInput("Name two different members.")
    return found[0], found[1], args[2:]  # in the order the moderator typed them


async def _existing(ctx: Ctx, one: Member, other: Member) -> PairBlock | None:
    first, second = sorted((one, other), key=lambda m: m.id or 0)
    return (
        await ctx.session.execute(
            select(PairBlock).where(
                col(PairBlock.community_id) == ctx.community_id,
                col(PairBlock.first_member_id) == first.id,
                col(PairBlock.second_member_id) == second.id,
            )
        )
    ).scalar_one_or_none()


async def block_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("block a pair")
    first, second, rest = await _two_members(ctx, args, 'block @ann @maria "worked together before"')
    reason = " ".join(" ".join(rest).split())
    if len(reason) > REASON_MAX:
        raise ParseError(f"Keep the reason under {REASON_MAX} characters.")
    block = await _existing(ctx, first, second)
    if block is None:
        low, high = sorted((first, second), key=lambda m: m.id or 0)
        assert low.id is not None and high.id is not None
        block = PairBlock(
            community_id=ctx.community_id,
            first_member_id=low.id,
            second_member_id=high.id,
            created_by_member_id=ctx.member_id,
            created_at=ctx.now,
        )
    block.reason = reason
    ctx.session.add(block)
    return [
        msg.message(
            msg.text(
                UserText(first.display_name),
                " and ",
                UserText(second.display_name),
                " will never be proposed to each other. /mentor unblock undoes it; /mentor blocks lists blocks.",
            )
        )
    ]


async def unblock_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("unblock a pair")
    first, second, _ = await _two_members(ctx, args, "unblock @ann @maria")
    block = await _existing(ctx, first, second)
    if block is None:
        return [
            msg.message(
                msg.text(UserText(first.display_name), " and ", UserText(second.display_name), " are not blocked.")
            )
        ]
    await ctx.session.delete(block)
    return [
        msg.message(
            msg.text(
                UserText(first.display_name),
                " and ",
                UserText(second.display_name),
                " may be proposed to each other again.",
            )
        )
    ]


async def blocks_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("see blocked pairs")
    rows = (
        (
            await ctx.session.execute(
                select(PairBlock)
                .where(col(PairBlock.community_id) == ctx.community_id)
                .order_by(col(PairBlock.created_at))
                .limit(50)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return [msg.message('No blocked pairs. /mentor block @a @b "reason" keeps two members apart for good.')]
    ids = {b.first_member_id for b in rows} | {b.second_member_id for b in rows}
    names = {
        m.id: m.display_name
        for m in (await ctx.session.execute(select(Member).where(col(Member.id).in_(ids)))).scalars()
    }
    parts: list[msg.Part] = [msg.text(msg.Strong("Blocked pairs"), " (never proposed)")]
    for b in rows:
        why: list[msg.Span] = [" — ", UserText(b.reason)] if b.reason else []
        parts.append(
            msg.text(
                "• ",
                UserText(names.get(b.first_member_id, "?")),
                " & ",
                UserText(names.get(b.second_member_id, "?")),
                *why,
            )
        )
    return [Message(tuple(parts))]
