"""Reasons on proposed pairs, unmatched reasons for each cause, demand gaps, capacity."""

from __future__ import annotations

from datetime import UTC

import pytest

from bot.features.matching import CRITERIA, MatchingRules, MatchProfile, Role, propose_round
from tests.support.matching_builders import mentee, mentor


def only_unmatched(profiles: list[MatchProfile], rules: MatchingRules | None = None) -> tuple[str, str]:
    proposal = propose_round(profiles, rules)
    [u] = [u for u in proposal.unmatched if u.member_id == 1]
    return u.cause, u.reason


def test_reasons_cover_every_criterion_and_add_up() -> None:
    profiles = [
        mentee(
            1,
            "Rust",
            "Go",
            years_experience=2,
            goals_text="Ship a Rust CLI and learn systems programming",
            utc_offset_hours=1,
            days_waiting=45,
            times_left_unmatched=1,
            cadence="weekly",
        ),
        mentor(
            2,
            "Rust",
            years_experience=9,
            goals_text="I love systems programming and Rust tooling",
            utc_offset_hours=2,
            cadence="weekly",
            hours_per_month=4,
        ),
    ]
    [pair] = propose_round(profiles).pairs
    assert [r.criterion for r in pair.reasons] == list(CRITERIA)
    assert round(sum(r.points for r in pair.reasons), 2) == pair.score
    text = {r.criterion: r.text for r in pair.reasons}
    assert "Rust" in text["topics"] and "not Go" in text["topics"]
    assert "programming" in text["goals"] and "system" in text["goals"]
    assert "7 years ahead" in text["seniority"]
    assert "UTC+1" in text["waking_hours"] and "UTC+2" in text["waking_hours"]
    assert text["cadence"] == "same cadence (weekly)"
    assert "waiting 45 days" in text["waiting"] and "left unmatched 1 time before" in text["waiting"]
    assert all(r.points >= 0 for r in pair.reasons)


def test_better_fit_wins_and_rare_topic_noted() -> None:
    # Two mentees want the one Rust mentor; the second Rust mentee has a closer fit on goals.
    profiles = [
        mentee(1, "Rust", goals_text="embedded firmware"),
        mentee(3, "Rust", goals_text="compiler backend optimisation"),
        mentor(2, "Rust", goals_text="compiler backend work"),
    ]
    proposal = propose_round(profiles)
    assert {(p.mentee_id, p.mentor_id) for p in proposal.pairs} == {(3, 2)}
    assert "short supply" in proposal.pairs[0].reasons[0].text
    assert proposal.unmatched[0].cause == "capacity_taken"


def test_wider_seniority_gap_tapers_and_less_experienced_mentor_scores_zero() -> None:
    def seniority(mentee_years: int, mentor_years: int) -> float:
        profiles = [mentee(1, years_experience=mentee_years), mentor(2, years_experience=mentor_years)]
        [pair] = propose_round(profiles).pairs
        return pair.reasons[CRITERIA.index("seniority")].points

    assert seniority(3, 8) == 10.0
    assert seniority(0, 30) < seniority(0, 8)
    assert seniority(8, 3) == 0.0


def test_capacity_respected() -> None:
    profiles = [mentee(i) for i in range(1, 11)] + [mentor(100, capacity=3, active_mentees=1), mentor(101, capacity=2)]
    proposal = propose_round(profiles)
    per_mentor: dict[int, int] = {}
    for p in proposal.pairs:
        per_mentor[p.mentor_id] = per_mentor.get(p.mentor_id, 0) + 1
    assert per_mentor == {100: 2, 101: 2}
    assert len({p.mentee_id for p in proposal.pairs}) == 4
    assert len(proposal.unmatched) == 6


def test_unmatched_no_mentor_offers_topic() -> None:
    assert only_unmatched([mentee(1, "Rust"), mentor(2, "Go")]) == ("no_topic_supply", "no mentor offers Rust")


def test_unmatched_all_mentors_at_capacity() -> None:
    profiles = [mentee(1, "Go"), *(mentor(i, "Go", capacity=1, active_mentees=1) for i in (2, 3, 4))]
    assert only_unmatched(profiles) == ("at_capacity", "all 3 mentors for Go are at capacity")


def test_unmatched_mentor_paused() -> None:
    cause, reason = only_unmatched([mentee(1, "Go"), mentor(2, "Go", paused=True)])
    assert cause == "at_capacity" and reason == "the only mentor for Go is paused"


def test_unmatched_no_common_language() -> None:
    cause, reason = only_unmatched([mentee(1, "Go", languages=frozenset({"ja"})), mentor(2, "Go")])
    assert cause == "language"
    assert reason == "no common language with mentors for Go (mentee: ja)"


def test_unmatched_timezone() -> None:
    cause, reason = only_unmatched([mentee(1, "Go", utc_offset_hours=10), mentor(2, "Go", utc_offset_hours=-3)])
    assert (cause, reason) == ("timezone", "no mentor for Go within 6 hours of UTC+10")


def test_unmatched_timezone_suggests_async() -> None:
    profiles = [mentee(1, "Go", utc_offset_hours=10), mentor(2, "Go", utc_offset_hours=-3, accepts_async=True)]
    assert "1 would work asynchronously if the mentee accepted async" in only_unmatched(profiles)[1]


@pytest.mark.parametrize(
    ("extra", "rules", "detail"),
    [
        ({"team": "infra"}, MatchingRules(), "same team (1)"),
        ({}, MatchingRules(previous_pairs=frozenset({(1, 2)})), "paired before (1)"),
        ({"do_not_match": frozenset({2})}, MatchingRules(), "on a do-not-match list (1)"),
    ],
)
def test_unmatched_excluded(extra: dict[str, object], rules: MatchingRules, detail: str) -> None:
    team = {"team": "infra"} if "team" in extra else {}
    profiles = [mentee(1, "Go", **extra), mentor(2, "Go", **team)]
    cause, reason = only_unmatched(profiles, rules)
    assert cause == "excluded"
    assert reason == f"the only mentors for Go who fit are excluded: {detail}"


def test_unmatched_capacity_taken_by_others() -> None:
    profiles = [mentee(1, "Go"), mentee(3, "Go", days_waiting=60), mentor(2, "Go")]
    # Mentee 3 has waited longer, so the single slot goes to them.
    cause, reason = only_unmatched(profiles)
    assert cause == "capacity_taken"
    assert "needed for another mentee" in reason


def test_skipped_mentees_explained() -> None:
    profiles = [
        mentee(1, consented=False),
        mentee(2, paused=True),
        MatchProfile(3, Role.MENTEE),
        mentor(9),
    ]
    proposal = propose_round(profiles)
    assert [(s.member_id, s.cause) for s in proposal.skipped] == [(1, "no_consent"), (2, "paused"), (3, "no_topics")]
    assert proposal.unmatched == [] and proposal.pairs == []


def test_demand_gaps_flag_topics_short_of_mentors() -> None:
    profiles = [
        mentee(1, "Go"),
        mentee(2, "Go"),
        mentee(3, "Go", "Rust"),
        mentee(4, "Python"),
        mentor(10, "Go", capacity=2),
        mentor(11, "Python"),
    ]
    gaps = propose_round(profiles).demand_gaps
    assert [(g.topic, g.mentees_wanting, g.mentors_offering, g.free_slots, g.shortfall) for g in gaps] == [
        ("Go", 3, 1, 2, 1),
        ("Rust", 1, 0, 0, 1),
    ]


def test_average_score_and_edges_reported() -> None:
    proposal = propose_round([mentee(1), mentee(2), mentor(3, capacity=2)])
    assert proposal.candidate_edges == 2
    assert proposal.average_score == round(sum(p.score for p in proposal.pairs) / 2, 2)


def test_invalid_profiles_rejected() -> None:
    with pytest.raises(ValueError):
        mentee(1, cadence="daily")
    with pytest.raises(ValueError):
        mentor(1, capacity=4)
    with pytest.raises(ValueError):
        propose_round([mentee(1), mentor(1)])


def test_utc_offset_from_iana_zone_on_reference_date() -> None:
    from datetime import datetime

    from bot.features.matching.profiles import utc_offset_hours

    assert utc_offset_hours("Asia/Kolkata", datetime(2026, 11, 22, tzinfo=UTC)) == 5.5
    assert utc_offset_hours("Europe/Berlin", datetime(2026, 7, 1, tzinfo=UTC)) == 2.0
    assert utc_offset_hours("Europe/Berlin", datetime(2026, 11, 22)) == 1.0  # naive means UTC
    assert utc_offset_hours("Asia/Kathmandu", datetime(2026, 11, 22, tzinfo=UTC)) == 5.75


def test_mentor_side_text_is_helps_with_and_unanswered_preferences_are_neutral() -> None:
    both_sides = MatchProfile(
        2,
        Role.BOTH,
        topics_offered=frozenset({"Go"}),
        topics_wanted=frozenset({"Rust"}),
        goals_text="learn embedded rust",  # read when 2 is mentored
        helps_with_text="kubernetes operators in go",  # read when 2 mentors
        cadence="",
        program_length="",
        communication="",
        hours_per_month=None,
        team="",  # empty team is no team, not a team called ""
    )
    profiles = [mentee(1, "Go", goals_text="write kubernetes operators", team=""), both_sides]
    [pair] = propose_round(profiles, MatchingRules(exclude_same_team=True)).pairs
    by = {r.criterion: r for r in pair.reasons}
    assert "kubernetes" in by["goals"].text and "operator" in by["goals"].text
    assert by["cadence"].points == 2.5 and by["cadence"].text == "cadence: no answer on one side"
    assert by["program_length"].points == 2.5 and by["communication"].points == 2.5
    assert by["commitment"].points == 2.5 and "?" in by["commitment"].text


def test_odd_weights_never_push_a_pair_above_the_maximum() -> None:
    from bot.features.matching import ScoreWeights

    weights = ScoreWeights(topics=33.335, goals=12.345, waking_hours=0.005, waiting=0.0)
    profiles = [
        mentee(1, "Go", "Rust", "Python", goals_text="compilers and tooling"),
        mentor(2, "Go", "Rust", "Python", goals_text="compilers and tooling"),
    ]
    [pair] = propose_round(profiles, MatchingRules(weights=weights)).pairs
    assert pair.score <= sum(round(w * 100) for w in weights.as_tuple()) / 100
