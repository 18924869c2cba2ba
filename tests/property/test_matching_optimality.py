"""Exactness, determinism and the greedy comparison on small random rounds.

The brute force below is independent of the engine: it decides feasibility with a
plain per-pair predicate written from the hard constraints, and enumerates every
assignment, comparing (mentees matched, total score) lexicographically. Only the
per-pair scores come from the engine (`score_candidates`).
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from bot.features.matching import (
    CADENCES,
    COMMUNICATION_MODES,
    PROGRAM_LENGTHS,
    MatchingRules,
    MatchProfile,
    Role,
    propose_round,
    score_candidates,
)
from bot.features.matching.assignment import greedy_assignment, solve_assignment
from bot.features.matching.candidates import generate_candidates
from bot.features.matching.encoding import encode
from bot.features.matching.scoring import max_units
from tests.support.independent import allowed  # the hard rules, written once for every solver check

TOPICS = ["Python", "Go", "Rust"]
WORDS = "career promotion api design testing talks leadership startup data".split()


def random_round(
    seed: int, max_mentees: int = 7, max_mentors: int = 4, dense: bool = False
) -> tuple[list[MatchProfile], MatchingRules]:
    """A random round; `dense` puts everyone in one time zone and language (many candidates)."""
    rng = random.Random(seed)
    n_e, n_m = rng.randint(1, max_mentees), rng.randint(1, max_mentors)
    if dense:
        n_e, n_m = rng.randint(4, max_mentees), rng.randint(2, max_mentors)
    ids = rng.sample(range(1, 1000), n_e + n_m)
    profiles = []

    def some_topics() -> frozenset[str]:
        return frozenset(rng.sample(TOPICS, rng.randint(1, 2)))

    for k, member in enumerate(ids):
        is_mentor = k >= n_e
        role = Role.MENTOR if is_mentor else Role.MENTEE
        if rng.random() < 0.15:
            role = Role.BOTH
        capacity = rng.randint(1, 3)
        profiles.append(
            MatchProfile(
                member_id=member,
                role=role,
                topics_offered=some_topics() if role.offers_mentoring else frozenset(),
                topics_wanted=some_topics() if role.seeks_mentor else frozenset(),
                goals_text=" ".join(rng.sample(WORDS, 3)),
                years_experience=rng.choice([None, 0, 2, 5, 10, 25]),
                utc_offset_hours=rng.choice([-8.0, -5.0, 0.0, 0.0, 1.0, 1.0, 2.0, 5.5, 13.0]),
                accepts_async=rng.random() < 0.4,
                hours_per_month=rng.choice([1, 2, 4]),
                program_length=rng.choice(PROGRAM_LENGTHS),
                cadence=rng.choice(CADENCES),
                communication=rng.choice(COMMUNICATION_MODES),
                languages=frozenset({"en"}) if rng.random() < 0.8 else frozenset(rng.sample(["en", "de", "es"], 1)),
                capacity=capacity,
                active_mentees=rng.choice([0, 0, 0, 1]) if capacity > 1 else 0,
                consented=rng.random() > 0.03,
                paused=rng.random() < 0.03,
                team=rng.choice([None, None, None, "a", "b"]),
                do_not_match=frozenset(rng.sample(ids, 1)) if rng.random() < 0.1 else frozenset(),
                days_waiting=rng.randint(0, 100),
                times_left_unmatched=rng.randint(0, 2),
            )
        )
    if dense:
        profiles = [replace(p, utc_offset_hours=0.0, languages=frozenset({"en"}), team=None) for p in profiles]
    previous = frozenset((rng.choice(ids), rng.choice(ids)) for _ in range(rng.randint(0, 2)))
    rules = MatchingRules(
        previous_pairs=previous,
        exclude_same_team=rng.random() < 0.7,
        allow_rematch=rng.random() < 0.2,
        max_timezone_difference_hours=rng.choice([3.0, 6.0, 8.0]),
    )
    return profiles, rules


def brute_force(
    profiles: list[MatchProfile], rules: MatchingRules, score: dict[tuple[int, int], int]
) -> tuple[int, int]:
    seekers = [p for p in profiles if p.role.seeks_mentor]
    mentors = {p.member_id: p for p in profiles if p.role.offers_mentoring}
    options = [[m.member_id for m in mentors.values() if allowed(e, m, rules)] for e in seekers]
    left = {mid: max(0, p.capacity - p.active_mentees) for mid, p in mentors.items()}
    best = (0, 0)

    def walk(k: int, count: int, total: int) -> None:
        nonlocal best
        if k == len(seekers):
            best = max(best, (count, total))
            return
        walk(k + 1, count, total)
        for mid in options[k]:
            if left[mid] > 0:
                left[mid] -= 1
                walk(k + 1, count + 1, total + score[(seekers[k].member_id, mid)])
                left[mid] += 1

    walk(0, 0, 0)
    return best


@pytest.mark.parametrize("dense", [False, True], ids=["sparse", "dense"])
@pytest.mark.parametrize("seed", range(200))
def test_exact_against_brute_force(seed: int, dense: bool) -> None:
    profiles, rules = random_round(seed, dense=dense)
    candidates = score_candidates(profiles, rules)
    score = {(c.mentee_id, c.mentor_id): round(c.score * 100) for c in candidates}
    # Candidate generation finds exactly the feasible pairs (no sampling at this size).
    feasible = {
        (e.member_id, m.member_id) for e in profiles for m in profiles if e.topics_wanted and allowed(e, m, rules)
    }
    assert set(score) == feasible

    proposal = propose_round(profiles, rules)
    got = (len(proposal.pairs), sum(round(p.score * 100) for p in proposal.pairs))
    assert got == brute_force(profiles, rules, score)

    # Constraints and capacity hold on the proposal itself.
    by_id = {p.member_id: p for p in profiles}
    used: dict[int, int] = {}
    for p in proposal.pairs:
        assert allowed(by_id[p.mentee_id], by_id[p.mentor_id], rules)
        used[p.mentor_id] = used.get(p.mentor_id, 0) + 1
    assert all(n <= by_id[m].capacity - by_id[m].active_mentees for m, n in used.items())
    assert len({p.mentee_id for p in proposal.pairs}) == len(proposal.pairs)


@pytest.mark.parametrize("seed", range(60))
def test_both_exact_solvers_agree_and_beat_greedy(seed: int) -> None:
    profiles, rules = random_round(1000 + seed, max_mentees=30, max_mentors=12)
    c = encode(profiles, rules)
    g = generate_candidates(c)
    results = []
    for method in ("flow", "lapjv"):
        chosen = solve_assignment(g.seekers, g.mentors, g.units, c.mentor_free, max_units(c), method)
        results.append((len(chosen), int(g.units[chosen].sum())))
    assert results[0] == results[1]
    greedy = greedy_assignment(g.seekers, g.mentors, g.units, c.mentor_free)
    assert results[0][0] >= len(greedy)
    if results[0][0] == len(greedy):
        assert results[0][1] >= int(g.units[greedy].sum())


@pytest.mark.parametrize("seed", range(20))
def test_deterministic_and_order_independent(seed: int) -> None:
    profiles, rules = random_round(5000 + seed, max_mentees=40, max_mentors=15)
    first = propose_round(profiles, rules)
    assert propose_round(profiles, rules) == first
    shuffled = profiles[:]
    random.Random(seed).shuffle(shuffled)
    assert propose_round(shuffled, rules) == first


def test_sampled_lists_stay_valid_and_deterministic() -> None:
    # Force the scan limit and top-K to bite: the graph is pruned, results stay valid and stable.
    profiles, rules = random_round(7, max_mentees=60, max_mentors=40)
    profiles = [replace(p, languages=frozenset({"en"}), utc_offset_hours=0.0) for p in profiles]
    tight = replace(rules, scan_limit_per_topic=2, candidates_per_mentee=1)
    c = encode(profiles, tight)
    graph = generate_candidates(c, diversify=False)
    assert graph.sampled_lists > 0
    assert np.all(np.bincount(graph.seekers) <= 1)
    shuffled = profiles[::-1]
    assert propose_round(shuffled, tight) == propose_round(profiles, tight)
    by_id = {p.member_id: p for p in profiles}
    for pair in propose_round(profiles, tight).pairs:
        assert allowed(by_id[pair.mentee_id], by_id[pair.mentor_id], tight)


def test_exact_beats_greedy_on_a_classic_trap() -> None:
    # Greedy gives the versatile mentor to the best-scoring mentee and strands the other.
    profiles = [
        MatchProfile(1, Role.MENTEE, topics_wanted=frozenset({"Go", "Rust"}), goals_text="compiler work"),
        MatchProfile(2, Role.MENTEE, topics_wanted=frozenset({"Go"})),
        MatchProfile(10, Role.MENTOR, topics_offered=frozenset({"Go", "Rust"}), goals_text="compiler work"),
        MatchProfile(11, Role.MENTOR, topics_offered=frozenset({"Rust"})),
    ]
    c = encode(profiles, MatchingRules())
    g = generate_candidates(c)
    greedy = greedy_assignment(g.seekers, g.mentors, g.units, c.mentor_free)
    exact = solve_assignment(g.seekers, g.mentors, g.units, c.mentor_free, max_units(c))
    assert len(greedy) == 1 and len(exact) == 2
    assert {(p.mentee_id, p.mentor_id) for p in propose_round(profiles).pairs} == {(1, 11), (2, 10)}


def test_scipy_raises_without_private_columns_and_lapjv_copes_with_them() -> None:
    # Why the LAPJV formulation has one "unassigned" column per row: SciPy raises on any
    # graph without a full matching (one of size min(rows, columns)), e.g. two mentees who
    # both fit only the first of two slots. A 2×1 graph, by contrast, is "full" with one pair.
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    with pytest.raises(ValueError):
        min_weight_full_bipartite_matching(csr_array(np.array([[1.0, 0.0], [2.0, 0.0]])))
    assert len(min_weight_full_bipartite_matching(csr_array(np.array([[1.0], [2.0]])))[0]) == 1
    seekers, mentors = np.array([0, 1, 2]), np.array([0, 0, 0])
    units, free = np.array([500, 700, 600]), np.array([2])
    for method in ("flow", "lapjv"):  # rows < slots and rows > slots both come up in these calls
        chosen = solve_assignment(seekers, mentors, units, free, 1000, method)
        assert sorted(seekers[chosen].tolist()) == [1, 2]
        chosen = solve_assignment(seekers[:1], mentors[:1], units[:1], np.array([3]), 1000, method)
        assert chosen.tolist() == [0]
