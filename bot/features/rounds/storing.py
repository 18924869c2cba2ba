"""Matching rounds: writing a proposal's rows, in the unit of work or from the worker.

A small community's round is stored in the event's unit of work (`store_in_unit`).
A large one's is stored by the heavy-work worker (bot/core/heavy.py) right after
it solves (`store_from_worker`): the 20k-member round's ~6,000 pairs with their
reasons and a summary naming ~10,000 unmatched mentees cost the event loop about
0.7 s when the handler stored them (unpickling, JSON, executemany and two full
garbage collections), and every acknowledgement waited behind it.

The worker writes in small transactions under a round whose status is `storing`,
which nothing shows and nobody can approve. On SQLite it pauses between them so
that the bot's own writes (the inbox's save before an ack) find the write lock
free. The handler's unit of work then only makes that round the proposal
(`publish`), discarding older ones. A crash in between leaves a `storing` round
behind; the next proposal in the community discards it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.messages import Message
from bot.features.matching import RoundProposal
from storage.db import Database
from storage.tables import ChoiceOffer, MatchRound, ProposedPair, RoundStatus

if TYPE_CHECKING:  # the shortlist module loads the solver; only its type is needed here
    from bot.features.matching import Shortlists

ROWS_PER_TRANSACTION = 200  # a few milliseconds of SQLite's write lock each
PAUSE_ON_SQLITE_S = 0.01  # between them: the lock is free most of the time


@dataclass(frozen=True)
class RoundOptions:
    """What the moderator asked for; a stored round is used only for the same options."""

    dry_run: bool
    allow_rematch: bool
    choice: bool


@dataclass(frozen=True)
class StoredRound:
    """The worker's answer: a round written under `storing`, the status it is to take, and the
    proposal message the moderator is to see (rendered there too: its queries read every pair)."""

    round_id: int
    options: RoundOptions
    status: str
    message: Message | None = None


def new_round(
    community_id: int,
    now: datetime,
    proposal: RoundProposal,
    exclusions: dict[str, Any],
    options: RoundOptions,
    approval_reminder_days: Sequence[int],
    created_by: int | None,
) -> MatchRound:
    """The round row with its summary; its status is what a moderator is to see."""
    round_ = MatchRound(
        community_id=community_id,
        dry_run=options.dry_run,
        allow_rematch=options.allow_rematch,
        mode="choice" if options.choice else "assign",
        created_at=now,
        created_by_member_id=created_by,
        summary={
            "average_score": proposal.average_score,
            "candidate_edges": proposal.candidate_edges,
            "certificate": proposal.certificate.as_dict() if proposal.certificate else None,
            "unmatched": [{"member_id": u.member_id, "cause": u.cause, "reason": u.reason} for u in proposal.unmatched],
            "skipped": [{"member_id": u.member_id, "cause": u.cause, "reason": u.reason} for u in proposal.skipped],
            **exclusions,
            "demand_gaps": [
                {"topic": g.topic, "wanting": g.mentees_wanting, "offering": g.mentors_offering, "free": g.free_slots}
                for g in proposal.demand_gaps
            ],
        },
    )
    if not proposal.pairs and not options.dry_run:
        round_.status = RoundStatus.DISCARDED.value  # nothing to approve: the proposal asks nothing
    elif not options.dry_run and approval_reminder_days:
        round_.remind_at = now + timedelta(days=approval_reminder_days[0])
    return round_


def reason_rows(reasons: Any) -> list[dict[str, Any]]:
    """Reasons as stored (JSON rows)."""
    return [{"criterion": r.criterion, "points": r.points, "text": r.text} for r in reasons]


Row = tuple[Any, dict[str, Any]]  # (table, values)


def _rows(round_id: int, proposal: RoundProposal, shortlists: Shortlists | None) -> Iterator[Row]:
    for position, pair in enumerate(proposal.pairs, start=1):
        yield (
            ProposedPair,
            {
                "round_id": round_id,
                "position": position,
                "mentee_member_id": pair.mentee_id,
                "mentor_member_id": pair.mentor_id,
                "score": pair.score,
                "dropped": False,
                "reasons": reason_rows(pair.reasons),
            },
        )
    for shortlist in shortlists.lists if shortlists else ():
        for rank, entry in enumerate(shortlist.entries, start=1):
            yield (
                ChoiceOffer,
                {
                    "round_id": round_id,
                    "mentee_member_id": shortlist.mentee_id,
                    "mentor_member_id": entry.mentor_id,
                    "rank": rank,
                    "optimal": rank == 1 and shortlist.optimal,
                    "score": entry.score,
                    "reasons": reason_rows(entry.reasons),
                },
            )


def _batches(rows: Iterator[Row], size: int) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """Consecutive rows of one table, at most `size` at a time (one executemany each)."""
    table: Any = None
    batch: list[dict[str, Any]] = []
    for row_table, row in rows:
        if batch and (row_table is not table or len(batch) >= size):
            yield table, batch
            batch = []
        table = row_table
        batch.append(row)
    if batch:
        yield table, batch


async def store_in_unit(
    session: AsyncSession, round_: MatchRound, proposal: RoundProposal, shortlists: Shortlists | None
) -> MatchRound:
    """A small round: the round and its rows in the event's unit of work (one executemany per table)."""
    session.add(round_)
    await session.flush()
    assert round_.id is not None
    for table, batch in _batches(_rows(round_.id, proposal, shortlists), size=1_000_000):
        await session.execute(insert(table), batch)
    await session.flush()
    return round_


async def store_from_worker(
    db: Database, round_: MatchRound, proposal: RoundProposal, shortlists: Shortlists | None, options: RoundOptions
) -> StoredRound:
    """In the worker: the round under `storing`, then its rows a few hundred per transaction."""
    status = round_.status
    round_.status = RoundStatus.STORING.value
    async with db.unit() as session:
        session.add(round_)
        await session.flush()
        round_id = round_.id
    assert round_id is not None
    for table, batch in _batches(_rows(round_id, proposal, shortlists), ROWS_PER_TRANSACTION):
        if db.is_sqlite:
            await asyncio.sleep(PAUSE_ON_SQLITE_S)
        async with db.unit() as session:
            await session.execute(insert(table), batch)
    return StoredRound(round_id, options, status)


async def discard_open(session: AsyncSession, community_id: int, keep: int | None = None) -> None:
    """A new proposal replaces the open ones, and any a crashed worker left `storing`."""
    query = update(MatchRound).where(
        col(MatchRound.community_id) == community_id,
        col(MatchRound.status).in_([RoundStatus.PROPOSED.value, RoundStatus.STORING.value]),
    )
    if keep is not None:
        query = query.where(col(MatchRound.id) != keep)
    await session.execute(query.values(status=RoundStatus.DISCARDED.value))


async def publish(session: AsyncSession, stored: StoredRound, community_id: int, created_by: int | None) -> bool:
    """In the handler's unit of work: the worker's round becomes the proposal (False: it is gone).
    Two statements; the round's summary and pairs are not read back onto the event loop."""
    made = await session.execute(
        update(MatchRound)
        .where(col(MatchRound.id) == stored.round_id, col(MatchRound.community_id) == community_id)
        .values(status=stored.status, created_by_member_id=created_by)
        .execution_options(synchronize_session=False)
    )
    if getattr(made, "rowcount", 0) != 1:
        return False
    await discard_open(session, community_id, keep=stored.round_id)
    return True
