"""The solve graph starts small; the rest of each mentee's exhaustive top-K waits in a reserve.

Every pricing pass compares the reserve's (already scored) pairs with the potentials and
moves the underpriced ones into the solve graph. With a solve graph of one edge per mentee
and no per-mentor lists, most of the optimum has to come from the reserve and the index
pricing; the independent referee must still agree to the hundredth.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.features.matching import MatchingRules, certify, propose_round
from tests.property.test_matching_certified import assert_certified_optimum, community, shared_favourites


@pytest.mark.parametrize("seed", [5, 6])
def test_a_one_edge_solve_graph_reaches_the_optimum_through_the_reserve(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(certify, "SOLVE_EDGES_PER_MENTEE", 1)
    profiles, rules = community(seed, 300, 100)
    rules = replace(rules, candidates_per_mentor=0)
    assert_certified_optimum(profiles, rules)
    cert = propose_round(profiles, rules).certificate
    assert cert is not None and cert.edges_added > 0 and cert.iterations > 1


def test_shared_favourites_through_the_reserve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(certify, "SOLVE_EDGES_PER_MENTEE", 1)
    assert_certified_optimum(shared_favourites(), MatchingRules(candidates_per_mentor=0))


def test_the_returned_graph_keeps_the_reserve() -> None:
    # Explanations and shortlists read the whole top-K, not only what the solve saw.
    from bot.features.matching import encode, generate_candidates, run_round

    profiles, rules = community(7, 200, 70)
    _, c, graph = run_round(profiles, rules)
    sparse = generate_candidates(encode(profiles, rules), diversify=True, exhaustive=True)
    returned = set(zip(graph.seekers.tolist(), graph.mentors.tolist(), strict=True))
    assert set(zip(sparse.seekers.tolist(), sparse.mentors.tolist(), strict=True)) <= returned
    assert sparse.edges > 2 * c.n_seekers * certify.SOLVE_EDGES_PER_MENTEE  # the reserve is not empty


@pytest.mark.parametrize("near", [0, 3, 64])
def test_near_line_pairs_taken_early_keep_the_optimum(near: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # The first pricing pass also hands the solve each mentee's few pairs just below the line
    # (and the reserve's): fewer solves, and the referee must still agree to the hundredth.
    monkeypatch.setattr(certify, "NEAR_PER_MENTEE", near)
    profiles, rules = community(1, 1000, 340)
    assert_certified_optimum(profiles, rules)


def test_near_line_pairs_save_a_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    profiles, rules = community(1, 1000, 340)
    with_near = propose_round(profiles, rules).certificate
    monkeypatch.setattr(certify, "NEAR_PER_MENTEE", 0)
    without = propose_round(profiles, rules).certificate
    assert with_near is not None and without is not None
    assert (with_near.iterations, without.iterations) == (2, 3)
    assert with_near.value == without.value == with_near.bound


def test_the_first_solve_sees_each_mentors_best_few() -> None:
    # `_split` sorts one packed key; the mentor's best k by score (ties: lower seeker) must be
    # exactly what a plain sort of the edges gives.
    from bot.features.matching import encode, generate_candidates
    from bot.features.matching.certify import SOLVE_EDGES_PER_MENTEE, _split

    profiles, rules = community(3, 300, 100)
    c = encode(profiles, rules)
    g = generate_candidates(c, diversify=True, exhaustive=True)
    solve = _split(c, g.seekers, g.mentors, g.units)
    edges = list(zip(g.seekers.tolist(), g.mentors.tolist(), g.units.tolist(), strict=True))
    expected = set()
    per_seeker: dict[int, int] = {}
    for i, (s, _, _) in enumerate(edges):  # edges come sorted by seeker, best first
        per_seeker[s] = per_seeker.get(s, 0) + 1
        if per_seeker[s] <= SOLVE_EDGES_PER_MENTEE:
            expected.add(i)
    by_mentor = sorted(range(len(edges)), key=lambda i: (edges[i][1], -edges[i][2], edges[i][0]))
    seen: dict[int, int] = {}
    for i in by_mentor:
        seen[edges[i][1]] = seen.get(edges[i][1], 0) + 1
        if seen[edges[i][1]] <= rules.candidates_per_mentor:
            expected.add(i)
    assert rules.candidates_per_mentor > 0 and set(solve.nonzero()[0].tolist()) == expected
