"""One matching round end to end: profiles and rules in, a proposal for moderator review out."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterable, Iterator

import numpy as np

from .assignment import solve_assignment
from .candidates import CandidateGraph, generate_candidates
from .certify import certified_assignment
from .encoding import Community, encode
from .explain import demand_gaps, explain_unmatched, skipped_mentees
from .profiles import MatchingRules, MatchProfile, RoundProposal, ScoredCandidate
from .scoring import max_units, points_and_units, reasons_for_pairs

MODES = ("certified", "sparse")


def propose_round(
    profiles: Iterable[MatchProfile], rules: MatchingRules | None = None, mode: str = "certified"
) -> RoundProposal:
    """Propose pairs for one round.

    The result maximises first the number of mentees matched, then the total score,
    with every mentor within their free capacity and every hard rule kept. In the
    default `certified` mode it is optimal for the FULL feasible graph, and
    `proposal.certificate` proves it (see `certify`). `mode="sparse"` is the old
    behaviour, kept for benchmarks and tests: exact only over each mentee's top
    candidates, no diversification, no certificate. Pure and deterministic: the same
    profiles in any order give the same proposal.
    """
    return run_round(profiles, rules or MatchingRules(), mode=mode)[0]


@contextlib.contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Pause the cyclic garbage collector while a round builds its objects.

    A 100k-member round creates ~500k small tuples and frozensets that all stay alive;
    each allocation burst triggers a full generational sweep over every live object, which
    measured as half of the post-solve time. Nothing here creates reference cycles, so
    reference counting frees everything as usual; the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_round(
    profiles: Iterable[MatchProfile],
    rules: MatchingRules,
    timings: dict[str, float] | None = None,
    mode: str = "certified",
) -> tuple[RoundProposal, Community, CandidateGraph]:
    """`propose_round` plus its intermediate data and stage timings (for the benchmark).

    The returned graph is the one the final solve saw (in certified mode: the sparse
    graph plus every pair the pricing added).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    with _no_gc_pauses():
        return _run_round(profiles, rules, timings, mode)


def _run_round(
    profiles: Iterable[MatchProfile], rules: MatchingRules, timings: dict[str, float] | None, mode: str
) -> tuple[RoundProposal, Community, CandidateGraph]:
    clock = time.perf_counter
    t0 = clock()
    c = encode(profiles, rules)
    t1 = clock()
    certified = mode == "certified"
    graph = generate_candidates(c, diversify=certified, exhaustive=certified)
    t2 = clock()
    certificate = None
    if certified:
        graph, chosen, certificate = certified_assignment(c, graph)
    else:
        chosen = solve_assignment(graph.seekers, graph.mentors, graph.units, c.mentor_free, max_units(c))
    s, m = graph.seekers[chosen], graph.mentors[chosen]
    t3 = clock()
    pairs = scored_pairs(c, s, m)
    proposal = RoundProposal(
        pairs=pairs,
        unmatched=explain_unmatched(c, graph, s),
        skipped=skipped_mentees(c),
        demand_gaps=demand_gaps(c),
        average_score=round(sum(p.score for p in pairs) / len(pairs), 2) if pairs else 0.0,
        candidate_edges=graph.edges,
        certificate=certificate,
    )
    t4 = clock()
    if timings is not None:
        timings.update(encode=t1 - t0, candidates=t2 - t1, solve=t3 - t2, explain=t4 - t3, total=t4 - t0)
    return proposal, c, graph


def score_candidates(profiles: Iterable[MatchProfile], rules: MatchingRules | None = None) -> list[ScoredCandidate]:
    """Every edge of the candidate graph with its reasons (for review screens and tests)."""
    with _no_gc_pauses():
        c = encode(profiles, rules or MatchingRules())
        graph = generate_candidates(c)
        return scored_pairs(c, graph.seekers, graph.mentors)


def scored_pairs(c: Community, seekers: np.ndarray, mentors: np.ndarray) -> list[ScoredCandidate]:
    """The given (seeker, mentor) index pairs with their scores and per-criterion reasons."""
    points, units = points_and_units(c, seekers, mentors)
    s, m = seekers.tolist(), mentors.tolist()
    reasons = reasons_for_pairs(c, s, m, points.tolist())
    mentee_ids = c.member_ids[c.seeker_member[seekers]].tolist()
    mentor_ids = c.member_ids[c.mentor_member[mentors]].tolist()
    return [
        ScoredCandidate(mentee_id=a, mentor_id=b, score=u / 100, reasons=r)
        for a, b, u, r in zip(mentee_ids, mentor_ids, units.tolist(), reasons, strict=True)
    ]
