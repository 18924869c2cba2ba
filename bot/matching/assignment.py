"""Exact assignment over the candidate graph, plus a greedy baseline for comparison.

Objective, lexicographic: first the number of mentees matched, then the total score,
with each mentor used at most `free capacity` times.

It is solved as one rectangular assignment problem with SciPy's sparse LAPJV
(`scipy.sparse.csgraph.min_weight_full_bipartite_matching`):

* rows: mentees that have at least one candidate;
* columns: one column per free slot of each mentor (a mentor with 2 free slots and
  5 candidates gets 2 identical columns), plus one private "unmatched" column per
  mentee. The private column makes a full matching always exist, so SciPy never
  raises for infeasibility, and choosing it means "not matched this round";
* costs (integers, exact in float64): a pair costs W + 1 − score (W is the highest
  possible score, so costs are ≥ 1: SciPy treats zeros as missing edges), and a
  private column costs U = (rows + 1)·W + 2. One more match saves U − W − 1 =
  rows·W + 1 > any possible score difference, so the count dominates the score.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching


def solve_assignment(
    seekers: np.ndarray, mentors: np.ndarray, units: np.ndarray, free_slots: np.ndarray, max_units: int
) -> np.ndarray:
    """Indices of the chosen edges (at most one per seeker), sorted by seeker.

    `seekers`, `mentors`, `units` describe the edges (unique (seeker, mentor) pairs,
    integer scores in 0..max_units); `free_slots[m]` is mentor m's remaining capacity.
    """
    if len(seekers) == 0:
        return np.zeros(0, dtype=np.int64)
    if np.any(units < 0) or np.any(units > max_units):
        raise ValueError("edge scores must lie in 0..max_units")

    row_ids, rows = np.unique(seekers, return_inverse=True)
    n_rows = len(row_ids)
    mentor_ids, mcol = np.unique(mentors, return_inverse=True)
    degree = np.bincount(mcol, minlength=len(mentor_ids))
    # A mentor never needs more slot columns than it has candidate mentees.
    slots = np.minimum(free_slots[mentor_ids], degree).astype(np.int64)
    first_slot = np.cumsum(slots) - slots
    n_slots = int(slots.sum())

    # Replicate every edge once per slot of its mentor.
    reps = slots[mcol]
    edge_of = np.repeat(np.arange(len(seekers)), reps)
    j = np.arange(len(edge_of)) - np.repeat(np.cumsum(reps) - reps, reps)
    r = rows[edge_of]
    col = first_slot[mcol[edge_of]] + j
    top = float(max_units)
    cost = (top + 1.0) - units[edge_of].astype(np.float64)

    unmatched_cost = (n_rows + 1) * top + 2.0
    r = np.concatenate([r, np.arange(n_rows)])
    col = np.concatenate([col, n_slots + np.arange(n_rows)])
    cost = np.concatenate([cost, np.full(n_rows, unmatched_cost)])
    graph = csr_array((cost, (r, col)), shape=(n_rows, n_slots + n_rows))
    graph.sort_indices()  # canonical layout: same input, same solver path

    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    matched = col_ind < n_slots
    row_ind, col_ind = row_ind[matched], col_ind[matched]
    # Map (row, slot column) back to the edge: the slot names the mentor.
    slot_mentor = np.repeat(np.arange(len(mentor_ids)), slots)
    key = rows.astype(np.int64) * len(mentor_ids) + mcol
    order = np.argsort(key, kind="stable")
    want = row_ind.astype(np.int64) * len(mentor_ids) + slot_mentor[col_ind]
    chosen = order[np.searchsorted(key[order], want)]
    return chosen[np.argsort(seekers[chosen], kind="stable")]


def greedy_assignment(
    seekers: np.ndarray, mentors: np.ndarray, units: np.ndarray, free_slots: np.ndarray
) -> np.ndarray:
    """Baseline for the benchmark: take edges best-first while both ends are free."""
    order = np.lexsort((mentors, seekers, -units))
    left = free_slots.astype(np.int64).copy()
    taken: set[int] = set()
    chosen: list[int] = []
    for e, s, m in zip(order.tolist(), seekers[order].tolist(), mentors[order].tolist()):
        if s in taken or left[m] <= 0:
            continue
        taken.add(s)
        left[m] -= 1
        chosen.append(e)
    out = np.asarray(chosen, dtype=np.int64)
    return out[np.argsort(seekers[out], kind="stable")] if len(out) else out
