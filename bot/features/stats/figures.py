"""The dashboard's figures: what `queries.build_dashboard` counts and `dashboard`,
`chart` and `export` show. Plain dataclasses, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Filters:
    """`--since` and `--campaign`: limit figures to what started after a date / came from one source."""

    since: datetime | None = None
    source: str | None = None  # a profile source: "campaign:spring", "poll:3", "greeting", "direct"


@dataclass(frozen=True)
class TopicBalance:
    topic: str
    mentors_offering: int
    mentors_free: int  # offering and with room for another mentee
    mentees_waiting: int

    @property
    def shortfall(self) -> int:
        return self.mentees_waiting - self.mentors_free


@dataclass(frozen=True)
class SourceCount:
    source: str
    signups: int
    poll_question: str | None = None  # for "poll:<id>" sources


@dataclass(frozen=True)
class PollConversion:
    poll_id: int
    question: str
    would_join: int  # votes for an option that means mentor, mentee or both
    signed_up: int  # of those voters, how many completed a sign-up


@dataclass(frozen=True)
class WeekPoint:
    week_start: date
    signups: int
    active_relationships: int


@dataclass
class Dashboard:
    now: datetime
    filters: Filters
    # sign-ups
    by_role: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    new_recent: int = 0
    # relationships
    by_pairing_status: dict[str, int] = field(default_factory=dict)
    median_days: float | None = None
    completed_counted: int = 0  # completed relationships the median is computed from
    kickoffs_held: int = 0
    # Over relationships (completed or ended early) in which the two never met: no kick-off,
    # no "We met". They are not "completed", whatever the calendar says.
    never_met: dict[str, int] = field(default_factory=dict)
    # the session log: meetings, pairs that logged any, minutes logged since the quarter began
    meetings_logged: int = 0
    pairs_logging: int = 0
    minutes_this_quarter: int = 0
    # the half-way pulse: answered, average 1–5, answers of 1 or 2
    pulses: int = 0
    pulse_average: float | None = None
    pulses_low: int = 0
    # campaigns
    sources: list[SourceCount] = field(default_factory=list)
    conversions: list[PollConversion] = field(default_factory=list)
    # skills
    topics: list[TopicBalance] = field(default_factory=list)
    # health
    checkins_sent: int = 0
    checkin_answers: dict[str, int] = field(default_factory=dict)
    at_risk: int = 0
    goals_set: int = 0
    goals_done: int = 0
    average_rating: float | None = None
    ratings: int = 0
    testimonials: int = 0
    # community
    joins_reported: bool = False
    program_started: datetime | None = None
    joined_since_start: int = 0
    joined_took_part: int = 0
    # chart
    weeks: list[WeekPoint] = field(default_factory=list)

    @property
    def signups(self) -> int:
        return sum(self.by_role.values())

    @property
    def pairings(self) -> int:
        return sum(self.by_pairing_status.values())

    @property
    def outcomes(self) -> dict[str, int]:
        """Relationships by how they went: active, completed (met), ended early (met), ended without meeting."""
        pairs, never = self.by_pairing_status, self.never_met
        return {
            "active": pairs.get("active", 0),
            "completed": pairs.get("completed", 0) - never.get("completed", 0),
            "ended early": pairs.get("ended", 0) - never.get("ended", 0),
            "ended without meeting": never.get("completed", 0) + never.get("ended", 0),
        }

    @property
    def checkins_answered(self) -> int:
        return sum(self.checkin_answers.values())


SMALL = 3  # figures computed from fewer people than this identify them


def shown_share(part: int, whole: int) -> str:
    """A percentage, or "fewer than 3" when it would be computed from fewer than 3."""
    if whole < SMALL:
        return "fewer than 3"
    return f"{100 * part / whole:.0f}%"
