"""A certified optimum on the FULL feasible graph: solve sparse, price out the rest, repeat.

The sparse candidate graph keeps a round fast, but its optimum need not be the real one.
LP duality closes the gap. Give every pair the weight `unit + score` with `unit` larger
than any total score; the heaviest assignment then matches the most mentees and, among
those, scores highest. Bipartite b-matching LPs have integral optima, and any potentials
y (mentees) and z (mentors), both ≥ 0, with

    y[s] + z[m] ≥ unit + score(s, m)      for EVERY feasible pair (s, m)

bound every assignment's weight by Σ y + Σ free_slots · z. So:

1. solve a small part of the sparse graph exactly (OR-Tools min-cost flow,
   `assignment.solve_assignment`): each mentee's best few edges and each mentor's best
   few; the rest of the exhaustive top-K waits in a reserve, already scored;
2. derive potentials from that optimum that are tight on its pairs (`potentials`);
3. price every feasible pair against them: the reserve by a direct comparison, every
   other pair through the index (`price_out`; hard rules prune, nothing loops over all
   mentee × mentor pairs), skipping whole index ranges, then single pairs, whose score
   could not beat the potentials even at its upper bound; only the rest is scored exactly.
   The first pass keeps the pairs within `PRICING_MARGIN` of the line in a pool; later
   passes check the pool and re-read only pairs whose potentials have fallen by more;
4. add the most underpriced pairs (each mentee's few worst, `VIOLATORS_PER_MENTEE`) to the
   solve graph and repeat until none is left. Column generation needs only *some* violator
   per pass to make progress; taking all of them made a community of look-alike members
   (one timezone, one language, a handful of topics: most pairs tie) collect 200 million
   pairs in one pass and run out of memory.

At the end the potentials are feasible for the full problem and bound = value: the
proposal is optimal for the real problem, and the `Certificate` says so with numbers.
Deterministic: every step is a pure function of the encoded round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assignment import solve_assignment
from .candidates import CandidateGraph, map_feasible, merge_edges
from .encoding import Community
from .pairscore import pair_units
from .profiles import Certificate
from .scoring import max_units, waiting_units, weight_units

_NO_MENTEE = np.iinfo(np.int64).max // 4  # a full mentor's potential before any mentee sets it


def pair_unit(c: Community) -> int:
    """Weight of one matched mentee: more than any total score a round can reach."""
    return max_units(c) * max(1, c.n_seekers) + 1


def potentials(
    c: Community, s: np.ndarray, m: np.ndarray, u: np.ndarray, chosen: np.ndarray, unit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Potentials (y per seeker, z per mentor) of an optimal assignment on the edges (s, m, u).

    Edges must be sorted by seeker. Complementary slackness fixes y = 0 for unmatched
    mentees, z = 0 for mentors with a free slot left, y + z = weight on chosen pairs.
    The rest is a system of difference constraints; its least y (greatest z — the
    mentors' "prices" as high as the optimum allows, which prices out the most pairs)
    is reached by label correcting from y = 0. It converges because an optimal
    assignment leaves no improving alternating cycle; a non-optimal one would not.
    """
    w = unit + u.astype(np.int64)
    y = np.zeros(c.n_seekers, dtype=np.int64)
    z = np.zeros(c.n_mentors, dtype=np.int64)
    if not len(chosen):
        return y, z
    used = np.bincount(m[chosen], minlength=c.n_mentors)
    full = used >= c.mentor_free
    # Chosen pairs of full mentors, grouped by mentor: z[m] = min over them of (w − y[s]).
    pick = chosen[full[m[chosen]]]
    pick = pick[np.argsort(m[pick], kind="stable")]
    pm = m[pick]
    m_first = np.flatnonzero(np.r_[True, pm[1:] != pm[:-1]]) if len(pm) else np.zeros(0, dtype=np.int64)
    s_first = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    s_ids = s[s_first]
    z[full] = _NO_MENTEE
    for _ in range(c.n_seekers + c.n_mentors + 2):
        if len(pick):
            z[pm[m_first]] = np.minimum.reduceat(w[pick] - y[s[pick]], m_first)
        new = np.maximum(np.maximum.reduceat(w - z[m], s_first), 0)
        if np.array_equal(new, y[s_ids]):
            return y, z
        y[s_ids] = new
    raise RuntimeError("potentials did not converge: the sparse solve was not optimal")


def _range_min_table(values: np.ndarray) -> list[np.ndarray]:
    """Sparse table: level j holds the minimum of values[i : i + 2**j]."""
    levels = [values]
    k = 1
    while 2 * k <= len(values):
        prev = levels[-1]
        levels.append(np.minimum(prev[:-k], prev[k:]))
        k *= 2
    return levels


def _range_min(levels: list[np.ndarray], lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """min(values[lo:hi]) per range (hi > lo), two overlapping power-of-two blocks each."""
    j = np.floor(np.log2(hi - lo)).astype(np.int64)
    out = np.empty(len(lo), dtype=levels[0].dtype)
    for level in np.unique(j).tolist():
        at = j == level
        table = levels[level]
        out[at] = np.minimum(table[lo[at]], table[hi[at] - (1 << level)])
    return out


def score_upper_bounds(c: Community) -> np.ndarray:
    """Per seeker: a score no pair of theirs can exceed (the waiting points are theirs alone)."""
    wu = weight_units(c)
    ub = np.full(c.n_seekers, max_units(c) - int(wu[8]), dtype=np.int64) + waiting_units(c, wu[8])
    ub -= np.where(c.seeker_kw_count > 0, 0, int(wu[1]))  # no goal keywords: no goal points
    return ub


# Margin of the first pricing pass (hundredths of a point). Pairs within it of being
# underpriced are kept, scored, in a pool; every other pair then has weight ≤ y0 + z0 − margin,
# so later passes re-read only pairs whose potentials fell by more than the margin since.
# Potentials move by a few points between solves (at 20k: 90 % of the drops ≤ 1.7 points).
PRICING_MARGIN = 256
# Pool pairs kept per mentee. A mentee with more near the line (a community of look-alikes,
# where most pairs tie) keeps none and is re-read whole on every later pass instead, so the
# pool's memory stays bounded by this many pairs per mentee.
POOL_PER_MENTEE = 64
_REREAD = 1 << 60  # a fall in potential that forces a re-read, for mentees outside the pool

Edges = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class PricingReference:
    """The potentials of the first full pricing pass and the pool of pairs it found near the line.

    Invariant: every feasible pair of a pooled mentee outside the pool, the graph and the
    reserve has unit + score ≤ y0[s] + z0[m] − PRICING_MARGIN. Mentees whose near-line
    pairs overflowed the pool (`unpooled`) have no such guarantee and are re-read whole.
    """

    y0: np.ndarray
    z0: np.ndarray
    pool: Edges
    unpooled: np.ndarray  # bool per seeker


def price_out(
    c: Community,
    y: np.ndarray,
    z: np.ndarray,
    unit: int,
    bound: np.ndarray,
    reference: PricingReference | None = None,
) -> tuple[Edges, int, int, PricingReference]:
    """Feasible pairs the potentials underprice (weight > y + z), scored exactly.

    `bound[s]` must bound the score of every feasible pair of s outside the graph
    (pairs in the graph are never underpriced: the potentials are tight on it).
    Without a `reference` every pair is considered (whole index ranges, then single
    pairs, skipped where the bound rules them out with PRICING_MARGIN to spare) and the
    reference for later passes is returned; with one, only the pool and the pairs whose
    potentials fell by more than the margin since can be underpriced, and only those are read.
    Returns each mentee's `VIOLATORS_PER_MENTEE` most underpriced pairs (seekers, mentors,
    units), the number of pairs scored, the number of index ranges skipped without reading
    a pair, and the reference.
    """
    margin = PRICING_MARGIN
    first = reference is None
    # A pair (s, m) can be underpriced (or, on the first pass, come within the margin of it)
    # only if z[m] < unit + bound[s] − y[s] (+ margin) =: threshold[s].
    threshold = unit + bound - y + (margin if first else 0)
    levels = _range_min_table(z[c.index_mentor]) if len(c.index_mentor) else []
    if reference is None:
        dy = np.zeros(c.n_seekers, dtype=np.int64)
        dz = np.zeros(c.n_mentors, dtype=np.int64)
        fell: list[np.ndarray] = []
    else:
        dy = np.where(reference.unpooled, _REREAD, np.maximum(reference.y0 - y, 0))
        dz = np.maximum(reference.z0 - z, 0)
        # Range maxima of dz as range minima of −dz.
        fell = _range_min_table(-dz[c.index_mentor]) if len(c.index_mentor) else []
    skipped = 0

    def cheap_enough(seeker: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
        nonlocal skipped
        keep = _range_min(levels, start, start + length) < threshold[seeker]
        if not first:
            keep &= dy[seeker] - _range_min(fell, start, start + length) > margin
        skipped += int((~keep).sum())
        return keep

    def may_be_underpriced(s: np.ndarray, m: np.ndarray) -> np.ndarray:
        keep = z[m] < threshold[s]
        if not first:
            keep &= dy[s] + dz[m] > margin
        return keep

    pair_units(c, z[:0], z[:0])  # fill the scorer's lookup tables before threads share them

    def chunk(s: np.ndarray, m: np.ndarray) -> tuple[int, Edges | None, Edges | None, np.ndarray | None]:
        """(pairs scored, the chunk's worst violators, its pool part, its overflowing seekers)."""
        if not len(s):
            return 0, None, None, None
        u = pair_units(c, s, m)
        gap = unit + u - y[s] - z[m]
        bad = gap > 0
        # Chunks never share a seeker, so each chunk's per-seeker cut is the pass's per-seeker cut.
        worst = most_underpriced(s[bad], m[bad], u[bad], gap[bad], VIOLATORS_PER_MENTEE) if bad.any() else None
        if not first:
            return len(s), worst, None, None
        near = gap > -margin
        ns, nm, nu = s[near], m[near], u[near]
        per_seeker = np.bincount(ns - s[0], minlength=int(s[-1] - s[0]) + 1) if len(ns) else np.zeros(0, np.int64)
        over = np.flatnonzero(per_seeker > POOL_PER_MENTEE) + s[0]
        if len(over):
            fits = ~np.isin(ns, over)
            ns, nm, nu = ns[fits], nm[fits], nu[fits]
        return len(s), worst, (ns, nm, nu), over

    # Duplicates (a mentor reached through two lists) are scored twice but merged below.
    results = map_feasible(c, chunk, cheap_enough, may_be_underpriced)
    priced = sum(r[0] for r in results)
    found = [r[1] for r in results if r[1] is not None]
    if reference is None:
        unpooled = np.zeros(c.n_seekers, dtype=bool)
        for r in results:
            if r[3] is not None:
                unpooled[r[3]] = True
        pool = _cat_edges([r[2] for r in results if r[2] is not None])
        reference = PricingReference(y.copy(), z.copy(), pool, unpooled)
    else:
        ps, pm, pu = reference.pool
        gap = unit + pu - y[ps] - z[pm]
        short = gap > 0
        if short.any():
            found.append(most_underpriced(ps[short], pm[short], pu[short], gap[short], VIOLATORS_PER_MENTEE))
    vs, vm, vu = _cat_edges(found)
    if len(vs):  # the pool's and the index's violators of one mentee, cut together
        vs, vm, vu = most_underpriced(vs, vm, vu, unit + vu - y[vs] - z[vm], VIOLATORS_PER_MENTEE)
    return (vs, vm, vu), priced, skipped, reference


def _cat_edges(parts: list[Edges]) -> Edges:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    s, m, u = (np.concatenate(p) for p in zip(*parts, strict=True))
    return s, m, u


# Underpriced pairs one pricing pass hands back per mentee: their most underpriced ones.
# More per pass means fewer passes (each reads the feasible graph again); fewer means a
# smaller solve graph. Memory per pass is at most this many pairs per mentee.
VIOLATORS_PER_MENTEE = 8


def most_underpriced(
    s: np.ndarray, m: np.ndarray, u: np.ndarray, gap: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each seeker's `k` pairs with the largest gap, duplicates merged, sorted by seeker.

    Ties are broken by a fixed scramble of the mentor, not by mentor index: in a community
    of look-alikes every free mentor ties, and the lowest indices would hand the same `k`
    mentors to every mentee, pass after pass (56 passes instead of 2 measured at 2,000 ×
    1,100). Deterministic: the same pairs in any order give the same result.

    One int64 key per pair — seeker, gap descending, scrambled mentor — sorted once: a
    3-key lexsort was half of a pass's time. Gaps wider than the key's room are compared
    by their leading bits (an underpriced pair is still underpriced; only which of two
    nearly equal gaps counts as larger may change). The scramble is a bijection of the
    mentor index (an odd multiplier modulo a power of two), so two entries with the same
    key are the same pair reached twice.
    """
    if not len(s):
        return s, m, u
    seeker = s - s.min()
    s_bits = max(1, int(seeker.max()).bit_length())
    m_bits = max(1, int(m.max()).bit_length())
    g_bits = 63 - s_bits - m_bits
    shift = max(0, int(gap.max()).bit_length() - g_bits)
    scrambled = (m * 0x9E3779B1 + seeker * 0x85EBCA77) & ((1 << m_bits) - 1)
    key = (seeker << (g_bits + m_bits)) | ((((1 << g_bits) - 1) - (gap >> shift)) << m_bits) | scrambled
    order = np.argsort(key)
    key = key[order]
    first = np.r_[True, key[1:] != key[:-1]]  # copies of one pair are neighbours
    s, m, u = s[order][first], m[order][first], u[order][first]
    keep = _ranks(s) < k
    return s[keep], m[keep], u[keep]


# Edges per mentee the exact solve sees at first; the rest of each exhaustive top-K waits in a
# reserve that every pricing pass checks (scored already, so a vectorised comparison). Each
# OR-Tools solve costs about linearly in edges, and few mentees need their 11th-best mentor.
SOLVE_EDGES_PER_MENTEE = 4


# Pairs within PRICING_MARGIN of the line that the first pass adds per mentee with its violators
# (the nearest first). The next solve moves the potentials by a few points and turns many such
# pairs into violators; taking them at once saves a solve and a pricing pass (at 100k: 3 solves
# instead of 4). The reserve's near pairs are added whole: they are each mentee's top-K already.
NEAR_PER_MENTEE = 3


def _near_line(reference: PricingReference, y: np.ndarray, z: np.ndarray, unit: int) -> Edges:
    """Each mentee's `NEAR_PER_MENTEE` pool pairs nearest the line (the pool is the first pass's)."""
    ps, pm, pu = reference.pool
    if not NEAR_PER_MENTEE or not len(ps):
        return ps[:0], pm[:0], pu[:0]
    # Pool pairs lie above −PRICING_MARGIN by construction; the underpriced ones are the
    # violators, handed back by the pass itself. Shifted, every remaining gap is positive.
    gap = unit + pu - y[ps] - z[pm]
    below = gap <= 0
    return most_underpriced(ps[below], pm[below], pu[below], gap[below] + PRICING_MARGIN, NEAR_PER_MENTEE)


def _ranks(s: np.ndarray) -> np.ndarray:
    """Position of each edge within its seeker's run (edges sorted by seeker)."""
    if not len(s):
        return np.zeros(0, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return np.arange(len(s)) - np.repeat(first, np.diff(np.r_[first, len(s)]))


def _split(c: Community, s: np.ndarray, m: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Which edges the first solve sees: each mentee's best few and each mentor's best few."""
    solve = _ranks(s) < SOLVE_EDGES_PER_MENTEE
    k = c.rules.candidates_per_mentor
    if k and len(s):
        top = max_units(c) + 1
        n = len(s)
        if (int(m.max()) + 1) * top * n < 1 << 62:
            # By mentor, score descending, then edge position — which is seeker order, as the
            # edges are sorted by seeker: one packed key sorted, ~3x faster than the lexsort.
            key = np.sort((m * top + (top - 1 - u)) * n + np.arange(n))
            order, mentor = key % n, key // (n * top)
        else:
            order = np.lexsort((s, top - 1 - u, m))
            mentor = m[order]
        solve[order[_ranks(mentor) < k]] = True
    return solve


def certified_assignment(c: Community, graph: CandidateGraph) -> tuple[CandidateGraph, np.ndarray, Certificate]:
    """Optimal pairs for the full feasible graph, and the certificate that proves it.

    Returns the final graph (the sparse one plus every pair pricing added), the indices
    of its chosen edges (sorted by seeker) and the certificate.
    """
    unit = pair_unit(c)
    top = max_units(c)
    score_bound = score_upper_bounds(c)
    if graph.ceiling is not None:  # an exhaustive top-K: nothing outside it scores above the ceiling
        score_bound = np.minimum(score_bound, graph.ceiling)
    solve = _split(c, graph.seekers, graph.mentors, graph.units)
    s, m, u = graph.seekers[solve], graph.mentors[solve], graph.units[solve]
    rs, rm, ru = graph.seekers[~solve], graph.mentors[~solve], graph.units[~solve]
    iterations = priced = skipped = added = 0
    reference: PricingReference | None = None
    while True:
        iterations += 1
        chosen = solve_assignment(s, m, u, c.mentor_free, top)
        y, z = (
            potentials(c, s, m, u, chosen, unit)
            if len(s)
            else (np.zeros(c.n_seekers, dtype=np.int64), np.zeros(c.n_mentors, dtype=np.int64))
        )
        # The reserve: pairs of the graph the solve did not see, checked directly.
        short = unit + ru > y[rs] + z[rm]
        first_pass = reference is None
        (vs, vm, vu), n_priced, n_skipped, reference = price_out(c, y, z, unit, score_bound, reference)
        priced += n_priced
        skipped += n_skipped
        if not len(vs) and not short.any():
            break
        near: Edges = (vs[:0], vm[:0], vu[:0])
        if first_pass:
            short = unit + ru + PRICING_MARGIN > y[rs] + z[rm]
            near = _near_line(reference, y, z, unit)
        before = len(s)
        s, m, u = merge_edges(c, (s, m, u), (vs, vm, vu), near, (rs[short], rm[short], ru[short]))
        added += len(s) - before  # after merging: a pair found twice (pool and reserve) counts once
        rs, rm, ru = rs[~short], rm[~short], ru[~short]
    # The bound is a bound only for non-negative potentials covering every pair: check, don't trust.
    fs, fm, fu = np.concatenate([s, rs]), np.concatenate([m, rm]), np.concatenate([u, ru])
    if (y < 0).any() or (z < 0).any() or (len(fs) and (y[fs] + z[fm] < unit + fu).any()):
        raise RuntimeError("potentials are not dual feasible")
    value = unit * len(chosen) + int(u[chosen].sum())
    bound = int(y.sum()) + int((c.mentor_free.astype(np.int64) * z).sum())
    certificate = Certificate(
        value=value,
        bound=bound,
        unit=unit,
        iterations=iterations,
        edges_priced=priced,
        segments_skipped=skipped,
        edges_added=added,
        graph_edges=len(s),
    )
    # The graph handed on (explanations, shortlists) keeps the reserve: every edge, best first.
    n_m = max(1, c.n_mentors)
    pick = s[chosen] * n_m + m[chosen]
    fs, fm, fu = merge_edges(c, (s, m, u), (rs, rm, ru))
    key = fs * n_m + fm
    order = np.argsort(key, kind="stable")
    chosen = np.sort(order[np.searchsorted(key[order], pick)])
    final = CandidateGraph(fs, fm, fu, graph.scanned_pairs, graph.feasible_pairs, graph.sampled_lists, graph.ceiling)
    return final, chosen, certificate
