"""Total scores of many pairs at once, through per-round lookup tables.

`scoring.criterion_units` computes nine criteria per pair with about forty numpy passes
over the pairs; the candidate pass and the pricing only need each pair's total, for
millions of pairs. Most criteria depend on a handful of small attributes per side (years
of experience, UTC offset, cadence, program length, communication, hours), so members
with the same attributes form a class, and a table over (mentee class, mentor class)
holds those criteria's points. The table is filled by `criterion_units` itself on one
representative pair per cell, so every entry is the exact integer the scorer gives
(same float operations, same rounding) — a property test holds the two equal.

Topics: a mentee's points depend only on which of their wanted topics the mentor offers
(a bit pattern over the mentee's at most P wants) and on the mentee's topic weights, so a
table over (weight class, pattern) gives them exactly, with the same summation order as
the scorer. Goals: the keyword overlap is counted per pair (AND + popcount), then a
table over (shared, mentee keywords, mentor keywords) gives the points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .encoding import Community
from .scoring import criterion_units, criterion_weights, to_units, waiting_units

# Largest (mentee class × mentor class) table a group of criteria may use before it is split
# into one table per criterion; larger tables fall out of the CPU caches.
MAX_TABLE = 1 << 21
# Topic patterns: tables over (weight class, 2**P patterns) up to this many entries.
MAX_TOPIC_TABLE = 1 << 22

# Criteria read from member attributes, grouped by the tables they share; each attribute
# is a column derived from the member arrays (NaN-free, so classes compare exactly).
_GROUPS: tuple[tuple[int, ...], ...] = ((2, 3), (4, 5, 6, 7))


@dataclass(frozen=True)
class _Table:
    seeker_row: np.ndarray  # int64 per seeker: class index × columns
    mentor_col: np.ndarray  # int64 per mentor: class index
    units: np.ndarray  # flat int32 table


@dataclass(frozen=True)
class PairTables:
    base: np.ndarray  # int64 per seeker: the waiting points (the mentee's alone)
    groups: tuple[_Table, ...]
    topic_row: np.ndarray | None  # int64 per seeker: weight class × 2**P (None: no topic table)
    topic_units: np.ndarray
    topic_ids: tuple[np.ndarray, ...]  # per want position p: int64 vocab id per seeker (padding: topics)
    offered: np.ndarray | None  # uint8 flat (n_mentors, topics + 1): does the mentor offer it
    goal_units: np.ndarray  # flat int32 over (mentee keywords, mentor keywords, shared)
    kw_seeker: np.ndarray  # int64 per seeker: keywords × side²
    kw_mentor: np.ndarray  # int64 per mentor: keywords × side
    keywords: tuple[tuple[np.ndarray, np.ndarray], ...]  # per entry q: (word, bits) per seeker


def _attributes(c: Community, members: np.ndarray, criterion: int) -> list[np.ndarray]:
    """The member attributes one criterion reads (NaN replaced by a flag column)."""
    if criterion == 2:
        return [c.years_known[members].astype(np.float64), c.years_int[members].astype(np.float64)]
    if criterion == 3:
        return [c.tz_quarters[members].astype(np.float64)]
    if criterion == 7:
        h = c.hours[members]
        return [np.isnan(h).astype(np.float64), np.nan_to_num(h, nan=0.0)]
    arr = {4: c.cadence, 5: c.length, 6: c.communication}[criterion]
    return [arr[members].astype(np.float64)]


def _classes(columns: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(representative index per class, class per row) of rows with equal attribute columns."""
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    matrix = np.stack(columns, axis=1)
    _, first, inverse = np.unique(matrix, axis=0, return_index=True, return_inverse=True)
    return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)


def _group_table(c: Community, criteria: tuple[int, ...]) -> _Table:
    cols_s = [a for k in criteria for a in _attributes(c, c.seeker_member, k)]
    cols_m = [a for k in criteria for a in _attributes(c, c.mentor_member, k)]
    rep_s, cls_s = _classes(cols_s, c.n_seekers)
    rep_m, cls_m = _classes(cols_m, c.n_mentors)
    s = np.repeat(rep_s, len(rep_m))
    m = np.tile(rep_m, len(rep_s))
    units = criterion_units(c, s, m)[:, list(criteria)].sum(axis=1).astype(np.int32)
    return _Table(cls_s * len(rep_m), cls_m, units)


def _topic_table(c: Community) -> tuple[np.ndarray | None, np.ndarray]:
    width = c.seeker_topics.shape[1]
    weights = c.seeker_topic_w
    rep, cls = _classes([weights[:, p] for p in range(width)], c.n_seekers)
    patterns = 1 << width
    if len(rep) * patterns > MAX_TOPIC_TABLE:
        return None, np.zeros(0, dtype=np.int32)
    pattern = np.arange(patterns)
    cover = np.zeros((len(rep), patterns))
    for p in range(width):  # the scorer's order of summation, so the floats are identical
        cover += weights[rep, p][:, None] * ((pattern >> p) & 1).astype(bool)[None, :]
    units = to_units(np.minimum(cover, 1.0), criterion_weights(c)[0]).astype(np.int32)
    return cls * patterns, units.ravel()


def _goal_table(c: Community) -> tuple[np.ndarray, int]:
    side = int(max(c.seeker_kw_count.max(initial=0), c.mentor_kw_count.max(initial=0))) + 1
    ks, km, shared = (a.ravel() for a in np.meshgrid(*(np.arange(side),) * 3, indexing="ij"))
    denom = np.sqrt(ks.astype(np.float64) * km.astype(np.float64))
    frac = np.divide(shared, denom, out=np.zeros(len(shared)), where=denom > 0)
    return to_units(np.minimum(frac, 1.0), criterion_weights(c)[1]).astype(np.int32), side


def pair_tables(c: Community) -> PairTables:
    cached = c.cache.get("pair_tables")
    if isinstance(cached, PairTables):
        return cached
    groups: list[_Table] = []
    for criteria in _GROUPS:
        table = _group_table(c, criteria)
        if len(table.units) > MAX_TABLE:
            groups.extend(_group_table(c, (k,)) for k in criteria)
        else:
            groups.append(table)
    topic_row, topic_units = _topic_table(c)
    n_topics = len(c.topic_names)
    ids = np.where(c.seeker_topics >= 0, c.seeker_topics, n_topics).astype(np.int64)
    offered = None
    if topic_row is not None:
        dense = np.zeros((c.n_mentors, n_topics + 1), dtype=np.uint8)
        for word in range(c.mentor_topic_mask.shape[1]):
            bits = np.arange(64 * word, min(64 * word + 64, n_topics))
            dense[:, bits] = (c.mentor_topic_mask[:, word : word + 1] >> (bits - 64 * word).astype(np.uint64)) & 1
        offered = dense.ravel()
    goal_units, side = _goal_table(c)
    entries = c.seeker_kw_word.shape[1]
    tables = PairTables(
        base=waiting_units(c, criterion_weights(c)[8]),
        groups=tuple(groups),
        topic_row=topic_row,
        topic_units=topic_units,
        topic_ids=tuple(np.ascontiguousarray(ids[:, p]) for p in range(ids.shape[1])),
        offered=offered,
        goal_units=goal_units,
        kw_seeker=c.seeker_kw_count.astype(np.int64) * side * side,
        kw_mentor=c.mentor_kw_count.astype(np.int64) * side,
        keywords=tuple(
            (np.ascontiguousarray(c.seeker_kw_word[:, q]), np.ascontiguousarray(c.seeker_kw_bits[:, q]))
            for q in range(entries)
        ),
    )
    c.cache["pair_tables"] = tables
    return tables


def pair_units(c: Community, s: np.ndarray, m: np.ndarray) -> np.ndarray:
    """int64 total score (hundredths) of each (seeker, mentor) pair: `criterion_units(...).sum(1)`."""
    t = pair_tables(c)
    total = t.base[s]
    for g in t.groups:
        total += g.units[g.seeker_row[s] + g.mentor_col[m]]
    if t.offered is not None and t.topic_row is not None:
        row = m * (len(c.topic_names) + 1)
        wide = len(t.topic_ids) > 8
        pattern: np.ndarray = np.zeros(len(s), dtype=np.int64 if wide else np.uint8)
        for p, ids in enumerate(t.topic_ids):
            bit = t.offered[row + ids[s]]
            pattern |= (bit.astype(np.int64) << p) if wide else (bit << np.uint8(p))
        total += t.topic_units[t.topic_row[s] + pattern]
    else:
        total += criterion_units(c, s, m)[:, 0]
    if len(s) and c.mentor_kw_mask.size:
        shared = np.zeros(len(s), dtype=np.uint8)
        flat = c.mentor_kw_mask.ravel()
        base = m * c.mentor_kw_mask.shape[1]
        for words, bits in t.keywords[: int(c.seeker_kw_entries[s].max(initial=0))]:
            shared += np.bitwise_count(flat[base + words[s]] & bits[s])
        total += t.goal_units[t.kw_seeker[s] + t.kw_mentor[m] + shared]
    return total
