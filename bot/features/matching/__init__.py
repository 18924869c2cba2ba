"""Matching engine: profiles in, proposed mentor–mentee pairs with reasons out.

Pure (no database, no chat). `propose_round` is the entry point; the types live in
`profiles`. Stages, usable on their own: `encoding.encode` → `candidates.generate_candidates`
→ `assignment.solve_assignment` → `explain`.
"""

from .profiles import (
    CADENCES,
    COMMUNICATION_MODES,
    CRITERIA,
    PROGRAM_LENGTHS,
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
from .round import propose_round, score_candidates

__all__ = [
    "CADENCES",
    "COMMUNICATION_MODES",
    "CRITERIA",
    "PROGRAM_LENGTHS",
    "DemandGap",
    "MatchProfile",
    "MatchingRules",
    "Reason",
    "Role",
    "RoundProposal",
    "ScoreWeights",
    "ScoredCandidate",
    "Unmatched",
    "propose_round",
    "utc_offset_hours",
    "score_candidates",
]
