"""How a round's proposal reads for moderators: the pairs with their top reasons, the
shortlists of a choice round, who is left unmatched and why, and what kept people apart
(teams as grouped, blocked pairs — moderators only)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.router import ComponentId

if TYPE_CHECKING:  # the shortlist module loads the solver; only its type is needed here
    pass

from storage.tables import (
    ChoiceOffer,
    MatchRound,
    Member,
    ProposedPair,
    RoundStatus,
)

SHOW_PAIRS = 15  # pairs listed in a proposal message; the rest are summarised


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
    """The proposal message. A round of thousands of pairs shows SHOW_PAIRS of them: only those
    pairs and the names shown are loaded (this runs on the event loop, in the unit of work that
    stored the round; loading every pair and every member of a 20k round held the loop)."""
    kept_count, total_score = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(col(ProposedPair.score)), 0.0)).where(
                col(ProposedPair.round_id) == round_.id, col(ProposedPair.dropped).is_(False)
            )
        )
    ).one()
    dropped = list(
        (
            await session.execute(
                select(col(ProposedPair.position))
                .where(col(ProposedPair.round_id) == round_.id, col(ProposedPair.dropped).is_(True))
                .order_by(col(ProposedPair.position))
            )
        ).scalars()
    )
    kept = list(
        (
            await session.execute(
                select(ProposedPair)
                .where(col(ProposedPair.round_id) == round_.id, col(ProposedPair.dropped).is_(False))
                .order_by(col(ProposedPair.position))
                .limit(SHOW_PAIRS)
            )
        ).scalars()
    )
    has_pairs = bool(kept_count or dropped)
    unmatched = round_.summary.get("unmatched", [])
    members = await members_by_id(
        session,
        {p.mentee_member_id for p in kept}
        | {p.mentor_member_id for p in kept}
        | {u["member_id"] for u in unmatched[:SHOW_PAIRS]}
        | {b[end] for b in round_.summary.get("blocked", []) for end in ("a", "b")},
    )

    def name(member_id: int) -> UserText:
        member = members.get(member_id)
        return UserText(member.display_name if member else f"member {member_id}")

    if not has_pairs:  # why nobody is paired includes the exclusions (teams, blocks) moderators set
        empty = _nothing_to_approve(round_, len(unmatched), name)
        return Message(empty.parts + tuple(_render_exclusions(round_, name)))
    average = total_score / kept_count if kept_count else 0.0
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
            f"{kept_count} pair{'s' if kept_count != 1 else ''}, average fit {average:.0f}/100; "
            f"{len(unmatched)} mentee{'s' if len(unmatched) != 1 else ''} without a mentor this round."
        ),
    ]
    if choice:
        parts.append(await _shortlist_summary(session, round_))
    for pair in kept:
        spans: list[msg.Span] = [f"{pair.position}. ", name(pair.mentee_member_id), " ← ", name(pair.mentor_member_id)]
        spans.append(f" (fit {pair.score:.0f})")
        why = top_reasons(pair.reasons)
        if why:
            spans.extend([": ", UserText("; ".join(why))])
        parts.append(msg.Text(tuple(spans)))
    if kept_count > SHOW_PAIRS:
        parts.append(msg.text(f"… and {kept_count - SHOW_PAIRS} more pairs (/mentor match show lists them all)."))
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
