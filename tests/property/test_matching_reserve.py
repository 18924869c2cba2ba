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
