"""Matching rounds, step two: the moderator reviews the proposal.

`/mentor match` computes a proposal (`proposal.compute_round`) and shows it; the
moderator drops or swaps pairs, recomputes, discards or approves, by command or
with the proposal's buttons. Every command checks moderator rights first.
Approval itself (pairings and introductions) is in `introductions`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import Arity, ParseError, format_when, parse_args, parse_duration
from bot.core.router import ComponentId
from bot.delivery.pace import round_duration_note
from bot.features.matching import MatchingRules, score_candidates
from bot.features.rounds.approval import STALL_NOTICE, approve_round, pairs_left, round_in_progress, stop_introducing
from bot.features.rounds.choice import send_shortlists
from bot.features.rounds.choice_close import close_now, render_choice_round
from bot.features.rounds.proposal import compute_round, load_match_profiles, round_policy, wants_choice
from bot.features.rounds.proposal_view import SHOW_PAIRS, members_by_id, render_proposal
from bot.features.rounds.schedule import schedule_of
from bot.features.rounds.storing import RoundOptions, StoredRound, publish
from storage.tables import MatchRound, ProposedPair, RoundSchedule, RoundStatus

MATCH_SPEC = {
    "dry-run": Arity.FLAG,
    "every": Arity.ONE,
    "rematch": Arity.FLAG,
    "stop": Arity.FLAG,
    "choice": Arity.FLAG,
    "assign": Arity.FLAG,
}


async def match_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("run a matching round")
    parsed = parse_args(args, MATCH_SPEC)
    if parsed.positional:
        raise ParseError(
            f"I don't know /mentor match {parsed.positional[0]}. Try /mentor match, match approve, match drop <n>, "
            "match swap <n> <m>, match recompute, match discard or match show."
        )
    replies: list[Message] = []
    if parsed.flag("stop"):
        schedule = await schedule_of(ctx.session, ctx.community_id)
        if schedule is None:
            return [msg.message("There is no scheduled round to stop.")]
        await ctx.session.delete(schedule)
        return [msg.message("Scheduled rounds are stopped. Run /mentor match whenever you want a round.")]
    every = parsed.one("every")
    if every is not None:
        period = parse_duration(every)
        if period < timedelta(days=1):
            raise ParseError("Rounds can repeat at most once a day; try --every 2w or --every 4w.")
        schedule = await schedule_of(ctx.session, ctx.community_id)
        if schedule is None:
            schedule = RoundSchedule(
                community_id=ctx.community_id, every_days=period.days, next_run_at=ctx.now + period
            )
        schedule.every_days, schedule.next_run_at = period.days, ctx.now + period
        schedule.created_by_member_id = ctx.member_id
        ctx.session.add(schedule)
        policy = round_policy(ctx)
        how = "approved automatically (auto_approve)" if policy.auto_approve else "waiting for a moderator's approval"
        replies.append(
            msg.message(
                f"A new round will be computed every {period.days} days, "
                f"next {format_when(schedule.next_run_at, ctx.tz)}, "
                f"{how}. Stop with /mentor match --stop."
            )
        )
    options = RoundOptions(
        dry_run=parsed.flag("dry-run"),
        allow_rematch=parsed.flag("rematch"),
        choice=wants_choice(round_policy(ctx), args),
    )
    if not options.dry_run:
        await _no_round_in_progress(ctx)
    prepared = await _publish_prepared(ctx, options)
    if prepared is not None:
        replies.insert(0, prepared)
        return replies
    round_ = await compute_round(
        ctx.session,
        ctx.community_id,
        ctx.now,
        round_policy(ctx),
        created_by=ctx.member_id,
        dry_run=options.dry_run,
        allow_rematch=options.allow_rematch,
        choice=options.choice,
    )
    replies.insert(0, await render_proposal(ctx.session, round_))
    return replies


async def _publish_prepared(ctx: Ctx, options: RoundOptions) -> Message | None:
    """A large community's round, solved, stored and rendered by the heavy-work worker for these
    options, made the proposal; its message. None: there is none, compute in place."""
    stored = ctx.prepared if isinstance(ctx.prepared, StoredRound) else None
    if stored is None or stored.message is None or stored.options != options:
        return None
    if not await publish(ctx.session, stored, ctx.community_id, ctx.member_id):
        return None
    return stored.message


async def _no_round_in_progress(ctx: Ctx) -> None:
    """One round at a time: an open choice round has promised its mentors' places, an approved
    one still introducing holds its pairs' members."""
    busy = await round_in_progress(ctx.session, ctx.community_id)
    if busy is None:
        return
    if busy.status == RoundStatus.CHOOSING.value:
        when = format_when(busy.closes_at or ctx.now, ctx.tz)
        raise InvalidInput(
            f"Choice round #{busy.id} is open until {when}. Wait for it, or close it early with /mentor match close."
        )
    total = busy.introduced + await pairs_left(ctx.session, busy)
    if busy.introduce_failures >= STALL_NOTICE:
        raise InvalidInput(
            f"Round #{busy.id} is stuck after {busy.introduced} of {total} introductions. "
            "End it with /mentor match discard, then run /mentor match again."
        )
    raise InvalidInput(
        f"Round #{busy.id} is still introducing its pairs ({busy.introduced} of {total} so far). "
        "Try again in a minute, once everyone has been introduced."
    )


async def _current_round(ctx: Ctx, round_id: int | None = None) -> MatchRound:
    query = select(MatchRound).where(
        col(MatchRound.community_id) == ctx.community_id,
        col(MatchRound.status) != RoundStatus.STORING.value,  # not a proposal yet (rounds/storing.py)
    )
    query = (
        query.where(col(MatchRound.id) == round_id) if round_id else query.order_by(col(MatchRound.id).desc()).limit(1)
    )
    round_ = (await ctx.session.execute(query)).scalar_one_or_none()
    if round_ is None:
        raise NotFound("There is no matching round here yet. Run /mentor match to compute one.")
    return round_


def _editable(round_: MatchRound) -> None:
    """Drop and swap change pairs; in a choice round the mentees choose, so there is nothing to edit."""
    _open(round_)
    if round_.mode == "choice":
        raise InvalidInput(
            f"In choice round #{round_.id} the mentees choose from their shortlists; recompute or discard it, "
            "or run /mentor match --assign for a round you can edit."
        )


def _open(round_: MatchRound) -> None:
    if round_.status == RoundStatus.CHOOSING.value:
        raise InvalidInput(f"Round #{round_.id} is open for choices; /mentor match close ends it early.")
    if round_.status == RoundStatus.APPROVED.value and round_.introduce_from is not None:
        raise InvalidInput(f"Round #{round_.id} is approved and still introducing; /mentor match discard stops it.")
    if round_.status == RoundStatus.APPROVED.value:
        raise InvalidInput(f"Round #{round_.id} is already approved; its introductions are out.")
    if round_.status == RoundStatus.DISCARDED.value:
        raise InvalidInput(f"Round #{round_.id} was discarded. Run /mentor match for a fresh one.")
    if round_.dry_run:
        raise InvalidInput(
            f"Round #{round_.id} is a dry run. Run /mentor match (without --dry-run) to make a real round."
        )


async def show_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("see matching rounds")
    round_ = await _current_round(ctx)
    if round_.mode == "choice" and round_.status in (RoundStatus.CHOOSING.value, RoundStatus.APPROVED.value):
        return [await render_choice_round(ctx.session, round_, ctx.tz)]
    message = await render_proposal(ctx.session, round_)
    pairs = (
        (
            await ctx.session.execute(
                select(ProposedPair)
                .where(col(ProposedPair.round_id) == round_.id, col(ProposedPair.dropped) == False)  # noqa: E712
                .order_by(col(ProposedPair.position))
            )
        )
        .scalars()
        .all()
    )
    if len(pairs) <= SHOW_PAIRS:
        return [message]
    members = await members_by_id(
        ctx.session, {p.mentee_member_id for p in pairs} | {p.mentor_member_id for p in pairs}
    )
    lines = [
        msg.text(
            f"{p.position}. ",
            UserText(members[p.mentee_member_id].display_name),
            " ← ",
            UserText(members[p.mentor_member_id].display_name),
            f" (fit {p.score:.0f})",
        )
        for p in pairs
    ]
    return [message, Message(tuple(lines))]


def _position(raw: str) -> int:
    if not raw.lstrip("#").isdigit():
        raise ParseError(f"{raw!r} is not a pair number; the proposal numbers its pairs 1, 2, 3 …")
    return int(raw.lstrip("#"))


async def drop_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("change a matching round")
    if len(args) != 1:
        raise ParseError("Give one pair number, e.g. /mentor match drop 3.")
    round_ = await _current_round(ctx)
    _editable(round_)
    pair = await _pair_at(ctx.session, round_, _position(args[0]))
    pair.dropped = True
    ctx.session.add(pair)
    await ctx.session.flush()
    return [
        msg.message(f"Pair {pair.position} is dropped; nobody in it will be introduced this round."),
        await render_proposal(ctx.session, round_),
    ]


async def _pair_at(session: AsyncSession, round_: MatchRound, position: int) -> ProposedPair:
    pair = (
        await session.execute(
            select(ProposedPair).where(col(ProposedPair.round_id) == round_.id, col(ProposedPair.position) == position)
        )
    ).scalar_one_or_none()
    if pair is None:
        raise NotFound(f"Round #{round_.id} has no pair {position}.")
    return pair


async def swap_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """Swap the mentors of two proposed pairs, if both new pairs pass every hard constraint."""
    ctx.require_moderator("change a matching round")
    if len(args) != 2:
        raise ParseError("Give two pair numbers, e.g. /mentor match swap 2 5 (their mentors trade places).")
    round_ = await _current_round(ctx)
    _editable(round_)
    first = await _pair_at(ctx.session, round_, _position(args[0]))
    second = await _pair_at(ctx.session, round_, _position(args[1]))
    if first.id == second.id:
        raise InvalidInput("Those are the same pair; give two different numbers.")
    profiles, previous = await load_match_profiles(ctx.session, ctx.community_id, ctx.now)
    wanted = {first.mentee_member_id, second.mentee_member_id, first.mentor_member_id, second.mentor_member_id}
    subset = [p for p in profiles if p.member_id in wanted]
    policy = round_policy(ctx)
    rules = MatchingRules(
        weights=policy.rules.weights,
        max_timezone_difference_hours=policy.rules.max_timezone_difference_hours,
        exclude_same_team=policy.rules.exclude_same_team,
        allow_rematch=round_.allow_rematch,
        previous_pairs=previous,
    )
    scored = {(c.mentee_id, c.mentor_id): c for c in score_candidates(subset, rules)}
    new_first = scored.get((first.mentee_member_id, second.mentor_member_id))
    new_second = scored.get((second.mentee_member_id, first.mentor_member_id))
    if new_first is None or new_second is None:
        raise InvalidInput(
            "That swap would break a hard rule (no shared topic, language, timezone, team or an earlier pairing), "
            "so I kept the proposal as it was."
        )
    for pair, new in ((first, new_first), (second, new_second)):
        pair.mentor_member_id = new.mentor_id
        pair.score = new.score
        pair.reasons = [{"criterion": r.criterion, "points": r.points, "text": r.text} for r in new.reasons]
        ctx.session.add(pair)
    await ctx.session.flush()
    return [
        msg.message(f"Swapped the mentors of pairs {first.position} and {second.position}."),
        await render_proposal(ctx.session, round_),
    ]


async def approve_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("approve a matching round")
    round_ = await _current_round(ctx, int(args[0].lstrip("#")) if args and args[0].lstrip("#").isdigit() else None)
    return await _approve_and_reply(ctx, round_)


async def recompute_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("recompute a matching round")
    return await _recompute(ctx, await _current_round(ctx))


async def discard_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("discard a matching round")
    busy = await round_in_progress(ctx.session, ctx.community_id)
    if busy is not None and busy.introduce_from is not None:  # approved, pairs still waiting for their batch
        return [await _confirm_stop(ctx, busy)]
    return _discard(ctx, await _current_round(ctx))


async def _confirm_stop(ctx: Ctx, round_: MatchRound) -> Message:
    left = await pairs_left(ctx.session, round_)
    return Message(
        (
            msg.text(
                f"Round #{round_.id} is approved and has introduced {round_.introduced} of "
                f"{round_.introduced + left} pairs. Stopping it now leaves the other {left} un-introduced; "
                "their members wait for the next round. This cannot be undone."
            ),
            Button("Stop introducing", str(ComponentId("round", str(round_.id), "stop")), ButtonStyle.DANGER),
        )
    )


async def _stop(ctx: Ctx, round_: MatchRound) -> list[Message]:
    """The confirmation button of `match discard` on a round still introducing."""
    left = await stop_introducing(ctx.session, round_, ctx.now, getattr(ctx, "program", None))
    if left is None:
        raise InvalidInput(f"Round #{round_.id} has no introductions left to stop.")
    return [
        msg.message(
            f"Round #{round_.id} is stopped: {msg.plural(round_.introduced, 'pair')} introduced, "
            f"{msg.plural(left, 'pair')} not; their members wait for the next round."
        )
    ]


async def on_round_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    ctx.require_moderator("review matching rounds")
    if not cid.key.isdigit():
        raise InvalidInput("That round button is not valid any more.")
    round_ = await _current_round(ctx, int(cid.key))
    if cid.verb == "approve":
        return await _approve_and_reply(ctx, round_)
    if cid.verb == "recompute":
        if round_.status != RoundStatus.PROPOSED.value:
            raise InvalidInput(f"Round #{round_.id} is {round_.status}; run /mentor match for a new one.")
        return await _recompute(ctx, round_)
    if cid.verb == "discard":
        return _discard(ctx, round_)
    if cid.verb == "stop":  # the confirmation of /mentor match discard on a round still introducing
        return await _stop(ctx, round_)
    if cid.verb == "close":  # the confirmation of /mentor match close
        return await close_now(ctx, round_)
    if cid.verb == "show":  # from a reminder: the round as it stands now
        return [await render_proposal(ctx.session, round_)]
    raise InvalidInput("That round button is not valid any more.")


async def _recompute(ctx: Ctx, previous: MatchRound) -> list[Message]:
    """A fresh proposal with the same options (the old one is discarded)."""
    options = RoundOptions(previous.dry_run, previous.allow_rematch, previous.mode == "choice")
    prepared = await _publish_prepared(ctx, options)
    if prepared is not None:
        return [prepared]
    round_ = await compute_round(
        ctx.session,
        ctx.community_id,
        ctx.now,
        round_policy(ctx),
        created_by=ctx.member_id,
        dry_run=previous.dry_run,
        allow_rematch=previous.allow_rematch,
        choice=previous.mode == "choice",
    )
    return [await render_proposal(ctx.session, round_)]


def _discard(ctx: Ctx, round_: MatchRound) -> list[Message]:
    _open(round_)
    round_.status = RoundStatus.DISCARDED.value
    ctx.session.add(round_)
    return [msg.message(f"Round #{round_.id} is discarded; nobody was introduced.")]


async def _approve_and_reply(ctx: Ctx, round_: MatchRound) -> list[Message]:
    if round_.status == RoundStatus.APPROVED.value:
        when = format_when(round_.approved_at or ctx.now, ctx.tz)
        return [msg.message(f"Round #{round_.id} was already approved ({when}); nobody is introduced twice.")]
    _open(round_)
    await _no_round_in_progress(ctx)
    if round_.mode == "choice":
        return await _send_shortlists(ctx, round_)
    created = await approve_round(
        ctx.session,
        round_,
        ctx.now,
        round_policy(ctx),
        approved_by=ctx.member_id,
        program=getattr(ctx, "program", None),
    )
    if created is None:
        return [msg.message(f"Round #{round_.id} was just approved by someone else; nobody is introduced twice.")]
    ctx.sweep_soon = round_.introduce_from is not None  # the sweep introduces the later batches
    approved = f"Round #{round_.id} approved: {created} introduction{'s' if created != 1 else ''} on the way."
    note = round_duration_note(ctx.community.platform, created)
    return [msg.message(approved + (f" {note}" if note else ""))]


async def _send_shortlists(ctx: Ctx, round_: MatchRound) -> list[Message]:
    sent = await send_shortlists(ctx.session, round_, ctx.now, round_policy(ctx))
    if sent is None:
        return [msg.message(f"Round #{round_.id} was just approved by someone else; nobody gets two lists.")]
    when = format_when(round_.closes_at or ctx.now, ctx.tz)
    return [
        msg.message(
            f"Round #{round_.id} is open for choices: {msg.plural(sent, 'shortlist')} on the way. "
            f"It closes {when}; /mentor match show tells you where everyone stands."
        )
    ]
