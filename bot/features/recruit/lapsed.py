"""`/mentor recruit lapsed`: invite back members who took part in an earlier round.

A lapsed member had a mentorship that ended, is not in one now, and did not say yes to
the next round; people who left, paused or used forget-me are never on the list, and
the asks' limits hold (once per 90 days, never after "never ask me"). The command lists
them; the Invite button (the confirmation) sends one DM each.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import ParseError
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.features.recruit.asks import blocked_members, reachable
from storage.tables import Member, Pairing, PairingStatus, Profile, ProfileStatus, RecruitAsk

SHOWN = 20  # names listed; the invitation goes to all of them (up to max_asks)


async def lapsed_members(ctx: Ctx) -> list[Member]:
    cid = ctx.community_id
    active = (
        select(col(Pairing.mentee_member_id))
        .where(col(Pairing.community_id) == cid, col(Pairing.status) == PairingStatus.ACTIVE.value)
        .union(
            select(col(Pairing.mentor_member_id)).where(
                col(Pairing.community_id) == cid, col(Pairing.status) == PairingStatus.ACTIVE.value
            )
        )
    )
    took_part = (
        select(col(Pairing.mentee_member_id))
        .where(
            col(Pairing.community_id) == cid,
            col(Pairing.status).in_([PairingStatus.COMPLETED.value, PairingStatus.ENDED.value]),
        )
        .union(
            select(col(Pairing.mentor_member_id)).where(
                col(Pairing.community_id) == cid,
                col(Pairing.status).in_([PairingStatus.COMPLETED.value, PairingStatus.ENDED.value]),
            )
        )
    )
    rows = await ctx.session.execute(
        select(Member)
        .join(Profile, col(Profile.member_id) == Member.id)
        .where(
            col(Profile.community_id) == cid,
            col(Profile.status) == ProfileStatus.WAITING.value,  # never paused or left
            col(Profile.next_round).in_(["asked", "no"]),  # did not sign up for another round
            col(Member.id).in_(took_part),
            col(Member.id).not_in(active),
        )
        .order_by(col(Member.id))
    )
    blocked = await blocked_members(ctx.session, cid, "", ctx.now, ctx.program.recruiting.ask_every_days)
    return [m for m in rows.scalars().all() if m.id not in blocked and reachable(m)]


async def lapsed_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("invite lapsed members")
    if args:
        raise ParseError("/mentor recruit lapsed takes no options: it lists the members, then asks to confirm.")
    people = (await lapsed_members(ctx))[: ctx.program.recruiting.max_asks]
    if not people:
        return [msg.message("Nobody to invite back: no past participant is waiting to be asked.")]
    names: list[msg.Span] = []
    for n, member in enumerate(people[:SHOWN]):
        names += ([", "] if n else []) + [UserText(member.display_name)]
    more = f" and {len(people) - SHOWN} more" if len(people) > SHOWN else ""
    return [
        Message(
            (
                msg.text(msg.Strong("Lapsed participants: "), str(len(people))),
                msg.Text(tuple(names) + (more,)),
                msg.text("Each gets one DM inviting them to the next round, with Yes / Not now / Never ask me."),
                Button(
                    f"Invite {msg.plural(len(people), 'member')}",
                    str(ComponentId("rcrl", "all", "invite")),
                    ButtonStyle.PRIMARY,
                ),
            )
        )
    ]


def invitation(program_name: str, ask: RecruitAsk) -> Message:
    aid = str(ask.id)
    return Message(
        (
            msg.text(msg.Strong("A new round is coming"), f" in {program_name}."),
            msg.text(
                "You took part before, and your experience would help someone newer — as a mentor, or as a mentee "
                "with a fresh goal. Would you like to join the next round?"
            ),
            Button("Yes, count me in", str(ComponentId("rask", aid, "yes")), ButtonStyle.PRIMARY),
            Button("Not now", str(ComponentId("rask", aid, "notnow"))),
            Button("Never ask me", str(ComponentId("rask", aid, "never"))),
        )
    )


async def on_invite(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    ctx.require_moderator("invite lapsed members")
    if cid.verb != "invite":
        raise InvalidInput("That button is from an older version. /mentor recruit lapsed lists them again.")
    people = (await lapsed_members(ctx))[: ctx.program.recruiting.max_asks]  # the limits, checked again now
    for member in people:
        ask = RecruitAsk(
            community_id=ctx.community_id,
            member_id=member.id,  # type: ignore[arg-type]
            topic="",
            reason="lapsed",
            asked_at=ctx.now,
        )
        ctx.session.add(ask)
        await ctx.session.flush()
        await ctx.outbox.post(
            Destination.dm(member.platform_user_id),
            invitation(ctx.program.name, ask),
            dedupe_key=f"recruit-ask:{ask.id}",
        )
    return [msg.message(f"Invited {msg.plural(len(people), 'member')} back, one DM each.")]
