"""Mentee choice: shortlists built from the certified optimum, and the fallback at the deadline.

Pure, like the rest of the engine. `build_shortlists` runs the certified round and
gives every waiting mentee up to `size` mentors: the optimal mentor first, then the
best alternatives from the candidate graph, handed out round by round (every
mentee's second entry before anyone's third) so popular mentors are shared fairly,
and never offering a mentor to more mentees than free capacity + `margin`.

`settle_choices` is the deadline: picks the mentors accepted stay; everyone else who
still needs a mentor is placed by the certified optimum over the capacity left.
Why the final round never serves fewer mentees than the optimum of those who did not
pick: each accepted pick uses one slot, and removing one slot lowers a maximum
matching by at most one, so accepted + fallback ≥ optimum(fallback pool, full capacity).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .profiles import MatchingRules, MatchProfile, RoundProposal, ScoredCandidate
from .round import run_round, scored_pairs

SHORTLIST_SIZE = 3
OFFER_MARGIN = 1  # a mentor may be offered to (free capacity + margin) mentees at most


@dataclass(frozen=True)
class Shortlist:
    """One mentee's suggestions, best first; `optimal` says whether the first is the optimum's pick."""

    mentee_id: int
    entries: tuple[ScoredCandidate, ...]
    optimal: bool


@dataclass(frozen=True)
class Shortlists:
    """Every waiting mentee's shortlist, plus the optimum they were built from."""

    lists: tuple[Shortlist, ...]
    proposal: RoundProposal  # the certified optimum (its pairs are each list's first entry)
    offers: Mapping[int, int]  # mentor id -> mentees they are offered to


def build_shortlists(
    profiles: Iterable[MatchProfile],
    rules: MatchingRules | None = None,
    *,
    size: int = SHORTLIST_SIZE,
    margin: int = OFFER_MARGIN,
) -> Shortlists:
    """Shortlists of up to `size` mentors per mentee (pure and deterministic).

    Mentees the optimum places get their optimal mentor first; mentees it cannot place
    get alternatives only (every mentor who fits them is full in the optimum, so these
    are offers within the margin). Mentees without any feasible mentor get no list.
    """
    if size < 1 or margin < 0:
        raise ValueError("size must be at least 1 and margin at least 0")
    proposal, c, graph = run_round(profiles, rules or MatchingRules())
    limit: dict[int, int] = {}
    for k, mentor_member in enumerate(c.mentor_member.tolist()):
        limit[int(c.member_ids[mentor_member])] = int(c.mentor_free[k]) + margin
    offers: dict[int, int] = {}
    chosen: dict[int, list[tuple[int, int]]] = {}  # mentee -> [(seeker idx, mentor idx)]
    optimal_mentor = {p.mentee_id: p.mentor_id for p in proposal.pairs}
    # Candidates per mentee, best first (the graph is sorted by seeker, score desc, mentor):
    # each seeker's run of edges, as slices of one list (no per-edge Python work here).
    import numpy as np  # the engine already loaded it; local so the module's import stays light

    all_mentors = graph.mentors.tolist()
    cuts = (np.flatnonzero(graph.seekers[1:] != graph.seekers[:-1]) + 1).tolist()
    starts, ends = [0, *cuts], [*cuts, len(all_mentors)]
    per_seeker: dict[int, list[int]] = (
        {s: all_mentors[a:b] for s, a, b in zip(graph.seekers[starts].tolist(), starts, ends, strict=True)}
        if all_mentors
        else {}
    )
    member_of_seeker = c.member_ids[c.seeker_member].tolist()
    seeker_ids = {s: member_of_seeker[s] for s in per_seeker}
    mentor_ids = c.member_ids[c.mentor_member].tolist()  # by mentor index
    for s, mentee in seeker_ids.items():
        best = optimal_mentor.get(mentee)
        chosen[mentee] = []
        if best is not None:
            m = next(m for m in per_seeker[s] if mentor_ids[m] == best)
            chosen[mentee].append((s, m))
            offers[best] = offers.get(best, 0) + 1
    # Alternatives, one rank at a time over mentees in id order: fair and deterministic.
    order = sorted(seeker_ids, key=lambda s: seeker_ids[s])
    cursor = dict.fromkeys(order, 0)
    for _ in range(size):
        for s in order:
            mentee = seeker_ids[s]
            if len(chosen[mentee]) >= size:
                continue
            taken = {mentor_ids[m] for _, m in chosen[mentee]}
            candidates = per_seeker[s]
            while cursor[s] < len(candidates):
                m = candidates[cursor[s]]
                cursor[s] += 1
                mentor = mentor_ids[m]
                if mentor not in taken and offers.get(mentor, 0) < limit.get(mentor, 0):
                    chosen[mentee].append((s, m))
                    offers[mentor] = offers.get(mentor, 0) + 1
                    break
    flat = [pair for mentee in sorted(chosen) for pair in chosen[mentee]]
    if not flat:
        return Shortlists((), proposal, {})
    scored = scored_pairs(c, np.asarray([s for s, _ in flat]), np.asarray([m for _, m in flat]))
    lists: list[Shortlist] = []
    at = 0
    for mentee in sorted(chosen):
        n = len(chosen[mentee])
        if n:
            entries = tuple(scored[at : at + n])
            lists.append(Shortlist(mentee, entries, entries[0].mentor_id == optimal_mentor.get(mentee)))
        at += n
    return Shortlists(tuple(lists), proposal, offers)


def settle_choices(
    profiles: Iterable[MatchProfile],
    rules: MatchingRules | None,
    accepted: Mapping[int, int],
    *,
    declined: Iterable[tuple[int, int]] = (),
    withdrawn: Iterable[int] = (),
) -> RoundProposal:
    """The deadline: the optimum for everyone still waiting over the capacity the accepted picks left.

    `accepted` maps mentee -> mentor for picks the mentor accepted (they are final, and
    must fit the mentor's free capacity); `declined` (mentee, mentor) pairs are never
    proposed again this round; `withdrawn` mentees (they said none of the list fits)
    are not placed. The result's pairs are the fallback only; the round's final
    assignment is `accepted` plus these pairs.
    """
    taken: dict[int, int] = {}
    for mentor in accepted.values():
        taken[mentor] = taken.get(mentor, 0) + 1
    out = set(accepted) | set(withdrawn)
    blocked: dict[int, set[int]] = {}
    for mentee, mentor in declined:
        blocked.setdefault(mentee, set()).add(mentor)
        blocked.setdefault(mentor, set()).add(mentee)
    pool: list[MatchProfile] = []
    for p in profiles:
        if p.member_id in out:
            if not p.role.offers_mentoring:
                continue
            p = replace(p, role=type(p.role).MENTOR)  # a placed BOTH member still mentors
        used = taken.get(p.member_id, 0)
        if used > p.free_capacity:
            raise ValueError(f"mentor {p.member_id} accepted more mentees than their free capacity")
        if used or p.member_id in blocked:
            p = replace(
                p,
                active_mentees=p.active_mentees + used,
                do_not_match=p.do_not_match | frozenset(blocked.get(p.member_id, ())),
            )
        pool.append(p)
    return run_round(pool, rules or MatchingRules())[0]
