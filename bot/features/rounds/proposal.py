"""Matching rounds, step one: the proposal a moderator reviews.

`compute_round` turns stored profiles into `MatchProfile`s, asks the pure engine
(`bot.features.matching`) for the best set of pairs and stores the proposal;
`render_proposal` shows it: pairs with reasons, unmatched mentees with what to
do, topics short of mentors. What the program file says about rounds is read
once into a `RoundPolicy`. Reviewing is in `review`, approving and introducing in
`introductions`, rounds on a schedule in `schedule`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import metrics
from bot.core.heavy import Prep
from bot.core.program import MatchWeights
from bot.features.matching import MatchingRules, MatchProfile, RoundProposal, build_shortlists, propose_round
from bot.features.matching import Role as MatchRole
from bot.features.matching.profiles import (
    CADENCES,
    COMMUNICATION_MODES,
    PROGRAM_LENGTHS,
    ScoreWeights,
    utc_offset_hours,
)
from bot.features.rounds.blocks import blocked_partners, blocks_among, normalise_team, team_groups
from bot.features.rounds.proposal_view import render_proposal
from bot.features.rounds.storing import (
    RoundOptions,
    StoredRound,
    discard_open,
    new_round,
    store_from_worker,
    store_in_unit,
)
from storage.db import Database

if TYPE_CHECKING:  # the shortlist module loads the solver; only its type is needed here
    from bot.features.matching import Shortlists

from storage.tables import (
    MatchRound,
    Pairing,
    PairingStatus,
    Profile,
    ProfileStatus,
    RoundStatus,
)


@dataclass(frozen=True)
class RoundPolicy:
    """What the program file says about rounds (defaults when it is silent)."""

    program_name: str = "mentorship program"
    kickoff_reminder_days: int = 7
    auto_approve: bool = False
    rules: MatchingRules = MatchingRules()
    approval_reminder_days: tuple[int, ...] = (2, 5)  # after computing, remind the moderators then
    mode: str = "assign"  # "choice": mentees pick from shortlists (see `choice`)
    choice_margin: int = 1
    choice_days: int = 7
    silence_accepts: bool = False


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
        approval_reminder_days=tuple(getattr(program, "approval_reminder_days", (2, 5))),
        mode=str(getattr(program, "mode", "assign")),
        choice_margin=int(getattr(program, "choice_margin", 1)),
        choice_days=int(getattr(program, "choice_days", 7)),
        silence_accepts=bool(getattr(program, "silence_accepts", False)),
    )


def _weights(weights: Any) -> ScoreWeights:
    """The program file's weights (a core `MatchWeights`) as the engine's `ScoreWeights`;
    criteria the file leaves out keep the engine's defaults."""
    if isinstance(weights, ScoreWeights):
        return weights
    if isinstance(weights, MatchWeights):
        return ScoreWeights(**weights.given())
    return ScoreWeights()


# --- from storage to the engine ------------------------------------------------


async def load_match_profiles(
    session: AsyncSession, community_id: int, now: datetime
) -> tuple[list[MatchProfile], frozenset[tuple[int, int]]]:
    """Profiles that may be matched now, and every pair that was ever matched."""
    profiles = (
        (
            await session.execute(
                select(Profile).where(
                    col(Profile.community_id) == community_id,
                    col(Profile.status).in_([ProfileStatus.WAITING.value, ProfileStatus.ACTIVE.value]),
                    # Finished members are matched again only once they said yes to another round.
                    col(Profile.next_round).not_in(["asked", "no"]),
                )
            )
        )
        .scalars()
        .all()
    )
    active = (
        await session.execute(
            select(col(Pairing.mentee_member_id), col(Pairing.mentor_member_id)).where(
                col(Pairing.community_id) == community_id, col(Pairing.status) == PairingStatus.ACTIVE.value
            )
        )
    ).all()
    mentees_of: Counter[int] = Counter(mentor for _, mentor in active)
    being_mentored = {mentee for mentee, _ in active}
    history = (
        await session.execute(
            select(col(Pairing.mentee_member_id), col(Pairing.mentor_member_id)).where(
                col(Pairing.community_id) == community_id
            )
        )
    ).all()
    previous = frozenset((a, b) for a, b in history) | frozenset((b, a) for a, b in history)
    blocked = await blocked_partners(session, community_id)
    result: list[MatchProfile] = []
    for p in profiles:
        role = MatchRole(p.role)
        if p.member_id in being_mentored:
            if role is MatchRole.MENTEE:
                continue  # already has a mentor
            role = MatchRole.MENTOR if role is MatchRole.BOTH else role
        result.append(to_match_profile(p, role, mentees_of[p.member_id], now, frozenset(blocked.get(p.member_id, ()))))
    return result, previous


def to_match_profile(
    p: Profile, role: MatchRole, active_mentees: int, now: datetime, blocked: frozenset[int] = frozenset()
) -> MatchProfile:
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
        team=normalise_team(p.team) or None,  # "Acme Corp" and "ACME corp." are one team
        do_not_match=frozenset(int(x) for x in p.do_not_match) | blocked,
        days_waiting=max(0, waited),
        times_left_unmatched=p.times_unmatched,
    )


# --- computing a proposal -------------------------------------------------------


@dataclass(frozen=True)
class SolvedRound:
    """The engine's answer for one round, before anything is stored."""

    pool: frozenset[int]  # the member ids whose profiles the engine saw
    proposal: RoundProposal
    shortlists: Shortlists | None = None  # a choice round's, built from the same solve


def _solve(profiles: list[MatchProfile], rules: MatchingRules, choice_margin: int | None) -> SolvedRound:
    pool = frozenset(p.member_id for p in profiles)
    if choice_margin is None:
        return SolvedRound(pool, propose_round(profiles, rules))
    shortlists = build_shortlists(profiles, rules, margin=choice_margin)
    return SolvedRound(pool, shortlists.proposal, shortlists)


async def _solve_stored(
    session: AsyncSession, community_id: int, now: datetime, policy: RoundPolicy, options: RoundOptions
) -> tuple[SolvedRound, dict[str, Any]]:
    """Load, solve, and what kept people apart: everything a round needs before it is stored."""
    profiles, previous = await load_match_profiles(session, community_id, now)
    margin = policy.choice_margin if options.choice else None
    solved = _solve(profiles, _round_rules(policy.rules, options.allow_rematch, previous), margin)
    exclusions = await _exclusions(session, community_id, set(solved.pool), policy.rules.exclude_same_team)
    return solved, exclusions


async def solve_and_store_job(
    db: Database, community_id: int, now: datetime, policy: RoundPolicy, options: RoundOptions
) -> StoredRound:
    """Runs in the worker: read and solve in one read transaction, then store in small ones
    (`storing.store_from_worker`); the handler's unit of work only publishes the round."""
    async with db.unit() as session:
        solved, exclusions = await _solve_stored(session, community_id, now, policy, options)
    round_ = new_round(
        community_id, now, solved.proposal, exclusions, options, policy.approval_reminder_days, created_by=None
    )
    stored = await store_from_worker(db, round_, solved.proposal, solved.shortlists, options)
    round_.status = stored.status  # as the moderator will see it once published (not written here)
    async with db.unit() as session:
        message = await render_proposal(session, round_)
    return replace(stored, message=message)


def wants_choice(policy: RoundPolicy, args: Sequence[str]) -> bool:
    """`--choice`/`--assign` override the program file's mode for one round."""
    return "--choice" in args or (policy.mode == "choice" and "--assign" not in args)


async def prepare_round(prep: Prep) -> StoredRound | None:
    """`/mentor match` in a large community: load, solve and store off the event loop."""
    if "--stop" in prep.args:
        return None
    with metrics.MATCHING_ROUND_DURATION.time():
        policy = round_policy(prep.program)
        options = RoundOptions(
            dry_run="--dry-run" in prep.args,
            allow_rematch="--rematch" in prep.args,
            choice=wants_choice(policy, prep.args),
        )
        result: StoredRound = await prep.run_with_database(
            solve_and_store_job, prep.community_id, prep.now, policy, options
        )
    return result


async def prepare_recompute(prep: Prep) -> StoredRound | None:
    """`/mentor match recompute` or a proposal's Recompute button in a large community: the
    same options as the round it replaces, solved and stored off the event loop."""
    if prep.component is not None and (prep.component.verb != "recompute" or not prep.component.key.isdigit()):
        return None  # the round's other buttons are quick
    round_id = int(prep.component.key) if prep.component is not None else None
    async with prep.db.unit() as session:
        query = select(MatchRound).where(
            col(MatchRound.community_id) == prep.community_id, col(MatchRound.status) != RoundStatus.STORING.value
        )
        query = query.where(col(MatchRound.id) == round_id) if round_id else query.order_by(col(MatchRound.id).desc())
        previous = (await session.execute(query.limit(1))).scalar_one_or_none()
    if previous is None or previous.status != RoundStatus.PROPOSED.value:
        return None  # the handler says why not
    options = RoundOptions(previous.dry_run, previous.allow_rematch, previous.mode == "choice")
    with metrics.MATCHING_ROUND_DURATION.time():
        result: StoredRound = await prep.run_with_database(
            solve_and_store_job, prep.community_id, prep.now, round_policy(prep.program), options
        )
    return result


def _round_rules(rules: MatchingRules, allow_rematch: bool, previous: frozenset[tuple[int, int]]) -> MatchingRules:
    return MatchingRules(
        weights=rules.weights,
        max_timezone_difference_hours=rules.max_timezone_difference_hours,
        exclude_same_team=rules.exclude_same_team,
        allow_rematch=allow_rematch,
        previous_pairs=previous,
    )


async def compute_round(
    session: AsyncSession,
    community_id: int,
    now: datetime,
    policy: RoundPolicy,
    *,
    created_by: int | None,
    dry_run: bool = False,
    allow_rematch: bool = False,
    choice: bool = False,
) -> MatchRound:
    """Solve and store the round's proposal here; older open proposals are discarded. (A large
    community's round was solved and stored by the worker instead: `prepare_round`, `publish`.)

    A `choice` round also stores every mentee's shortlist (`ChoiceOffer`); its proposed
    pairs are the optimum the shortlists start from.
    """
    options = RoundOptions(dry_run=dry_run, allow_rematch=allow_rematch, choice=choice)
    await discard_open(session, community_id)
    with metrics.MATCHING_ROUND_DURATION.time():
        solved, exclusions = await _solve_stored(session, community_id, now, policy, options)
    round_ = new_round(
        community_id, now, solved.proposal, exclusions, options, policy.approval_reminder_days, created_by
    )
    return await store_in_unit(session, round_, solved.proposal, solved.shortlists)


async def _exclusions(session: AsyncSession, community_id: int, pool: set[int], same_team: bool) -> dict[str, Any]:
    """What kept people apart this round, for the moderators: teams as grouped, blocked pairs."""
    teams = {
        member_id: team
        for member_id, team in (
            await session.execute(
                select(col(Profile.member_id), col(Profile.team)).where(
                    col(Profile.community_id) == community_id, col(Profile.team) != ""
                )
            )
        ).all()
        if member_id in pool
    }
    return {
        "teams": team_groups(teams) if same_team else [],
        "blocked": await blocks_among(session, community_id, pool),
    }
