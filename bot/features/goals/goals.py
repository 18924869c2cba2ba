"""Shared goals: each pair decides what to accomplish, and reassesses when it is met.

`/mentor goal set "<goal>" [--by <date>]`, `/mentor goal update "<progress>"`,
`/mentor goal done [<n>]`, `/mentor goals`. Either member of the pair may act;
the partner sees it in their group conversation.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import Arity, ParseError, format_when, parse_args, parse_when
from bot.core.questions import Answer, Question, one, typed_choice
from bot.core.questions import ask as ask_question
from bot.core.router import ComponentId
from bot.delivery.outbox import moderator_destinations
from bot.features.completion.completion import ask_to_confirm_wrap_up
from bot.features.milestones.milestones import send_milestone
from bot.features.pairs.pairs import group_of, members_of, my_pairing
from storage.tables import Goal, GoalStatus, Pairing, PairNote

GOAL_MAX = 300
NOTE_MAX = 500
REASSESS = "reassess"


def parse_reassess(text: str, strict: bool) -> tuple[Answer, ...]:
    """The reassess prompt in words: a new goal, carry on, or wrap up early."""
    verb = typed_choice(
        text,
        {
            "new": ("set a new goal", "new goal", "a new goal", "another goal", "new"),
            "continue": ("continue", "continue without one", "carry on", "keep going", "no new goal", "without one"),
            "wrapup": ("wrap up", "wrap up early", "finish", "end", "stop", "end it"),
        },
        strict=strict,
    )
    return one(verb)


REASSESS_QUESTION = Question(
    REASSESS,
    "reassess",
    ("new", "continue", "wrapup"),
    parse_reassess,
    "How do you want to go on? Reply new goal, continue, or wrap up.",
)


async def _goal_text(args: list[str], spec: dict[str, Arity], example: str) -> tuple[str, dict[str, str | None]]:
    parsed = parse_args(args, spec)
    text = " ".join(parsed.positional).strip()
    if not text:
        raise ParseError(f"Write it in quotes, e.g. {example}")
    return text, {name: parsed.one(name) for name in spec if spec[name] is Arity.ONE}


async def set_goal(ctx: Ctx, args: list[str]) -> list[Message]:
    text, opts = await _goal_text(
        args, {"by": Arity.ONE, "pair": Arity.ONE}, '/mentor goal set "Ship my first open-source PR" --by 2027-02-01'
    )
    if len(text) > GOAL_MAX:
        raise ParseError(f"Keep a goal under {GOAL_MAX} characters (yours has {len(text)}); details go in updates.")
    by = parse_when(opts["by"], ctx.now, ctx.tz, max_ahead=timedelta(days=800)) if opts["by"] else None
    pairing = await my_pairing(ctx, opts["pair"], "set a goal")
    if sum(c.isalnum() for c in text) < 4:  # "x", "ok": nothing a partner can act on (CJK needs no spaces)
        raise ParseError(
            "A goal works best when your partner can act on it: say it in a few words, "
            'e.g. /mentor goal set "Ship my first open-source PR" or "Prepare for a system-design interview".'
        )
    count = (
        await ctx.session.execute(select(func.count()).select_from(Goal).where(col(Goal.pairing_id) == pairing.id))
    ).scalar_one()
    assert pairing.id is not None
    goal = Goal(
        community_id=ctx.community_id,
        pairing_id=pairing.id,
        number=count + 1,
        text=text,
        by_date=by,
        created_by_member_id=ctx.member_id,
        created_at=ctx.now,
    )
    ctx.session.add(goal)
    await ctx.session.flush()
    mentee, mentor = await members_of(ctx.session, pairing)
    due = f" (by {format_when(by, ctx.tz).split(',')[0]})" if by else ""
    await ctx.outbox.post(
        group_of(mentee, mentor),
        msg.message(msg.text(UserText(ctx.member.display_name), f" set goal {goal.number}{due}: ", UserText(text))),
        dedupe_key=f"goal:{goal.id}:set",
    )
    if goal.number == 1:
        await send_milestone(ctx.session, ctx.outbox, pairing, "first_goal", getattr(ctx, "program", None))
    return [
        msg.message(f'Goal {goal.number} is set and your partner can see it. Update it with /mentor goal update "…".')
    ]


async def _open_goal(ctx: Ctx, pairing: Pairing, number: str | None) -> Goal:
    query = select(Goal).where(col(Goal.pairing_id) == pairing.id)
    if number is not None:
        if not number.lstrip("#").isdigit():
            raise ParseError("--goal takes a goal number, e.g. --goal 2 (/mentor goals lists them).")
        query = query.where(col(Goal.number) == int(number.lstrip("#")))
    else:
        query = query.where(col(Goal.status) == GoalStatus.OPEN.value).order_by(col(Goal.number).desc()).limit(1)
    goal = (await ctx.session.execute(query)).scalar_one_or_none()
    if goal is None:
        raise NotFound(
            'There is no open goal yet. Set one with /mentor goal set "…".'
            if number is None
            else f"There is no goal {number}."
        )
    return goal


async def update_goal(ctx: Ctx, args: list[str]) -> list[Message]:
    text, opts = await _goal_text(
        args, {"goal": Arity.ONE, "pair": Arity.ONE}, '/mentor goal update "Drafted the README"'
    )
    if len(text) > NOTE_MAX:
        raise ParseError(f"Keep an update under {NOTE_MAX} characters (yours has {len(text)}).")
    pairing = await my_pairing(ctx, opts["pair"], "update a goal")
    goal = await _open_goal(ctx, pairing, opts["goal"])
    assert pairing.id is not None
    ctx.session.add(
        PairNote(
            community_id=ctx.community_id,
            pairing_id=pairing.id,
            goal_id=goal.id,
            member_id=ctx.member_id,
            kind="progress",
            text=text,
            created_at=ctx.now,
        )
    )
    mentee, mentor = await members_of(ctx.session, pairing)
    await ctx.outbox.post(
        group_of(mentee, mentor),
        msg.message(msg.text(UserText(ctx.member.display_name), f" on goal {goal.number}: ", UserText(text))),
    )
    return [msg.message(f"Progress noted on goal {goal.number}.")]


async def done_goal(ctx: Ctx, args: list[str]) -> list[Message]:
    parsed = parse_args(args, {"pair": Arity.ONE})
    pairing = await my_pairing(ctx, parsed.one("pair"), "complete a goal")
    number = parsed.positional[0] if parsed.positional else None
    goal = await _open_goal(ctx, pairing, number)
    if goal.status == GoalStatus.DONE.value:
        return [msg.message(f"Goal {goal.number} is already done — well done again!")]
    goal.status, goal.done_at = GoalStatus.DONE.value, ctx.now
    ctx.session.add(goal)
    pairing.reassess_choices = {}  # a new reassess prompt: earlier answers were about an earlier goal
    ctx.session.add(pairing)
    mentee, mentor = await members_of(ctx.session, pairing)
    pid = str(pairing.id)
    await ctx.outbox.post(
        group_of(mentee, mentor),
        Message(
            (
                msg.text(
                    msg.Strong("Goal reached! "),
                    f"Goal {goal.number}: ",
                    UserText(goal.text),
                    " — congratulations to you both.",
                ),
                msg.text("Time to reassess: set a new goal, carry on without one, or wrap up early?"),
                Button("Set a new goal", str(ComponentId("reassess", pid, "new")), ButtonStyle.PRIMARY),
                Button("Continue without one", str(ComponentId("reassess", pid, "continue"))),
                Button("Wrap up early", str(ComponentId("reassess", pid, "wrapup"))),
            )
        ),
        dedupe_key=f"goal:{goal.id}:done",
    )
    await ask_question(ctx.session, ctx.community_id, [mentee.id, mentor.id], REASSESS, pid, ctx.now)  # type: ignore[list-item]
    return [msg.message(f"Goal {goal.number} is done. I asked you both how you want to go on.")]


async def list_goals(ctx: Ctx, args: list[str]) -> list[Message]:
    parsed = parse_args(args, {"pair": Arity.ONE})
    pairing = await my_pairing(ctx, parsed.one("pair"), "see goals")
    goals = (
        (await ctx.session.execute(select(Goal).where(col(Goal.pairing_id) == pairing.id).order_by(col(Goal.number))))
        .scalars()
        .all()
    )
    if not goals:
        return [msg.message('No goals yet. Agree on one and set it: /mentor goal set "…" [--by 2027-03-01].')]
    notes = (
        (
            await ctx.session.execute(
                select(PairNote)
                .where(col(PairNote.pairing_id) == pairing.id, col(PairNote.kind) == "progress")
                .order_by(col(PairNote.created_at))
            )
        )
        .scalars()
        .all()
    )
    parts: list[msg.Part] = [msg.text(msg.Strong("Your goals"))]
    for goal in goals:
        state = "done" if goal.status == GoalStatus.DONE.value else "open"
        due = f", by {format_when(goal.by_date, ctx.tz).split(',')[0]}" if goal.by_date else ""
        parts.append(msg.text(f"{goal.number}. ", UserText(goal.text), f" ({state}{due})"))
        for note in (n for n in notes if n.goal_id == goal.id):
            parts.append(msg.text(f"   · {note.created_at:%d %b}: ", UserText(note.text)))
    return [Message(tuple(parts))]


async def on_reassess(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    pairing = await my_pairing(ctx, cid.key, "reassess")
    if cid.verb not in ("new", "continue", "wrapup"):
        raise InvalidInput("That button is not valid any more.")
    choice = "wrapup" if cid.verb == "wrapup" else "continue"
    choices = {**(pairing.reassess_choices or {}), str(ctx.member_id): choice}
    pairing.reassess_choices = choices
    ctx.session.add(pairing)
    partner_choice = next((c for m, c in choices.items() if m != str(ctx.member_id)), None)
    if partner_choice is not None and partner_choice != choice:
        return await _disagreement(ctx, pairing, caller_wants_to_end=choice == "wrapup")
    if cid.verb == "new":
        return [msg.message('Agree on the next goal together, then: /mentor goal set "…" [--by <date>].')]
    if cid.verb == "continue":
        return [msg.message("Carrying on without a new goal — check-ins continue as agreed.")]
    return await ask_to_confirm_wrap_up(ctx, pairing)


async def _disagreement(ctx: Ctx, pairing: Pairing, *, caller_wants_to_end: bool) -> list[Message]:
    """The partners chose differently: nothing ends; both hear it, and so do the moderators."""
    mentee, mentor = await members_of(ctx.session, pairing)
    caller, partner = (mentee, mentor) if ctx.member_id == mentee.id else (mentor, mentee)
    ender, stayer = (caller, partner) if caller_wants_to_end else (partner, caller)
    text = msg.text(
        "You chose differently: ",
        UserText(ender.display_name),
        " would like to wrap up, ",
        UserText(stayer.display_name),
        " would like to continue. Nothing has ended. Talk it over; if you agree to finish, either of you can run "
        "/mentor wrap-up. A moderator can help too.",
    )
    await ctx.outbox.post(
        group_of(mentee, mentor),
        msg.message(text),
        dedupe_key=f"pair:{pairing.id}:reassess-differ:{ctx.now.isoformat()}",
    )
    notice = msg.message(
        msg.text(
            f"Pair #{pairing.id} (",
            UserText(mentee.display_name),
            " ← ",
            UserText(mentor.display_name),
            f") disagree after a goal: one would like to wrap up, one to continue. /mentor pair {pairing.id} shows it; "
            f"/mentor pair {pairing.id} end ends it.",
        )
    )
    for destination in await moderator_destinations(ctx.session, ctx.community):
        await ctx.outbox.post(
            destination,
            notice,
            dedupe_key=f"pair:{pairing.id}:reassess-differ:{ctx.now.isoformat()}:{destination.target}",
        )
    return [msg.message("Noted. Your partner chose differently, so nothing has ended; I told you both.")]
