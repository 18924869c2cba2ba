"""Opt-in public thanks: once a month, the mentors who agreed are thanked by name in the program channel.

Nobody is named without having said yes (`/mentor thanks on`; `off` withdraws, and so does
forget-me). The post goes to the channel the program file names (`[meetings] thanks_channel`),
else to the participants' space (`[spaces] participants`); without either nothing is posted.
Each community's next post is a due-time row (`thanks_post`)
made when its first mentor agrees; the outbox key (`thanks:<community>:<YYYY-MM>`) makes a
second run in the same month harmless.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.messages import Message, UserText
from bot.core.parsing import ParseError
from bot.core.ports import Destination
from bot.delivery.outbox import Outbox
from storage.tables import Community, Member, Pairing, PublicThanks, ThanksPost

POST_AT = time(10, 0)  # in the community's timezone, on the first day of the month


def first_of_next_month(moment: datetime, tz: str) -> datetime:
    local = moment.astimezone(ZoneInfo(tz))
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime.combine(local.date().replace(year=year, month=month, day=1), POST_AT, ZoneInfo(tz))


async def thanks_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor thanks on|off` — agree (or no longer agree) to be thanked by name."""
    choice = args[0].lower() if len(args) == 1 else ""
    if choice not in ("on", "off"):
        raise ParseError("Say /mentor thanks on to be thanked by name in the monthly post, or /mentor thanks off.")
    stored = await ctx.session.get(PublicThanks, ctx.member_id)
    if choice == "off":
        if stored is not None:
            await ctx.session.delete(stored)
        return [msg.message("Done: you won't be named in the monthly thank-you post.")]
    if stored is None:
        ctx.session.add(PublicThanks(member_id=ctx.member_id, community_id=ctx.community_id, agreed_at=ctx.now))
    if await ctx.session.get(ThanksPost, ctx.community_id) is None:
        ctx.session.add(ThanksPost(community_id=ctx.community_id, next_at=first_of_next_month(ctx.now, ctx.tz)))
    where = (
        "in the program channel"
        if ctx.program.thanks_channel
        else "in the participants' space"
        if ctx.program.participants_space
        else "once the moderators name a thanks channel in the program file"
    )
    return [
        msg.message(
            f"Thank you! Each month you mentor, you'll be thanked by name {where}. /mentor thanks off stops it."
        )
    ]


async def post_due_thanks(session: AsyncSession, now: datetime, channel: str) -> int:
    """Post each due community's thanks for the month that just ended; returns posts queued."""
    due = (
        (
            await session.execute(
                select(ThanksPost).where(col(ThanksPost.next_at) <= now).limit(100).with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    posted = 0
    for row in due:
        community = await session.get(Community, row.community_id)
        assert community is not None
        month_end = row.next_at
        month_start = (month_end.astimezone(ZoneInfo(community.timezone)).replace(day=1) - timedelta(days=1)).replace(
            day=1
        )
        row.next_at = first_of_next_month(month_end + timedelta(days=1), community.timezone)
        session.add(row)
        mentors = (
            (
                await session.execute(
                    select(Member)
                    .join(PublicThanks, col(PublicThanks.member_id) == col(Member.id))
                    .join(Pairing, col(Pairing.mentor_member_id) == col(Member.id))
                    .where(
                        col(PublicThanks.community_id) == community.id,
                        col(Pairing.started_at) < month_end,
                        or_(col(Pairing.ended_at).is_(None), col(Pairing.ended_at) >= month_start),
                    )
                    .group_by(col(Member.id))
                    .order_by(func.lower(col(Member.display_name)))
                )
            )
            .scalars()
            .all()
        )
        if not channel or not mentors:
            continue
        spans: list[msg.Span] = [
            msg.Strong("Thank you, mentors!"),
            f" In {month_start:%B} these mentors gave their time: ",
        ]
        for index, mentor in enumerate(mentors):
            spans += [", " if index else "", UserText(mentor.display_name)]  # named, not pinged
        spans.append(". Want to mentor too? /mentor join.")
        await Outbox(session, community.id, now).post(  # type: ignore[arg-type]
            Destination.channel(channel),
            Message((msg.Text(tuple(spans)),)),
            dedupe_key=f"thanks:{community.id}:{month_start:%Y-%m}",
        )
        posted += 1
    return posted


async def next_thanks_due(session: AsyncSession) -> datetime | None:
    return (await session.execute(select(func.min(col(ThanksPost.next_at))))).scalar_one_or_none()
