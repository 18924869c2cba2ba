"""Choice rounds, step two: the deadline, the moderators' view and closing early.

At the round's deadline (a sweep) or when a moderator closes it, mentors who never
answered count as declining — or accepting, where the program file says silence
accepts — and every mentee still without a mentor falls back to the certified
optimum over the capacity the accepted picks left (`matching.settle_choices`).
The accepted picks and the fallback become the round's pairs, and the usual
approval introduces them (`approval.approve_round`), once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import format_when
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox, moderator_destinations
from bot.features.matching import MatchingRules, settle_choices
from bot.features.rounds.approval import approve_round
from bot.features.rounds.choice import free_places, line
from bot.features.rounds.proposal import RoundPolicy, load_match_profiles, round_policy
from bot.features.rounds.proposal_view import SHOW_PAIRS, members_by_id
from bot.features.rounds.storing import reason_rows
from storage.tables import ChoiceOffer, ChoiceState, Community, MatchRound, MenteeChoice, ProposedPair, RoundStatus

STATE_WORDS = {
    ChoiceState.WAITING.value: "no pick yet",
    ChoiceState.PICKED.value: "picked, waiting for the mentor",
    ChoiceState.ACCEPTED.value: "accepted",
    ChoiceState.DECLINED.value: "declined",
    ChoiceState.NONE.value: "none of these fit",
    ChoiceState.FELL_BACK.value: "fell back to the optimum",
    ChoiceState.UNPLACED.value: "no free mentor fitted",
}


async def choices_of(session: AsyncSession, round_id: int) -> list[MenteeChoice]:
    return list(
        (
            await session.execute(
                select(MenteeChoice).where(col(MenteeChoice.round_id) == round_id).order_by(col(MenteeChoice.id))
            )
        ).scalars()
    )


async def close_choice_round(
    session: AsyncSession,
    round_: MatchRound,
    now: datetime,
    policy: RoundPolicy,
    *,
    closed_by: int | None,
    program: Any = None,
) -> int | None:
    """Settle the round and introduce its pairs. None when someone else closed it first."""
    won = await session.execute(
        update(MatchRound)
        .where(col(MatchRound.id) == round_.id, col(MatchRound.status) == RoundStatus.CHOOSING.value)
        .values(status=RoundStatus.PROPOSED.value)  # for approve_round, in this same transaction
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    await session.refresh(round_)
    choices = await choices_of(session, round_.id)  # type: ignore[arg-type]
    for choice in choices:
        if choice.state == ChoiceState.PICKED.value:  # the mentor never answered
            choice.silent = True
            keep = policy.silence_accepts and await free_places(session, round_, choice.mentor_member_id or 0) > 0
            choice.state = (ChoiceState.ACCEPTED if keep else ChoiceState.DECLINED).value
            session.add(choice)
            await session.flush()
    profiles, previous = await load_match_profiles(session, round_.community_id, now)
    free = {p.member_id: p.free_capacity for p in profiles}  # everyone still in the program (mentees: 0)
    accepted: dict[int, int] = {}
    for choice in choices:
        if choice.state == ChoiceState.ACCEPTED.value and choice.mentor_member_id is not None:
            mentor = choice.mentor_member_id
            if free.get(mentor, 0) > 0 and choice.mentee_member_id in free:
                free[mentor] -= 1
                accepted[choice.mentee_member_id] = mentor
            else:  # the mentor paused, left or lowered their capacity meanwhile
                choice.state = ChoiceState.DECLINED.value
                session.add(choice)
    declined = [(c.mentee_member_id, mentor) for c in choices for mentor in c.declined_by]
    pool = {c.mentee_member_id for c in choices if c.state in (ChoiceState.WAITING.value, ChoiceState.DECLINED.value)}
    rules = MatchingRules(
        weights=policy.rules.weights,
        max_timezone_difference_hours=policy.rules.max_timezone_difference_hours,
        exclude_same_team=policy.rules.exclude_same_team,
        allow_rematch=round_.allow_rematch,
        previous_pairs=previous,
    )
    # Only this round's mentees fall back; members who signed up since wait for the next round.
    others = [p.member_id for p in profiles if p.role.seeks_mentor and p.member_id not in pool]
    fallback = settle_choices(profiles, rules, accepted, declined=declined, withdrawn=others)
    await _store_pairs(session, round_, accepted, fallback.pairs)
    placed = {pair.mentee_id: pair.mentor_id for pair in fallback.pairs}
    unplaced: list[dict[str, Any]] = []
    for choice in choices:
        if choice.mentee_member_id in placed:
            choice.state, choice.mentor_member_id = ChoiceState.FELL_BACK.value, placed[choice.mentee_member_id]
        elif choice.mentee_member_id in pool:
            choice.state = ChoiceState.UNPLACED.value
            unplaced.append(
                {
                    "member_id": choice.mentee_member_id,
                    "cause": "capacity_taken",
                    "reason": "no mentor still free fitted",
                }
            )
        elif choice.state == ChoiceState.NONE.value:
            reason = "said none of the shortlist fits" + (f": {choice.reason}" if choice.reason else "")
            unplaced.append({"member_id": choice.mentee_member_id, "cause": "chose_none", "reason": reason})
        session.add(choice)
    round_.summary = {**round_.summary, "unmatched": unplaced, "choice": dict(choice_counts(choices))}
    session.add(round_)
    await session.flush()
    created = await approve_round(session, round_, now, policy, approved_by=closed_by, program=program)
    await _tell_unplaced(session, round_, [c for c in choices if c.mentee_member_id in free], now)
    return created


async def _store_pairs(session: AsyncSession, round_: MatchRound, accepted: dict[int, int], fallback: Any) -> None:
    """The round's pairs become the accepted picks, then the fallback (the optimum stored earlier goes)."""
    await session.execute(delete(ProposedPair).where(ProposedPair.round_id == round_.id))  # type: ignore[arg-type]
    offers = {
        (o.mentee_member_id, o.mentor_member_id): o
        for o in (await session.execute(select(ChoiceOffer).where(col(ChoiceOffer.round_id) == round_.id))).scalars()
    }
    position = 0
    for mentee, mentor in sorted(accepted.items()):
        offer = offers.get((mentee, mentor))
        position += 1
        session.add(
            ProposedPair(
                round_id=round_.id,  # type: ignore[arg-type]
                position=position,
                mentee_member_id=mentee,
                mentor_member_id=mentor,
                score=offer.score if offer else 0.0,
                reasons=offer.reasons if offer else [],
            )
        )
    for pair in fallback:
        position += 1
        session.add(
            ProposedPair(
                round_id=round_.id,  # type: ignore[arg-type]
                position=position,
                mentee_member_id=pair.mentee_id,
                mentor_member_id=pair.mentor_id,
                score=pair.score,
                reasons=reason_rows(pair.reasons),
            )
        )
    await session.flush()


async def _tell_unplaced(session: AsyncSession, round_: MatchRound, choices: list[MenteeChoice], now: datetime) -> None:
    left = [c for c in choices if c.state == ChoiceState.UNPLACED.value]
    if not left:
        return
    members = await members_by_id(session, {c.mentee_member_id for c in left})
    outbox = Outbox(session, round_.community_id, now)
    for choice in left:
        await outbox.post(
            Destination.dm(members[choice.mentee_member_id].platform_user_id),
            msg.message(
                "The choice round has closed and no mentor who is still free fits you this time. "
                "You keep priority in the next round."
            ),
            dedupe_key=f"choice:{choice.id}:unplaced",
        )


def choice_counts(choices: list[MenteeChoice]) -> Counter[str]:
    """What mentees chose (first suggestion, an alternative, none) and what happened."""
    counts: Counter[str] = Counter()
    for c in choices:
        if c.rank is not None:
            counts["first" if c.optimal_pick else "alternative"] += 1
        counts[c.state] += 1
        if c.silent:
            counts["silent"] += 1
        counts["declined_by_mentor"] += len(c.declined_by)
    return counts


# --- the deadline sweep -------------------------------------------------------------------


async def close_due_choice_rounds(session: AsyncSession, now: datetime, policy: RoundPolicy, program: Any) -> int:
    due = (
        (
            await session.execute(
                select(MatchRound)
                .where(col(MatchRound.status) == RoundStatus.CHOOSING.value, col(MatchRound.closes_at) <= now)
                .order_by(col(MatchRound.id))
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for round_ in due:
        created = await close_choice_round(session, round_, now, policy, closed_by=None, program=program)
        if created is None:
            continue
        community = await session.get(Community, round_.community_id)
        assert community is not None
        outbox = Outbox(session, round_.community_id, now)
        report = closed_report(round_, created)
        for destination in await moderator_destinations(session, community):
            await outbox.post(destination, report, dedupe_key=f"round:{round_.id}:closed:{destination.target}")
    return len(due)


async def next_choice_deadline(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(MatchRound.closes_at))).where(col(MatchRound.status) == RoundStatus.CHOOSING.value)
        )
    ).scalar_one_or_none()


def closed_report(round_: MatchRound, created: int) -> Message:
    c = Counter(round_.summary.get("choice", {}))
    return line(
        msg.Strong(f"Choice round #{round_.id} closed: "),
        f"{c['first']} chose their first suggestion, {c['alternative']} an alternative, "
        f"{c[ChoiceState.NONE.value]} none of them; {c['declined_by_mentor']} declined by the mentor, "
        f"{c['silent']} without an answer; {c[ChoiceState.FELL_BACK.value]} fell back to the optimum, "
        f"{c[ChoiceState.UNPLACED.value]} unplaced. {msg.plural(created, 'introduction')} on the way.",
    )


# --- the moderators' view -----------------------------------------------------------------


async def render_choice_round(session: AsyncSession, round_: MatchRound, tz: str) -> Message:
    """Where every mentee of a choice round stands: picked, waiting, declined, fell back."""
    choices = await choices_of(session, round_.id)  # type: ignore[arg-type]
    counts = choice_counts(choices)
    open_ = round_.status == RoundStatus.CHOOSING.value
    when = format_when(round_.closes_at or round_.created_at, tz)
    state = f"open for choices until {when}" if open_ else f"closed ({round_.status})"
    parts: list[msg.Part] = [
        msg.text(msg.Strong("Choice round"), f" #{round_.id} — {state}"),
        msg.text(
            ", ".join(f"{counts[s]} {STATE_WORDS[s]}" for s in STATE_WORDS if counts[s])
            or "Nobody received a shortlist.",
        ),
        msg.text(
            f"Chose the first suggestion: {counts['first']} · an alternative: {counts['alternative']} · "
            f"none: {counts[ChoiceState.NONE.value]}"
        ),
    ]
    members = await members_by_id(
        session, {c.mentee_member_id for c in choices} | {c.mentor_member_id for c in choices if c.mentor_member_id}
    )
    for c in choices[:SHOW_PAIRS]:
        spans: list[msg.Span] = ["• ", UserText(members[c.mentee_member_id].display_name), ": "]
        if c.mentor_member_id is not None:
            spans += [UserText(members[c.mentor_member_id].display_name)]
            picked = c.rank and c.state != ChoiceState.FELL_BACK.value
            spans += [f" (suggestion {c.rank}) — " if picked else " — "]
        spans.append(STATE_WORDS.get(c.state, c.state) + (" (their pick never answered)" if c.silent else ""))
        if c.reason:
            spans += [": ", UserText(c.reason)]
        parts.append(msg.Text(tuple(spans)))
    if len(choices) > SHOW_PAIRS:
        parts.append(msg.text(f"… and {len(choices) - SHOW_PAIRS} more."))
    return Message(tuple(parts))


async def close_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor match close`: the open choice round's state, and a button to close it now."""
    ctx.require_moderator("close a choice round")
    round_ = (
        await ctx.session.execute(
            select(MatchRound).where(
                col(MatchRound.community_id) == ctx.community_id, col(MatchRound.status) == RoundStatus.CHOOSING.value
            )
        )
    ).scalar_one_or_none()
    if round_ is None:
        raise NotFound("No choice round is open. /mentor match --choice computes one.")
    view = await render_choice_round(ctx.session, round_, ctx.tz)
    confirm = (
        msg.text(
            "Closing now ends the choices: accepted picks are introduced, everyone else still waiting falls back "
            "to the best mentor still free. This cannot be undone."
        ),
        Button("Close now and introduce", str(ComponentId("round", str(round_.id), "close")), ButtonStyle.DANGER),
    )
    return [Message(view.parts + confirm)]


async def close_now(ctx: Ctx, round_: MatchRound) -> list[Message]:
    """The confirmation button of `match close` (moderators only; checked by the caller too)."""
    ctx.require_moderator("close a choice round")
    if round_.mode != "choice" or round_.status != RoundStatus.CHOOSING.value:
        raise InvalidInput(f"Round #{round_.id} is not open for choices; nothing to close.")
    created = await close_choice_round(
        ctx.session, round_, ctx.now, round_policy(ctx), closed_by=ctx.member_id, program=getattr(ctx, "program", None)
    )
    if created is None:
        return [msg.message(f"Round #{round_.id} was just closed by someone else.")]
    ctx.sweep_soon = round_.introduce_from is not None  # the sweep introduces the later batches
    return [closed_report(round_, created)]
