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

Sparsity: each mentee keeps its `candidates_per_mentee` best-scoring candidates.
For a (topic, language) list longer than `scan_limit_per_topic` within the time
window, a deterministic, evenly spread sample of that many mentors (rotated per
mentee so that load spreads over the whole list) is scored instead of all of them.
The assignment is exact over the resulting graph; small rounds are never sampled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .encoding import INDEX_STRIDE, OFFSET_SHIFT, Community, topic_key
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

    @property
    def edges(self) -> int:
        return len(self.seekers)


def _segments(c: Community) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Index ranges to scan: (seeker, start, length, list key) per segment, sorted by seeker."""
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
    c: Community, seeker: np.ndarray, start: np.ndarray, length: np.ndarray, lst: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Index positions of each segment, sampled to the scan limit -> (seeker, mentor) arrays."""
    limit = c.rules.scan_limit_per_topic
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


def _rank_within_seeker(c: Community, s: np.ndarray, m: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Order by (seeker, score descending, mentor) via one integer key, and each pair's rank."""
    top = max_units(c) + 1
    key = (s * top + (top - 1 - units)) * max(1, c.n_mentors) + m  # < 2^63 for any real community
    order = np.argsort(key)
    s_sorted = s[order]
    first = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    rank = np.arange(len(s)) - np.repeat(first, np.diff(np.r_[first, len(s)]))
    return order, rank


def _best_per_seeker(
    c: Community, s: np.ndarray, m: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact top-k pairs per seeker by total score (ties: lower mentor index first)."""
    units = criterion_units(c, s, m).sum(axis=1)
    order, rank = _rank_within_seeker(c, s, m, units)
    keep = order[rank < k]
    return s[keep], m[keep], units[keep]


def generate_candidates(c: Community) -> CandidateGraph:
    """Build the sparse candidate graph: hard constraints, scores, top-K per mentee."""
    rules = c.rules
    n_m = max(1, c.n_mentors)
    n_members = len(c.member_ids)
    seeker, start, length, lst = _segments(c)
    take = np.minimum(length, rules.scan_limit_per_topic)
    sampled = int((length > take).sum())

    # Chunk boundaries at seeker changes, each chunk about CHUNK_PAIRS scanned pairs.
    per_seeker = np.bincount(seeker, weights=take, minlength=c.n_seekers)
    cum = np.cumsum(per_seeker)
    cuts = np.searchsorted(cum, np.arange(CHUNK_PAIRS, cum[-1] if len(cum) else 0, CHUNK_PAIRS), side="right")
    bounds = np.unique(np.concatenate(([0], cuts, [c.n_seekers])))
    seg_bounds = np.searchsorted(seeker, bounds, side="left")

    out_s, out_m, out_u = [], [], []
    scanned = feasible = 0
    for lo, hi in zip(seg_bounds[:-1], seg_bounds[1:]):
        if hi <= lo:
            continue
        s, m = _expand(c, seeker[lo:hi], start[lo:hi], length[lo:hi], lst[lo:hi])
        key = _sorted_unique(s * n_m + m)  # a mentor reached via two topics/languages counts once
        s, m = key // n_m, key % n_m
        scanned += len(key)

        se, me = c.seeker_member[s], c.mentor_member[m]
        ok = se != me  # a BOTH member never mentors themselves
        if rules.exclude_same_team:
            ok &= ~((c.team[se] == c.team[me]) & (c.team[se] >= 0))
        if len(c.forbidden_keys):
            pair = se * n_members + me
            at = np.minimum(np.searchsorted(c.forbidden_keys, pair), len(c.forbidden_keys) - 1)
            ok &= c.forbidden_keys[at] != pair
        s, m = s[ok], m[ok]
        feasible += len(s)
        if not len(s):
            continue

        s, m, units = _best_per_seeker(c, s, m, rules.candidates_per_mentee)
        out_s.append(s)
        out_m.append(m)
        out_u.append(units)

    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    return CandidateGraph(cat(out_s), cat(out_m), cat(out_u), scanned, feasible, sampled)
