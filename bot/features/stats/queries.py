"""The dashboard's figures, counted by the database.

Every figure is an aggregate (COUNT/SUM/AVG … GROUP BY) scoped to one
community; nothing here loads member rows into Python, so `/mentor stats` stays
fast at 100k members and a million check-ins (see bench/stats.py). The few
expressions that differ between SQLite and PostgreSQL — days between two
times, the week a time falls in — are built by the small helpers at the top.
"""

from __future__ import annotations

import json
import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, Text, and_, case, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.features.polls.polls import ROLE_WORDS
from bot.features.stats.figures import Dashboard, Filters, PollConversion, SourceCount, TopicBalance, WeekPoint
from storage.meeting_log import community_log, pulse_summary
from storage.tables import (
    CheckIn,
    Feedback,
    Goal,
    GoalStatus,
    Member,
    Pairing,
    PairingStatus,
    Poll,
    PollVote,
    Profile,
    ProfileStatus,
)

_UNIX_EPOCH_JULIAN = 2440587.5  # julianday('1970-01-01')
_MONDAY_SHIFT = 3  # 1970-01-01 was a Thursday; +3 days makes weeks start on Monday
MAX_WEEKS = 156  # the chart shows at most three years, week by week
NEW_DAYS = 30


# --- dialect helpers ----------------------------------------------------------


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def _days_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def _week_of(dialect: str, moment: Any) -> ColumnElement[Any]:
    """Whole weeks (Monday-based) since 1970: the same integer on both databases."""
    if dialect == "postgresql":
        return func.floor((func.extract("epoch", moment) / 86400.0 + _MONDAY_SHIFT) / 7)
    return cast((func.julianday(moment) - _UNIX_EPOCH_JULIAN + _MONDAY_SHIFT) / 7, Integer)


def _week_index(moment: datetime) -> int:
    days = (moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() / 86400
    return int((days + _MONDAY_SHIFT) // 7)


def _week_start(index: int) -> date:
    return date(1970, 1, 1) + timedelta(days=index * 7 - _MONDAY_SHIFT)


# --- the queries --------------------------------------------------------------------


class _Scope:
    """WHERE clauses for one community and the moderator's filters, per table."""

    def __init__(self, community_id: int, filters: Filters) -> None:
        self.community_id = community_id
        self.filters = filters
        self.campaign_members = (
            select(col(Profile.member_id)).where(
                col(Profile.community_id) == community_id, col(Profile.source) == filters.source
            )
            if filters.source
            else None
        )

    def profiles(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [col(Profile.community_id) == self.community_id]
        if self.filters.since:
            where.append(col(Profile.signed_up_at) >= self.filters.since)
        if self.filters.source:
            where.append(col(Profile.source) == self.filters.source)
        return where

    def pairings(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [col(Pairing.community_id) == self.community_id]
        if self.filters.since:
            where.append(col(Pairing.started_at) >= self.filters.since)
        if self.campaign_members is not None:
            where.append(
                or_(
                    col(Pairing.mentee_member_id).in_(self.campaign_members),
                    col(Pairing.mentor_member_id).in_(self.campaign_members),
                )
            )
        return where

    def checkins(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [col(CheckIn.community_id) == self.community_id]
        if self.filters.since:
            where.append(col(CheckIn.sent_at) >= self.filters.since)
        if self.campaign_members is not None:
            where.append(col(CheckIn.member_id).in_(self.campaign_members))
        return where

    def goals(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [col(Goal.community_id) == self.community_id]
        if self.filters.since:
            where.append(col(Goal.created_at) >= self.filters.since)
        if self.campaign_members is not None:
            where.append(col(Goal.pairing_id).in_(select(col(Pairing.id)).where(*self.pairings())))
        return where

    def feedback(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [col(Feedback.community_id) == self.community_id]
        if self.filters.since:
            where.append(col(Feedback.requested_at) >= self.filters.since)
        if self.campaign_members is not None:
            where.append(col(Feedback.member_id).in_(self.campaign_members))
        return where


async def build_dashboard(session: AsyncSession, community_id: int, now: datetime, filters: Filters) -> Dashboard:
    dialect = _dialect(session)
    scope = _Scope(community_id, filters)
    board = Dashboard(now=now, filters=filters)
    sources = await _signups(session, scope, board)
    await _relationships(session, scope, board, dialect)
    await _campaigns(session, scope, board, sources)
    await _skills(session, scope, board)
    await _health(session, scope, board)
    await _community(session, community_id, board)
    # The session log (every filter but the community is about sign-ups, so the log is community-wide).
    quarter = board.now.replace(
        month=(board.now.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    board.meetings_logged, board.pairs_logging, board.minutes_this_quarter = await community_log(
        session, community_id, quarter
    )
    board.pulses, board.pulse_average, board.pulses_low = await pulse_summary(session, community_id)
    await _weeks(session, scope, board, dialect)
    return board


async def _signups(session: AsyncSession, scope: _Scope, board: Dashboard) -> dict[str, int]:
    """Roles, statuses, recent sign-ups and sources in one ordered pass over the covering index.

    The result has one row per (role, status, source) — a few dozen — so the
    per-source totals for the campaigns section come from here too instead of a
    second scan of every profile.
    """
    recent = board.now - timedelta(days=NEW_DAYS)
    rows = await session.execute(
        select(
            col(Profile.role),
            col(Profile.status),
            col(Profile.source),
            func.count(),
            func.sum(case((col(Profile.signed_up_at) >= recent, 1), else_=0)),
        )
        .where(*scope.profiles())
        .group_by(col(Profile.role), col(Profile.status), col(Profile.source))
    )
    sources: dict[str, int] = {}
    for role, status, source, count, new in rows.all():
        board.by_role[role] = board.by_role.get(role, 0) + count
        board.by_status[status] = board.by_status.get(status, 0) + count
        sources[source] = sources.get(source, 0) + count
        board.new_recent += int(new or 0)
    return sources


async def _relationships(session: AsyncSession, scope: _Scope, board: Dashboard, dialect: str) -> None:
    rows = await session.execute(
        select(col(Pairing.status), func.count(), func.count(col(Pairing.kickoff_at)))
        .where(*scope.pairings(), col(Pairing.circle_id).is_(None))  # circles are counted on their own
        .group_by(col(Pairing.status))
    )
    for status, count, kickoffs in rows.all():
        board.by_pairing_status[status] = count
        board.kickoffs_held += kickoffs
        if status != PairingStatus.ACTIVE.value:
            board.never_met[status] = count - kickoffs  # "We met" records the kick-off too
    # Median length of completed relationships, from a histogram of whole days (a few hundred rows at most).
    days = func.floor(_days_between(dialect, Pairing.started_at, Pairing.ended_at))
    histogram = (
        await session.execute(
            select(days, func.count())
            .where(
                *scope.pairings(),
                col(Pairing.circle_id).is_(None),
                col(Pairing.status) == PairingStatus.COMPLETED.value,
                col(Pairing.ended_at).is_not(None),
            )
            .group_by(days)
        )
    ).all()
    board.median_days = _median_of_histogram([(float(d), int(n)) for d, n in histogram if d is not None])
    board.completed_counted = sum(int(n) for d, n in histogram if d is not None)


def _median_of_histogram(bins: list[tuple[float, int]]) -> float | None:
    total = sum(n for _, n in bins)
    if total == 0:
        return None
    ordered = sorted(bins)

    def at(position: int) -> float:
        seen = 0
        for value, count in ordered:
            seen += count
            if position < seen:
                return value
        return ordered[-1][0]

    if total % 2:
        return at(total // 2)
    return statistics.mean((at(total // 2 - 1), at(total // 2)))


async def _campaigns(session: AsyncSession, scope: _Scope, board: Dashboard, sources: dict[str, int]) -> None:
    rows = sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))
    poll_ids = [int(s.split(":", 1)[1]) for s, _ in rows if s.startswith("poll:") and s.split(":", 1)[1].isdigit()]
    questions: dict[int, str] = {}
    if poll_ids:
        found = await session.execute(
            select(col(Poll.id), col(Poll.question)).where(
                col(Poll.community_id) == scope.community_id, col(Poll.id).in_(poll_ids)
            )
        )
        questions = {i: q for i, q in found.all() if i is not None}  # (never None: a stored key)
    for source, count in rows:
        question = None
        if source.startswith("poll:") and source[5:].isdigit():
            question = questions.get(int(source[5:]))
        board.sources.append(SourceCount(source, count, question))
    await _conversions(session, scope, board)


async def _conversions(session: AsyncSession, scope: _Scope, board: Dashboard) -> None:
    source = scope.filters.source
    if source and not source.startswith("poll:"):
        return  # another campaign: poll votes say nothing about it
    query = select(Poll).where(col(Poll.community_id) == scope.community_id)
    if source:
        query = query.where(col(Poll.id) == (int(source[5:]) if source[5:].isdigit() else -1))
    polls = (await session.execute(query.order_by(col(Poll.created_at).desc()).limit(10))).scalars().all()
    for poll in polls:
        joining = [i for i, option in enumerate(poll.options) if option.get("role") in ROLE_WORDS]
        if not joining:
            continue  # a poll without mentor/mentee options is not a campaign
        would, signed = (
            await session.execute(
                select(func.count(), func.count(col(Profile.id)))
                .select_from(PollVote)
                .outerjoin(
                    Profile,
                    and_(col(Profile.member_id) == PollVote.member_id, col(Profile.community_id) == scope.community_id),
                )
                .where(col(PollVote.poll_id) == poll.id, col(PollVote.option_index).in_(joining))
            )
        ).one()
        assert poll.id is not None
        board.conversions.append(PollConversion(poll.id, poll.question, int(would), int(signed)))


async def _skills(session: AsyncSession, scope: _Scope, board: Dashboard) -> None:
    """Topics offered (and with free capacity) vs wanted by waiting mentees.

    Grouped by the stored topic list itself: a community has a few hundred distinct
    lists however many members it has, so the database counts whole lists and the
    lists are split into topics here (expanding every member's JSON list in SQL took
    most of this section's time at 100k members)."""
    load = (
        select(col(Pairing.mentor_member_id).label("mentor_id"), func.count().label("mentees"))
        .where(col(Pairing.community_id) == scope.community_id, col(Pairing.status) == PairingStatus.ACTIVE.value)
        .group_by(col(Pairing.mentor_member_id))
        .subquery("load")
    )
    offered = cast(Profile.topics_offered, Text)  # PostgreSQL groups json only as text
    wanted = cast(Profile.topics_wanted, Text)
    supply = (
        await session.execute(
            select(
                offered,
                func.count(),
                func.sum(case((col(Profile.capacity) > func.coalesce(load.c.mentees, 0), 1), else_=0)),
            )
            .select_from(Profile)
            .outerjoin(load, load.c.mentor_id == col(Profile.member_id))
            .where(
                *scope.profiles(),
                col(Profile.role).in_(["mentor", "both"]),
                col(Profile.status).in_([ProfileStatus.WAITING.value, ProfileStatus.ACTIVE.value]),
            )
            .group_by(offered)
        )
    ).all()
    demand = (
        await session.execute(
            select(wanted, func.count())
            .where(
                *scope.profiles(),
                col(Profile.role).in_(["mentee", "both"]),
                col(Profile.status) == ProfileStatus.WAITING.value,
            )
            .group_by(wanted)
        )
    ).all()
    topics: dict[str, list[int]] = {}
    for listed, offering, free in supply:
        for topic in _distinct_topics(listed):
            counts = topics.setdefault(topic, [0, 0, 0])
            counts[0] += int(offering)
            counts[1] += int(free or 0)
    for listed, waiting in demand:
        for topic in _distinct_topics(listed):
            topics.setdefault(topic, [0, 0, 0])[2] += int(waiting)
    board.topics = sorted(
        (TopicBalance(t, o, f, w) for t, (o, f, w) in topics.items()),
        key=lambda b: (-(b.mentees_waiting + b.mentors_offering), b.topic.casefold()),
    )


def _distinct_topics(listed: Any) -> list[str]:
    """A stored topic list (the JSON type hands back a list; raw text is parsed), each topic once."""
    values = json.loads(listed) if isinstance(listed, str) else (listed or [])
    return list(dict.fromkeys(str(v) for v in values)) if isinstance(values, list) else []


async def _health(session: AsyncSession, scope: _Scope, board: Dashboard) -> None:
    for answer, count in (
        await session.execute(
            select(col(CheckIn.answer), func.count()).where(*scope.checkins()).group_by(col(CheckIn.answer))
        )
    ).all():
        board.checkins_sent += count
        if answer is not None:
            board.checkin_answers[answer] = count
    board.at_risk = (
        await session.execute(
            select(func.count())
            .select_from(Pairing)
            .where(
                *scope.pairings(),
                col(Pairing.status) == PairingStatus.ACTIVE.value,
                col(Pairing.at_risk_reported_at).is_not(None),
            )
        )
    ).scalar_one()
    goals, done = (
        await session.execute(
            select(func.count(), func.sum(case((col(Goal.status) == GoalStatus.DONE.value, 1), else_=0))).where(
                *scope.goals()
            )
        )
    ).one()
    board.goals_set, board.goals_done = int(goals), int(done or 0)
    average, ratings, testimonials = (
        await session.execute(
            select(
                func.avg(col(Feedback.rating)),
                func.count(col(Feedback.rating)),
                func.sum(case((and_(col(Feedback.quote_ok) == True, col(Feedback.worked) != ""), 1), else_=0)),  # noqa: E712
            ).where(*scope.feedback())
        )
    ).one()
    board.average_rating = float(average) if average is not None else None
    board.ratings, board.testimonials = int(ratings), int(testimonials or 0)


async def _community(session: AsyncSession, community_id: int, board: Dashboard) -> None:
    """New members since the program started, and how many of them took part.

    Only platforms that report joins (MemberJoined) set `joined_at`; elsewhere
    this section says so instead of showing a misleading zero.
    """
    board.joins_reported = (
        await session.execute(
            select(literal(1))
            .where(col(Member.community_id) == community_id, col(Member.joined_at).is_not(None))
            .limit(1)
        )
    ).first() is not None
    first_poll = (
        await session.execute(select(func.min(col(Poll.created_at))).where(col(Poll.community_id) == community_id))
    ).scalar_one_or_none()
    first_signup = (
        await session.execute(
            select(func.min(col(Profile.signed_up_at))).where(col(Profile.community_id) == community_id)
        )
    ).scalar_one_or_none()
    starts = [t for t in (first_poll, first_signup) if t is not None]
    board.program_started = min(starts) if starts else None
    if not board.joins_reported or board.program_started is None:
        return
    since = max(board.program_started, board.filters.since) if board.filters.since else board.program_started
    took_part = or_(
        select(col(Profile.id)).where(col(Profile.member_id) == Member.id).exists(),
        select(col(PollVote.id)).where(col(PollVote.member_id) == Member.id).exists(),
    )
    joined, part = (
        await session.execute(
            select(func.count(), func.sum(case((took_part, 1), else_=0))).where(
                col(Member.community_id) == community_id,
                col(Member.joined_at) >= since,
            )
        )
    ).one()
    board.joined_since_start, board.joined_took_part = int(joined), int(part or 0)


async def _weeks(session: AsyncSession, scope: _Scope, board: Dashboard, dialect: str) -> None:
    """Sign-ups per week and relationships active at the end of each week (starts minus ends so far)."""
    signup_week = _week_of(dialect, Profile.signed_up_at)
    signups = dict(
        (int(w), int(n))
        for w, n in (
            await session.execute(select(signup_week, func.count()).where(*scope.profiles()).group_by(signup_week))
        ).all()
    )
    start_week = _week_of(dialect, Pairing.started_at)
    starts = dict(
        (int(w), int(n))
        for w, n in (
            await session.execute(select(start_week, func.count()).where(*scope.pairings()).group_by(start_week))
        ).all()
    )
    end_week = _week_of(dialect, Pairing.ended_at)
    ends = dict(
        (int(w), int(n))
        for w, n in (
            await session.execute(
                select(end_week, func.count())
                .where(*scope.pairings(), col(Pairing.ended_at).is_not(None))
                .group_by(end_week)
            )
        ).all()
    )
    if not signups and not starts:
        return
    last = _week_index(board.now)
    first = max(min([*signups, *starts, last]), last - MAX_WEEKS + 1)
    active = sum(n for w, n in starts.items() if w < first) - sum(n for w, n in ends.items() if w < first)
    for week in range(first, last + 1):
        active += starts.get(week, 0) - ends.get(week, 0)
        board.weeks.append(WeekPoint(_week_start(week), signups.get(week, 0), active))
