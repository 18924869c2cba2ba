"""Matching rounds, approval: the pairings, their introductions and kick-off questions, in batches.

Approving creates one `Pairing` per proposed pair and queues its introduction. A round
of 3,000 pairs did all of that in one transaction: 17.5 s on SQLite (~6 ms a pair),
during which the bot answered nobody (SQLite statements run on the event loop). Now
each unit of work introduces at most `APPROVE_BATCH` pairs — the approving command the
first batch, the "introduce approved pairs" sweep the rest, one batch per run — and
`MatchRound.introduce_from` (the next pair's position; None when all are done) commits
with each batch, so a restart resumes after the last committed batch and nobody is
introduced twice. A conditional status update makes a second "approve" harmless.
The batch equals the introductions due at once (`pace.BURST`): later ones are paced
seconds apart anyway, so members still get theirs in list order. A batch that fails is
rolled back alone and its round retried later, behind the others; after a few failures
the moderators are told, and `/mentor match discard` stops the round where it stands.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.questions import ask as ask_question
from bot.delivery.outbox import Outbox, moderator_destinations
from bot.delivery.pace import BURST, introduction_offset
from bot.features.checkins.checkins import start_plans
from bot.features.circles.circles import LIVE, MONTHS
from bot.features.circles.start import circles_with_seats, has_seat, seat, start_circle
from bot.features.matching.profiles import CADENCES, COMMUNICATION_MODES
from bot.features.meetings.schedule import plan_slots
from bot.features.milestones.milestones import send_milestone
from bot.features.pairs.answers import KICKOFF, POLICY
from bot.features.rounds.introductions import introduce
from bot.features.rounds.proposal import RoundPolicy
from bot.features.rounds.proposal_view import members_by_id
from storage.tables import (
    Circle,
    Community,
    MatchRound,
    Pairing,
    PairingStatus,
    Profile,
    ProfileStatus,
    ProposedPair,
    RoundStatus,
)

APPROVE_BATCH = BURST  # pairs introduced per unit of work
ID_CHUNK = 10_000  # member ids per IN list
# A failing batch is retried after 30 s, 1 min, 2 min … at most every 15 minutes; the
# moderators are told after the third failure in a row.
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(minutes=15)
STALL_NOTICE = 3

log = logging.getLogger(__name__)


async def approve_round(
    session: AsyncSession,
    round_: MatchRound,
    now: datetime,
    policy: RoundPolicy,
    *,
    approved_by: int | None,
    program: Any = None,
) -> int | None:
    """Approve the round and introduce its first batch; the sweep does the rest.

    Returns the number of introductions on their way (queued now or by the coming batches),
    or None when another click won the race.
    """
    won = await session.execute(
        update(MatchRound)
        .where(col(MatchRound.id) == round_.id, col(MatchRound.status) == RoundStatus.PROPOSED.value)
        .values(status=RoundStatus.APPROVED.value, approved_at=now, approved_by_member_id=approved_by, introduce_from=0)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], won).rowcount != 1:
        return None
    await session.refresh(round_)
    await introduce_batch(session, round_, now, policy, program)
    return round_.introduced + await pairs_left(session, round_)


async def introduce_batch(
    session: AsyncSession, round_: MatchRound, now: datetime, policy: RoundPolicy, program: Any = None
) -> int:
    """Introduce the round's next `APPROVE_BATCH` pairs; after the last, settle the round. Returns
    the number of proposed pairs handled."""
    assert round_.id is not None and round_.introduce_from is not None
    pairs = (
        (
            await session.execute(
                select(ProposedPair)
                .where(
                    col(ProposedPair.round_id) == round_.id,
                    col(ProposedPair.dropped) == False,  # noqa: E712
                    col(ProposedPair.position) >= round_.introduce_from,
                )
                .order_by(col(ProposedPair.position))
                .limit(APPROVE_BATCH + 1)
            )
        )
        .scalars()
        .all()
    )
    batch, rest = pairs[:APPROVE_BATCH], pairs[APPROVE_BATCH:]
    community = await session.get(Community, round_.community_id)
    assert community is not None and community.id is not None
    outbox = Outbox(session, community.id, now)
    ids = {p.mentee_member_id for p in batch} | {p.mentor_member_id for p in batch}
    profiles = await _profiles(session, community.id, ids)
    members = await members_by_id(session, ids)
    circles = await circles_with_seats(session, community.id)  # mentors who offer a circle
    taken = await _paired_mentees(session, community.id, round_.id, {p.mentee_member_id for p in batch})
    # Introductions are spread from the approval, in list order, across batches.
    start = round_.approved_at or now
    for pair in batch:
        mentee, mentor = profiles.get(pair.mentee_member_id), profiles.get(pair.mentor_member_id)
        if mentee is None or mentor is None or ProfileStatus.LEFT.value in (mentee.status, mentor.status):
            continue  # someone left between proposal and approval
        if pair.mentee_member_id in taken:
            continue  # a moderator's circle took this mentee while the pair waited for its batch
        circle = circles.get(pair.mentor_member_id)
        if circle is not None and await has_seat(session, circle):
            # A mentee matched to a mentor with a circle takes a seat in it (capacity counts as for pairs):
            # one introduction in the circle's space for everyone placed, instead of a pair introduction.
            seat(session, circle, round_.id, mentee, mentor, now, pair.reasons)
        else:
            due = start + introduction_offset(community.platform, round_.introduced)
            await _introduce_pair(
                session, outbox, round_, pair, mentee, mentor, members, community, now, due, policy, program
            )
        round_.introduced += 1
    round_.introduce_from = rest[0].position if rest else None
    if not rest:
        await _settle(session, outbox, round_, now, program)
    session.add(round_)
    await session.flush()
    return len(batch)


async def _settle(session: AsyncSession, outbox: Outbox, round_: MatchRound, now: datetime, program: Any) -> None:
    """After the last batch (or a moderator's stop)."""
    assert round_.id is not None
    # A circle's seats may span batches; it is introduced once, with everyone, after the last.
    for circle in await _seated_circles(session, round_.id):
        await start_circle(session, outbox, circle, now, program)
    await _count_unmatched(session, round_)


async def _introduce_pair(
    session: AsyncSession,
    outbox: Outbox,
    round_: MatchRound,
    pair: ProposedPair,
    mentee: Profile,
    mentor: Profile,
    members: dict[int, Any],
    community: Community,
    now: datetime,
    due: datetime,
    policy: RoundPolicy,
    program: Any,
) -> None:
    assert round_.id is not None and community.id is not None
    length = mentee.program_length if mentee.program_length in MONTHS else "3-6"
    pairing = Pairing(
        community_id=community.id,
        round_id=round_.id,
        mentee_member_id=pair.mentee_member_id,
        mentor_member_id=pair.mentor_member_id,
        score=pair.score,
        reasons=pair.reasons,
        cadence=mentee.cadence if mentee.cadence in CADENCES else "biweekly",
        communication=mentee.communication if mentee.communication in COMMUNICATION_MODES else "video",
        program_length=length,
        ends_on=now + timedelta(days=30 * MONTHS[length]),
        started_at=now,
        kickoff_due_at=now + timedelta(days=policy.kickoff_reminder_days),
        midpoint_at=now + timedelta(days=15 * MONTHS[length]),
    )
    session.add(pairing)
    await session.flush()
    await start_plans(session, pairing, now)
    for profile in (mentee, mentor):
        profile.status = ProfileStatus.ACTIVE.value
        profile.updated_at = now
        session.add(profile)
    mentee.waiting_since = None
    mentee.times_unmatched = 0
    _, slots = await plan_slots(session, pairing, now, program)  # three times for the kick-off
    mentee_member, mentor_member = members[pair.mentee_member_id], members[pair.mentor_member_id]
    await introduce(outbox, pairing, mentee_member, mentor_member, community, policy, not_before=due, slots=slots)
    both = [pairing.mentee_member_id, pairing.mentor_member_id]
    for question in (KICKOFF, POLICY):  # the introduction's buttons take words too; a plain yes confirms
        await ask_question(session, community.id, both, question, str(pairing.id), now, fresh=True)
    # Mentees get the mentee resources, mentors the mentor guide, ready for the kick-off.
    await send_milestone(session, outbox, pairing, "kickoff", program)


async def _profiles(session: AsyncSession, community_id: int, member_ids: set[int]) -> dict[int, Profile]:
    found = await session.execute(
        select(Profile).where(col(Profile.community_id) == community_id, col(Profile.member_id).in_(member_ids))
    )
    return {p.member_id: p for p in found.scalars()}


async def _seated_circles(session: AsyncSession, round_id: int) -> list[Circle]:
    """The live circles where this round seated someone who is still there (a circle whose mentor
    or every new member left meanwhile is not introduced)."""
    await session.flush()
    seated = select(col(Pairing.circle_id)).where(
        col(Pairing.round_id) == round_id,
        col(Pairing.circle_id).is_not(None),
        col(Pairing.status) == PairingStatus.ACTIVE.value,
    )
    found = await session.execute(
        select(Circle).where(col(Circle.id).in_(seated), col(Circle.status).in_(LIVE)).order_by(col(Circle.id))
    )
    return list(found.scalars())


async def _paired_mentees(session: AsyncSession, community_id: int, round_id: int, mentee_ids: set[int]) -> set[int]:
    """Those of these mentees already in an active pairing of another round."""
    found = await session.execute(
        select(col(Pairing.mentee_member_id)).where(
            col(Pairing.community_id) == community_id,
            col(Pairing.round_id) != round_id,
            col(Pairing.status) == PairingStatus.ACTIVE.value,
            col(Pairing.mentee_member_id).in_(mentee_ids),
        )
    )
    return set(found.scalars())


async def round_in_progress(session: AsyncSession, community_id: int) -> MatchRound | None:
    """The community's round that still holds members: open for choices, or approved with
    pairs waiting for their batch. A new round computed now would not see those pairs and
    could pair their members again, so there is one at a time.

    Callers act on the answer (compute, approve), so the community's row is locked first
    (PostgreSQL; SQLite has one writer anyway) until the unit commits: two workers approving
    two rounds of one community at once take turns, and the second sees the first."""
    await session.execute(select(col(Community.id)).where(col(Community.id) == community_id).with_for_update())
    found = await session.execute(
        select(MatchRound)
        .where(
            col(MatchRound.community_id) == community_id,
            (col(MatchRound.status) == RoundStatus.CHOOSING.value) | col(MatchRound.introduce_from).is_not(None),
        )
        .order_by(col(MatchRound.id))
        .limit(1)
    )
    return found.scalars().first()


async def _count_unmatched(session: AsyncSession, round_: MatchRound) -> None:
    """The mentees this round left waiting get priority in the next one."""
    unmatched = sorted({u["member_id"] for u in round_.summary.get("unmatched", [])})
    for start in range(0, len(unmatched), ID_CHUNK):  # PostgreSQL takes at most 32,767 parameters
        chunk = set(unmatched[start : start + ID_CHUNK])
        for waiting in (await _profiles(session, round_.community_id, chunk)).values():
            if waiting.status == ProfileStatus.WAITING.value:
                waiting.times_unmatched += 1
                session.add(waiting)


async def pairs_left(session: AsyncSession, round_: MatchRound) -> int:
    """The round's pairs still to introduce (not dropped, nobody in them has left)."""
    if round_.introduce_from is None:
        return 0
    left = await session.execute(
        select(func.count())
        .select_from(ProposedPair)
        .where(
            col(ProposedPair.round_id) == round_.id,
            col(ProposedPair.dropped) == False,  # noqa: E712
            col(ProposedPair.position) >= round_.introduce_from,
            ~select(col(Profile.id))
            .where(
                col(Profile.community_id) == round_.community_id,
                col(Profile.member_id).in_([ProposedPair.mentee_member_id, ProposedPair.mentor_member_id]),
                col(Profile.status) == ProfileStatus.LEFT.value,
            )
            .exists(),
        )
    )
    return int(left.scalar_one())


async def introduce_pending(session: AsyncSession, now: datetime, policy: RoundPolicy, program: Any) -> int:
    """The sweep: the next batch of the approved round that has waited longest.

    The round row is claimed with SKIP LOCKED, so two workers never take the same batch. A
    batch that fails is rolled back alone: its round steps aside until `introduce_retry_at`
    (other communities' rounds go first), and the moderators hear of it after a few tries."""
    round_ = (
        (
            await session.execute(
                select(MatchRound)
                .where(
                    col(MatchRound.introduce_from).is_not(None),
                    col(MatchRound.introduce_retry_at).is_(None) | (col(MatchRound.introduce_retry_at) <= now),
                )
                .order_by(_turn(), col(MatchRound.id))
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .first()
    )
    if round_ is None:
        return 0
    try:
        async with session.begin_nested():
            handled = await introduce_batch(session, round_, now, policy, program)
    except Exception as exc:  # any fault in one round must not hold up the others
        await session.refresh(round_)
        await _batch_failed(session, round_, now, exc)
        return 0
    round_.introduce_failures, round_.introduce_retry_at = 0, None
    session.add(round_)
    return handled


def _turn() -> Any:
    """A round's place in the queue: its approval, or its next try after a failed batch."""
    return func.coalesce(col(MatchRound.introduce_retry_at), col(MatchRound.approved_at))


async def _batch_failed(session: AsyncSession, round_: MatchRound, now: datetime, exc: Exception) -> None:
    round_.introduce_failures += 1
    pause = min(FIRST_RETRY * 2 ** min(round_.introduce_failures - 1, 16), LAST_RETRY)
    round_.introduce_retry_at = now + pause
    session.add(round_)
    # The exception's text may quote member data (SQL parameters), so only its kind is logged.
    log.error(
        "round %s: the batch from pair %s failed (%s, %d in a row); next try in %s",
        round_.id,
        round_.introduce_from,
        type(exc).__name__,
        round_.introduce_failures,
        pause,
    )
    if round_.introduce_failures == STALL_NOTICE:
        await tell_stalled(session, round_, now)


async def tell_stalled(session: AsyncSession, round_: MatchRound, now: datetime) -> None:
    community = await session.get(Community, round_.community_id)
    assert community is not None and community.id is not None
    total = round_.introduced + await pairs_left(session, round_)
    notice = msg.message(
        f"Matching round #{round_.id} is stuck: {round_.introduced} of {total} pairs are introduced, and the next "
        f"batch failed {round_.introduce_failures} times in a row. I keep retrying (the operator's log names the "
        "fault). To end the round where it stands, run /mentor match discard: the rest wait for the next round."
    )
    outbox = Outbox(session, community.id, now)
    for destination in await moderator_destinations(session, community):
        await outbox.post(
            destination, notice, dedupe_key=f"round:{round_.id}:stuck:{round_.introduced}:{destination.target}"
        )


async def stop_introducing(session: AsyncSession, round_: MatchRound, now: datetime, program: Any = None) -> int | None:
    """A moderator ends an approved round before its last batch: the pairs not yet introduced
    are not, their members wait for the next round. Returns how many pairs that leaves out
    (None: its last batch was done meanwhile)."""
    # Wait for a batch another worker may be writing, then read where it ended.
    await session.refresh(round_, with_for_update=True)
    if round_.introduce_from is None:
        return None
    left_out = await pairs_left(session, round_)
    round_.introduce_from, round_.introduce_failures, round_.introduce_retry_at = None, 0, None
    assert round_.id is not None
    await _settle(session, Outbox(session, round_.community_id, now), round_, now, program)
    session.add(round_)
    await session.flush()
    return left_out


async def next_pending(session: AsyncSession) -> datetime | None:
    """Due at once while an approved round has pairs left (its approval time is past), or at
    its next try after a failed batch."""
    found = await session.execute(select(func.min(_turn())).where(col(MatchRound.introduce_from).is_not(None)))
    when: datetime | None = found.scalar_one_or_none()
    return when
