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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core import metrics
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.program import MatchWeights
from bot.core.router import ComponentId
from bot.features.matching import MatchingRules, MatchProfile, build_shortlists, propose_round
from bot.features.matching import Role as MatchRole
from bot.features.matching.profiles import (
    CADENCES,
    COMMUNICATION_MODES,
    PROGRAM_LENGTHS,
    ScoreWeights,
    utc_offset_hours,
)
from bot.features.rounds.blocks import blocked_partners, blocks_among, normalise_team, team_groups
from storage.tables import (
    ChoiceOffer,
    MatchRound,
    Member,
    Pairing,
    PairingStatus,
    Profile,
    ProfileStatus,
    ProposedPair,
    RoundStatus,
)

SHOW_PAIRS = 15  # pairs listed in a proposal message; the rest are summarised


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
    choice: bool = False,
) -> MatchRound:
    """Run the engine and store its proposal; older open proposals are discarded.

    A `choice` round also stores every mentee's shortlist (`ChoiceOffer`); its proposed
    pairs are the optimum the shortlists start from.
    """
    await session.execute(
        update(MatchRound)
        .where(col(MatchRound.community_id) == community_id, col(MatchRound.status) == RoundStatus.PROPOSED.value)
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
    shortlists = None
    with metrics.MATCHING_ROUND_DURATION.time():
        if choice:
            shortlists = build_shortlists(profiles, rules, margin=policy.choice_margin)
            proposal = shortlists.proposal
        else:
            proposal = propose_round(profiles, rules)
    exclusions = await _exclusions(
        session, community_id, {p.member_id for p in profiles}, policy.rules.exclude_same_team
    )
    round_ = MatchRound(
        community_id=community_id,
        dry_run=dry_run,
        allow_rematch=allow_rematch,
        mode="choice" if choice else "assign",
        created_at=now,
        created_by_member_id=created_by,
        summary={
            "average_score": proposal.average_score,
            "candidate_edges": proposal.candidate_edges,
            "certificate": proposal.certificate.as_dict() if proposal.certificate else None,
            "unmatched": [{"member_id": u.member_id, "cause": u.cause, "reason": u.reason} for u in proposal.unmatched],
            "skipped": [{"member_id": u.member_id, "cause": u.cause, "reason": u.reason} for u in proposal.skipped],
            **exclusions,
            "demand_gaps": [
                {"topic": g.topic, "wanting": g.mentees_wanting, "offering": g.mentors_offering, "free": g.free_slots}
                for g in proposal.demand_gaps
            ],
        },
    )
    if not proposal.pairs and not dry_run:
        round_.status = RoundStatus.DISCARDED.value  # nothing to approve: the proposal asks nothing
    elif not dry_run and policy.approval_reminder_days:
        round_.remind_at = now + timedelta(days=policy.approval_reminder_days[0])
    session.add(round_)
    await session.flush()
    for position, pair in enumerate(proposal.pairs, start=1):
        assert round_.id is not None
        session.add(
            ProposedPair(
                round_id=round_.id,
                position=position,
                mentee_member_id=pair.mentee_id,
                mentor_member_id=pair.mentor_id,
                score=pair.score,
                reasons=reason_rows(pair.reasons),
            )
        )
    for shortlist in shortlists.lists if shortlists else ():
        for rank, entry in enumerate(shortlist.entries, start=1):
            session.add(
                ChoiceOffer(
                    round_id=round_.id,  # type: ignore[arg-type]
                    mentee_member_id=shortlist.mentee_id,
                    mentor_member_id=entry.mentor_id,
                    rank=rank,
                    optimal=rank == 1 and shortlist.optimal,
                    score=entry.score,
                    reasons=reason_rows(entry.reasons),
                )
            )
    await session.flush()
    return round_


def reason_rows(reasons: Any) -> list[dict[str, Any]]:
    """Reasons as stored (JSON rows)."""
    return [{"criterion": r.criterion, "points": r.points, "text": r.text} for r in reasons]


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


async def members_by_id(session: AsyncSession, member_ids: set[int]) -> dict[int, Member]:
    """The members with these ids (for names and platform ids), in one query."""
    if not member_ids:
        return {}
    rows = (await session.execute(select(Member).where(col(Member.id).in_(member_ids)))).scalars()
    return {m.id: m for m in rows if m.id is not None}  # (never None: a stored key)


def top_reasons(reasons: list[dict[str, Any]], n: int = 3) -> list[str]:
    ranked = sorted((r for r in reasons if r.get("points", 0) > 0), key=lambda r: -r["points"])
    return [r["text"] for r in ranked[:n]]


async def render_proposal(session: AsyncSession, round_: MatchRound) -> Message:
    pairs = (
        (
            await session.execute(
                select(ProposedPair).where(col(ProposedPair.round_id) == round_.id).order_by(col(ProposedPair.position))
            )
        )
        .scalars()
        .all()
    )
    kept = [p for p in pairs if not p.dropped]
    unmatched = round_.summary.get("unmatched", [])
    members = await members_by_id(
        session,
        {p.mentee_member_id for p in pairs}
        | {p.mentor_member_id for p in pairs}
        | {u["member_id"] for u in unmatched}
        | {b[end] for b in round_.summary.get("blocked", []) for end in ("a", "b")},
    )

    def name(member_id: int) -> UserText:
        member = members.get(member_id)
        return UserText(member.display_name if member else f"member {member_id}")

    if not pairs:  # why nobody is paired includes the exclusions (teams, blocks) moderators set
        empty = _nothing_to_approve(round_, len(unmatched), name)
        return Message(empty.parts + tuple(_render_exclusions(round_, name)))
    average = sum(p.score for p in kept) / len(kept) if kept else 0.0
    choice = round_.mode == "choice"
    title = ("Choice round" if choice else "Matching round") + (
        " (dry run — nobody will be introduced)" if round_.dry_run else ""
    )
    state = {
        RoundStatus.CHOOSING.value: "open for choices",
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
    if choice:
        parts.append(await _shortlist_summary(session, round_))
    for pair in kept[:SHOW_PAIRS]:
        spans: list[msg.Span] = [f"{pair.position}. ", name(pair.mentee_member_id), " ← ", name(pair.mentor_member_id)]
        spans.append(f" (fit {pair.score:.0f})")
        why = top_reasons(pair.reasons)
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
    parts.extend(_render_exclusions(round_, name))
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
                    "Review, then approve. Change it with /mentor match drop <n>, /mentor match swap <n> <m>, "
                    "or recompute."
                )
            )
            rid = str(round_.id)
            parts.extend(
                [
                    Button(
                        "Send the shortlists" if choice else "Approve and introduce",
                        str(ComponentId("round", rid, "approve")),
                        ButtonStyle.PRIMARY,
                    ),
                    Button("Recompute", str(ComponentId("round", rid, "recompute"))),
                    Button("Discard", str(ComponentId("round", rid, "discard")), ButtonStyle.DANGER),
                ]
            )
    return Message(tuple(parts))


async def _shortlist_summary(session: AsyncSession, round_: MatchRound) -> msg.Text:
    offers = (
        await session.execute(
            select(col(ChoiceOffer.mentee_member_id), col(ChoiceOffer.mentor_member_id)).where(
                col(ChoiceOffer.round_id) == round_.id
            )
        )
    ).all()
    mentees, mentors = len({a for a, _ in offers}), len({b for _, b in offers})
    return msg.text(
        f"Mentees choose: {msg.plural(mentees, 'mentee')} get a shortlist of up to 3 mentors "
        f"({msg.plural(len(offers), 'suggestion')} over {msg.plural(mentors, 'mentor')}). "
        "The pairs below are the optimum each list starts with; at the deadline whoever has no accepted "
        "pick falls back to the best mentor still free."
    )


def _nothing_to_approve(round_: MatchRound, unmatched: int, name: Any) -> Message:
    """A round without pairs says so and why, and asks the moderators nothing."""
    summary = round_.summary
    title = "Matching round" + (" (dry run)" if round_.dry_run else "")
    parts: list[msg.Part] = [msg.text(msg.Strong(title), f" #{round_.id} — 0 pairs, nothing to approve.")]
    causes = Counter(u.get("cause", "") for u in summary.get("unmatched", []))
    if unmatched == 0:
        parts.append(
            msg.text("Why: no mentee is waiting for a mentor (everyone signed up is paired, paused or a mentor).")
        )
        parts.append(msg.text("Run /mentor match again when new mentees have signed up."))
        return Message(tuple(parts))
    waiting = f"{unmatched} mentee{'s are' if unmatched != 1 else ' is'} waiting, but no available mentor fits"
    parts.append(msg.text(f"Why: {waiting}" + (f" ({_causes(causes)})." if causes else ".")))
    for u in summary.get("unmatched", [])[:5]:
        parts.append(msg.text("• ", name(u["member_id"]), ": ", UserText(u["reason"])))
    gaps = summary.get("demand_gaps", [])
    if gaps:
        topics = ", ".join(g["topic"] for g in gaps[:5])
        parts.append(msg.text("Recruit mentors for: ", UserText(topics), "."))
    if any(u.get("cause") == "excluded" and "pair" in u.get("reason", "") for u in summary.get("unmatched", [])):
        parts.append(msg.text("Mentees who were paired before can be matched again with /mentor match --rematch."))
    return Message(tuple(parts))


_CAUSE_WORDS = {
    "no_topic_supply": "no mentor offers their topic",
    "at_capacity": "the mentors for their topic are full or paused",
    "language": "no common language",
    "timezone": "time zones too far apart",
    "excluded": "the only fitting mentors are excluded",
    "capacity_taken": "mentors taken by better fits",
}


def _causes(causes: Counter[str]) -> str:
    return "; ".join(
        f"{n} because {_CAUSE_WORDS.get(cause, cause.replace('_', ' '))}" for cause, n in causes.most_common(3) if cause
    )


def _render_exclusions(round_: MatchRound, name: Any) -> list[msg.Part]:
    """Proposals go to moderators only, so the reasons of blocks may show here."""
    parts: list[msg.Part] = []
    teams = round_.summary.get("teams", [])
    blocked = round_.summary.get("blocked", [])
    if not teams and not blocked:
        return parts
    parts.append(msg.text(msg.Strong("Exclusions"), " (never paired)"))
    for team in teams:
        parts.append(
            msg.text(
                "• Same team: ", UserText(" / ".join(team["spellings"])), f" ({msg.plural(team['members'], 'member')})"
            )
        )
    for block in blocked:
        why: list[msg.Span] = [" — ", UserText(block["reason"])] if block.get("reason") else []
        parts.append(msg.text("• Blocked: ", name(block["a"]), " & ", name(block["b"]), *why))
    return parts
