"""An independent referee for the matching engine: brute-force feasibility and SciPy's solvers.

Nothing here calls the engine's candidate generation, assignment or certificate code.
Feasibility is a plain per-pair predicate written from the hard rules and applied to
every mentee × mentor pair; the optimum is SciPy's `linear_sum_assignment` on mentor
slots (one column per free slot, one private "stay unmatched" column per mentee), or
HiGHS (`scipy.optimize.milp`) in two lexicographic stages. Only the per-pair score —
the objective's definition — is taken from the engine's scorer.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp
from scipy.sparse import coo_array

from bot.features.matching import MatchingRules, MatchProfile, RoundProposal
from bot.features.matching.encoding import encode
from bot.features.matching.scoring import criterion_units


def free_slots(p: MatchProfile) -> int:
    ok = p.role.offers_mentoring and p.consented and not p.paused and bool(p.topics_offered)
    return max(0, p.capacity - p.active_mentees) if ok else 0


def allowed(e: MatchProfile, m: MatchProfile, rules: MatchingRules) -> bool:
    """Every hard rule, pair by pair."""
    if e.member_id == m.member_id or not e.role.seeks_mentor or not m.role.offers_mentoring:
        return False
    if not (e.consented and m.consented) or e.paused or m.paused or free_slots(m) <= 0:
        return False
    if not {t.casefold() for t in e.topics_wanted} & {t.casefold() for t in m.topics_offered}:
        return False
    if not {x.casefold() for x in e.languages} & {x.casefold() for x in m.languages}:
        return False
    if rules.exclude_same_team and e.team is not None and e.team == m.team:
        return False
    if m.member_id in e.do_not_match or e.member_id in m.do_not_match:
        return False
    pair = (e.member_id, m.member_id)
    if not rules.allow_rematch and (pair in rules.previous_pairs or pair[::-1] in rules.previous_pairs):
        return False
    d = abs(e.utc_offset_hours - m.utc_offset_hours) % 24
    d = min(d, 24 - d)
    return d <= rules.max_timezone_difference_hours or (e.accepts_async and m.accepts_async)


def feasible_scores(profiles: list[MatchProfile], rules: MatchingRules) -> dict[tuple[int, int], int]:
    """Brute force: every (mentee id, mentor id) pair that keeps every rule -> its score in hundredths."""
    mentees = [p for p in profiles if p.role.seeks_mentor]
    mentors = [p for p in profiles if free_slots(p) > 0]
    pairs = [(e.member_id, m.member_id) for e in mentees for m in mentors if allowed(e, m, rules)]
    if not pairs:
        return {}
    c = encode(profiles, rules)
    seeker_of = {int(c.member_ids[i]): k for k, i in enumerate(c.seeker_member.tolist())}
    mentor_of = {int(c.member_ids[i]): k for k, i in enumerate(c.mentor_member.tolist())}
    s = np.array([seeker_of[a] for a, _ in pairs], dtype=np.int64)
    m = np.array([mentor_of[b] for _, b in pairs], dtype=np.int64)
    units = criterion_units(c, s, m).sum(axis=1)
    return dict(zip(pairs, units.tolist(), strict=True))


def optimum_by_slots(profiles: list[MatchProfile], scores: dict[tuple[int, int], int]) -> tuple[int, int]:
    """(most mentees matched, best total score among those) by linear_sum_assignment on slots."""
    mentees = sorted({a for a, _ in scores})
    slots = [p.member_id for p in sorted(profiles, key=lambda p: p.member_id) for _ in range(free_slots(p))]
    if not mentees or not slots:
        return 0, 0
    row = {a: k for k, a in enumerate(mentees)}
    # One pair beats any score difference: weight = big + score, big > total of all scores.
    big = 10_000 * len(mentees) + 1
    forbidden = -(10.0**15)
    weight = np.full((len(mentees), len(slots) + len(mentees)), forbidden)
    weight[np.arange(len(mentees)), len(slots) + np.arange(len(mentees))] = 0.0  # stay unmatched
    cols: dict[int, list[int]] = {}
    for j, b in enumerate(slots):
        cols.setdefault(b, []).append(j)
    for (a, b), u in scores.items():
        weight[row[a], cols[b]] = big + u
    r, k = linear_sum_assignment(weight, maximize=True)
    real = k < len(slots)
    chosen = weight[r[real], k[real]]
    assert np.all(chosen > 0), "the referee picked a forbidden pair"
    matched = int(real.sum())
    return matched, int(round(float(chosen.sum()) - big * matched))


def optimum_by_highs(profiles: list[MatchProfile], scores: dict[tuple[int, int], int]) -> tuple[int, int]:
    """The same optimum by HiGHS MILP: first the count, then the score at that count."""
    if not scores:
        return 0, 0
    pairs = sorted(scores)
    mentees = sorted({a for a, _ in pairs})
    mentors = sorted({b for _, b in pairs})
    cap = {p.member_id: free_slots(p) for p in profiles}
    row_e = {a: k for k, a in enumerate(mentees)}
    row_m = {b: len(mentees) + k for k, b in enumerate(mentors)}
    n = len(pairs)
    rows = [row_e[a] for a, _ in pairs] + [row_m[b] for _, b in pairs]
    a_matrix = coo_array((np.ones(2 * n), (rows, list(range(n)) * 2)), shape=(len(mentees) + len(mentors), n))
    upper = np.array([1.0] * len(mentees) + [float(cap[b]) for b in mentors])
    limits = LinearConstraint(a_matrix.tocsr(), -np.inf, upper)
    ones = np.ones(n)
    first = milp(-ones, constraints=[limits], integrality=ones, bounds=Bounds(0, 1))
    assert first.success
    count = int(round(-first.fun))
    u = np.array([scores[p] for p in pairs], dtype=np.float64)
    at_count = LinearConstraint(ones.reshape(1, -1), count, count)
    second = milp(-u, constraints=[limits, at_count], integrality=ones, bounds=Bounds(0, 1))
    assert second.success
    return count, int(round(-second.fun))


def checked_value(
    proposal: RoundProposal, profiles: list[MatchProfile], rules: MatchingRules, scores: dict[tuple[int, int], int]
) -> tuple[int, int]:
    """The proposal's (matched, score), after checking it keeps every rule and capacity."""
    by_id = {p.member_id: p for p in profiles}
    used: dict[int, int] = {}
    total = 0
    for pair in proposal.pairs:
        key = (pair.mentee_id, pair.mentor_id)
        assert allowed(by_id[pair.mentee_id], by_id[pair.mentor_id], rules), key
        assert round(pair.score * 100) == scores[key]
        total += scores[key]
        used[pair.mentor_id] = used.get(pair.mentor_id, 0) + 1
    assert all(n <= free_slots(by_id[m]) for m, n in used.items())
    assert len({p.mentee_id for p in proposal.pairs}) == len(proposal.pairs)
    return len(proposal.pairs), total
