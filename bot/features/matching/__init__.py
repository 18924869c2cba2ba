"""Matching engine: profiles in, proposed mentor–mentee pairs with reasons out.

Pure (no database, no chat). `propose_round` is the entry point; the types live in
`profiles`. Stages, usable on their own: `encoding.encode` → `candidates.generate_candidates`
→ `certify.certified_assignment` (exact solve on the sparse graph, then pricing against
the full feasible graph until the optimum is proved) → `explain`. The candidate pass and the
pricing score pairs through `pairscore`'s per-round tables (exactly `scoring`'s totals).

Importing this package is cheap: numpy, SciPy and OR-Tools load only when a round
actually runs (the first call of an engine function), so a bot process that never
matches never pays for them. The engine's other entry points (`greedy_assignment`,
`feasible_graph`, …) are attributes loaded on first access.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import Any

from .profiles import (
    CADENCES,
    COMMUNICATION_MODES,
    CRITERIA,
    PROGRAM_LENGTHS,
    Certificate,
    DemandGap,
    MatchingRules,
    MatchProfile,
    Reason,
    Role,
    RoundProposal,
    ScoredCandidate,
    ScoreWeights,
    Unmatched,
    utc_offset_hours,
)

# Engine names -> the module that defines them (each imports numpy, and some SciPy/OR-Tools).
_ENGINE = {
    "run_round": "round",
    "MODES": "round",
    "encode": "encoding",
    "Community": "encoding",
    "generate_candidates": "candidates",
    "feasible_graph": "candidates",
    "feasible_pairs": "candidates",
    "CandidateGraph": "candidates",
    "solve_assignment": "assignment",
    "greedy_assignment": "assignment",
    "certified_assignment": "certify",
    "greedy_on_feasible_graph": "baselines",
    "random_pairing": "baselines",
    "Shortlist": "shortlist",
    "Shortlists": "shortlist",
}


def propose_round(
    profiles: Iterable[MatchProfile], rules: MatchingRules | None = None, mode: str = "certified"
) -> RoundProposal:
    """Propose pairs for one round, optimal on the full feasible graph (see `round.propose_round`).

    `mode="sparse"` is the old top-K-only engine, kept for benchmarks and tests.
    """
    return import_module(".round", __name__).propose_round(profiles, rules, mode)


def build_shortlists(
    profiles: Iterable[MatchProfile], rules: MatchingRules | None = None, *, size: int = 3, margin: int = 1
) -> Any:
    """Mentee choice: shortlists of up to `size` mentors from the certified optimum (`shortlist.build_shortlists`)."""
    return import_module(".shortlist", __name__).build_shortlists(profiles, rules, size=size, margin=margin)


def settle_choices(
    profiles: Iterable[MatchProfile],
    rules: MatchingRules | None,
    accepted: dict[int, int],
    *,
    declined: Iterable[tuple[int, int]] = (),
    withdrawn: Iterable[int] = (),
) -> RoundProposal:
    """A choice round's deadline: the optimum over what the accepted picks left (`shortlist.settle_choices`)."""
    return import_module(".shortlist", __name__).settle_choices(
        profiles, rules, accepted, declined=declined, withdrawn=withdrawn
    )


def score_candidates(profiles: Iterable[MatchProfile], rules: MatchingRules | None = None) -> list[ScoredCandidate]:
    """Every edge of the candidate graph with its reasons (for review screens and tests)."""
    return import_module(".round", __name__).score_candidates(profiles, rules)


def __getattr__(name: str) -> Any:
    module = _ENGINE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


__all__ = [
    "CADENCES",
    "COMMUNICATION_MODES",
    "CRITERIA",
    "PROGRAM_LENGTHS",
    "Certificate",
    "DemandGap",
    "MatchProfile",
    "MatchingRules",
    "Reason",
    "Role",
    "RoundProposal",
    "ScoreWeights",
    "ScoredCandidate",
    "Unmatched",
    "build_shortlists",
    "propose_round",
    "settle_choices",
    "score_candidates",
    "utc_offset_hours",
    *_ENGINE,
]
