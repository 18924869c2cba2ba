"""`build_shortlists` and `settle_choices` on small hand-made communities (pure functions)."""

from __future__ import annotations

import pytest

from bot.features.matching import build_shortlists, propose_round, settle_choices
from tests.support.matching_builders import mentee, mentor


def community() -> list:  # type: ignore[type-arg]
    return [
        mentor(100, "Python", capacity=1, years_experience=12),
        mentor(101, "Python", capacity=1, years_experience=8),
        mentor(102, "Python", capacity=2, years_experience=6),
        mentee(1, "Python"),
        mentee(2, "Python"),
        mentee(3, "Python"),
        mentee(4, "Python"),
        mentee(5, "Python"),
        mentee(6, "Go"),  # nobody offers Go
    ]


def test_the_optimal_mentor_comes_first_and_offers_stay_within_capacity_plus_margin() -> None:
    profiles = community()
    lists = build_shortlists(profiles)
    optimum = {p.mentee_id: p.mentor_id for p in propose_round(profiles).pairs}
    by_mentee = {s.mentee_id: s for s in lists.lists}
    for mentee_id, mentor_id in optimum.items():
        assert by_mentee[mentee_id].optimal and by_mentee[mentee_id].entries[0].mentor_id == mentor_id
    unmatched = set(by_mentee) - set(optimum)
    assert unmatched and all(not by_mentee[m].optimal for m in unmatched)  # alternatives only
    assert 6 not in by_mentee  # no feasible mentor, no list
    assert lists.offers == {100: 2, 101: 2, 102: 3}  # free capacity + 1 each
    for shortlist in lists.lists:
        assert 1 <= len(shortlist.entries) <= 3
        assert all(e.reasons and e.reasons[0].criterion == "topics" for e in shortlist.entries)


def test_margin_zero_offers_only_the_optimum_and_size_caps_lists() -> None:
    assert all(len(s.entries) == 1 for s in build_shortlists(community(), margin=0).lists)
    roomy = [mentor(100 + k, "Python", capacity=3) for k in range(5)] + [mentee(1, "Python")]
    assert len(build_shortlists(roomy).lists[0].entries) == 3
    assert len(build_shortlists(roomy, size=2).lists[0].entries) == 2
    with pytest.raises(ValueError):
        build_shortlists(roomy, size=0)


def test_shortlists_do_not_depend_on_the_input_order() -> None:
    profiles = community()
    assert build_shortlists(profiles).lists == build_shortlists(list(reversed(profiles))).lists


def test_settle_keeps_accepted_picks_respects_declines_and_withdrawals() -> None:
    profiles = community()
    fallback = settle_choices(profiles, None, {1: 100}, declined=[(2, 101)], withdrawn=[3])
    placed = {p.mentee_id: p.mentor_id for p in fallback.pairs}
    assert 1 not in placed and 3 not in placed  # accepted elsewhere / said none fits
    assert placed.get(2) != 101 and 100 not in placed.values()  # declined pair, full mentor
    assert len(placed) == 3  # 101 once and 102 twice: every free place used
    with pytest.raises(ValueError):
        settle_choices(profiles, None, {1: 100, 2: 100})  # more than mentor 100's capacity
