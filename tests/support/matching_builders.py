"""Shared builders for the matching tests (plain functions, no fixtures needed)."""

from __future__ import annotations

from dataclasses import replace

from bot.features.matching import MatchingRules, MatchProfile, Role, propose_round, score_candidates


def mentor(member_id: int, *topics: str, **kw: object) -> MatchProfile:
    kw.setdefault("capacity", 1)
    return MatchProfile(member_id, Role.MENTOR, topics_offered=frozenset(topics or ("Python",)), **kw)  # type: ignore[arg-type]


def mentee(member_id: int, *topics: str, **kw: object) -> MatchProfile:
    return MatchProfile(member_id, Role.MENTEE, topics_wanted=frozenset(topics or ("Python",)), **kw)  # type: ignore[arg-type]


def pairs(profiles: list[MatchProfile], rules: MatchingRules | None = None) -> set[tuple[int, int]]:
    return {(p.mentee_id, p.mentor_id) for p in propose_round(profiles, rules).pairs}


def candidate_pairs(profiles: list[MatchProfile], rules: MatchingRules | None = None) -> set[tuple[int, int]]:
    return {(p.mentee_id, p.mentor_id) for p in score_candidates(profiles, rules)}


def with_(profile: MatchProfile, **changes: object) -> MatchProfile:
    return replace(profile, **changes)  # type: ignore[arg-type]
