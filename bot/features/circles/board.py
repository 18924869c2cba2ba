"""A running circle: its shared goal board, its check-ins, and its end with feedback from each member."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import Arity, ParseError, parse_args
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox, moderator_destinations
from bot.features.circles.circles import CADENCE_DAYS, circle_for, members_by_id, seats_of, space_of
from bot.features.circles.meeting import on_slot
from bot.features.completion.completion import complete_pairing
from storage.tables import Circle, CircleStatus, Community, Member, Pairing, PairingStatus

MAX_GOAL = 200
MAX_GOALS = 20
GOAL_SPEC = {"circle": Arity.ONE}


# --- the goal board -----------------------------------------------------------------------


def render_board(circle: Circle, names: dict[int, Member]) -> Message:
    parts: list[msg.Part] = [msg.text(msg.Strong(f"Circle #{circle.id} goal board — "), UserText(circle.topic))]
    if not circle.goals:
        parts.append(msg.text('No goals yet. Add one with /mentor circle goal "…".'))
    for goal in circle.goals:
        who = names.get(goal.get("by", 0))
        parts.append(
            msg.text(
                f"{goal['n']}. {'✓ ' if goal.get('done') else ''}",
                UserText(goal["text"]),
                *((" (", UserText(who.display_name), ")") if who is not None else ()),
            )
        )
    return Message(tuple(parts))


async def _post_board(ctx: Ctx, circle: Circle, why: str) -> Message:
    names = await members_by_id(ctx.session, {int(g.get("by", 0)) for g in circle.goals} - {0})
    board = render_board(circle, names)
    space = await space_of(ctx.session, circle)
    await ctx.outbox.post(space, board, dedupe_key=f"circle:{circle.id}:board:{why}:{ctx.now.isoformat()}")
    return board


async def goal_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor circle goal "<text>" [--circle N]`: a shared goal on the circle's board."""
    parsed = parse_args(args, GOAL_SPEC)
    text = " ".join(" ".join(parsed.positional).split())
    if not text:
        raise ParseError('Say what the goal is, e.g. /mentor circle goal "Each ship one small analysis".')
    if len(text) > MAX_GOAL:
        raise ParseError(f"The goal is {len(text)} characters; keep it under {MAX_GOAL}.")
    circle = await circle_for(ctx, parsed.one("circle"), action="add a goal")
    if circle.status != CircleStatus.ACTIVE.value:
        raise InvalidInput("That circle has ended; its board is kept as it was.")
    if len(circle.goals) >= MAX_GOALS:
        raise InvalidInput(f"The board holds {MAX_GOALS} goals; mark some done with /mentor circle done <number>.")
    number = max((int(g["n"]) for g in circle.goals), default=0) + 1
    circle.goals = [*circle.goals, {"n": number, "text": text, "by": ctx.member_id, "done": False}]
    ctx.session.add(circle)
    await _post_board(ctx, circle, f"add{number}")
    return [msg.message(f"Goal {number} is on circle #{circle.id}'s board; everyone in the circle sees it.")]


async def done_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor circle done <number> [--circle N]`: tick a goal on the board."""
    parsed = parse_args(args, GOAL_SPEC)
    if len(parsed.positional) != 1 or not parsed.positional[0].lstrip("#").isdigit():
        raise ParseError("Give the goal's number from the board, e.g. /mentor circle done 2.")
    number = int(parsed.positional[0].lstrip("#"))
    circle = await circle_for(ctx, parsed.one("circle"), action="tick a goal")
    if circle.status != CircleStatus.ACTIVE.value:
        raise InvalidInput("That circle has ended; its board is kept as it was.")
    goals = [dict(g) for g in circle.goals]
    goal = next((g for g in goals if int(g["n"]) == number), None)
    if goal is None:
        raise InvalidInput(f"The board has no goal {number}. /mentor circle goals shows it.")
    if goal.get("done"):
        return [msg.message(f"Goal {number} is already done.")]
    goal["done"] = True
    circle.goals = goals
    ctx.session.add(circle)
    await _post_board(ctx, circle, f"done{number}")
    return [msg.message(f"Goal {number} is done — well done, all of you.")]


async def goals_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor circle goals [--circle N]`: the board, only to you."""
    parsed = parse_args(args, GOAL_SPEC)
    if parsed.positional:
        raise ParseError("/mentor circle goals takes only --circle <number>.")
    circle = await circle_for(ctx, parsed.one("circle"), action="see the board")
    names = await members_by_id(ctx.session, {int(g.get("by", 0)) for g in circle.goals} - {0})
    return [render_board(circle, names)]


# --- check-ins --------------------------------------------------------------------------------


async def send_due_checkins(session: AsyncSession, now: datetime) -> int:
    """One check-in per circle to its mentor (two buttons) and a light one to everyone in its space,
    instead of a check-in per member."""
    due = (
        (
            await session.execute(
                select(Circle)
                .where(col(Circle.status) == CircleStatus.ACTIVE.value, col(Circle.next_checkin_at) <= now)
                .limit(200)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for circle in due:
        outbox = Outbox(session, circle.community_id, now)
        circle.checkins_sent += 1
        number = circle.checkins_sent
        circle.next_checkin_at = now + timedelta(days=CADENCE_DAYS.get(circle.cadence, 30))
        session.add(circle)
        mentor = await session.get(Member, circle.mentor_member_id)
        seats = await seats_of(session, circle)
        if mentor is None or not seats:
            continue
        cid = str(circle.id)
        await outbox.post(
            Destination.dm(mentor.platform_user_id),
            Message(
                (
                    msg.text(
                        msg.Strong(f"Circle check-in #{number}: "),
                        "how is your circle on ",
                        UserText(circle.topic),
                        f" going ({msg.plural(len(seats), 'member')})?",
                    ),
                    Button("Going well", str(ComponentId("circle", cid, "well", str(number))), ButtonStyle.PRIMARY),
                    Button("Needs attention", str(ComponentId("circle", cid, "attention", str(number)))),
                )
            ),
            dedupe_key=f"circle:{circle.id}:checkin:{number}:mentor",
        )
        await outbox.post(
            await space_of(session, circle),
            msg.message(
                msg.text(
                    msg.Strong("Circle check-in: "),
                    "share one thing you tried or learned since you last met, and tick what you reached with "
                    "/mentor circle done <number>.",
                )
            ),
            dedupe_key=f"circle:{circle.id}:checkin:{number}:space",
        )
    return len(due)


async def next_checkin_due(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(Circle.next_checkin_at))).where(col(Circle.status) == CircleStatus.ACTIVE.value)
        )
    ).scalar_one_or_none()


async def on_circle_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    circle = await circle_for(ctx, cid.key, action="answer")
    if cid.verb in ("well", "attention"):
        if ctx.member_id != circle.mentor_member_id:
            raise InvalidInput("That check-in is for the circle's mentor.")
        if cid.verb == "well":
            return [msg.message("Thank you — glad the circle is going well.")]
        community = await ctx.session.get(Community, ctx.community_id)
        assert community is not None
        number = cid.arg if cid.arg.isdigit() else "?"  # a button id is outside input too
        notice = msg.message(
            msg.text(
                msg.Strong("Circle needs attention: "),
                f"the mentor of circle #{circle.id} (",
                UserText(circle.topic),
                ") asked for help in check-in ",
                number,
                ". Reach out to them.",
            )
        )
        for destination in await moderator_destinations(ctx.session, community):
            await ctx.outbox.post(
                destination, notice, dedupe_key=f"circle:{circle.id}:attention:{number}:{destination.target}"
            )
        return [msg.message("Thank you for saying so — the moderators will reach out to you.")]
    if cid.verb in ("slot", "noslot"):
        return await on_slot(ctx, circle, cid.verb, cid.arg)
    if cid.verb == "wrapup":
        return await _wrap_up(ctx, circle)
    if cid.verb == "keep":
        return [msg.message("The circle goes on.")]
    raise InvalidInput("That button is not valid any more.")


# --- the end --------------------------------------------------------------------------------


async def wrap_up_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor circle wrap-up [N]`: its mentor (or a moderator) ends the circle, after a confirmation."""
    if len(args) > 1:
        raise ParseError("Use /mentor circle wrap-up, or /mentor circle wrap-up <number> for one of several.")
    circle = await circle_for(ctx, args[0] if args else None, action="wrap up")
    if ctx.member_id != circle.mentor_member_id:
        ctx.require_moderator("wrap up a circle you do not mentor")
    if circle.status != CircleStatus.ACTIVE.value:
        return [msg.message(f"Circle #{circle.id} is not running, so there is nothing to wrap up.")]
    cid = str(circle.id)
    return [
        Message(
            (
                msg.text(
                    f"Wrap up circle #{circle.id} (",
                    UserText(circle.topic),
                    ")? Everyone in it is asked for feedback, and it cannot be undone.",
                ),
                Button("Wrap up the circle", str(ComponentId("circle", cid, "wrapup")), ButtonStyle.DANGER),
                Button("Keep it going", str(ComponentId("circle", cid, "keep"))),
            )
        )
    ]


async def _wrap_up(ctx: Ctx, circle: Circle) -> list[Message]:
    if ctx.member_id != circle.mentor_member_id:
        ctx.require_moderator("wrap up a circle you do not mentor")
    if circle.status != CircleStatus.ACTIVE.value:
        return [msg.message(f"Circle #{circle.id} is already wrapped up.")]
    await complete_circle(ctx.session, circle, ctx.now, ctx.program, by=ctx.member)
    return [msg.message(f"Circle #{circle.id} is wrapped up. Each member gets a short feedback message.")]


async def complete_circle(
    session: AsyncSession, circle: Circle, now: datetime, program: Any, *, by: Member | None = None
) -> None:
    """One goodbye in the space, then each seat completes as a pairing does: every member (and the
    mentor, once per member) gets the single end message with its feedback questions."""
    space = await space_of(session, circle)
    seats = await seats_of(session, circle)
    done = sum(1 for g in circle.goals if g.get("done"))
    why: list[msg.Span] = (
        [UserText(by.display_name), " wrapped up the circle. "] if by is not None else ["The circle reached its end. "]
    )
    await Outbox(session, circle.community_id, now).post(
        space,
        msg.message(
            msg.text(
                msg.Strong(f"Circle #{circle.id} is complete. "),
                *why,
                f"You reached {done} of {msg.plural(len(circle.goals), 'goal')} on your board. "
                "Thank you all; I'll ask each of you for a little feedback by DM.",
            )
        ),
        dedupe_key=f"circle:{circle.id}:completed",
    )
    circle.status = CircleStatus.COMPLETED.value
    circle.ended_at = now
    circle.next_checkin_at = None
    session.add(circle)
    for pairing in seats:
        await complete_pairing(session, pairing, now, program, wrapped_up_by=by, announce=False)


async def complete_due_circles(session: AsyncSession, now: datetime, program: Any) -> int:
    """A circle ends when its earliest member's agreed end comes."""
    due = (
        await session.execute(
            select(col(Pairing.circle_id))
            .where(
                col(Pairing.status) == PairingStatus.ACTIVE.value,
                col(Pairing.circle_id).is_not(None),
                col(Pairing.ends_on) <= now,
            )
            .distinct()
            .limit(100)
        )
    ).scalars()
    count = 0
    for circle_id in list(due):
        circle = await session.get(Circle, circle_id)
        if circle is not None and circle.status == CircleStatus.ACTIVE.value:
            await complete_circle(session, circle, now, program)
            count += 1
    return count


async def next_circle_end(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(Pairing.ends_on))).where(
                col(Pairing.status) == PairingStatus.ACTIVE.value, col(Pairing.circle_id).is_not(None)
            )
        )
    ).scalar_one_or_none()
