"""Soft criteria: how well a mentor fits a mentee, criterion by criterion.

`criterion_units` scores many (seeker, mentor) pairs at once with numpy: each
criterion yields a fraction in [0, 1] that the rules' weight turns into points,
kept as integer hundredths (criteria of a small integer — experience gap, clock
distance, cadence step — are lookup tables). `reasons_for` turns one pair's points
back into sentences for the moderator. The same integers feed the solver, the
totals and the reasons, so the text always agrees with the number.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .encoding import Community, has_bit, topic_key
from .profiles import CRITERIA, Reason

# A local "waking day" of 08:00–22:00: two such windows always share at least 4 hours.
WAKING_HOURS = 14.0
# Seniority: a gap of IDEAL_GAP_MIN..IDEAL_GAP_MAX years is ideal; beyond FAR_GAP the
# mentor's world may be too distant from the mentee's, so the score tapers to half.
IDEAL_GAP_MIN, IDEAL_GAP_MAX, FAR_GAP = 2.0, 10.0, 20.0
# Waiting: full priority after this many days, or after being left out this many rounds.
WAIT_FULL_DAYS, WAIT_FULL_ROUNDS = 90.0, 3.0
# Score units: the solver works on integer hundredths of a point, so sums are exact.
UNITS_PER_POINT = 100


@dataclass(frozen=True)
class _Tables:
    """Criteria that depend on a small integer (a gap, a distance) as unit lookup tables."""

    weight_units: np.ndarray  # per criterion: weight in hundredths
    seniority: np.ndarray  # index gap + SENIORITY_SPAN; last entry: experience unknown
    waking: np.ndarray  # index: clock distance in quarter hours (0..48)
    ordinal_step: tuple[np.ndarray, np.ndarray]  # cadence, program length: index |step|, 3 = unknown
    communication: np.ndarray  # index: differ (0), same (1), unknown (2)


SENIORITY_SPAN = 80  # gaps beyond ±80 years are clipped (the taper is flat long before)


def to_units(fraction: np.ndarray, weight_units: float) -> np.ndarray:
    """The one rounding rule for every criterion: a fraction of a weight in hundredths, half to even."""
    return np.rint(np.asarray(fraction, dtype=np.float64) * weight_units).astype(np.int64)


def _tables(c: Community) -> _Tables:
    cached = c.cache.get("tables")
    if not isinstance(cached, _Tables):  # absent until the first call of the round
        w = np.asarray(c.rules.weights.as_tuple()) * UNITS_PER_POINT
        gaps = np.arange(-SENIORITY_SPAN, SENIORITY_SPAN + 1, dtype=np.float64)
        seniority = to_units(np.append(seniority_fraction(gaps), 0.5), w[2])
        d = np.arange(49) / 4.0
        overlap = np.maximum(0.0, WAKING_HOURS - d) + np.maximum(0.0, WAKING_HOURS - (24.0 - d))
        step = np.array([1.0, 0.5, 0.0, 0.5])  # |step| 0, 1, 2; last: someone gave no answer
        cached = c.cache["tables"] = _Tables(
            weight_units=w,
            seniority=seniority,
            waking=to_units(np.minimum(1.0, overlap / WAKING_HOURS), w[3]),
            ordinal_step=(to_units(step, w[4]), to_units(step, w[5])),
            communication=to_units(np.array([0.0, 1.0, 0.5]), w[6]),  # differ, same, no answer
        )
    return cached


def criterion_weights(c: Community) -> np.ndarray:
    """Per criterion: its weight in hundredths, as the scorer multiplies fractions by (unrounded floats)."""
    return _tables(c).weight_units


def criterion_units(c: Community, seekers: np.ndarray, mentors: np.ndarray) -> np.ndarray:
    """(pairs, len(CRITERIA)) integer hundredths of a point for seeker/mentor index pairs.

    Every total, every reason's points and the solver's costs come from these integers,
    so the text always agrees with the number and sums are exact.
    """
    t = _tables(c)
    se = c.seeker_member[seekers]
    me = c.mentor_member[mentors]
    # Column-major: each criterion is written as one contiguous column.
    out = np.empty((len(seekers), len(CRITERIA)), dtype=np.int64, order="F")

    # Topics: share of the mentee's wants the mentor covers, each want weighted by scarcity.
    cover = np.zeros(len(seekers))
    topics = c.seeker_topics[seekers]
    weights = c.seeker_topic_w[seekers]
    for p in range(topics.shape[1]):
        cover += weights[:, p] * has_bit(c.mentor_topic_mask, mentors, topics[:, p])
    # Clipped: a float sum of normalised weights may land a hair above 1, and no pair may
    # score above max_units (the solver's costs rely on it).
    out[:, 0] = to_units(np.minimum(cover, 1.0), t.weight_units[0])
    out[:, 1] = to_units(np.minimum(goal_fraction(c, seekers, mentors), 1.0), t.weight_units[1])

    known = c.years_known[se] & c.years_known[me]
    gap = np.clip(c.years_int[me] - c.years_int[se], -SENIORITY_SPAN, SENIORITY_SPAN) + SENIORITY_SPAN
    out[:, 2] = t.seniority[np.where(known, gap, len(t.seniority) - 1)]

    d = np.abs(c.tz_quarters[se] - c.tz_quarters[me]) % 96
    out[:, 3] = t.waking[np.minimum(d, 96 - d)]

    for col, arr, table in ((4, c.cadence, t.ordinal_step[0]), (5, c.length, t.ordinal_step[1])):
        a, b = arr[se], arr[me]
        out[:, col] = table[np.where((a < 0) | (b < 0), 3, np.abs(a - b))]
    a, b = c.communication[se], c.communication[me]
    out[:, 6] = t.communication[np.where((a < 0) | (b < 0), 2, (a == b).view(np.int8))]

    # Commitment: the mentor's hours against the mentee's hopes; unknown on either side is neutral.
    wanted, offered = c.hours[se], c.hours[me]
    ratio = np.where(wanted <= 0, 1.0, np.minimum(1.0, offered / np.maximum(wanted, 1e-9)))
    out[:, 7] = to_units(np.where(np.isnan(wanted) | np.isnan(offered), 0.5, ratio), t.weight_units[7])

    out[:, 8] = waiting_units(c, t.weight_units[8])[seekers]
    return out


def goal_fraction(c: Community, seekers: np.ndarray, mentors: np.ndarray) -> np.ndarray:
    """Keyword overlap of the goals: shared / sqrt(|mentee's| · |mentor's|) (Ochiai, a set cosine)."""
    shared = np.zeros(len(seekers), dtype=np.int64)
    if len(seekers) and c.mentor_kw_mask.size:
        words = c.seeker_kw_word[seekers]
        bits = c.seeker_kw_bits[seekers]
        flat = c.mentor_kw_mask.ravel()
        base = mentors * c.mentor_kw_mask.shape[1]
        for q in range(int(c.seeker_kw_entries[seekers].max(initial=0))):
            shared += np.bitwise_count(flat[base + words[:, q]] & bits[:, q])
    denom = np.sqrt(c.seeker_kw_count[seekers] * c.mentor_kw_count[mentors])
    return np.divide(shared, denom, out=np.zeros(len(seekers)), where=denom > 0)


def waiting_units(c: Community, weight_units: float) -> np.ndarray:
    """Per seeker: waiting-priority points in hundredths (depends on the mentee only)."""
    se = c.seeker_member
    return np.rint(waiting_fraction(c.days_waiting[se], c.times_left[se]) * weight_units).astype(np.int64)


def waiting_fraction(days_waiting: np.ndarray, times_left: np.ndarray) -> np.ndarray:
    """Mentee priority: mostly days waited, partly rounds already left out."""
    return 0.7 * np.minimum(1.0, days_waiting / WAIT_FULL_DAYS) + 0.3 * np.minimum(1.0, times_left / WAIT_FULL_ROUNDS)


def seniority_fraction(gap: np.ndarray) -> np.ndarray:
    """Mentor years minus mentee years -> fraction; unknown (NaN) is neutral (0.5)."""
    g = np.asarray(gap, dtype=np.float64)
    below = np.where(g < 0, 0.0, 0.4 + 0.3 * g)  # 0 → 0.4, 1 → 0.7, 2 → 1.0
    taper = 1.0 - 0.5 * np.clip((g - IDEAL_GAP_MAX) / (FAR_GAP - IDEAL_GAP_MAX), 0.0, 1.0)
    frac = np.where(g < IDEAL_GAP_MIN, below, taper)
    return np.where(np.isnan(g), 0.5, np.clip(frac, 0.0, 1.0))


def points_and_units(c: Community, seekers: np.ndarray, mentors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-criterion points (hundredths, as floats) and each pair's total in integer hundredths."""
    units = criterion_units(c, seekers, mentors)
    return units / UNITS_PER_POINT, units.sum(axis=1)


def weight_units(c: Community) -> np.ndarray:
    """Per criterion: the most hundredths it can give a pair (its weight, rounded like the scores)."""
    return np.rint(np.asarray(c.rules.weights.as_tuple()) * UNITS_PER_POINT).astype(np.int64)


def max_units(c: Community) -> int:
    """Upper bound of a pair's total units (for the solver's big-M)."""
    return int(np.rint(np.asarray(c.rules.weights.as_tuple()) * UNITS_PER_POINT).sum())


def format_utc_offset(hours: float) -> str:
    """A UTC offset as members read it: 5.5 → "UTC+5:30", -8 → "UTC-8"."""
    sign = "+" if hours >= 0 else "-"
    h = abs(hours)
    whole = int(h)
    minutes = int(round((h - whole) * 60))
    return f"UTC{sign}{whole}" + (f":{minutes:02d}" if minutes else "")


def _years(y: float) -> str:
    return "unknown" if y != y else f"{int(y)} year{'s' if int(y) != 1 else ''}"  # y != y: NaN


def reasons_for(c: Community, seeker: int, mentor: int, points: Sequence[float]) -> tuple[Reason, ...]:
    """Sentences for one pair, one per criterion, in CRITERIA order."""
    return reasons_for_pairs(c, [seeker], [mentor], [points])[0]


def reasons_for_pairs(
    c: Community, seekers: Sequence[int], mentors: Sequence[int], points: Sequence[Sequence[float]]
) -> list[tuple[Reason, ...]]:
    """Reasons for many pairs. A big round has ~50k pairs but few distinct topic sets,
    experience gaps, offsets and preferences, so each text piece is built once and reused."""
    max_tz = c.rules.max_timezone_difference_hours
    display = c.topic_display
    scarce_topics = c.scarce_topics
    profiles = c.profiles
    seeker_keywords = c.seeker_keywords
    mentor_keywords = c.mentor_keywords
    years = c.years.tolist()
    seeker_member = c.seeker_member.tolist()
    mentor_member = c.mentor_member.tolist()

    @functools.cache
    def topic_keys(ts: frozenset[str]) -> frozenset[str]:
        return frozenset(topic_key(t) for t in ts)

    @functools.cache
    def topics_text(wanted: frozenset[str], offered: frozenset[str]) -> str:
        shared = sorted(wanted & offered)
        text = f"offers {', '.join(display[t] for t in shared)}" if shared else "offers none of the wanted topics"
        scarce = [display[t] for t in shared if t in scarce_topics]
        if scarce:
            text += f" ({', '.join(scarce)} in short supply)"
        missing = sorted(wanted - offered)
        if missing:
            text += f"; not {', '.join(display[t] for t in missing)}"
        return text

    @functools.cache
    def seniority_text(ym: float, ye: float) -> str:
        gap = ym - ye
        if gap != gap:  # NaN: someone did not say
            return f"experience: mentor {_years(ym)}, mentee {_years(ye)}"
        if gap < 0:
            return f"mentor has less experience ({_years(ym)} vs {_years(ye)})"
        if gap < IDEAL_GAP_MIN:
            return f"similar experience ({_years(ym)} vs {_years(ye)}): more peer than mentor"
        if gap <= IDEAL_GAP_MAX:
            return f"mentor is {int(gap)} years ahead ({_years(ym)} vs {_years(ye)})"
        return f"mentor is {int(gap)} years ahead: a wide gap"

    @functools.cache
    def waking_text(a: float, b: float) -> str:
        d = abs(a - b) % 24.0
        d = min(d, 24.0 - d)
        overlap = max(0.0, WAKING_HOURS - d) + max(0.0, WAKING_HOURS - (24.0 - d))
        tail = " (both accept async)" if d > max_tz else ""
        return f"{format_utc_offset(a)} and {format_utc_offset(b)}: {overlap:g} waking hours overlap{tail}"

    @functools.cache
    def style_texts(
        e: tuple[str, str, str, int | None], m: tuple[str, str, str, int | None]
    ) -> tuple[str, str, str, str]:
        (ec, el, em, eh), (mc, ml, mm, mh) = e, m
        em, mm = em.replace("_", " "), mm.replace("_", " ")
        return (
            "cadence: no answer on one side"
            if not (ec and mc)
            else f"same cadence ({ec})"
            if ec == mc
            else f"cadence differs ({ec} vs {mc})",
            "program length: no answer on one side"
            if not (el and ml)
            else f"same program length ({el} months)"
            if el == ml
            else f"program length differs ({el} vs {ml} months)",
            "communication: no answer on one side"
            if not (em and mm)
            else f"both prefer {em}"
            if em == mm
            else f"prefers {em}, mentor prefers {mm}",
            f"mentor offers {'?' if mh is None else mh} h/month, mentee hopes for {'?' if eh is None else eh}",
        )

    @functools.cache
    def waiting_text(days: int, times: int) -> str:
        waited = []
        if days:
            waited.append(f"waiting {days} days")
        if times:
            waited.append(f"left unmatched {times} time{'s' if times != 1 else ''} before")
        return ", ".join(waited) if waited else "new this round"

    out: list[tuple[Reason, ...]] = []
    for seeker, mentor, pts in zip(seekers, mentors, points, strict=True):
        se, me = seeker_member[seeker], mentor_member[mentor]
        e, m = profiles[se], profiles[me]
        common = seeker_keywords[seeker] & mentor_keywords[mentor]
        texts = (
            topics_text(topic_keys(e.topics_wanted), topic_keys(m.topics_offered)),
            f"goals share the keywords {', '.join(sorted(common)[:6])}"
            if common
            else "no keywords in common between the goals",
            seniority_text(years[me], years[se]),
            waking_text(e.utc_offset_hours, m.utc_offset_hours),
            *style_texts(
                (e.cadence, e.program_length, e.communication, e.hours_per_month),
                (m.cadence, m.program_length, m.communication, m.hours_per_month),
            ),
            waiting_text(e.days_waiting, e.times_left_unmatched),
        )
        out.append(tuple(map(Reason, CRITERIA, pts, texts)))
    return out
