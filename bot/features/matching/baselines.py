"""Baselines for the public matching benchmark: greedy and random pairing on the FULL feasible graph.

The bot never uses these; they say how much the certified optimum is worth. Both are
"take pairs in priority order while both ends are free" over every feasible pair —
greedy by score, random by a seeded hash of the two member ids — and both stream the
pairs through the index in priority bands instead of holding a 100k round's hundreds of
millions of pairs: a band is the next slice of priorities holding at most `budget`
pairs whose two ends are still free, so memory stays bounded and the result is exactly
that of one global sort (ties: lower seeker index, then lower mentor index, first).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .assignment import greedy_assignment
from .candidates import feasible_pairs
from .encoding import Community
from .scoring import criterion_units, max_units

Priority = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
_RANDOM_LEVELS = 1 << 20


def greedy_on_feasible_graph(c: Community, budget: int = 4_000_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy by score over every feasible pair: (seekers, mentors, units) of the pairs taken."""
    return _banded_greedy(c, lambda s, m, u: u, max_units(c) + 1, budget)


def random_pairing(c: Community, seed: int = 0, budget: int = 4_000_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A uniformly random maximal pairing: greedy over every feasible pair in seeded-hash order."""
    salt = np.uint64((seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % (1 << 64))
    ids = c.member_ids.astype(np.uint64)

    def priority(s: np.ndarray, m: np.ndarray, u: np.ndarray) -> np.ndarray:
        x = ids[c.seeker_member[s]] * np.uint64(0xBF58476D1CE4E5B9) ^ ids[c.mentor_member[m]] ^ salt
        x = (x ^ (x >> np.uint64(31))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(29)
        return (x % np.uint64(_RANDOM_LEVELS)).astype(np.int64)

    return _banded_greedy(c, priority, _RANDOM_LEVELS, budget)


def _banded_greedy(
    c: Community, priority: Priority, levels: int, budget: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    seeker_free = np.ones(c.n_seekers, dtype=bool)
    left = c.mentor_free.astype(np.int64).copy()
    taken_s: list[np.ndarray] = []
    taken_m: list[np.ndarray] = []
    taken_u: list[np.ndarray] = []
    top = levels  # priorities below `top` are still to be processed
    hist = None  # counts per priority of pairs below `top` with both ends free (an upper bound later)
    while top > 0:
        if hist is None:
            low = top  # first pass: only count
        else:
            # Widest band [low, top) whose (stale, hence upper-bound) count fits the budget; one level at least.
            from_top = np.cumsum(hist[:top][::-1])
            if from_top[-1] == 0:
                break
            width = max(1, int(np.searchsorted(from_top, budget, side="right")))
            low = top - width
        band_s, band_m, band_u, band_p = [], [], [], []
        hist = np.zeros(levels, dtype=np.int64)
        for s, m in feasible_pairs(c):
            ok = seeker_free[s] & (left[m] > 0)
            s, m = s[ok], m[ok]
            if not len(s):
                continue
            u = criterion_units(c, s, m).sum(axis=1)
            p = priority(s, m, u)
            below = p < top
            in_band = below & (p >= low)
            if in_band.any():
                band_s.append(s[in_band])
                band_m.append(m[in_band])
                band_u.append(u[in_band])
                band_p.append(p[in_band])
            hist += np.bincount(p[below & (p < low)], minlength=levels)
        if band_s:
            s, m, u, p = (np.concatenate(x) for x in (band_s, band_m, band_u, band_p))
            chosen = greedy_assignment(s, m, p, left)
            taken_s.append(s[chosen])
            taken_m.append(m[chosen])
            taken_u.append(u[chosen])
            seeker_free[s[chosen]] = False
            np.subtract.at(left, m[chosen], 1)
        top = low
    if not taken_s:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    s, m, u = (np.concatenate(x) for x in (taken_s, taken_m, taken_u))
    order = np.argsort(s, kind="stable")
    return s[order], m[order], u[order]
