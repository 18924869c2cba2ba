"""Every hard constraint: a pair that violates it is never a candidate, so never proposed."""

from __future__ import annotations

from bot.features.matching import MatchingRules, MatchProfile, Role
from tests.support.matching_builders import candidate_pairs, mentee, mentor, pairs


def never(profiles: list[MatchProfile], pair: tuple[int, int], rules: MatchingRules | None = None) -> None:
    assert pair not in candidate_pairs(profiles, rules)
    assert pair not in pairs(profiles, rules)


def test_baseline_pair_is_proposed() -> None:
    # The control for every test below: the same two people, constraint not violated.
    assert pairs([mentee(1), mentor(2)]) == {(1, 2)}


def test_mentor_must_offer_a_wanted_topic() -> None:
    never([mentee(1, "Rust"), mentor(2, "Python", "Go")], (1, 2))


def test_topics_meet_case_insensitively() -> None:
    assert pairs([mentee(1, "rust"), mentor(2, "Rust")]) == {(1, 2)}


def test_mentee_must_have_consented() -> None:
    never([mentee(1, consented=False), mentor(2)], (1, 2))


def test_mentor_must_have_consented() -> None:
    never([mentee(1), mentor(2, consented=False)], (1, 2))


def test_paused_mentee_is_not_matched() -> None:
    never([mentee(1, paused=True), mentor(2)], (1, 2))


def test_paused_mentor_is_not_matched() -> None:
    never([mentee(1), mentor(2, paused=True)], (1, 2))


def test_mentor_at_capacity_is_not_matched() -> None:
    never([mentee(1), mentor(2, capacity=2, active_mentees=2)], (1, 2))


def test_member_on_both_sides_is_never_paired_with_themselves() -> None:
    both = MatchProfile(1, Role.BOTH, topics_offered=frozenset({"Go"}), topics_wanted=frozenset({"Go"}))
    never([both], (1, 1))
    # …but can mentor someone else and be mentored by someone else in the same round.
    assert pairs([both, mentee(2, "Go"), mentor(3, "Go")]) == {(1, 3), (2, 1)}


def test_previous_pair_is_not_repeated() -> None:
    profiles = [mentee(1), mentor(2)]
    never(profiles, (1, 2), MatchingRules(previous_pairs=frozenset({(1, 2)})))
    never(profiles, (1, 2), MatchingRules(previous_pairs=frozenset({(2, 1)})))  # either direction


def test_previous_pair_allowed_with_rematch() -> None:
    rules = MatchingRules(previous_pairs=frozenset({(1, 2)}), allow_rematch=True)
    assert pairs([mentee(1), mentor(2)], rules) == {(1, 2)}


def test_do_not_match_listed_by_mentee() -> None:
    never([mentee(1, do_not_match=frozenset({2})), mentor(2)], (1, 2))


def test_do_not_match_listed_by_mentor() -> None:
    never([mentee(1), mentor(2, do_not_match=frozenset({1}))], (1, 2))


def test_same_team_excluded_when_rules_say_so() -> None:
    profiles = [mentee(1, team="payments"), mentor(2, team="payments")]
    never(profiles, (1, 2), MatchingRules(exclude_same_team=True))
    assert pairs(profiles, MatchingRules(exclude_same_team=False)) == {(1, 2)}
    # No team on either side is not "the same team".
    assert pairs([mentee(1), mentor(2)], MatchingRules(exclude_same_team=True)) == {(1, 2)}


def test_common_language_required() -> None:
    never([mentee(1, languages=frozenset({"ja"})), mentor(2, languages=frozenset({"en", "de"}))], (1, 2))
    assert pairs([mentee(1, languages=frozenset({"ja", "EN"})), mentor(2, languages=frozenset({"en"}))]) == {(1, 2)}


def test_timezone_limit() -> None:
    never([mentee(1, utc_offset_hours=10), mentor(2, utc_offset_hours=-2)], (1, 2))  # 12 h apart
    assert pairs([mentee(1, utc_offset_hours=5.5), mentor(2, utc_offset_hours=-0.5)]) == {(1, 2)}  # exactly 6 h


def test_timezone_limit_is_circular() -> None:
    # UTC-11 and UTC+13 read the same clock.
    assert pairs([mentee(1, utc_offset_hours=-11), mentor(2, utc_offset_hours=13)]) == {(1, 2)}


def test_timezone_limit_waived_only_when_both_accept_async() -> None:
    far = dict(utc_offset_hours=10)
    never([mentee(1, accepts_async=True, **far), mentor(2, utc_offset_hours=-2)], (1, 2))
    never([mentee(1, **far), mentor(2, utc_offset_hours=-2, accepts_async=True)], (1, 2))
    assert pairs([mentee(1, accepts_async=True, **far), mentor(2, utc_offset_hours=-2, accepts_async=True)]) == {(1, 2)}


def test_timezone_limit_comes_from_rules() -> None:
    profiles = [mentee(1, utc_offset_hours=3), mentor(2, utc_offset_hours=0)]
    never(profiles, (1, 2), MatchingRules(max_timezone_difference_hours=2))
    assert pairs(profiles, MatchingRules(max_timezone_difference_hours=3)) == {(1, 2)}
