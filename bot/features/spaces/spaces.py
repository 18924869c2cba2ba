"""The participants' and the mentors' space: opt-in channels the bot adds members to and removes them from.

The program file names them (`[spaces] participants`, `mentors`). Nobody is added without
their own yes, given in intake or here (`/mentor spaces`, its Join/Leave buttons, or typed
words such as "join the mentors space"). A `SpaceMember` row per member and space holds the
choice and the channel the bot last added them to; `sync_member` compares that with what
should be (opted in, still in the program, the right role, the space configured) and writes
the difference to the outbox — one idempotent, retried row per add or removal, written in the
same transaction as the change that caused it, so a restart loses nothing and sends nothing
twice. Pausing keeps a member in their spaces; leaving and forget-me take them out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx, OutboxWriter
from bot.core.errors import InvalidInput
from bot.core.messages import Button, ButtonStyle, Message, Part
from bot.core.program import Program
from bot.core.questions import Answer, Question, ask, normalise, typed_choice
from bot.core.router import ComponentId
from storage.tables import Member, OutboxMessage, OutboxStatus, Profile, ProfileStatus, SpaceMember

SPACES = ("participants", "mentors")
FORGET = "forget"  # the dedupe key's last word for a forget-me removal (scrubbed once sent)
NAMES = {"participants": "the participants' space", "mentors": "the mentors' space"}
ABOUT = {
    "participants": "a channel for everyone in the program, to meet beyond your pair",
    "mentors": "a channel for mentors to share practice",
}
WORDS = {
    "participants": ("participants", "participant", "participants space", "everyone", "community"),
    "mentors": ("mentors", "mentor", "mentors space", "mentor space"),
}


def configured(program: Program) -> dict[str, str]:
    """The spaces this program has, by name → channel id."""
    channels = {"participants": program.participants_space, "mentors": program.mentors_space}
    return {space: channel for space, channel in channels.items() if channel}


def eligible(space: str, role: str) -> bool:
    return space == "participants" or role in ("mentor", "both")


def offered(program: Program, role: str) -> list[str]:
    """The spaces a member with `role` may join in this program (intake asks about these)."""
    return [space for space in configured(program) if eligible(space, role)]


async def rows_of(session: AsyncSession, member_id: int) -> dict[str, SpaceMember]:
    found = (await session.execute(select(SpaceMember).where(col(SpaceMember.member_id) == member_id))).scalars()
    return {row.space: row for row in found}


async def chosen(session: AsyncSession, member_id: int) -> list[str]:
    """The spaces the member opted into (whether or not the program still has them)."""
    return [space for space, row in (await rows_of(session, member_id)).items() if row.opted_in]


async def choose(
    session: AsyncSession, community_id: int, member_id: int, choices: dict[str, bool], now: datetime
) -> None:
    """Record the member's own choice per space (the only way `opted_in` becomes true)."""
    rows = await rows_of(session, member_id)
    for space, opted_in in choices.items():
        row = rows.get(space) or SpaceMember(
            community_id=community_id, member_id=member_id, space=space, updated_at=now
        )
        row.opted_in, row.updated_at = opted_in, now
        session.add(row)
    await session.flush()


async def sync_member(
    session: AsyncSession,
    outbox: OutboxWriter,
    program: Program,
    member: Member,
    now: datetime,
    *,
    user_id: str | None = None,
    gone: bool = False,
    why: str = "remove",
    resend: str = "",
) -> list[tuple[str, bool]]:
    """Bring the member's spaces in line with their choice and place in the program.

    Returns (space, added) for each change written to the outbox. `gone`: they left or are
    forgotten, so every space they are in is left; `user_id`: their platform id when the member
    row is about to lose it (forget-me); `resend`: a space whose add goes out again even if it was
    sent before (the member asked to join again, e.g. after a failed add; adding twice is harmless)."""
    assert member.id is not None
    user = user_id or member.platform_user_id
    profile = (await session.execute(select(Profile).where(col(Profile.member_id) == member.id))).scalar_one_or_none()
    active = not gone and profile is not None and profile.status != ProfileStatus.LEFT.value
    channels = configured(program)
    changes: list[tuple[str, bool]] = []
    for space, row in sorted((await rows_of(session, member.id)).items()):
        wanted = ""
        if active and row.opted_in and profile is not None and eligible(space, profile.role):
            wanted = channels.get(space, "")
        if row.channel == wanted and not (wanted and space == resend):
            continue
        if row.channel and row.channel != wanted:
            row.version += 1
            await outbox.space_member(
                row.channel, user, add=False, dedupe_key=f"space:{member.id}:{space}:{row.version}:{why}"
            )
            changes.append((space, False))
        if wanted:
            row.version += 1
            await outbox.space_member(wanted, user, add=True, dedupe_key=f"space:{member.id}:{space}:{row.version}:add")
            changes.append((space, True))
        row.channel, row.updated_at = wanted, now
        session.add(row)
    return changes


async def forget_spaces(
    session: AsyncSession, outbox: OutboxWriter, program: Program, member: Member, user_id: str, now: datetime
) -> None:
    """Forget-me: out of every space (removals queued under their platform id), then the rows go.
    Once sent, `scrub_forgotten` blanks the platform id in those outbox rows too."""
    await sync_member(session, outbox, program, member, now, user_id=user_id, gone=True, why=FORGET)
    for row in (await rows_of(session, member.id or 0)).values():
        await session.delete(row)


def _forgotten_removals() -> Any:
    return (
        col(OutboxMessage.operation) == "space_remove",
        col(OutboxMessage.dedupe_key).like(f"space:%:{FORGET}"),
        col(OutboxMessage.status).in_([OutboxStatus.SENT.value, OutboxStatus.FAILED.value]),
        col(OutboxMessage.destination_target).not_like("%|forgotten:%"),
    )


async def scrub_forgotten(session: AsyncSession, now: datetime, env: Any = None) -> int:
    """Sweep: a forgotten member's removal has been sent (or given up): its row forgets their platform id.
    Housekeeping, so it counts as no work done."""
    rows = (await session.execute(select(OutboxMessage).where(*_forgotten_removals()).limit(200))).scalars().all()
    for row in rows:
        member_id = (row.dedupe_key or "").split(":")[1]
        row.destination_target = f"{row.destination_target.split('|', 1)[0]}|forgotten:{member_id}"
        session.add(row)
    return 0


async def next_scrub(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(select(func.min(col(OutboxMessage.created_at))).where(*_forgotten_removals()))
    ).scalar_one_or_none()


# --- /mentor spaces, its buttons and typed answers -------------------------------------------


def _cid(member_id: int, verb: str, space: str) -> str:
    return str(ComponentId("spaces", str(member_id), verb, space))


async def _signed_up(ctx: Ctx) -> Profile | None:
    profile = (
        await ctx.session.execute(select(Profile).where(col(Profile.member_id) == ctx.member_id))
    ).scalar_one_or_none()
    return profile if profile is not None and profile.status != ProfileStatus.LEFT.value else None


async def spaces_message(ctx: Ctx) -> Message:
    """Each space this member may join: in or not, with a Join or Leave button."""
    profile = await _signed_up(ctx)
    spaces = offered(ctx.program, profile.role if profile else "mentee")
    if not configured(ctx.program):
        return msg.message(
            "This program has no community spaces yet; the moderators can name them in the program file."
        )
    if profile is None:
        return msg.message("The community spaces are for participants: /mentor join signs you up, and asks you.")
    if not spaces:
        return msg.message("This program's community space is for mentors.")
    mine = await chosen(ctx.session, ctx.member_id)
    parts: list[Part] = [msg.text(msg.Strong("Community spaces"))]
    for space in spaces:
        state = "you're in" if space in mine else "you're not in"
        parts.append(msg.text(f"{NAMES[space].capitalize()} — {ABOUT[space]}: {state}."))
    for space in spaces:
        verb = "leave" if space in mine else "join"
        label = f"{'Leave' if space in mine else 'Join'} {space}"
        parts.append(
            Button(
                label, _cid(ctx.member_id, verb, space), ButtonStyle.DEFAULT if space in mine else ButtonStyle.PRIMARY
            )
        )
    parts.append(msg.text("Or type e.g. join mentors / leave participants. I only add you to a space you chose."))
    await ask(ctx.session, ctx.community_id, [ctx.member_id], SPACES_QUESTION.name, str(ctx.member_id), ctx.now)
    return Message(tuple(parts))


async def spaces_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor spaces [join|leave] [participants|mentors]`."""
    if not args:
        return [await spaces_message(ctx)]
    verb = args[0].casefold()
    if verb not in ("join", "leave") or len(args) > 2:
        raise InvalidInput("Use /mentor spaces to see them, or /mentor spaces join|leave [participants|mentors].")
    return await _change(ctx, verb, args[1].casefold() if len(args) > 1 else "")


async def on_spaces_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    if cid.key != str(ctx.member_id):
        return [msg.message("Those buttons are someone else's. /mentor spaces shows yours.")]
    if cid.verb not in ("join", "leave"):
        raise InvalidInput("That button is out of date: /mentor spaces shows the current ones.")
    return await _change(ctx, cid.verb, cid.arg)


async def _change(ctx: Ctx, verb: str, word: str) -> list[Message]:
    profile = await _signed_up(ctx)
    if profile is None:
        return [msg.message("The community spaces are for participants: /mentor join signs you up first.")]
    spaces = offered(ctx.program, profile.role)
    if not spaces:
        return [msg.message("This program has no community space you can join.")]
    space = next((s for s in SPACES if word and (word == s or word in WORDS[s])), None)
    if space is None and not word and len(spaces) == 1:
        space = spaces[0]
    if space is not None and space not in spaces:
        return [msg.message(f"{NAMES[space].capitalize()} is for mentors. You can join: {', '.join(spaces)}.")]
    if space is None:
        names = " or ".join(spaces)
        return [
            msg.message(f"Which space? Say /mentor spaces {verb} {names.split(' or ')[0]} (you can join: {names}).")
        ]
    await choose(ctx.session, ctx.community_id, ctx.member_id, {space: verb == "join"}, ctx.now)
    rows = await rows_of(ctx.session, ctx.member_id)
    was_in = space in rows and bool(rows[space].channel)
    resend = space if verb == "join" else ""  # asked again: the add goes out again (harmless if done)
    changes = await sync_member(ctx.session, ctx.outbox, ctx.program, ctx.member, ctx.now, resend=resend)
    if verb == "join":
        done = "You're already in" if was_in else "I'm adding you now"
        return [msg.message(f"{done}: {NAMES[space]}. /mentor spaces leave {space} takes you out again.")]
    done = "I'm taking you out of" if (space, False) in changes else "You're not in"
    return [msg.message(f"{done} {NAMES[space]}. /mentor spaces join {space} brings you back.")]


def parse_spaces_answer(text: str, strict: bool) -> tuple[Answer, ...]:
    said = normalise(text)
    verb = typed_choice(said, {"join": ("join", "add me"), "leave": ("leave", "remove me", "take me out")})
    if verb is None:
        return ()
    space = next((s for s in SPACES if any(f" {w} " in f" {said} " for w in WORDS[s])), "")
    if strict and not space:
        return ()
    return ((verb, space),)


SPACES_QUESTION = Question(
    "spaces",
    "spaces",
    ("join", "leave"),
    parse_spaces_answer,
    "Say join or leave and the space (participants or mentors), e.g. join mentors.",
)
