"""Candidate generation: who could possibly mentor whom, without an all-pairs loop.

Hard constraints and how they are enforced:

* the mentor offers at least one topic the mentee wants, they share a language and
  their UTC offsets are at most `max_timezone_difference_hours` apart (or both accept
  async work): by construction — candidates are read from the inverted index
  (topic, language) -> mentors sorted by UTC offset, as a range search around the
  mentee's offset, plus the (topic, language, async) list for async mentees;
* consent, pause and free capacity: mentors and mentees failing them never enter
  the index / the seeker list (see `encoding.encode`);
* not the same person, not a previous pair (unless `allow_rematch`), not on either
  do-not-match list, not the same team (when `exclude_same_team`): vectorised
  filters on the pairs the index produced.

Sparsity: each mentee keeps its `candidates_per_mentee` best-scoring candidates and,
with `diversify`, each mentor its `candidates_per_mentor` best mentees, so a handful of
mentors at the top of everyone's list cannot leave the others without edges.
The certified engine reads every feasible pair once (`exhaustive`: a mentee's top-K
is then exact and `ceiling` bounds every pair left out, which is what lets the
pricing in `certify` skip them); the old sparse-only mode samples instead: for a
(topic, language) list longer than `scan_limit_per_topic` within the time window, a
deterministic, evenly spread sample of that many mentors (rotated per mentee so load
spreads over the whole list) is scored.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from .encoding import INDEX_STRIDE, OFFSET_SHIFT, Community, topic_key
from .pairscore import pair_units
from .scoring import criterion_units, max_units

# Pairs scored per vectorised chunk. Small enough that every temporary stays under
# glibc's mmap threshold and is recycled instead of page-faulted in afresh (which
# measured 20x slower than the arithmetic itself), large enough to amortise numpy calls.
CHUNK_PAIRS = 262_144
_EPS = 1e-6  # offsets are multiples of 15 minutes; this only guards float rounding


@dataclass(frozen=True)
class CandidateGraph:
    """Sparse bipartite graph over seeker and mentor indices of a `Community`.

    Edges are sorted by (seeker, score descending, mentor), so every seeker's edges
    form one run with the best first.
    """

    seekers: np.ndarray  # int64 seeker index per edge
    mentors: np.ndarray  # int64 mentor index per edge
    units: np.ndarray  # int64 total score in hundredths of a point
    scanned_pairs: int  # pairs read from the index (after de-duplication)
    feasible_pairs: int  # of those, pairs passing every hard constraint
    sampled_lists: int  # (mentee, topic, language) lists that hit the scan limit
    # Exhaustive graphs only: per seeker, the best score among feasible pairs NOT kept
    # (−1 when all were kept) — the bound pricing uses for every pair outside the graph.
    ceiling: np.ndarray | None = None

    @property
    def edges(self) -> int:
        return len(self.seekers)


def _segments(c: Community) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Index ranges to scan: (seeker, start, length, list key) per segment, sorted by seeker.

    Computed once per round (candidate generation and every pricing pass read the same ranges).
    """
    cached = c.cache.get("segments")
    if not isinstance(cached, tuple):  # absent until the first call of the round
        cached = c.cache["segments"] = _compute_segments(c)
    return cached


def _compute_segments(c: Community) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rules = c.rules
    n_lang = max(1, len(c.language_ids))
    n_lists = len(c.topic_names) * n_lang
    seg_seeker: list[int] = []
    seg_base: list[int] = []
    for s, i in enumerate(c.seeker_member.tolist()):
        langs = sorted(c.language_ids[topic_key(lang)] for lang in c.profiles[i].languages)
        for t in c.seeker_topics[s].tolist():
            if t < 0:
                break
            for lang in langs:
                seg_seeker.append(s)
                seg_base.append(t * n_lang + lang)
    seeker = np.asarray(seg_seeker, dtype=np.int64)
    base = np.asarray(seg_base, dtype=np.int64)
    x = c.tz[c.seeker_member[seeker]] + OFFSET_SHIFT
    limit = rules.max_timezone_difference_hours
    keys = c.index_keys

    starts, lengths, seekers, lists = [], [], [], []
    # Circular window: the plain interval and its copies a day earlier and later.
    for shift in (0.0, 24.0, -24.0):
        lo = np.clip(x - limit + shift, 0.0, 26.0)
        hi = np.clip(x + limit + shift, 0.0, 26.0)
        nonempty = (x - limit + shift <= 26.0) & (x + limit + shift >= 0.0)
        a = np.searchsorted(keys, base * INDEX_STRIDE + lo - _EPS, side="left")
        b = np.searchsorted(keys, base * INDEX_STRIDE + hi + _EPS, side="right")
        keep = nonempty & (b > a)
        starts.append(a[keep])
        lengths.append((b - a)[keep])
        seekers.append(seeker[keep])
        lists.append(base[keep])
    # Async mentees also reach async mentors at any offset.
    is_async = c.accepts_async[c.seeker_member[seeker]]
    abase = n_lists + base[is_async]
    a = np.searchsorted(keys, abase * INDEX_STRIDE - _EPS, side="left")
    b = np.searchsorted(keys, abase * INDEX_STRIDE + 26.0 + _EPS, side="right")
    keep = b > a
    starts.append(a[keep])
    lengths.append((b - a)[keep])
    seekers.append(seeker[is_async][keep])
    lists.append(abase[keep])

    start = np.concatenate(starts)
    length = np.concatenate(lengths)
    seek = np.concatenate(seekers)
    lst = np.concatenate(lists)
    order = np.argsort(seek, kind="stable")
    return seek[order], start[order], length[order], lst[order]


def _expand(
    c: Community, seeker: np.ndarray, start: np.ndarray, length: np.ndarray, lst: np.ndarray, limit: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Index positions of each segment -> (seeker, mentor) arrays.

    With a `limit`, a segment longer than it is sampled to `limit` evenly spread entries;
    without one (pricing, the full feasible graph) every entry is read.
    """
    if limit is None:
        take = length
        seg = np.repeat(np.arange(len(take)), take)
        pos = start[seg] + np.arange(len(seg)) - np.repeat(np.cumsum(take) - take, take)
        return seeker[seg], c.index_mentor[pos]
    take = np.minimum(length, limit)
    stride = np.maximum(length // np.maximum(take, 1), 1)
    # Per-(mentee, list) rotation, a pure function of ids, so input order cannot matter.
    member = c.member_ids[c.seeker_member[seeker]].astype(np.uint64)
    mixed = member * np.uint64(0x9E3779B97F4A7C15) ^ (lst.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F))
    mixed ^= mixed >> np.uint64(29)
    phase = (mixed % np.maximum(length, 1).astype(np.uint64)).astype(np.int64)
    phase[take == length] = 0  # whole list scanned: no rotation needed

    total = int(take.sum())
    seg = np.repeat(np.arange(len(take)), take)
    j = np.arange(total) - np.repeat(np.cumsum(take) - take, take)
    pos = start[seg] + (phase[seg] + j * stride[seg]) % length[seg]
    return seeker[seg], c.index_mentor[pos]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # np.unique on integers now hashes, which measured far slower than sort + mask here.
    values = np.sort(values)
    if len(values) < 2:
        return values
    return values[np.r_[True, values[1:] != values[:-1]]]


# Largest (seekers in a chunk × mentors) stamp table a thread keeps for de-duplication (int32
# entries); a chunk spanning more falls back to a sort. At 100k a chunk spans ~100 seekers.
MAX_STAMP_ENTRIES = 1 << 23
_stamps = threading.local()


def _unique_pairs(s: np.ndarray, m: np.ndarray, n_m: int) -> tuple[np.ndarray, np.ndarray]:
    """One copy of each (seeker, mentor) pair of a chunk (seekers non-decreasing), in chunk order.

    A stamp table over (seeker − first seeker, mentor): every pair writes its position, and
    a pair survives where its slot still holds its own position. Exactly one copy of each
    pair survives whichever write lands last, so the pair SET is a pure function of the
    input; the table is never cleared because every slot read was written in this chunk.
    Scatter and gather stay within one seeker's row of the table at a time (cache-local),
    where the sort it replaces cost ~50 ns per pair at 100k.
    """
    if len(s) < 2:
        return s, m
    lo = int(s[0])
    entries = (int(s[-1]) - lo + 1) * n_m
    if entries > MAX_STAMP_ENTRIES or len(s) >= 1 << 31:
        key = _sorted_unique(s * n_m + m)
        return key // n_m, key % n_m
    table = getattr(_stamps, "table", None)
    if table is None or len(table) < entries:
        table = _stamps.table = np.empty(max(entries, 1 << 20), dtype=np.int32)
    key = (s - lo) * n_m + m
    pos = np.arange(len(s), dtype=np.int32)
    table[key] = pos
    first = table[key] == pos
    return s[first], m[first]


def _sorted_by_seeker(
    c: Community, s: np.ndarray, m: np.ndarray, units: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs sorted by (seeker, score descending, mentor), and each one's rank within its seeker.

    One packed integer key sorted in place (a plain sort is several times faster than an
    argsort plus gathers), then unpacked.
    """
    top = max_units(c) + 1
    n_m = max(1, c.n_mentors)
    key = np.sort((s * top + (top - 1 - units)) * n_m + m)
    high, m = np.divmod(key, n_m)
    s, low = np.divmod(high, top)
    first = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    rank = np.arange(len(s)) - np.repeat(first, np.diff(np.r_[first, len(s)]))
    return s, m, top - 1 - low, rank


_BUCKET_SHIFT = 6  # score buckets of 64 hundredths for the pre-selection below


def _at_least_best(s: np.ndarray, units: np.ndarray, need: int, top_units: int) -> np.ndarray:
    """A mask holding, for every seeker, at least its `need` best pairs (all of them if fewer).

    Sorting only these gives the same ranks below `need` as sorting everything: a pair left
    out scores below a bucket that already holds `need` better-or-equal pairs of its seeker.
    One histogram of (seeker, score bucket) per chunk instead of a sort of every pair.
    """
    if len(s) == 0:
        return np.ones(0, dtype=bool)
    lo = int(s.min())
    n = int(s.max()) - lo + 1
    n_buckets = (top_units >> _BUCKET_SHIFT) + 1
    bucket = units >> _BUCKET_SHIFT
    local = s - lo
    counts = np.bincount(local * n_buckets + bucket, minlength=n * n_buckets).reshape(n, n_buckets)
    at_or_above = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]  # pairs in bucket b or higher
    # Non-increasing in b, so the count of buckets meeting `need` is one past the highest of them.
    threshold = np.maximum((at_or_above >= need).sum(axis=1) - 1, 0)
    return bucket >= threshold[local]


def _best_per_mentor(
    c: Community, s: np.ndarray, m: np.ndarray, units: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each mentor's top-k pairs by score (ties: lower seeker index first), as packed-key sort."""
    top = max_units(c) + 1
    n_s = max(1, c.n_seekers)
    key = np.sort((m * top + (top - 1 - units)) * n_s + s)
    high, s = np.divmod(key, n_s)
    m, low = np.divmod(high, top)
    first = np.flatnonzero(np.r_[True, m[1:] != m[:-1]])
    rank = np.arange(len(m)) - np.repeat(first, np.diff(np.r_[first, len(m)]))
    keep = rank < k
    return s[keep], m[keep], top - 1 - low[keep]


def _rule_arrays(c: Community) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per seeker / per mentor: team (−1 none, −2 on the mentor side so no team meets it); per
    mentor, the seeker index of the same member (−1: not a mentee too); per seeker, whether any
    forbidden pair starts with them. Computed once per round."""
    cached = c.cache.get("rule_arrays")
    if not isinstance(cached, tuple):
        n_members = max(1, len(c.member_ids))
        seeker_team = c.team[c.seeker_member]
        mentor_team = np.where(c.team[c.mentor_member] >= 0, c.team[c.mentor_member], -2)
        seeker_of = np.full(n_members, -1, dtype=np.int64)
        seeker_of[c.seeker_member] = np.arange(c.n_seekers)
        listed = np.zeros(n_members, dtype=bool)
        listed[c.forbidden_keys // n_members] = True
        cached = c.cache["rule_arrays"] = (
            seeker_team,
            mentor_team,
            seeker_of[c.mentor_member],
            listed[c.seeker_member],
        )
    return cached


def hard_rule_mask(c: Community, s: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The pair-level hard rules the index cannot express: self, same team, forbidden pairs."""
    n_members = len(c.member_ids)
    seeker_team, mentor_team, self_seeker, listed = _rule_arrays(c)
    ok = self_seeker[m] != s  # a BOTH member never mentors themselves
    if c.rules.exclude_same_team:
        ok &= seeker_team[s] != mentor_team[m]
    if len(c.forbidden_keys):
        check = np.flatnonzero(listed[s])  # only mentees with a forbidden pair need the search
        pair = c.seeker_member[s[check]] * n_members + c.mentor_member[m[check]]
        at = np.minimum(np.searchsorted(c.forbidden_keys, pair), len(c.forbidden_keys) - 1)
        ok[check[c.forbidden_keys[at] == pair]] = False
    return ok


def _chunks(c: Community, seeker: np.ndarray, take: np.ndarray) -> list[tuple[int, int]]:
    """Segment ranges [lo, hi) cut at seeker changes, each about CHUNK_PAIRS index entries."""
    if not len(seeker):
        return []
    per_seeker = np.bincount(seeker, weights=take, minlength=c.n_seekers)
    cum = np.cumsum(per_seeker)
    cuts = np.searchsorted(cum, np.arange(CHUNK_PAIRS, cum[-1], CHUNK_PAIRS), side="right")
    bounds = np.unique(np.concatenate(([0], cuts, [c.n_seekers])))
    seg_bounds = np.searchsorted(seeker, bounds, side="left")
    return [(int(lo), int(hi)) for lo, hi in itertools.pairwise(seg_bounds) if hi > lo]


SegmentFilter = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
PairFilter = Callable[[np.ndarray, np.ndarray], np.ndarray]


def feasible_pairs(
    c: Community,
    segment_filter: SegmentFilter | None = None,
    pair_filter: PairFilter | None = None,
    unique: bool = True,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every (seeker, mentor) pair that passes every hard rule, in chunks, without sampling.

    The index does the pruning (topic, language, time window); nothing loops over all
    mentee × mentor pairs. `segment_filter(seeker, start, length)` may drop whole index
    ranges first and `pair_filter(seeker, mentor)` single pairs before the hard rules
    (pricing uses both to skip what a bound already rules out). With `unique`, pairs are
    unique within a chunk (a mentor reached through two topics or languages comes once);
    without, duplicates may come through. Chunks never share a seeker.
    """
    seeker, start, length, lst = _segments(c)
    if segment_filter is not None and len(seeker):
        keep = segment_filter(seeker, start, length)
        seeker, start, length, lst = seeker[keep], start[keep], length[keep], lst[keep]
    n_m = max(1, c.n_mentors)
    for lo, hi in _chunks(c, seeker, length):
        s, m = _expand(c, seeker[lo:hi], start[lo:hi], length[lo:hi], lst[lo:hi], None)
        if pair_filter is not None:
            keep = pair_filter(s, m)
            s, m = s[keep], m[keep]
        if unique:
            key = _sorted_unique(s * n_m + m)
            s, m = key // n_m, key % n_m
        ok = hard_rule_mask(c, s, m)
        yield s[ok], m[ok]


Edges = tuple[np.ndarray, np.ndarray, np.ndarray]
_WORKERS = max(1, min(2, os.cpu_count() or 1))
T = TypeVar("T")


def map_feasible(
    c: Community,
    work: Callable[[np.ndarray, np.ndarray], T],
    segment_filter: SegmentFilter | None = None,
    pair_filter: PairFilter | None = None,
) -> list[T]:
    """`work(seekers, mentors)` on every chunk of `feasible_pairs(..., unique=False)`, on two threads.

    numpy releases the GIL in gathers and arithmetic, so chunks overlap on a second core;
    results come back in chunk order, so nothing depends on thread timing.
    """
    seeker, start, length, lst = _segments(c)
    if segment_filter is not None and len(seeker):
        keep = segment_filter(seeker, start, length)
        seeker, start, length, lst = seeker[keep], start[keep], length[keep], lst[keep]
    _rule_arrays(c)  # filled once before threads share it

    def chunk(bounds: tuple[int, int]) -> T:
        lo, hi = bounds
        s, m = _expand(c, seeker[lo:hi], start[lo:hi], length[lo:hi], lst[lo:hi], None)
        if pair_filter is not None:
            keep = pair_filter(s, m)
            s, m = s[keep], m[keep]
        ok = hard_rule_mask(c, s, m)
        return work(s[ok], m[ok])

    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        return list(pool.map(chunk, _chunks(c, seeker, length)))


@dataclass(frozen=True)
class _ChunkResult:
    scanned: int
    feasible: int
    kept: Edges  # each seeker's top K
    first_out: tuple[np.ndarray, np.ndarray]  # (seeker, score) of each seeker's best pair not kept
    per_mentor: Edges | None  # each mentor's top R within the chunk


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def generate_candidates(c: Community, diversify: bool = True, exhaustive: bool = False) -> CandidateGraph:
    """Build the sparse candidate graph: hard constraints, scores, top-K per mentee.

    With `diversify`, every mentor also keeps their `candidates_per_mentor` best mentees
    among the pairs scanned, so a few popular mentors at the top of everyone's list cannot
    leave the others without edges. With `exhaustive`, long lists are read whole instead
    of sampled, so each mentee's top-K is exact and `ceiling` bounds every other pair.
    """
    rules = c.rules
    n_m = max(1, c.n_mentors)
    k = rules.candidates_per_mentee
    limit = None if exhaustive else rules.scan_limit_per_topic
    seeker, start, length, lst = _segments(c)
    take = length if limit is None else np.minimum(length, limit)
    sampled = int((length > take).sum())
    ceiling = np.full(c.n_seekers, -1, dtype=np.int64) if exhaustive else None

    def chunk(bounds: tuple[int, int]) -> _ChunkResult:
        lo, hi = bounds
        s, m = _expand(c, seeker[lo:hi], start[lo:hi], length[lo:hi], lst[lo:hi], limit)
        s, m = _unique_pairs(s, m, n_m)  # a mentor reached via two topics/languages counts once
        scanned = len(s)
        ok = hard_rule_mask(c, s, m)
        s, m = s[ok], m[ok]
        units = pair_units(c, s, m)
        feasible = len(s)
        # Only each seeker's best 4K (K + 1 without diversification) are ever read below.
        top = _at_least_best(s, units, 4 * k if diversify else k + 1, max_units(c))
        s, m, units, rank = _sorted_by_seeker(c, s[top], m[top], units[top])
        keep = rank < k
        first_out = rank == k  # sorted best-first per seeker, so rank k is the best pair left out
        near = rank < 4 * k
        best = _best_per_mentor(c, s[near], m[near], units[near], rules.candidates_per_mentor) if diversify else None
        return _ChunkResult(scanned, feasible, (s[keep], m[keep], units[keep]), (s[first_out], units[first_out]), best)

    out_s: list[np.ndarray] = []
    out_m: list[np.ndarray] = []
    out_u: list[np.ndarray] = []
    rev_s: list[np.ndarray] = []
    rev_m: list[np.ndarray] = []
    rev_u: list[np.ndarray] = []
    scanned = feasible = 0
    pair_units(c, seeker[:0], seeker[:0])  # fill the scorer's lookup tables before threads share them
    _rule_arrays(c)
    # numpy releases the GIL in sorts and arithmetic, so chunks overlap on a second core;
    # `map` keeps chunk order, so the result does not depend on thread timing.
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for r in pool.map(chunk, _chunks(c, seeker, take)):
            scanned += r.scanned
            feasible += r.feasible
            out_s.append(r.kept[0])
            out_m.append(r.kept[1])
            out_u.append(r.kept[2])
            if ceiling is not None:
                ceiling[r.first_out[0]] = r.first_out[1]
            if r.per_mentor is not None:
                # Each mentor's best mentees among these seekers' top 4K (the top-R of a union is
                # within the per-part top-Rs); folded together whenever they outgrow a few rounds.
                rev_s.append(r.per_mentor[0])
                rev_m.append(r.per_mentor[1])
                rev_u.append(r.per_mentor[2])
                if sum(len(x) for x in rev_s) > 4 * max(1, c.n_mentors) * max(1, rules.candidates_per_mentor):
                    bs, bm, bu = _best_per_mentor(c, _cat(rev_s), _cat(rev_m), _cat(rev_u), rules.candidates_per_mentor)
                    rev_s, rev_m, rev_u = [bs], [bm], [bu]

    s, m, u = _cat(out_s), _cat(out_m), _cat(out_u)
    if diversify and rev_s:
        best = _best_per_mentor(c, _cat(rev_s), _cat(rev_m), _cat(rev_u), rules.candidates_per_mentor)
        s, m, u = merge_edges(c, (s, m, u), best)
    return CandidateGraph(s, m, u, scanned, feasible, sampled, ceiling)


def merge_edges(
    c: Community, *parts: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of edge lists (duplicates dropped), sorted by (seeker, score descending, mentor)."""
    s = np.concatenate([p[0] for p in parts])
    m = np.concatenate([p[1] for p in parts])
    u = np.concatenate([p[2] for p in parts])
    s, m, u, _ = _sorted_by_seeker(c, s, m, u)
    # Same pair, same score: duplicates sit next to each other after the sort.
    keep = np.r_[True, (s[1:] != s[:-1]) | (m[1:] != m[:-1])] if len(s) else np.zeros(0, dtype=bool)
    return s[keep], m[keep], u[keep]


def feasible_graph(c: Community) -> CandidateGraph:
    """Every feasible pair, scored: the full graph the certificate reasons about.

    For tests and benchmarks (greedy on the full graph); a large round's full graph can
    hold hundreds of millions of pairs, which is why the engine never builds it.
    """
    parts = [(s, m, criterion_units(c, s, m).sum(axis=1)) for s, m in feasible_pairs(c) if len(s)]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return CandidateGraph(empty, empty, empty, 0, 0, 0)
    s, m, u = merge_edges(c, *parts)
    return CandidateGraph(s, m, u, len(s), len(s), 0)
