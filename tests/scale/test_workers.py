"""Four worker processes on one PostgreSQL: every due check-in, training lesson and queued
message is sent exactly once (rows are claimed with FOR UPDATE SKIP LOCKED, sweeps that
create rows ignore the one another worker made at the same moment)."""

import asyncio
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from storage.migrate import upgrade
from storage.tables import CheckIn, CheckInPlan, Community, MatchRound, Member, OutboxMessage, Pairing, Profile
from tests.support.db import DatabaseFactory

ROOT = Path(__file__).resolve().parents[2]
# Two members a pair: 2,000 due check-ins, 1,000 first training lessons and 400 queued messages,
# 3,400 deliveries shared by four workers (about 70 claims of 50 rows racing on SKIP LOCKED).
# The workers spend ~15 ms of CPU per delivery (PostgreSQL waits on them, not they on it):
# at 5,000 pairs (17,000 deliveries) this one test took five minutes of CI for the same checks.
PAIRS = 1_000
QUEUED = 400


def _daytime_zone(now: datetime) -> str:
    """An Etc/GMT zone where it is around noon right now (check-ins are never sent at night)."""
    offset = (12 - now.hour + 12) % 24 - 12
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


async def _seed(factory: DatabaseFactory) -> None:
    db = factory()
    await upgrade(db)
    now = datetime.now(UTC)
    start, zone = now - timedelta(days=20), _daytime_zone(now)
    members, profiles, pairings, plans, outbox = [], [], [], [], []
    for i in range(PAIRS):
        for member_id in (2 * i + 1, 2 * i + 2):
            members.append(
                {
                    "id": member_id,
                    "community_id": 1,
                    "platform_user_id": f"U{member_id}",
                    "display_name": f"M{member_id}",
                    "timezone": zone,
                    "dm_status": "ok",
                    "is_moderator": False,
                    "created_at": start,
                }
            )
            profiles.append(
                {
                    "community_id": 1,
                    "member_id": member_id,
                    "role": "mentee" if member_id % 2 else "mentor",
                    "status": "active",
                    "topics_offered": [],
                    "topics_wanted": [],
                    "topics_other": "",
                    "goals": "",
                    "can_help_with": "",
                    "career_stage": "",
                    "timezone": zone,
                    "program_length": "3-6",
                    "cadence": "biweekly",
                    "communication": "video",
                    "languages": ["en"],
                    "capacity": 1,
                    "accepts_async": False,
                    "do_not_match": [],
                    "team": "",
                    "consent": True,
                    "source": "direct",
                    "signed_up_at": start,
                    "updated_at": start,
                    "times_unmatched": 0,
                }
            )
            plans.append(
                {
                    "community_id": 1,
                    "pairing_id": i + 1,
                    "member_id": member_id,
                    "active": True,
                    "next_checkin_at": now - timedelta(minutes=1),
                    "base_interval_days": 14,
                    "interval_days": 14,
                    "sent_count": 0,
                    "awaiting_answer": False,
                    "ignored_in_a_row": 0,
                    "not_yet_in_a_row": 0,
                }
            )
        pairings.append(
            {
                "id": i + 1,
                "community_id": 1,
                "round_id": 1,
                "mentee_member_id": 2 * i + 1,
                "mentor_member_id": 2 * i + 2,
                "status": "active",
                "score": 50.0,
                "reasons": [],
                "cadence": "biweekly",
                "communication": "video",
                "program_length": "3-6",
                "ends_on": now + timedelta(days=60),
                "policy_confirmed_by": [],
                "started_at": start,
                "kickoff_at": start,
                "kickoff_reminders_sent": 0,
                "end_reason": "",
            }
        )
    for n in range(QUEUED):
        outbox.append(
            {
                "community_id": 1,
                "operation": "post",
                "destination_kind": "dm",
                "destination_target": f"U{n + 1}",
                "payload": '[{"t": "text", "spans": ["hello"]}]',
                "status": "pending",
                "attempts": 0,
                "not_before": now - timedelta(seconds=5),
                "created_at": now,
            }
        )
    async with db.unit() as s:
        await s.execute(
            insert(Community),
            [{"id": 1, "platform": "test", "external_id": "w", "name": "", "timezone": "UTC", "created_at": start}],
        )
        await s.execute(
            insert(MatchRound),
            [
                {
                    "id": 1,
                    "community_id": 1,
                    "status": "approved",
                    "dry_run": False,
                    "allow_rematch": False,
                    "created_at": start,
                    "summary": {},
                }
            ],
        )
        for table, rows in (
            (Member, members),
            (Profile, profiles),
            (Pairing, pairings),
            (CheckInPlan, plans),
            (OutboxMessage, outbox),
        ):
            for chunk in range(0, len(rows), 5000):
                await s.execute(insert(table), rows[chunk : chunk + 5000])
    await db.dispose()


@pytest.mark.slow
async def test_four_workers_send_every_message_exactly_once(postgres_factory: DatabaseFactory, tmp_path: Path) -> None:
    await _seed(postgres_factory)
    outs = [tmp_path / f"worker{n}.log" for n in range(4)]
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.scale.worker",
            postgres_factory.url,
            str(postgres_factory.schema),
            str(out),
            cwd=ROOT,
        )
        for out in outs
    ]
    codes = await asyncio.wait_for(asyncio.gather(*(w.wait() for w in workers)), timeout=1800)  # a bound, not a target
    assert codes == [0, 0, 0, 0]
    sent = Counter(line.split()[0] for out in outs for line in out.read_text().splitlines())
    per_worker = [len(out.read_text().splitlines()) for out in outs]
    db = postgres_factory()
    async with db.unit() as s:
        checkins = (await s.execute(select(func.count()).select_from(CheckIn))).scalar_one()
        rows = (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
        unsent = (
            await s.execute(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent"))
        ).scalar_one()
    await db.dispose()
    assert checkins == 2 * PAIRS
    # the queued messages, two check-ins per pair, and each first-time mentor's first training lesson
    assert rows == QUEUED + 2 * PAIRS + PAIRS and unsent == 0
    assert len(sent) == rows, "every message was delivered"
    twice = {k for k, v in sent.items() if v > 1}
    detail = [line for out in outs for line in out.read_text().splitlines() if line.split()[0] in twice][:10]
    assert not twice, f"sent twice: {detail}"
    assert sum(1 for n in per_worker if n > 0) >= 2, f"the work was shared: {per_worker}"
