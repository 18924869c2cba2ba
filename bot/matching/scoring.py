"""Soft criteria: how well a mentor fits a mentee, criterion by criterion.

`criterion_fractions` scores many (seeker, mentor) pairs at once with numpy: each
criterion yields a fraction in [0, 1] that the rules' weight turns into points.
`reasons_for` turns one pair's points back into sentences for the moderator.
The same arrays feed both, so the text always agrees with the number.
"""

from __future__ import annotations

import numpy as np

from .encoding import Community, circular_hours, has_bit, topic_key
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


GOALS = 1  # column of the goals criterion (scored separately: it is the costly one)


def criterion_fractions(
    c: Community, seekers: np.ndarray, mentors: np.ndarray, *, with_goals: bool = True
) -> np.ndarray:
    """(len(pairs), len(CRITERIA)) fractions in [0, 1] for pairs given as seeker/mentor indices.

    With `with_goals=False` the goals column is left at 0 (see `goal_fraction`).
    """
    se = c.seeker_member[seekers]
    me = c.mentor_member[mentors]
    # Column-major: each criterion is written as one contiguous column.
    out = np.empty((len(seekers), len(CRITERIA)), dtype=np.float64, order="F")

    # Topics: share of the mentee's wants the mentor covers, each want weighted by scarcity.
    cover = np.zeros(len(seekers))
    topics = c.seeker_topics[seekers]
    weights = c.seeker_topic_w[seekers]
    for p in range(topics.shape[1]):
        cover += weights[:, p] * has_bit(c.mentor_topic_mask, mentors, topics[:, p])
    out[:, 0] = cover

    out[:, GOALS] = goal_fraction(c, seekers, mentors) if with_goals else 0.0

    out[:, 2] = seniority_fraction(c.years[me] - c.years[se])

    d = circular_hours(c.tz[se], c.tz[me])
    overlap = np.maximum(0.0, WAKING_HOURS - d) + np.maximum(0.0, WAKING_HOURS - (24.0 - d))
    out[:, 3] = np.minimum(1.0, overlap / WAKING_HOURS)

    for col, arr in ((4, c.cadence), (5, c.length)):
        step = np.abs(arr[se] - arr[me])
        out[:, col] = np.where(step == 0, 1.0, np.where(step == 1, 0.5, 0.0))
    out[:, 6] = c.communication[se] == c.communication[me]

    wanted = c.hours[se]
    out[:, 7] = np.where(wanted <= 0, 1.0, np.minimum(1.0, c.hours[me] / np.maximum(wanted, 1e-9)))

    out[:, 8] = 0.7 * np.minimum(1.0, c.days_waiting[se] / WAIT_FULL_DAYS) + 0.3 * np.minimum(
        1.0, c.times_left[se] / WAIT_FULL_ROUNDS
    )
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


def criterion_units(c: Community, fractions: np.ndarray) -> np.ndarray:
    """Per-criterion integer hundredths of a point: the exact numbers every total is made of."""
    weights = np.asarray(c.rules.weights.as_tuple())
    return np.rint(fractions * (weights * UNITS_PER_POINT)).astype(np.int64)


def seniority_fraction(gap: np.ndarray) -> np.ndarray:
    """Mentor years minus mentee years -> fraction; unknown (NaN) is neutral (0.5)."""
    g = np.asarray(gap, dtype=np.float64)
    below = np.where(g < 0, 0.0, 0.4 + 0.3 * g)  # 0 → 0.4, 1 → 0.7, 2 → 1.0
    taper = 1.0 - 0.5 * np.clip((g - IDEAL_GAP_MAX) / (FAR_GAP - IDEAL_GAP_MAX), 0.0, 1.0)
    frac = np.where(g < IDEAL_GAP_MIN, below, taper)
    return np.where(np.isnan(g), 0.5, np.clip(frac, 0.0, 1.0))


def points_and_units(c: Community, fractions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-criterion points (rounded to hundredths) and the total in integer hundredths."""
    units = criterion_units(c, fractions)
    return units / UNITS_PER_POINT, units.sum(axis=1)


def max_units(c: Community) -> int:
    """Upper bound of a pair's total units (for the solver's big-M)."""
    return int(np.rint(np.asarray(c.rules.weights.as_tuple()) * UNITS_PER_POINT).sum())


def _fmt_offset(hours: float) -> str:
    sign = "+" if hours >= 0 else "-"
    h = abs(hours)
    whole = int(h)
    minutes = int(round((h - whole) * 60))
    return f"UTC{sign}{whole}" + (f":{minutes:02d}" if minutes else "")


def _years(y: float) -> str:
    return "unknown" if np.isnan(y) else f"{int(y)} year{'s' if int(y) != 1 else ''}"


def reasons_for(c: Community, seeker: int, mentor: int, points: np.ndarray) -> tuple[Reason, ...]:
    """Sentences for one pair, one per criterion, in CRITERIA order."""
    se = int(c.seeker_member[seeker])
    me = int(c.mentor_member[mentor])
    mentee, guide = c.profiles[se], c.profiles[me]
    texts: list[str] = []

    offered = {topic_key(t) for t in guide.topics_offered}
    shared = sorted(topic_key(t) for t in mentee.topics_wanted if topic_key(t) in offered)
    missing = sorted(topic_key(t) for t in mentee.topics_wanted if topic_key(t) not in offered)
    names = ", ".join(c.topic_display[t] for t in shared)
    text = f"offers {names}" if shared else "offers none of the wanted topics"
    scarce = [
        c.topic_display[t]
        for t in shared
        if t in c.topic_ids and c.topic_demand[c.topic_ids[t]] > c.topic_supply[c.topic_ids[t]]
    ]
    if scarce:
        text += f" ({', '.join(scarce)} in short supply)"
    if missing:
        text += f"; not {', '.join(c.topic_display[t] for t in missing)}"
    texts.append(text)

    common = sorted(c.keywords[se] & c.keywords[me])
    texts.append(
        f"goals share the keywords {', '.join(common[:6])}" if common else "no keywords in common between the goals"
    )

    gap = c.years[me] - c.years[se]
    if np.isnan(gap):
        texts.append(f"experience: mentor {_years(c.years[me])}, mentee {_years(c.years[se])}")
    elif gap < 0:
        texts.append(f"mentor has less experience ({_years(c.years[me])} vs {_years(c.years[se])})")
    elif gap < IDEAL_GAP_MIN:
        texts.append(f"similar experience ({_years(c.years[me])} vs {_years(c.years[se])}): more peer than mentor")
    elif gap <= IDEAL_GAP_MAX:
        texts.append(f"mentor is {int(gap)} years ahead ({_years(c.years[me])} vs {_years(c.years[se])})")
    else:
        texts.append(f"mentor is {int(gap)} years ahead: a wide gap")

    d = float(circular_hours(np.array([c.tz[se]]), np.array([c.tz[me]]))[0])
    overlap = max(0.0, WAKING_HOURS - d) + max(0.0, WAKING_HOURS - (24.0 - d))
    texts.append(
        f"{_fmt_offset(c.tz[se])} and {_fmt_offset(c.tz[me])}: {overlap:g} waking hours overlap"
        + (" (both accept async)" if d > c.rules.max_timezone_difference_hours else "")
    )

    for attr, label in (("cadence", "cadence"), ("program_length", "program length")):
        a, b = getattr(mentee, attr), getattr(guide, attr)
        suffix = " months" if attr == "program_length" else ""
        texts.append(f"same {label} ({a}{suffix})" if a == b else f"{label} differs ({a}{suffix} vs {b}{suffix})")
    a, b = mentee.communication.replace("_", " "), guide.communication.replace("_", " ")
    texts.append(f"both prefer {a}" if a == b else f"prefers {a}, mentor prefers {b}")
    texts.append(
        f"mentor offers {guide.hours_per_month} h/month, mentee hopes for {mentee.hours_per_month}"
    )
    waited = []
    if mentee.days_waiting:
        waited.append(f"waiting {mentee.days_waiting} days")
    if mentee.times_left_unmatched:
        n = mentee.times_left_unmatched
        waited.append(f"left unmatched {n} time{'s' if n != 1 else ''} before")
    texts.append(", ".join(waited) if waited else "new this round")

    return tuple(Reason(criterion, float(points[k]), texts[k]) for k, criterion in enumerate(CRITERIA))
