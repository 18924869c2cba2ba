"""Input and output types of the matching engine.

Matching is a pure function: the caller (intake storage, the moderator review
flow) turns stored profiles into `MatchProfile` values and the round's policy
into `MatchingRules`; the engine returns a `RoundProposal`. Nothing here knows
about a database or a chat platform.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

# Ordered choices: neighbours on these scales earn half the points of an exact
# match (a 3–6 month mentee and a 6–9 month mentor can still agree on a term).
PROGRAM_LENGTHS: tuple[str, ...] = ("3-6", "6-9", "9-12")
CADENCES: tuple[str, ...] = ("weekly", "biweekly", "monthly")
# Unordered: only an exact match counts.
COMMUNICATION_MODES: tuple[str, ...] = ("chat", "video", "in_person")

MAX_MENTOR_CAPACITY = 3


class Role(enum.Enum):
    """Which side(s) of the program a member signed up for."""

    MENTOR = "mentor"
    MENTEE = "mentee"
    BOTH = "both"  # can mentor and be mentored in the same round, never by themselves

    @property
    def seeks_mentor(self) -> bool:
        return self in (Role.MENTEE, Role.BOTH)

    @property
    def offers_mentoring(self) -> bool:
        return self in (Role.MENTOR, Role.BOTH)


@dataclass(frozen=True)
class MatchProfile:
    """What the matcher needs to know about one member, as of this round.

    `topics_offered` and `helps_with_text` matter when the member mentors,
    `topics_wanted` and `goals_text` when they are mentored; a BOTH member fills
    both (a mentor without `helps_with_text` is read through `goals_text`).
    Preferences left empty ("" / None) mean "no answer" and score neutral (half).
    `capacity` and `active_mentees` describe the member as a mentor (free slots =
    capacity − active_mentees).
    `days_waiting` and `times_left_unmatched` describe the member as a mentee.
    """

    member_id: int
    role: Role
    topics_offered: frozenset[str] = frozenset()
    topics_wanted: frozenset[str] = frozenset()
    goals_text: str = ""  # as a mentee: what they want to achieve
    helps_with_text: str = ""  # as a mentor: what they can help with
    years_experience: int | None = None
    utc_offset_hours: float = 0.0
    accepts_async: bool = False
    hours_per_month: int | None = None
    program_length: str = ""  # one of PROGRAM_LENGTHS, or "" for no answer
    cadence: str = ""  # one of CADENCES, or ""
    communication: str = ""  # one of COMMUNICATION_MODES, or ""
    languages: frozenset[str] = frozenset({"en"})
    capacity: int = 1
    active_mentees: int = 0
    consented: bool = True
    paused: bool = False
    team: str | None = None
    do_not_match: frozenset[int] = frozenset()
    days_waiting: int = 0
    times_left_unmatched: int = 0

    def __post_init__(self) -> None:
        # Fail early with a message the intake code can log; the engine relies on these.
        if self.program_length and self.program_length not in PROGRAM_LENGTHS:
            raise ValueError(f"program_length must be one of {PROGRAM_LENGTHS}, not {self.program_length!r}")
        if self.cadence and self.cadence not in CADENCES:
            raise ValueError(f"cadence must be one of {CADENCES}, not {self.cadence!r}")
        if self.communication and self.communication not in COMMUNICATION_MODES:
            raise ValueError(f"communication must be one of {COMMUNICATION_MODES}, not {self.communication!r}")
        if not (-12.0 <= self.utc_offset_hours <= 14.0) or math.isnan(self.utc_offset_hours):
            raise ValueError(f"utc_offset_hours must lie in [-12, 14], not {self.utc_offset_hours}")
        if (self.utc_offset_hours * 4) % 1:
            # Real offsets are whole quarter hours (+5:45, +12:45); scoring relies on it.
            raise ValueError(f"utc_offset_hours must be a multiple of 15 minutes, not {self.utc_offset_hours}")
        if self.role.offers_mentoring and not (0 <= self.capacity <= MAX_MENTOR_CAPACITY):
            raise ValueError(f"capacity must lie in 0..{MAX_MENTOR_CAPACITY}, not {self.capacity}")
        if self.active_mentees < 0 or self.days_waiting < 0 or self.times_left_unmatched < 0:
            raise ValueError("active_mentees, days_waiting and times_left_unmatched cannot be negative")

    @property
    def free_capacity(self) -> int:
        return max(0, self.capacity - self.active_mentees) if self.role.offers_mentoring else 0


def utc_offset_hours(timezone: str, on: datetime) -> float:
    """UTC offset of an IANA zone on a given instant, for `MatchProfile.utc_offset_hours`.

    Platforms report IANA names (Slack's `tz`, intake answers); the matcher compares
    offsets, so the caller fixes the reference instant (e.g. the round's start) —
    daylight saving then cannot make the same input give different rounds.
    """
    moment = on if on.tzinfo else on.replace(tzinfo=UTC)
    offset = moment.astimezone(ZoneInfo(timezone)).utcoffset()
    return (offset.total_seconds() if offset else 0.0) / 3600.0


@dataclass(frozen=True)
class ScoreWeights:
    """Maximum points per soft criterion; the defaults add up to 100."""

    topics: float = 35.0
    goals: float = 15.0
    seniority: float = 10.0
    waking_hours: float = 10.0
    cadence: float = 5.0
    program_length: float = 5.0
    communication: float = 5.0
    commitment: float = 5.0
    waiting: float = 10.0

    def __post_init__(self) -> None:
        for name in CRITERIA:
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"weight {name} must be a finite number >= 0")

    def as_tuple(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, name)) for name in CRITERIA)


# Order of the criteria in score arrays and in every `ScoredCandidate.reasons`.
CRITERIA: tuple[str, ...] = (
    "topics",
    "goals",
    "seniority",
    "waking_hours",
    "cadence",
    "program_length",
    "communication",
    "commitment",
    "waiting",
)


@dataclass(frozen=True)
class MatchingRules:
    """The round's policy: hard limits, weights and how sparse the candidate graph is kept."""

    weights: ScoreWeights = field(default_factory=ScoreWeights)
    max_timezone_difference_hours: float = 6.0
    # Pairing people from the same team mixes mentoring with line management; most programs avoid it.
    exclude_same_team: bool = True
    allow_rematch: bool = False
    # (a, b) member ids who were paired before, in either direction.
    previous_pairs: frozenset[tuple[int, int]] = frozenset()
    # Each mentee keeps at most this many best-scoring candidates; the solver is exact over them.
    candidates_per_mentee: int = 25
    # Each mentor also keeps this many best-scoring mentees, so popular mentors cannot starve the graph.
    candidates_per_mentor: int = 10
    # For a (topic, language) list longer than this, a deterministic spread sample of this many
    # mentors is scored instead of all of them (keeps a 100k-member round near-linear).
    scan_limit_per_topic: int = 60

    def __post_init__(self) -> None:
        if self.max_timezone_difference_hours < 0:
            raise ValueError("max_timezone_difference_hours cannot be negative")
        if self.candidates_per_mentee < 1 or self.scan_limit_per_topic < 1 or self.candidates_per_mentor < 0:
            raise ValueError("candidates_per_mentee and scan_limit_per_topic must be at least 1")


class Reason(NamedTuple):
    """One criterion's contribution to a pair's score, in words a moderator can read.

    A NamedTuple rather than a frozen dataclass: a 100k-member round builds ~half a
    million of them, and tuples construct several times faster.
    """

    criterion: str
    points: float
    text: str


@dataclass(frozen=True)
class ScoredCandidate:
    """A proposed (or possible) pair and why it fits."""

    mentee_id: int
    mentor_id: int
    score: float  # sum of the reasons' points, rounded to 0.01 (the solver works on hundredths)
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Unmatched:
    """A mentee the round could not place (or skipped), with what a moderator can do about it."""

    member_id: int
    # Machine-readable. Unmatched: no_topic_supply, at_capacity (also paused mentors), language,
    # timezone, excluded (team / previous pair / do-not-match), capacity_taken.
    # Skipped: no_consent, paused, no_topics.
    cause: str
    reason: str


@dataclass(frozen=True)
class DemandGap:
    """A topic for which more eligible mentees ask than free mentor slots exist."""

    topic: str
    mentees_wanting: int
    mentors_offering: int
    free_slots: int

    @property
    def shortfall(self) -> int:
        return self.mentees_wanting - self.free_slots


@dataclass(frozen=True)
class Certificate:
    """Proof that a round's pairs are optimal on the FULL feasible graph, not only the sparse one.

    Every pair weighs `unit` + its score (hundredths), with `unit` larger than any possible
    total score, so the heaviest assignment matches the most mentees and then scores highest.
    `bound` = Σ mentee potentials + Σ free slots × mentor potentials, with potentials checked
    against every feasible pair (LP duality): no assignment can weigh more. `bound == value`
    proves the proposal optimal.
    """

    value: int  # unit × matched + total score of the proposal, in hundredths
    bound: int  # upper bound on any assignment's weight under every hard rule
    unit: int  # weight of one matched mentee (> any total score)
    iterations: int  # solve → price rounds until no feasible pair was underpriced
    edges_priced: int  # feasible pairs scored against the potentials (over all iterations)
    segments_skipped: int  # index ranges a bound priced out without scoring a pair
    edges_added: int  # underpriced pairs added to the sparse graph
    graph_edges: int  # edges the final solve saw

    @property
    def proved(self) -> bool:
        return self.bound == self.value

    def as_dict(self) -> dict[str, int | bool]:
        """JSON-ready, for the stored round summary."""
        return {
            "proved": self.proved,
            "bound": self.bound,
            "value": self.value,
            "unit": self.unit,
            "iterations": self.iterations,
            "edges_priced": self.edges_priced,
            "segments_skipped": self.segments_skipped,
            "edges_added": self.edges_added,
            "graph_edges": self.graph_edges,
        }


@dataclass(frozen=True)
class RoundProposal:
    """What the moderator reviews before any introduction is sent."""

    pairs: list[ScoredCandidate]
    unmatched: list[Unmatched]  # eligible mentees without a mentor this round
    skipped: list[Unmatched]  # mentees not eligible (no consent, paused, no topics)
    demand_gaps: list[DemandGap]
    average_score: float
    candidate_edges: int  # size of the sparse candidate graph the solver saw
    certificate: Certificate | None = None  # None in the sparse-only mode (no proof for the full graph)
