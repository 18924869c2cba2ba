"""The table scorer (`pairscore.pair_units`) gives every pair exactly the scorer's total.

The candidate pass and the pricing score millions of pairs through per-round lookup
tables; the proposal's scores and reasons come from `scoring.criterion_units`. Both
must agree to the hundredth on every feasible pair, or the certificate's value and the
proposal's score would drift apart. Instances vary everything a table is keyed on:
wanted-topic lists longer than 8 (wide patterns), unknown experience and hours, odd
quarter-hour offsets, missing cadence/length/communication answers, long goals.
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.features.matching import (
    CADENCES,
    COMMUNICATION_MODES,
    PROGRAM_LENGTHS,
    MatchingRules,
    MatchProfile,
    Role,
    pairscore,
)
from bot.features.matching.candidates import feasible_pairs
from bot.features.matching.encoding import encode
from bot.features.matching.scoring import criterion_units
from tests.support.profiles import capped

TOPICS = [f"topic {k}" for k in range(14)]
WORDS = [f"word{k}" for k in range(90)]


def varied_round(seed: int, wide: bool) -> tuple[list[MatchProfile], MatchingRules]:
    rng = random.Random(seed)
    n = rng.randint(2, 40)
    profiles = []
    for member in range(1, n + 1):
        role = rng.choice([Role.MENTEE, Role.MENTOR, Role.BOTH])
        profiles.append(
            MatchProfile(
                member_id=member,
                role=role,
                topics_offered=frozenset(rng.sample(TOPICS, rng.randint(1, 12 if wide else 3))),
                topics_wanted=frozenset(rng.sample(TOPICS, rng.randint(1, 11 if wide else 3))),
                goals_text=" ".join(rng.sample(WORDS, rng.randint(0, 20))),
                helps_with_text=" ".join(rng.sample(WORDS, rng.randint(0, 20))) if rng.random() < 0.5 else "",
                years_experience=rng.choice([None, 0, 1, 2, 3, 7, 10, 15, 30, 95]),
                utc_offset_hours=rng.choice([-12.0, -9.5, -3.0, 0.0, 0.0, 3.75, 5.5, 12.75, 14.0]),
                accepts_async=rng.random() < 0.5,
                hours_per_month=rng.choice([None, 0, 1, 3, 8, 40]),
                program_length=rng.choice(("", *PROGRAM_LENGTHS)),
                cadence=rng.choice(("", *CADENCES)),
                communication=rng.choice(("", *COMMUNICATION_MODES)),
                languages=frozenset(rng.sample(["en", "de", "es"], rng.randint(1, 2))),
                capacity=rng.randint(1, 3),
                days_waiting=rng.randint(0, 200),
                times_left_unmatched=rng.randint(0, 4),
            )
        )
    return profiles, MatchingRules(max_timezone_difference_hours=rng.choice([2.0, 6.0, 12.0]))


def _check(profiles: list[MatchProfile], rules: MatchingRules) -> int:
    c = encode(profiles, rules)
    pairs = [(s, m) for s, m in feasible_pairs(c) if len(s)]
    if not pairs:
        return 0
    s = np.concatenate([p[0] for p in pairs])
    m = np.concatenate([p[1] for p in pairs])
    assert np.array_equal(pairscore.pair_units(c, s, m), criterion_units(c, s, m).sum(axis=1))
    return len(s)


@settings(max_examples=capped(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**9), wide=st.booleans())
def test_table_totals_equal_the_scorer_on_every_feasible_pair(seed: int, wide: bool) -> None:
    _check(*varied_round(seed, wide))


@pytest.mark.parametrize("seed", range(20))
def test_the_fallbacks_for_large_tables_give_the_same_totals(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # One table per criterion instead of per group, and topics through the scorer itself.
    monkeypatch.setattr(pairscore, "MAX_TABLE", 1)
    monkeypatch.setattr(pairscore, "MAX_TOPIC_TABLE", 1)
    _check(*varied_round(seed, wide=seed % 2 == 0))


def test_a_round_large_enough_for_many_classes() -> None:
    profiles: list[MatchProfile] = []
    for seed in range(30):
        more, rules = varied_round(seed, wide=False)
        profiles += [replace(p, member_id=100 * seed + p.member_id, languages=frozenset({"en"})) for p in more]
    assert _check(profiles, MatchingRules(max_timezone_difference_hours=12.0)) > 10_000


@settings(max_examples=capped(300), deadline=None)
@given(
    scores=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 10_000)), min_size=1, max_size=300),
    need=st.integers(1, 40),
)
def test_the_preselection_keeps_every_seekers_best(scores: list[tuple[int, int]], need: int) -> None:
    # The candidate pass sorts only what `_at_least_best` keeps; the ranks below `need` must not change.
    from bot.features.matching.candidates import _at_least_best

    scores.sort()
    s = np.array([a for a, _ in scores], dtype=np.int64)
    u = np.array([b for _, b in scores], dtype=np.int64)
    keep = _at_least_best(s, u, need, 10_000)
    for seeker in set(s.tolist()):
        mine = np.sort(u[s == seeker])[::-1]
        kept = np.sort(u[(s == seeker) & keep])[::-1]
        assert len(kept) >= min(need, len(mine))
        assert np.array_equal(kept[:need], mine[:need])
        # Anything dropped scores strictly below the seeker's `need`-th best.
        dropped = u[(s == seeker) & ~keep]
        assert not len(dropped) or dropped.max() < mine[min(need, len(mine)) - 1]
