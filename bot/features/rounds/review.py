"""Matching rounds and introductions, reviewed by a moderator.

`/mentor match` turns stored profiles into `MatchProfile`s, asks the pure engine
(`bot.features.matching`) for the best set of pairs, stores the proposal and shows it:
pairs with reasons, unmatched mentees with what to do, topics short of mentors.
The moderator approves, drops or swaps pairs, recomputes or discards. Approval
creates one `Pairing` per pair — a unique constraint and a conditional status
update make a second "approve" (or a restart mid-way) harmless — and queues one
introduction per pairing under a per-pairing outbox key.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import messages as msg
from bot.delivery.context import Ctx
from bot.features.checkins.checkins import start_plans
from bot.core.errors import InvalidInput, NotFound
from bot.features.matching import MatchingRules, MatchProfile, Role as MatchRole, propose_round, score_candidates
from bot.features.matching.profiles import CADENCES, COMMUNICATION_MODES, PROGRAM_LENGTHS, ScoreWeights, utc_offset_hours
from bot.core.messages import Button, ButtonStyle, Mention, Message, UserText
from bot.features.milestones.milestones import send_milestone
from bot.delivery.outbox import Outbox, moderator_destinations
from bot.features.pairs.pairs import report_if_at_risk
from bot.core.parsing import Arity, ParseError, format_when, parse_args, parse_duration
from bot.core.ports import Destination
from bot.core.router import Command, ComponentId, ComponentRoute
from storage.tables import (
    Community,
    MatchRound,
    Member,
    Pairing,
    PairingStatus,
    Profile,
    ProfileStatus,
    ProposedPair,
    RoundSchedule,
    RoundStatus,
)

SHOW_PAIRS = 15  # pairs listed in a proposal message; the rest are summarised
MONTHS = {"3-6": 3, "6-9": 6, "9-12": 9}  # the committed minimum; pairs may extend
CADENCE_WORDS = {"weekly": "every week", "biweekly": "every two weeks", "monthly": "once a month"}
MODE_WORDS = {"chat": "chat", "video": "video call", "in_person": "meeting in person"}


@dataclass(frozen=True)
class RoundPolicy:
    """What the program file says about rounds (defaults when it is silent)."""

    program_name: str = "mentorship program"
    kickoff_reminder_days: int = 7
    auto_approve: bool = False
    rules: MatchingRules = MatchingRules()


def round_policy(ctx_or_program: Any) -> RoundPolicy:
    program = getattr(ctx_or_program, "program", ctx_or_program)
    if program is None:
        return RoundPolicy()
    weights = getattr(program, "weights", None)
    rules = MatchingRules(
        weights=_weights(weights),
        max_timezone_difference_hours=float(getattr(program, "max_timezone_difference_hours", 6)),
        exclude_same_team=bool(getattr(program, "exclude_same_team", True)),
    )
    return RoundPolicy(
        program_name=str(getattr(program, "name", "") or "mentorship program"),
        kickoff_reminder_days=int(getattr(program, "kickoff_reminder_days", 7)),
        auto_approve=bool(getattr(program, "auto_approve", False)),
        rules=rules,
    )


def _weights(weights: Any) -> ScoreWeights:
    return weights if isinstance(weights, ScoreWeights) else ScoreWeights()


# --- from storage to the engine ------------------------------------------------


async def load_match_profiles(
    session: AsyncSession, community_id: int, now: datetime
) -> tuple[list[MatchProfile], frozenset[tuple[int, int]]]:
    """Profiles that may be matched now, and every pair that was ever matched."""
    profiles = (
        await session.execute(
            select(Profile).where(
                Profile.community_id == community_id,
                Profile.status.in_([ProfileStatus.WAITING.value, ProfileStatus.ACTIVE.value]),  # type: ignore[attr-defined]
            )
        )
    ).scalars().all()
    active = (
        await session.execute(
            select(Pairing.mentee_member_id, Pairing.mentor_member_id).where(
                Pairing.community_id == community_id, Pairing.status == PairingStatus.ACTIVE.value
            )
        )
    ).all()
    mentees_of: Counter[int] = Counter(mentor for _, mentor in active)
    being_mentored = {mentee for mentee, _ in active}
    history = (
        await session.execute(
            select(Pairing.mentee_member_id, Pairing.mentor_member_id).where(Pairing.community_id == community_id)
        )
    ).all()
    previous = frozenset((a, b) for a, b in history) | frozenset((b, a) for a, b in history)
    result: list[MatchProfile] = []
    for p in profiles:
        role = MatchRole(p.role)
        if p.member_id in being_mentored:
            if role is MatchRole.MENTEE:
                continue  # already has a mentor
            role = MatchRole.MENTOR if role is MatchRole.BOTH else role
        result.append(to_match_profile(p, role, mentees_of[p.member_id], now))
    return result, previous


def to_match_profile(p: Profile, role: MatchRole, active_mentees: int, now: datetime) -> MatchProfile:
    try:
        offset = utc_offset_hours(p.timezone or "UTC", now)
    except Exception:  # an unknown zone must not stop a whole round
        offset = 0.0
    waited = (now - p.waiting_since).days if p.waiting_since else 0
    return MatchProfile(
        member_id=p.member_id,
        role=role,
        topics_offered=frozenset(p.topics_offered),
        topics_wanted=frozenset(p.topics_wanted),
        goals_text=p.goals,
        helps_with_text=p.can_help_with,
        years_experience=p.years_experience,
        utc_offset_hours=offset,
        accepts_async=p.accepts_async,
        hours_per_month=p.hours_per_month,
        # Unknown keys (a custom program file) count as "no answer": half points, never an error.
        program_length=p.program_length if p.program_length in PROGRAM_LENGTHS else "",
        cadence=p.cadence if p.cadence in CADENCES else "",
        communication=p.communication if p.communication in COMMUNICATION_MODES else "",
        languages=frozenset(p.languages) or frozenset({"en"}),
        capacity=max(0, min(3, p.capacity)),
        active_mentees=min(active_mentees, 3),
        consented=p.consent,
        paused=False,
        team=p.team or None,
        do_not_match=frozenset(int(x) for x in p.do_not_match),
        days_waiting=max(0, waited),
        times_left_unmatched=p.times_unmatched,
    )


# --- computing and showing a proposal ------------------------------------------


async def compute_round(
    session: AsyncSession,
    community_id: int,
    now: datetime,
    policy: RoundPolicy,
    *,
    created_by: int | None,
    dry_run: bool = False,
    allow_rematch: bool = False,
) -> MatchRound:
    """Run the engine and store its proposal; older open proposals are discarded."""
    await session.execute(
        update(MatchRound)
        .where(MatchRound.community_id == community_id, MatchRound.status == RoundStatus.PROPOSED.value)
        .values(status=RoundStatus.DISCARDED.value)
    )
    profiles, previous = await load_match_profiles(session, community_id, now)
    rules = MatchingRules(
        weights=policy.rules.weights,
        max_timezone_difference_hours=policy.rules.max_timezone_difference_hours,
        exclude_same_team=policy.rules.exclude_same_team,
        allow_rematch=allow_rematch,
        previous_pairs=previous,
    )
    proposal = propose_round(profiles, rules)
    round_ = MatchRound(
        community_id=community_id,
        dry_run=dry_run,
        allow_rematch=allow_rematch,
        created_at=now,
        created_by_member_id=created_by,
        summary={
            "average_score": proposal.average_score,
            "candidate_edges": proposal.candidate_edges,
            "certificate": proposal.certificate.as_dict() if proposal.certificate else None,
            "unmatched": [{"member_id": u.member_id, "cause": u.cause, "reason": u.reason} for u in proposal.unmatched],
            "skipped": [{"member_id": u.member_id, "cause": u.cause, "reason": u.reason} for u in proposal.skipped],
            "demand_gaps": [
                {"topic": g.topic, "wanting": g.mentees_wanting, "offering": g.mentors_offering, "free": g.free_slots}
                for g in proposal.demand_gaps
            ],
        },
    )
    session.add(round_)
    await session.flush()
    for position, pair in enumerate(proposal.pairs, start=1):
        session.add(
            ProposedPair(
                round_id=round_.id,  # type: ignore[arg-type]
                position=position,
                mentee_member_id=pair.mentee_id,
                mentor_member_id=pair.mentor_id,
                score=pair.score,
                reasons=[{"criterion": r.criterion, "points": r.points, "text": r.text} for r in pair.reasons],
            )
        )
    await session.flush()
    return round_


async def _names(session: AsyncSession, member_ids: set[int]) -> dict[int, Member]:
    if not member_ids:
        return {}
    rows = (await session.execute(select(Member).where(Member.id.in_(member_ids)))).scalars()  # type: ignore[union-attr]
    return {m.id: m for m in rows}  # type: ignore[misc]


def _top_reasons(reasons: list[dict[str, Any]], n: int = 3) -> list[str]:
    ranked = sorted((r for r in reasons if r.get("points", 0) > 0), key=lambda r: -r["points"])
    return [r["text"] for r in ranked[:n]]


async def render_proposal(session: AsyncSession, round_: MatchRound) -> Message:
    pairs = (
        await session.execute(
            select(ProposedPair).where(ProposedPair.round_id == round_.id).order_by(ProposedPair.position)
        )
    ).scalars().all()
    kept = [p for p in pairs if not p.dropped]
    unmatched = round_.summary.get("unmatched", [])
    members = await _names(
        session,
        {p.mentee_member_id for p in pairs} | {p.mentor_member_id for p in pairs} | {u["member_id"] for u in unmatched},
    )

    def name(member_id: int) -> UserText:
        member = members.get(member_id)
        return UserText(member.display_name if member else f"member {member_id}")

    average = sum(p.score for p in kept) / len(kept) if kept else 0.0
    title = "Matching round" + (" (dry run — nobody will be introduced)" if round_.dry_run else "")
    state = {
        RoundStatus.PROPOSED.value: "waiting for approval",
        RoundStatus.APPROVED.value: "approved",
        RoundStatus.DISCARDED.value: "discarded",
    }[round_.status]
    parts: list[msg.Part] = [
        msg.text(msg.Strong(title), f" #{round_.id} — {state}"),
        msg.text(
            f"{len(kept)} pair{'s' if len(kept) != 1 else ''}, average fit {average:.0f}/100; "
            f"{len(unmatched)} mentee{'s' if len(unmatched) != 1 else ''} without a mentor this round."
        ),
    ]
    for pair in kept[:SHOW_PAIRS]:
        spans: list[msg.Span] = [f"{pair.position}. ", name(pair.mentee_member_id), " ← ", name(pair.mentor_member_id)]
        spans.append(f" (fit {pair.score:.0f})")
        why = _top_reasons(pair.reasons)
        if why:
            spans.extend([": ", UserText("; ".join(why))])
        parts.append(msg.Text(tuple(spans)))
    if len(kept) > SHOW_PAIRS:
        parts.append(msg.text(f"… and {len(kept) - SHOW_PAIRS} more pairs (/mentor match show lists them all)."))
    dropped = [p.position for p in pairs if p.dropped]
    if dropped:
        parts.append(msg.text(f"Dropped: {', '.join(map(str, dropped))}."))
    if unmatched:
        parts.append(msg.text(msg.Strong("Unmatched mentees")))
        for u in unmatched[:SHOW_PAIRS]:
            parts.append(msg.text("• ", name(u["member_id"]), ": ", UserText(u["reason"])))
        if len(unmatched) > SHOW_PAIRS:
            parts.append(msg.text(f"… and {len(unmatched) - SHOW_PAIRS} more; they keep priority next round."))
    gaps = round_.summary.get("demand_gaps", [])
    if gaps:
        worst = ", ".join(
            f"{g['topic']} ({g['wanting']} want, {g['free']} free mentor slot{'s' if g['free'] != 1 else ''})"
            for g in gaps[:5]
        )
        parts.append(msg.text("Demand exceeds supply: ", UserText(worst), ". Recruit mentors for these topics."))
    if round_.status == RoundStatus.PROPOSED.value:
        if round_.dry_run:
            parts.append(msg.text("Dry run: run /mentor match (without --dry-run) to make a round you can approve."))
        else:
            parts.append(
                msg.text(
                    f"Review, then approve. Change it with /mentor match drop <n>, /mentor match swap <n> <m>, "
                    f"or recompute."
                )
            )
            rid = str(round_.id)
            parts.extend(
                [
                    Button("Approve and introduce", str(ComponentId("round", rid, "approve")), ButtonStyle.PRIMARY),
                    Button("Recompute", str(ComponentId("round", rid, "recompute"))),
                    Button("Discard", str(ComponentId("round", rid, "discard")), ButtonStyle.DANGER),
                ]
            )
    return Message(tuple(parts))


# --- commands ------------------------------------------------------------------------

MATCH_SPEC = {"dry-run": Arity.FLAG, "every": Arity.ONE, "rematch": Arity.FLAG, "stop": Arity.FLAG}


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
        schedule = await _schedule(ctx.session, ctx.community_id)
        if schedule is None:
            return [msg.message("There is no scheduled round to stop.")]
        await ctx.session.delete(schedule)
        return [msg.message("Scheduled rounds are stopped. Run /mentor match whenever you want a round.")]
    every = parsed.one("every")
    if every is not None:
        period = parse_duration(every)
        if period < timedelta(days=1):
            raise ParseError("Rounds can repeat at most once a day; try --every 2w or --every 4w.")
        schedule = await _schedule(ctx.session, ctx.community_id)
        if schedule is None:
            schedule = RoundSchedule(community_id=ctx.community_id, every_days=period.days, next_run_at=ctx.now + period)
        schedule.every_days, schedule.next_run_at = period.days, ctx.now + period
        schedule.created_by_member_id = ctx.member_id
        ctx.session.add(schedule)
        policy = round_policy(ctx)
        how = "approved automatically (auto_approve)" if policy.auto_approve else "waiting for a moderator's approval"
        replies.append(
            msg.message(
                f"A new round will be computed every {period.days} days, next {format_when(schedule.next_run_at, ctx.tz)}, "
                f"{how}. Stop with /mentor match --stop."
            )
        )
    round_ = await compute_round(
        ctx.session,
        ctx.community_id,
        ctx.now,
        round_policy(ctx),
        created_by=ctx.member_id,
        dry_run=parsed.flag("dry-run"),
        allow_rematch=parsed.flag("rematch"),
    )
    replies.insert(0, await render_proposal(ctx.session, round_))
    return replies


async def _schedule(session: AsyncSession, community_id: int) -> RoundSchedule | None:
    return (
        await session.execute(select(RoundSchedule).where(RoundSchedule.community_id == community_id))
    ).scalar_one_or_none()


async def _current_round(ctx: Ctx, round_id: int | None = None) -> MatchRound:
    query = select(MatchRound).where(MatchRound.community_id == ctx.community_id)
    query = query.where(MatchRound.id == round_id) if round_id else query.order_by(MatchRound.id.desc()).limit(1)  # type: ignore[union-attr]
    round_ = (await ctx.session.execute(query)).scalar_one_or_none()
    if round_ is None:
        raise NotFound("There is no matching round here yet. Run /mentor match to compute one.")
    return round_


def _open(round_: MatchRound) -> None:
    if round_.status == RoundStatus.APPROVED.value:
        raise InvalidInput(f"Round #{round_.id} is already approved; its introductions are out.")
    if round_.status == RoundStatus.DISCARDED.value:
        raise InvalidInput(f"Round #{round_.id} was discarded. Run /mentor match for a fresh one.")
    if round_.dry_run:
        raise InvalidInput(f"Round #{round_.id} is a dry run. Run /mentor match (without --dry-run) to make a real round.")


async def show_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("see matching rounds")
    round_ = await _current_round(ctx)
    message = await render_proposal(ctx.session, round_)
    pairs = (
        await ctx.session.execute(
            select(ProposedPair).where(ProposedPair.round_id == round_.id, ProposedPair.dropped == False)  # noqa: E712
            .order_by(ProposedPair.position)
        )
    ).scalars().all()
    if len(pairs) <= SHOW_PAIRS:
        return [message]
    members = await _names(ctx.session, {p.mentee_member_id for p in pairs} | {p.mentor_member_id for p in pairs})
    lines = [
        msg.text(f"{p.position}. ", UserText(members[p.mentee_member_id].display_name), " ← ",
                 UserText(members[p.mentor_member_id].display_name), f" (fit {p.score:.0f})")
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
    _open(round_)
    pair = await _pair_at(ctx.session, round_, _position(args[0]))
    pair.dropped = True
    ctx.session.add(pair)
    await ctx.session.flush()
    return [msg.message(f"Pair {pair.position} is dropped; nobody in it will be introduced this round."), await render_proposal(ctx.session, round_)]


async def _pair_at(session: AsyncSession, round_: MatchRound, position: int) -> ProposedPair:
    pair = (
        await session.execute(
            select(ProposedPair).where(ProposedPair.round_id == round_.id, ProposedPair.position == position)
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
    _open(round_)
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
    return [msg.message(f"Swapped the mentors of pairs {first.position} and {second.position}."), await render_proposal(ctx.session, round_)]


async def approve_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("approve a matching round")
    round_ = await _current_round(ctx, int(args[0].lstrip("#")) if args and args[0].lstrip("#").isdigit() else None)
    return await _approve_and_reply(ctx, round_)


async def recompute_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("recompute a matching round")
    return await _recompute(ctx, await _current_round(ctx))


async def discard_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("discard a matching round")
    return _discard(ctx, await _current_round(ctx))


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
    raise InvalidInput("That round button is not valid any more.")


async def _recompute(ctx: Ctx, previous: MatchRound) -> list[Message]:
    """A fresh proposal with the same options (the old one is discarded by compute_round)."""
    round_ = await compute_round(
        ctx.session, ctx.community_id, ctx.now, round_policy(ctx), created_by=ctx.member_id,
        dry_run=previous.dry_run, allow_rematch=previous.allow_rematch,
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
    created = await approve_round(
        ctx.session, round_, ctx.now, round_policy(ctx), approved_by=ctx.member_id, program=getattr(ctx, "program", None)
    )
    if created is None:
        return [msg.message(f"Round #{round_.id} was just approved by someone else; nobody is introduced twice.")]
    return [msg.message(f"Round #{round_.id} approved: {created} introduction{'s' if created != 1 else ''} on the way.")]


# --- approval and introductions ----------------------------------------------------


async def approve_round(
    session: AsyncSession,
    round_: MatchRound,
    now: datetime,
    policy: RoundPolicy,
    *,
    approved_by: int | None,
    program: Any = None,
) -> int | None:
    """Create the pairings and queue their introductions. None when another click won the race."""
    won = await session.execute(
        update(MatchRound)
        .where(MatchRound.id == round_.id, MatchRound.status == RoundStatus.PROPOSED.value)
        .values(status=RoundStatus.APPROVED.value, approved_at=now, approved_by_member_id=approved_by)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        return None
    await session.refresh(round_)
    community = await session.get(Community, round_.community_id)
    assert community is not None and community.id is not None
    outbox = Outbox(session, community.id, now)
    pairs = (
        await session.execute(
            select(ProposedPair).where(ProposedPair.round_id == round_.id, ProposedPair.dropped == False)  # noqa: E712
            .order_by(ProposedPair.position)
        )
    ).scalars().all()
    profiles = {
        p.member_id: p
        for p in (
            await session.execute(select(Profile).where(Profile.community_id == community.id))
        ).scalars()
    }
    members = await _names(session, {p.mentee_member_id for p in pairs} | {p.mentor_member_id for p in pairs})
    created = 0
    for pair in pairs:
        mentee, mentor = profiles.get(pair.mentee_member_id), profiles.get(pair.mentor_member_id)
        if mentee is None or mentor is None or ProfileStatus.LEFT.value in (mentee.status, mentor.status):
            continue  # someone left between proposal and approval
        length = mentee.program_length if mentee.program_length in MONTHS else "3-6"
        pairing = Pairing(
            community_id=community.id,
            round_id=round_.id,  # type: ignore[arg-type]
            mentee_member_id=pair.mentee_member_id,
            mentor_member_id=pair.mentor_member_id,
            score=pair.score,
            reasons=pair.reasons,
            cadence=mentee.cadence if mentee.cadence in CADENCES else "biweekly",
            communication=mentee.communication if mentee.communication in COMMUNICATION_MODES else "video",
            program_length=length,
            ends_on=now + timedelta(days=30 * MONTHS[length]),
            started_at=now,
            kickoff_due_at=now + timedelta(days=policy.kickoff_reminder_days),
            midpoint_at=now + timedelta(days=15 * MONTHS[length]),
        )
        session.add(pairing)
        await session.flush()
        await start_plans(session, pairing, now)
        for profile in (mentee, mentor):
            profile.status = ProfileStatus.ACTIVE.value
            profile.updated_at = now
            session.add(profile)
        mentee.waiting_since = None
        mentee.times_unmatched = 0
        await introduce(outbox, pairing, members[pair.mentee_member_id], members[pair.mentor_member_id], community, policy)
        # Mentees get the mentee resources, mentors the mentor guide, ready for the kick-off.
        await send_milestone(session, outbox, pairing, "kickoff", program)
        created += 1
    for u in round_.summary.get("unmatched", []):
        profile = profiles.get(u["member_id"])
        if profile is not None and profile.status == ProfileStatus.WAITING.value:
            profile.times_unmatched += 1  # priority next round
            session.add(profile)
    return created


async def introduce(
    outbox: Outbox, pairing: Pairing, mentee: Member, mentor: Member, community: Community, policy: RoundPolicy
) -> None:
    """One group introduction per pairing (idempotent by its outbox key)."""
    pid = str(pairing.id)
    why = [r["text"] for r in sorted(pairing.reasons, key=lambda r: -r.get("points", 0)) if r.get("points", 0) > 0][:4]
    parts: list[msg.Part] = [
        msg.text(
            "Hello ",
            Mention(mentee.platform_user_id, mentee.display_name),
            " and ",
            Mention(mentor.platform_user_id, mentor.display_name),
            "! You are matched in the ",
            UserText(policy.program_name),
            ": ",
            UserText(mentor.display_name),
            " will mentor ",
            UserText(mentee.display_name),
            ".",
        ),
    ]
    if why:
        parts.append(msg.text(msg.Strong("Why you two: "), UserText("; ".join(why)), "."))
    parts.append(
        msg.text(
            msg.Strong("Partnership policy to agree: "),
            f"meet {CADENCE_WORDS.get(pairing.cadence, pairing.cadence)} by {MODE_WORDS.get(pairing.communication, pairing.communication)}, "
            f"until {format_when(pairing.ends_on, community.timezone).split(',')[0]} "
            f"({pairing.program_length.replace('-', '–')} months). Confirm it, or say what you'd change.",
        )
    )
    parts.append(
        msg.text(
            msg.Strong("First step: "),
            "book a 30-minute kick-off this week, then agree on a first shared goal and record it with "
            '/mentor goal set "…".',
        )
    )
    parts.extend(
        [
            Button("Confirm the policy", str(ComponentId("pair", pid, "confirm")), ButtonStyle.PRIMARY),
            Button("Propose changes", str(ComponentId("pair", pid, "change"))),
            Button("We've had our kick-off", str(ComponentId("pair", pid, "kickoff"))),
        ]
    )
    await outbox.post(
        Destination.group_dm([mentee.platform_user_id, mentor.platform_user_id]),
        Message(tuple(parts)),
        dedupe_key=f"intro:{pairing.id}",
    )


# --- the pair's buttons -----------------------------------------------------------------


async def _pairing_for(ctx: Ctx, key: str) -> Pairing:
    if not key.isdigit():
        raise InvalidInput("That button is not valid any more.")
    pairing = (
        await ctx.session.execute(
            select(Pairing).where(Pairing.id == int(key), Pairing.community_id == ctx.community_id)
        )
    ).scalar_one_or_none()
    if pairing is None:
        raise NotFound("I can't find that mentorship any more.")
    if ctx.member_id not in (pairing.mentee_member_id, pairing.mentor_member_id):
        raise InvalidInput("That button belongs to someone else's introduction.")
    return pairing


async def on_pair_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    pairing = await _pairing_for(ctx, cid.key)
    if pairing.status != PairingStatus.ACTIVE.value:
        return [msg.message("This mentorship has ended, so there is nothing to change here.")]
    members = await _names(ctx.session, {pairing.mentee_member_id, pairing.mentor_member_id})
    group = Destination.group_dm(
        [members[pairing.mentee_member_id].platform_user_id, members[pairing.mentor_member_id].platform_user_id]
    )
    if cid.verb == "confirm":
        if ctx.member_id in pairing.policy_confirmed_by:
            return [msg.message("You already confirmed the partnership policy.")]
        pairing.policy_confirmed_by = [*pairing.policy_confirmed_by, ctx.member_id]
        ctx.session.add(pairing)
        if len(set(pairing.policy_confirmed_by)) == 2:
            await ctx.outbox.post(
                group,
                msg.message("You both confirmed the partnership policy. Enjoy your mentorship!"),
                dedupe_key=f"pair:{pairing.id}:policy-agreed",
            )
            return [msg.message("Confirmed — you both agree now.")]
        return [msg.message("Confirmed. I'll let you both know when your partner confirms too.")]
    if cid.verb == "change":
        return [
            msg.message(
                "Tell your partner in this conversation what you'd change (how often, how, or until when). "
                "Once you agree, confirm the policy; a moderator can record changes with /mentor pair "
                f"{pairing.id} note \"…\"."
            )
        ]
    if cid.verb == "kickoff":
        if pairing.kickoff_at is not None:
            return [msg.message(f"Your kick-off is already recorded ({format_when(pairing.kickoff_at, ctx.tz)}).")]
        pairing.kickoff_at = ctx.now
        pairing.kickoff_due_at = None
        ctx.session.add(pairing)
        await ctx.outbox.post(
            group,
            msg.message(
                msg.text(UserText(ctx.member.display_name), " recorded your kick-off. Great start — I'll check in with you both now and then.")
            ),
            dedupe_key=f"pair:{pairing.id}:kickoff",
        )
        return [msg.message("Kick-off recorded. Thank you!")]
    raise InvalidInput("That button is not valid any more.")


# --- sweeps: kick-off reminders and scheduled rounds --------------------------------------


async def remind_kickoffs(session: AsyncSession, now: datetime, settings: Any, policy: RoundPolicy | None = None) -> int:
    """No kick-off after the configured days: remind the pair twice, then tell the moderators."""
    policy = policy or RoundPolicy()
    due = (
        await session.execute(
            select(Pairing)
            .where(
                Pairing.status == PairingStatus.ACTIVE.value,
                Pairing.kickoff_at.is_(None),  # type: ignore[union-attr]
                Pairing.kickoff_due_at <= now,
            )
            .order_by(Pairing.kickoff_due_at)
            .limit(200)
            .with_for_update(skip_locked=True)
        )
    ).scalars().all()
    for pairing in due:
        community = await session.get(Community, pairing.community_id)
        assert community is not None and community.id is not None
        outbox = Outbox(session, community.id, now)
        members = await _names(session, {pairing.mentee_member_id, pairing.mentor_member_id})
        mentee, mentor = members[pairing.mentee_member_id], members[pairing.mentor_member_id]
        step = pairing.kickoff_reminders_sent + 1
        if step <= 2:
            await outbox.post(
                Destination.group_dm([mentee.platform_user_id, mentor.platform_user_id]),
                Message(
                    (
                        msg.text(
                            "A friendly nudge: have you had your kick-off yet? "
                            + ("" if step == 1 else "It is the second reminder. ")
                            + "Book 30 minutes this week — ",
                            UserText(mentor.display_name),
                            ", as the mentor, could you propose a time?",
                        ),
                        Button("We've had our kick-off", str(ComponentId("pair", str(pairing.id), "kickoff"))),
                    )
                ),
                dedupe_key=f"pair:{pairing.id}:kickoff-reminder:{step}",
            )
            pairing.kickoff_due_at = now + timedelta(days=policy.kickoff_reminder_days)
        else:
            # Two reminders and still nothing: an at-risk signal for the moderators (reported once).
            pairing.kickoff_reminders_sent = step
            await report_if_at_risk(session, pairing, now)
            pairing.kickoff_due_at = None
        pairing.kickoff_reminders_sent = step
        session.add(pairing)
    return len(due)


async def next_kickoff_due(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(Pairing.kickoff_due_at)).where(
                Pairing.status == PairingStatus.ACTIVE.value, Pairing.kickoff_at.is_(None)  # type: ignore[union-attr]
            )
        )
    ).scalar_one_or_none()


async def run_scheduled_rounds(
    session: AsyncSession, now: datetime, settings: Any, policy: RoundPolicy | None = None, program: Any = None
) -> int:
    policy = policy or RoundPolicy()
    schedules = (
        await session.execute(
            select(RoundSchedule).where(RoundSchedule.next_run_at <= now).with_for_update(skip_locked=True)
        )
    ).scalars().all()
    for schedule in schedules:
        community = await session.get(Community, schedule.community_id)
        assert community is not None and community.id is not None
        round_ = await compute_round(session, community.id, now, policy, created_by=schedule.created_by_member_id)
        outbox = Outbox(session, community.id, now)
        if policy.auto_approve:
            await approve_round(session, round_, now, policy, approved_by=None, program=program)
        proposal = await render_proposal(session, round_)
        for destination in await moderator_destinations(session, community):
            await outbox.post(destination, proposal, dedupe_key=f"round:{round_.id}:posted:{destination.target}")
        while schedule.next_run_at <= now:  # after downtime, run once and move on, no burst
            schedule.next_run_at += timedelta(days=schedule.every_days)
        session.add(schedule)
    return len(schedules)


async def next_scheduled_round(session: AsyncSession) -> datetime | None:
    return (await session.execute(select(func.min(RoundSchedule.next_run_at)))).scalar_one_or_none()


def commands() -> list[Command]:
    return [
        Command("match", "match [--dry-run] [--every 4w] [--rematch] [--stop]",
                "compute a matching round to review (never introduces until approved)", match_command, moderator_only=True),
        Command("match approve", "match approve", "approve the current round and send the introductions", approve_command, moderator_only=True),
        Command("match drop", "match drop <n>", "drop pair n from the current proposal", drop_command, moderator_only=True),
        Command("match swap", "match swap <n> <m>", "swap the mentors of pairs n and m", swap_command, moderator_only=True),
        Command("match recompute", "match recompute", "compute the current round again", recompute_command, moderator_only=True),
        Command("match discard", "match discard", "throw the current proposal away", discard_command, moderator_only=True),
        Command("match show", "match show", "show the current round with every pair", show_command, moderator_only=True),
    ]


def components() -> list[ComponentRoute]:
    return [ComponentRoute("round", on_round_component), ComponentRoute("pair", on_pair_component)]


__all__ = ["commands", "components", "remind_kickoffs", "run_scheduled_rounds"]
