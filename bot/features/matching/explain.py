"""Why a mentee was left unmatched, and where demand outruns supply.

Each reason names the first obstacle in the order a moderator would remove it:
nobody offers the topic → those who do are full or paused → no shared language →
no one close enough in time → the only fits are excluded (team, previous pair,
do-not-match) → every fitting mentor was needed for someone else this round.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from .candidates import CandidateGraph
from .encoding import INDEX_STRIDE, OFFSET_SHIFT, Community, topic_key
from .profiles import DemandGap, Unmatched
from .scoring import format_utc_offset

# Enough to name the exclusions; a mentee with more fitting mentors is not stuck on exclusions.
_MAX_EXAMINED = 2000


def _names(c: Community, keys: list[str]) -> str:
    names = [c.topic_display.get(k, k) for k in sorted(keys)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


class _Explainer:
    def __init__(self, c: Community) -> None:
        self.c = c
        self._offering: dict[str, list[int]] | None = None

    @property
    def offering(self) -> dict[str, list[int]]:
        """Every consented mentor per topic, available or not: tells "nobody" from "nobody free"."""
        if self._offering is None:
            self._offering = defaultdict(list)
            for i, p in enumerate(self.c.profiles):
                if p.role.offers_mentoring and p.consented:
                    for t in {topic_key(x) for x in p.topics_offered}:
                        self._offering[t].append(i)
        return self._offering

    def _range(self, base: int, lo: float, hi: float) -> range:
        keys = self.c.index_keys
        a = int(np.searchsorted(keys, base * INDEX_STRIDE + lo - 1e-6, side="left"))
        b = int(np.searchsorted(keys, base * INDEX_STRIDE + hi + 1e-6, side="right"))
        return range(a, b)

    def explain(self, seeker: int, has_edges: bool) -> tuple[str, str]:
        c = self.c
        i = int(c.seeker_member[seeker])
        p = c.profiles[i]
        wanted = sorted({topic_key(t) for t in p.topics_wanted})
        if has_edges:  # the common case in a busy round: answer without the slower checks
            reachable = [t for t in wanted if t in c.topic_ids]
            return (
                "capacity_taken",
                f"every mentor who fits ({_names(c, reachable)}) was needed for another mentee this round; "
                "first in line next round",
            )

        offered = [t for t in wanted if self.offering.get(t)]
        if not offered:
            return "no_topic_supply", f"no mentor offers {_names(c, wanted)}"
        reachable = [t for t in offered if t in c.topic_ids]
        if not reachable:
            mentors = sorted({m for t in offered for m in self.offering[t] if m != i})
            if not mentors:
                return "no_topic_supply", f"no other mentor offers {_names(c, offered)}"
            paused = sum(c.profiles[m].paused for m in mentors)
            full = len(mentors) - paused
            n = len(mentors)
            state = (
                "at capacity" if not paused else "paused" if not full else f"at capacity ({full}) or paused ({paused})"
            )
            who = "the only mentor" if n == 1 else f"all {n} mentors"
            return "at_capacity", f"{who} for {_names(c, offered)} {'is' if n == 1 else 'are'} {state}"

        n_lang = max(1, len(c.language_ids))
        n_lists = len(c.topic_names) * n_lang
        langs = sorted(c.language_ids[topic_key(x)] for x in p.languages)
        bases = [c.topic_ids[t] * n_lang + lang for t in reachable for lang in langs]
        if not any(len(self._range(b, 0.0, 26.0)) for b in bases):
            spoken = ", ".join(sorted(p.languages)) or "no language given"
            return "language", f"no common language with mentors for {_names(c, reachable)} (mentee: {spoken})"

        x = c.tz[i] + OFFSET_SHIFT
        limit = c.rules.max_timezone_difference_hours
        entries: list[int] = []
        for b in bases:
            for shift in (0.0, 24.0, -24.0):
                lo, hi = x - limit + shift, x + limit + shift
                if hi >= 0.0 and lo <= 26.0:
                    entries.extend(self._range(b, max(lo, 0.0), min(hi, 26.0)))
            if c.accepts_async[i]:
                entries.extend(self._range(n_lists + b, 0.0, 26.0))
        if not entries:
            far_async = sum(len(self._range(n_lists + b, 0.0, 26.0)) for b in bases)
            hint = (
                f"; {far_async} would work asynchronously if the mentee accepted async"
                if far_async and not c.accepts_async[i]
                else ""
            )
            return (
                "timezone",
                f"no mentor for {_names(c, reachable)} within {limit:g} hours of {format_utc_offset(c.tz[i])}{hint}",
            )

        why: Counter[str] = Counter()
        n = len(c.member_ids)
        for m in sorted({int(c.index_mentor[e]) for e in entries})[:_MAX_EXAMINED]:
            j = int(c.mentor_member[m])
            if j == i:
                why["themselves"] += 1
            elif c.rules.exclude_same_team and c.team[i] >= 0 and c.team[i] == c.team[j]:
                why["same team"] += 1
            elif i * n + j in c.forbidden_why:
                why[c.forbidden_why[i * n + j]] += 1
        detail = ", ".join(f"{k} ({v})" for k, v in sorted(why.items())) or "sampled out of a long list"
        return "excluded", f"the only mentors for {_names(c, reachable)} who fit are excluded: {detail}"


def explain_unmatched(c: Community, graph: CandidateGraph, matched_seekers: np.ndarray) -> list[Unmatched]:
    """A reason for every eligible mentee not in `matched_seekers`, sorted by member id."""
    explainer = _Explainer(c)
    with_edges = np.zeros(c.n_seekers, dtype=bool)
    with_edges[graph.seekers] = True
    matched = np.zeros(c.n_seekers, dtype=bool)
    matched[matched_seekers] = True
    out = []
    for s in np.flatnonzero(~matched).tolist():
        cause, reason = explainer.explain(s, bool(with_edges[s]))
        out.append(Unmatched(int(c.member_ids[c.seeker_member[s]]), cause, reason))
    return out


def skipped_mentees(c: Community) -> list[Unmatched]:
    return [Unmatched(int(c.member_ids[i]), cause, reason) for i, cause, reason in c.skipped]


def demand_gaps(c: Community) -> list[DemandGap]:
    """Topics where eligible mentees outnumber the free slots of available mentors, worst first."""
    demand: Counter[str] = Counter()
    for i in c.seeker_member.tolist():
        demand.update({topic_key(t) for t in c.profiles[i].topics_wanted})
    mentors: Counter[str] = Counter()
    slots: Counter[str] = Counter()
    for m, i in enumerate(c.mentor_member.tolist()):
        for t in {topic_key(x) for x in c.profiles[i].topics_offered}:
            mentors[t] += 1
            slots[t] += int(c.mentor_free[m])
    gaps = [
        DemandGap(c.topic_display.get(t, t), want, mentors[t], slots[t])
        for t, want in demand.items()
        if want > slots[t]
    ]
    gaps.sort(key=lambda g: (-g.shortfall, g.topic))
    return gaps
