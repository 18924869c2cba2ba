"""Turn a list of profiles into numpy arrays the candidate generator and scorer share.

Everything is derived in a canonical order (profiles sorted by member id, topics
and keywords sorted by name), so shuffling the input never changes the result.
Mentees ("seekers") and mentors are indexed separately: a BOTH member has one
row on each side, and `*_member` maps both back to the same member index.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .profiles import (
    CADENCES,
    COMMUNICATION_MODES,
    PROGRAM_LENGTHS,
    MatchingRules,
    MatchProfile,
)

# Keywords kept per member for goal similarity: the rarest ones carry the meaning,
# and a fixed width keeps the vectorised scorer's cost per pair bounded.
MAX_GOAL_KEYWORDS = 12
# A keyword used by more than this share of members says nothing about fit.
COMMON_KEYWORD_SHARE = 0.5

_STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further get got had has
    have having he her here hers herself him himself his how i if in into is it its itself just like me
    more most my myself no nor not now of off on once only or other our ours ourselves out over own really
    same she should so some such than that the their theirs them themselves then there these they this
    those through to too under until up very want wants was we were what when where which while who whom
    why will with would you your yours yourself yourselves im ive id dont want would like get better more
    help learn learning grow improve become someone want wanting need needs
    """.split()
)
_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*")


def goal_keywords(text: str) -> frozenset[str]:
    """Keywords of a goals text: lower-cased words without stop-words, plural 's' folded."""
    tokens = set(_TOKEN.findall(text.casefold())) - _STOP_WORDS
    # "skills"/"skill" should meet; "business", "kubernetes", "status", "analysis" keep their s.
    return frozenset(t[:-1] if len(t) > 4 and t[-1] == "s" and t[-2] not in "seiu" else t for t in tokens if len(t) > 1)


@functools.lru_cache(maxsize=65536)
def topic_key(topic: str) -> str:
    """Topics (and languages) meet case-insensitively ("Rust" and "rust")."""
    return " ".join(topic.split()).casefold()


def bitmask(rows: Sequence[Iterable[int]], n_bits: int) -> np.ndarray:
    """One row of uint64 words per entry, bit i set when i is in the entry."""
    words = max(1, (n_bits + 63) // 64)
    mask = np.zeros((len(rows), words), dtype=np.uint64)
    r_idx: list[int] = []
    bits: list[int] = []
    for r, ids in enumerate(rows):
        for i in ids:
            r_idx.append(r)
            bits.append(i)
    if bits:
        b = np.asarray(bits, dtype=np.int64)
        np.bitwise_or.at(mask, (np.asarray(r_idx), b >> 6), np.left_shift(np.uint64(1), (b & 63).astype(np.uint64)))
    return mask


def has_bit(mask: np.ndarray, rows: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """For each (row, bit) pair: is the bit set? Negative bits (padding) read as False."""
    safe = np.maximum(bits, 0)
    # A flat gather is much cheaper than 2-D fancy indexing.
    word = mask.ravel()[rows * mask.shape[1] + (safe >> 6)]
    out = (word >> (safe & 63).astype(np.uint64)) & np.uint64(1)
    return (out.astype(bool)) & (bits >= 0)


def _padded(lists: Sequence[Sequence[int]]) -> np.ndarray:
    """Ragged int lists -> one -1-padded matrix, filled with a single scatter."""
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    width = int(lengths.max(initial=0)) or 1
    ids = np.full((len(lists), width), -1, dtype=np.int64)
    rows = np.repeat(np.arange(len(lists)), lengths)
    cols = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ids[rows, cols] = [x for xs in lists for x in xs]
    return ids


@dataclass
class Community:
    """All arrays of one round. Built once by `encode`; never mutated afterwards."""

    profiles: list[MatchProfile]  # sorted by member_id
    member_ids: np.ndarray  # int64, index = member index
    rules: MatchingRules

    # Eligible mentees ("seekers") and available mentors, as member indices.
    seeker_member: np.ndarray
    mentor_member: np.ndarray
    mentor_free: np.ndarray  # free slots per available mentor
    skipped: list[tuple[int, str, str]]  # (member index, cause, reason) of ineligible mentees

    # Topics: only those at least one available mentor offers AND one seeker wants can match.
    topic_names: list[str]  # display names for vocab ids
    topic_ids: dict[str, int]
    topic_display: dict[str, str]  # every normalised topic of the round -> display name
    topic_demand: np.ndarray  # seekers wanting, per vocab id
    topic_supply: np.ndarray  # free slots of available mentors offering, per vocab id
    topic_weight: np.ndarray  # 1 + ln(1 + demand/supply): scarce topics weigh more
    scarce_topics: frozenset[str]  # normalised topics with more demand than free slots

    seeker_topics: np.ndarray  # (n_seekers, P) vocab ids, -1 padded
    seeker_topic_w: np.ndarray  # matching weights normalised to sum 1 per seeker
    mentor_topic_mask: np.ndarray  # (n_mentors, words) bitmask

    seeker_keywords: list[frozenset[str]]  # per seeker: the goal keywords that count (reason texts)
    mentor_keywords: list[frozenset[str]]  # per mentor: the help-with keywords that count
    # Goal keywords as bitsets over the round's keyword vocabulary. A seeker's set is stored
    # sparsely as (word index, bits) entries, so a pair costs one AND+popcount per entry.
    seeker_kw_word: np.ndarray  # (n_seekers, Q) int64, 0 where padded
    seeker_kw_bits: np.ndarray  # (n_seekers, Q) uint64, 0 where padded
    seeker_kw_entries: np.ndarray  # used entries per seeker
    seeker_kw_count: np.ndarray  # keywords per seeker
    mentor_kw_mask: np.ndarray  # (n_mentors, words) uint64
    mentor_kw_count: np.ndarray

    # Per member index (both sides read these through *_member).
    tz: np.ndarray
    years: np.ndarray  # NaN when unknown
    cadence: np.ndarray
    length: np.ndarray
    communication: np.ndarray
    hours: np.ndarray
    days_waiting: np.ndarray
    times_left: np.ndarray
    team: np.ndarray  # -1 = no team
    accepts_async: np.ndarray
    tz_quarters: np.ndarray  # UTC offset in quarter hours (offsets are whole quarters)
    years_int: np.ndarray  # years of experience, 0 where unknown
    years_known: np.ndarray

    # Sorted int64 keys a*N+b of member-index pairs that must not meet (both directions).
    forbidden_keys: np.ndarray
    # Why a pair is forbidden, for explanations: key -> "previous pair" / "do-not-match".
    forbidden_why: dict[int, str]

    # Inverted index: entries sorted by (list key, utc offset, mentor). A list key names
    # (topic, language) for everyone, or (topic, language, async) for async mentors.
    language_ids: dict[str, int]
    index_keys: np.ndarray  # float64: list_key * 64 + offset + 12, searchable by tz range
    index_mentor: np.ndarray  # mentor-side index of each entry

    # Derived lookup tables (scoring fills it once per round).
    cache: dict[str, object] = field(default_factory=dict)

    @property
    def n_seekers(self) -> int:
        return len(self.seeker_member)

    @property
    def n_mentors(self) -> int:
        return len(self.mentor_member)


INDEX_STRIDE = 64.0  # > 26 hours of UTC offsets (−12 … +14) plus slack
OFFSET_SHIFT = 12.0


def _ordinal(values: Iterable[str], scale: tuple[str, ...]) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(scale)}
    lookup[""] = -1  # no answer
    return np.fromiter((lookup[v] for v in values), dtype=np.int64)


def encode(profiles: Iterable[MatchProfile], rules: MatchingRules) -> Community:
    """Validate, sort and vectorise a round's profiles."""
    ordered = sorted(profiles, key=lambda p: p.member_id)
    for before, after in itertools.pairwise(ordered):
        if before.member_id == after.member_id:
            raise ValueError(f"member {before.member_id} appears twice in the round")
    n = len(ordered)
    member_ids = np.fromiter((p.member_id for p in ordered), dtype=np.int64, count=n)
    position = {p.member_id: i for i, p in enumerate(ordered)}

    # Display names: the first spelling in sorted order, so shuffled input cannot change it.
    display: dict[str, str] = {}
    for t in sorted({t for p in ordered for ts in (p.topics_offered, p.topics_wanted) for t in ts}):
        display.setdefault(topic_key(t), t)

    seekers: list[int] = []
    skipped: list[tuple[int, str, str]] = []
    for i, p in enumerate(ordered):
        if not p.role.seeks_mentor:
            continue
        if not p.consented:
            skipped.append((i, "no_consent", "has not consented to being matched"))
        elif p.paused:
            skipped.append((i, "paused", "has paused their participation"))
        elif not p.topics_wanted:
            skipped.append((i, "no_topics", "has not said which topics they want help with"))
        else:
            seekers.append(i)
    mentors = [
        i
        for i, p in enumerate(ordered)
        if p.role.offers_mentoring and p.consented and not p.paused and p.free_capacity > 0 and p.topics_offered
    ]
    # Mentor indices in UTC-offset order (then member order): the index lists are sorted by
    # offset, so the pairs of one index range gather from nearby rows of every mentor array.
    mentors.sort(key=lambda i: (ordered[i].utc_offset_hours, i))

    wanted = [frozenset(topic_key(t) for t in ordered[i].topics_wanted) for i in seekers]
    offered = [frozenset(topic_key(t) for t in ordered[i].topics_offered) for i in mentors]
    free = np.fromiter((ordered[i].free_capacity for i in mentors), dtype=np.int64, count=len(mentors))

    demand: dict[str, int] = defaultdict(int)
    supply: dict[str, int] = defaultdict(int)
    for ts in wanted:
        for t in ts:
            demand[t] += 1
    for ts, f in zip(offered, free, strict=True):
        for t in ts:
            supply[t] += int(f)
    vocab = sorted(set(demand) & set(supply))
    topic_ids = {t: k for k, t in enumerate(vocab)}
    topic_demand = np.array([demand[t] for t in vocab], dtype=np.int64)
    topic_supply = np.array([supply[t] for t in vocab], dtype=np.int64)
    topic_weight = 1.0 + np.log1p(topic_demand / np.maximum(topic_supply, 1))

    seeker_topic_lists = [sorted(topic_ids[t] for t in ts if t in topic_ids) for ts in wanted]
    seeker_topics = _padded(seeker_topic_lists)
    padded_weight = np.append(topic_weight, 0.0)  # index -1 (padding) reads the trailing 0
    seeker_topic_w = padded_weight[seeker_topics]
    row_sum = seeker_topic_w.sum(axis=1, keepdims=True)
    seeker_topic_w = np.divide(seeker_topic_w, row_sum, out=np.zeros_like(seeker_topic_w), where=row_sum > 0)
    mentor_topic_mask = bitmask([[topic_ids[t] for t in ts if t in topic_ids] for ts in offered], len(vocab))

    # Goal keywords: words used by more than half the round are dropped as noise, and each
    # member keeps their MAX_GOAL_KEYWORDS rarest ones.
    seeker_text = [goal_keywords(ordered[i].goals_text) for i in seekers]
    mentor_text = [goal_keywords(ordered[i].helps_with_text or ordered[i].goals_text) for i in mentors]
    df: dict[str, int] = defaultdict(int)
    for ks in seeker_text + mentor_text:
        for k in ks:
            df[k] += 1
    limit = COMMON_KEYWORD_SHARE * max(len(seekers) + len(mentors), 1)
    seeker_words = {k for ks in seeker_text for k in ks}
    mentor_words = {k for ks in mentor_text for k in ks}
    kw_vocab = sorted(k for k in seeker_words & mentor_words if df[k] <= limit or n < 4)
    kw_ids = {k: j for j, k in enumerate(kw_vocab)}

    def keep(words: frozenset[str]) -> list[int]:
        ids = sorted(kw_ids[k] for k in words if k in kw_ids)
        if len(ids) > MAX_GOAL_KEYWORDS:
            ids = sorted(sorted(ids, key=lambda j: (df[kw_vocab[j]], j))[:MAX_GOAL_KEYWORDS])
        return ids

    seeker_kept = [keep(ks) for ks in seeker_text]
    mentor_kept = [keep(ks) for ks in mentor_text]

    # Seekers' keyword bitsets as (word, bits) entries: gather flat, then scatter once.
    e_row: list[int] = []
    e_col: list[int] = []
    e_word: list[int] = []
    e_bits: list[int] = []
    n_entries = np.zeros(len(seekers), dtype=np.int64)
    for r, ids in enumerate(seeker_kept):
        by_word: dict[int, int] = {}
        for j in ids:
            by_word[j >> 6] = by_word.get(j >> 6, 0) | (1 << (j & 63))
        for col, w in enumerate(sorted(by_word)):
            e_row.append(r)
            e_col.append(col)
            e_word.append(w)
            e_bits.append(by_word[w])
        n_entries[r] = len(by_word)
    width = int(n_entries.max(initial=0)) or 1
    seeker_kw_word = np.zeros((len(seekers), width), dtype=np.int64)
    seeker_kw_bits = np.zeros((len(seekers), width), dtype=np.uint64)
    seeker_kw_word[e_row, e_col] = e_word
    seeker_kw_bits[e_row, e_col] = np.array(e_bits, dtype=np.uint64)
    mentor_kw_mask = bitmask(mentor_kept, len(kw_vocab))

    teams: dict[str, int] = {}
    team = np.fromiter(
        (teams.setdefault(p.team, len(teams)) if p.team else -1 for p in ordered), dtype=np.int64, count=n
    )

    # Pairs that must never be proposed, as sorted keys over member indices (both directions).
    forbidden_why: dict[int, str] = {}
    for p in ordered:
        a = position[p.member_id]
        for other in p.do_not_match:
            b = position.get(other)
            if b is not None:
                forbidden_why[a * n + b] = forbidden_why[b * n + a] = "on a do-not-match list"
    if not rules.allow_rematch:
        for x, y in rules.previous_pairs:
            first, second = position.get(x), position.get(y)
            if first is not None and second is not None:
                forbidden_why.setdefault(first * n + second, "paired before")
                forbidden_why.setdefault(second * n + first, "paired before")
    forbidden_keys = np.array(sorted(forbidden_why), dtype=np.int64)

    # Inverted index over available mentors: (topic, language) -> mentors sorted by UTC offset.
    language_ids = {
        lang: k for k, lang in enumerate(sorted({topic_key(lang) for p in ordered for lang in p.languages}))
    }
    tz = np.fromiter((p.utc_offset_hours for p in ordered), dtype=np.float64, count=n)
    accepts_async = np.fromiter((p.accepts_async for p in ordered), dtype=bool, count=n)
    n_lang = max(1, len(language_ids))
    n_lists = len(vocab) * n_lang
    keys: list[float] = []
    entry_mentor: list[int] = []
    for m, (i, ts) in enumerate(zip(mentors, offered, strict=True)):
        langs = [language_ids[topic_key(lang)] for lang in ordered[i].languages]
        shift = tz[i] + OFFSET_SHIFT
        for t in ts:
            topic_id = topic_ids.get(t)
            if topic_id is None:
                continue
            for lang in langs:
                base = topic_id * n_lang + lang
                keys.append(base * INDEX_STRIDE + shift)
                entry_mentor.append(m)
                if accepts_async[i]:
                    keys.append((n_lists + base) * INDEX_STRIDE + shift)
                    entry_mentor.append(m)
    index_keys = np.asarray(keys, dtype=np.float64)
    index_mentor = np.asarray(entry_mentor, dtype=np.int64)
    order = np.lexsort((index_mentor, index_keys))

    return Community(
        profiles=ordered,
        member_ids=member_ids,
        rules=rules,
        seeker_member=np.asarray(seekers, dtype=np.int64),
        mentor_member=np.asarray(mentors, dtype=np.int64),
        mentor_free=free,
        skipped=skipped,
        topic_names=[display[t] for t in vocab],
        topic_ids=topic_ids,
        topic_display=display,
        topic_demand=topic_demand,
        topic_supply=topic_supply,
        topic_weight=topic_weight,
        scarce_topics=frozenset(t for t in vocab if demand[t] > supply[t]),
        seeker_topics=seeker_topics,
        seeker_topic_w=seeker_topic_w,
        mentor_topic_mask=mentor_topic_mask,
        seeker_keywords=[frozenset(kw_vocab[j] for j in ids) for ids in seeker_kept],
        mentor_keywords=[frozenset(kw_vocab[j] for j in ids) for ids in mentor_kept],
        seeker_kw_word=seeker_kw_word,
        seeker_kw_bits=seeker_kw_bits,
        seeker_kw_entries=n_entries,
        seeker_kw_count=np.array([len(ids) for ids in seeker_kept], dtype=np.float64),
        mentor_kw_mask=mentor_kw_mask,
        mentor_kw_count=np.array([len(ids) for ids in mentor_kept], dtype=np.float64),
        tz=tz,
        years=np.array([np.nan if p.years_experience is None else p.years_experience for p in ordered], dtype=float),
        cadence=_ordinal((p.cadence for p in ordered), CADENCES),
        length=_ordinal((p.program_length for p in ordered), PROGRAM_LENGTHS),
        communication=_ordinal((p.communication for p in ordered), COMMUNICATION_MODES),
        hours=np.array([np.nan if p.hours_per_month is None else p.hours_per_month for p in ordered], dtype=float),
        days_waiting=np.fromiter((p.days_waiting for p in ordered), dtype=np.float64, count=n),
        times_left=np.fromiter((p.times_left_unmatched for p in ordered), dtype=np.float64, count=n),
        team=team,
        accepts_async=accepts_async,
        tz_quarters=np.rint(tz * 4).astype(np.int64),
        years_int=np.fromiter((p.years_experience or 0 for p in ordered), dtype=np.int64, count=n),
        years_known=np.fromiter((p.years_experience is not None for p in ordered), dtype=bool, count=n),
        forbidden_keys=forbidden_keys,
        forbidden_why=forbidden_why,
        language_ids=language_ids,
        index_keys=index_keys[order],
        index_mentor=index_mentor[order],
    )
