"""CSV export for moderators: members, pairings, check-ins.

Rows are streamed from the database straight into the files, so an export of a
large community never holds it in memory. Members who used forget-me are not in
any file: their profile is gone (so no members row) and every pairing or
check-in that involves them is left out, because its other columns would still
point at them. Cells that a spreadsheet would run as a formula (starting with
= + - @, tab or carriage return) get a leading apostrophe.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from bot.core.heavy import Prep
from storage.tables import CheckIn, Feedback, Goal, GoalStatus, Member, Pairing, Profile

# forget-me keeps the member row (other rows point at it) but replaces the platform id with this prefix.
FORGOTTEN_PREFIX = "forgotten:"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

MEMBER_COLUMNS = (
    "member_id",
    "display_name",
    "platform_user_id",
    "role",
    "status",
    "source",
    "topics_offered",
    "topics_wanted",
    "topics_other",
    "goals",
    "can_help_with",
    "career_stage",
    "years_experience",
    "timezone",
    "hours_per_month",
    "program_length",
    "cadence",
    "communication",
    "languages",
    "capacity",
    "accepts_async",
    "team",
    "signed_up_at",
    "waiting_since",
    "paused_until",
    "left_at",
    "joined_at",
)
PAIRING_COLUMNS = (
    "pairing_id",
    "round_id",
    "mentee_id",
    "mentee_name",
    "mentor_id",
    "mentor_name",
    "status",
    "score",
    "cadence",
    "communication",
    "program_length",
    "started_at",
    "kickoff_at",
    "ends_on",
    "ended_at",
    "end_reason",
    "at_risk_reported_at",
    "goals_set",
    "goals_done",
    "mentee_rating",
    "mentor_rating",
    "outcome",
    "circle_id",  # empty for a pair; a mentoring circle's number for each of its members' seats
)
CHECKIN_COLUMNS = (
    "checkin_id",
    "pairing_id",
    "member_id",
    "member_name",
    "sequence",
    "sent_at",
    "answer",
    "answered_at",
    "note",
)


def safe_cell(value: Any) -> Any:
    """A value as a CSV cell that no spreadsheet will evaluate."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class Export:
    members: Path
    pairings: Path
    checkins: Path
    counts: dict[str, int]

    @property
    def files(self) -> list[Path]:
        return [self.members, self.pairings, self.checkins]


def not_forgotten(member: Any) -> ColumnElement[bool]:
    return not_(member.platform_user_id.startswith(FORGOTTEN_PREFIX))


async def _write(session: AsyncSession, path: Path, header: Sequence[str], query: Any) -> int:
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        result = await session.stream(query)
        async for partition in result.partitions(2000):
            writer.writerows(_cells(partition))
            rows += len(partition)
    return rows


def _cells(rows: Iterable[Sequence[Any]]) -> Iterable[list[Any]]:
    for row in rows:
        yield [safe_cell(v) for v in row]


async def write_export(session: AsyncSession, community_id: int, directory: Path) -> Export:
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    mentee, mentor = aliased(Member), aliased(Member)
    members_query = (
        select(
            col(Member.id),
            col(Member.display_name),
            col(Member.platform_user_id),
            col(Profile.role),
            col(Profile.status),
            col(Profile.source),
            col(Profile.topics_offered),
            col(Profile.topics_wanted),
            col(Profile.topics_other),
            col(Profile.goals),
            col(Profile.can_help_with),
            col(Profile.career_stage),
            col(Profile.years_experience),
            col(Profile.timezone),
            col(Profile.hours_per_month),
            col(Profile.program_length),
            col(Profile.cadence),
            col(Profile.communication),
            col(Profile.languages),
            col(Profile.capacity),
            col(Profile.accepts_async),
            col(Profile.team),
            col(Profile.signed_up_at),
            col(Profile.waiting_since),
            col(Profile.paused_until),
            col(Profile.left_at),
            col(Member.joined_at),
        )
        .join(Member, col(Member.id) == Profile.member_id)
        .where(
            col(Profile.community_id) == community_id, col(Member.community_id) == community_id, not_forgotten(Member)
        )
        .order_by(col(Member.id))
    )
    goals = (
        select(
            col(Goal.pairing_id).label("pairing_id"),
            func.count().label("set"),
            func.sum(case((col(Goal.status) == GoalStatus.DONE.value, 1), else_=0)).label("done"),
        )
        .where(col(Goal.community_id) == community_id)
        .group_by(col(Goal.pairing_id))
        .subquery("goals")
    )
    ratings = (
        select(
            col(Feedback.pairing_id).label("pairing_id"),
            func.max(case((col(Feedback.role) == "mentee", col(Feedback.rating)))).label("mentee"),
            func.max(case((col(Feedback.role) == "mentor", col(Feedback.rating)))).label("mentor"),
        )
        .where(col(Feedback.community_id) == community_id)
        .group_by(col(Feedback.pairing_id))
        .subquery("ratings")
    )
    kept_pairing = and_(col(Pairing.community_id) == community_id, not_forgotten(mentee), not_forgotten(mentor))
    pairings_query = (
        select(
            col(Pairing.id),
            col(Pairing.round_id),
            col(mentee.id),
            col(mentee.display_name),
            col(mentor.id),
            col(mentor.display_name),
            col(Pairing.status),
            col(Pairing.score),
            col(Pairing.cadence),
            col(Pairing.communication),
            col(Pairing.program_length),
            col(Pairing.started_at),
            col(Pairing.kickoff_at),
            col(Pairing.ends_on),
            col(Pairing.ended_at),
            col(Pairing.end_reason),
            col(Pairing.at_risk_reported_at),
            func.coalesce(goals.c.set, 0),
            func.coalesce(goals.c.done, 0),
            ratings.c.mentee,
            ratings.c.mentor,
            # A pair met when either confirmed the kick-off or answered "We met" (which records it).
            case(
                (col(Pairing.status) == "active", "active"),
                (col(Pairing.kickoff_at).is_(None), "ended without meeting"),
                (col(Pairing.status) == "completed", "completed"),
                else_="ended early",
            ),
            col(Pairing.circle_id),
        )
        .join(mentee, col(mentee.id) == Pairing.mentee_member_id)
        .join(mentor, col(mentor.id) == Pairing.mentor_member_id)
        .outerjoin(goals, goals.c.pairing_id == col(Pairing.id))
        .outerjoin(ratings, ratings.c.pairing_id == col(Pairing.id))
        .where(kept_pairing)
        .order_by(col(Pairing.id))
    )
    who = aliased(Member)
    checkins_query = (
        select(
            col(CheckIn.id),
            col(CheckIn.pairing_id),
            col(who.id),
            col(who.display_name),
            col(CheckIn.sequence),
            col(CheckIn.sent_at),
            col(CheckIn.answer),
            col(CheckIn.answered_at),
            col(CheckIn.note),
        )
        .join(who, col(who.id) == CheckIn.member_id)
        .join(Pairing, col(Pairing.id) == CheckIn.pairing_id)
        .join(mentee, col(mentee.id) == Pairing.mentee_member_id)
        .join(mentor, col(mentor.id) == Pairing.mentor_member_id)
        .where(col(CheckIn.community_id) == community_id, kept_pairing, not_forgotten(who))
        .order_by(col(CheckIn.id))
    )
    counts = {
        "members": await _write(session, directory / "members.csv", MEMBER_COLUMNS, members_query),
        "pairings": await _write(session, directory / "pairings.csv", PAIRING_COLUMNS, pairings_query),
        "checkins": await _write(session, directory / "checkins.csv", CHECKIN_COLUMNS, checkins_query),
    }
    counts["never_met"] = (
        await session.execute(
            select(func.count())
            .select_from(Pairing)
            .join(mentee, col(mentee.id) == Pairing.mentee_member_id)
            .join(mentor, col(mentor.id) == Pairing.mentor_member_id)
            .where(kept_pairing, col(Pairing.status) != "active", col(Pairing.kickoff_at).is_(None))
        )
    ).scalar_one()
    return Export(directory / "members.csv", directory / "pairings.csv", directory / "checkins.csv", counts)


def export_directory(data_dir: str, community_id: int, now: datetime) -> Path:
    """A fresh folder for one export (named so that the retention sweep can date it)."""
    return Path(data_dir) / "exports" / f"{community_id}-{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class PreparedExport:
    """An export written by the heavy-work worker (bot/core/heavy.py), ready to be sent."""

    export: Export

    def discard(self) -> None:
        """The unit of work did not send it (a duplicate event, a refusal): no stray copy of personal data."""
        shutil.rmtree(self.export.members.parent, ignore_errors=True)


async def write_export_job(session: AsyncSession, community_id: int, directory: str) -> Export:
    """Runs in the worker: the rows are read and the files written there."""
    return await write_export(session, community_id, Path(directory))


async def prepare_export(prep: Prep) -> PreparedExport | None:
    """`/mentor export` in a large community: read and write the CSV files off the event loop."""
    if prep.args:
        return None  # the handler explains the usage
    directory = export_directory(prep.settings.data_dir, prep.community_id, prep.now)
    export: Export = await prep.run(write_export_job, prep.community_id, str(directory))
    return PreparedExport(export)


__all__ = [
    "write_export",
    "safe_cell",
    "Export",
    "FORGOTTEN_PREFIX",
    "PreparedExport",
    "prepare_export",
    "export_directory",
]
