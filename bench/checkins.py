"""Check-in sweep at scale: 100k active pairs, 10% of them due.

Builds a SQLite database once (migrated with the real migrations, filled with
bulk inserts), then for each run copies it and times the real sweep job —
`bot.features.checkins.checkins.send_due_checkins` plus its commit, one unit of work per
batch until none is due, as the runtime runs it — which finds the due plans, queues their
check-in DMs in the outbox and moves each plan on. `seconds` is the whole sweep,
`longest_unit_ms` the longest single unit: how long the event loop was held at once
(`median_unit_ms` the typical one). WAL checkpoints run off the loop as in a running bot
(`long_running.before_start`). Each
run is a fresh process so its peak RSS is its own. Prints one JSON line per run and a
final line with the medians.

    .venv/bin/python -m bench.checkins [--pairs 100000] [--due 0.10] [--runs 5]
        [--database-url $TEST_DATABASE_URL]   # PostgreSQL instead of SQLite
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # daytime in Europe/Berlin


async def build(path: Path | str, pairs: int, due_share: float, schema: str | None = None) -> None:
    from sqlalchemy import insert

    from storage.migrate import upgrade
    from storage.tables import CheckInPlan, Community, MatchRound, Member, Pairing, Profile

    db = _database(path, schema)
    await upgrade(db)
    start = NOW - timedelta(days=30)
    async with db.unit() as s:
        await s.execute(
            insert(Community),
            [{"id": 1, "platform": "bench", "external_id": "c", "name": "", "timezone": "UTC", "created_at": start}],
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
    chunk = 20_000
    for base in range(0, pairs, chunk // 2):
        n = min(chunk // 2, pairs - base)
        members, profiles, pairings, plans = [], [], [], []
        for i in range(base, base + n):
            mentee, mentor = 2 * i + 1, 2 * i + 2
            for member_id, role in ((mentee, "mentee"), (mentor, "mentor")):
                members.append(
                    {
                        "id": member_id,
                        "community_id": 1,
                        "platform_user_id": f"U{member_id:07d}",
                        "display_name": f"Member {member_id}",
                        "timezone": "Europe/Berlin",
                        "dm_status": "ok",
                        "is_moderator": False,
                        "created_at": start,
                    }
                )
                profiles.append(
                    {
                        "community_id": 1,
                        "member_id": member_id,
                        "role": role,
                        "status": "active",
                        "topics_offered": [],
                        "topics_wanted": [],
                        "topics_other": "",
                        "goals": "",
                        "can_help_with": "",
                        "career_stage": "",
                        "timezone": "Europe/Berlin",
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
            pairings.append(
                {
                    "id": i + 1,
                    "community_id": 1,
                    "round_id": 1,
                    "mentee_member_id": mentee,
                    "mentor_member_id": mentor,
                    "status": "active",
                    "score": 50.0,
                    "reasons": [],
                    "cadence": "biweekly",
                    "communication": "video",
                    "program_length": "3-6",
                    "ends_on": NOW + timedelta(days=60),
                    "policy_confirmed_by": [],
                    "started_at": start,
                    "kickoff_reminders_sent": 0,
                    "end_reason": "",
                }
            )
            due = (i % round(1 / due_share)) == 0
            for member_id in (mentee, mentor):
                plans.append(
                    {
                        "community_id": 1,
                        "pairing_id": i + 1,
                        "member_id": member_id,
                        "active": True,
                        "next_checkin_at": NOW - timedelta(minutes=5) if due else NOW + timedelta(days=1 + i % 13),
                        "base_interval_days": 14,
                        "interval_days": 14,
                        "sent_count": 1,
                        "awaiting_answer": False,
                        "ignored_in_a_row": 0,
                        "not_yet_in_a_row": 0,
                    }
                )
        async with db.unit() as s:
            await s.execute(insert(Member), members)
            await s.execute(insert(Profile), profiles)
            await s.execute(insert(Pairing), pairings)
            await s.execute(insert(CheckInPlan), plans)
    await db.dispose()


def _database(where: Path | str, schema: str | None = None):  # type: ignore[no-untyped-def]
    """A SQLite file path, or a PostgreSQL URL with the schema of this run."""
    from storage.db import Database

    text = str(where)
    return Database(text, schema=schema) if text.startswith("postgresql") else Database(f"sqlite+aiosqlite:///{text}")


async def _schema(url: str, schema: str, *, drop: bool) -> None:
    from sqlalchemy import text

    from storage.db import Database

    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE' if drop else f'CREATE SCHEMA "{schema}"'))
    await admin.dispose()


async def sweep_once(path: Path | str, schema: str | None = None) -> dict[str, float]:
    from sqlalchemy import func, select

    from adapters.ops import long_running
    from bot.features.checkins.checkins import send_due_checkins
    from storage.tables import OutboxMessage

    long_running.before_start()  # as a running bot: SQLite's WAL checkpoints off the loop
    db = _database(path, schema)
    async with db.unit() as s:  # open the connection and warm the schema cache outside the timing
        await s.execute(select(func.count()).select_from(OutboxMessage))
    # As the runtime does: one unit of work per batch, until none is due; the longest unit is
    # how long the event loop was held at once (SQLite runs in place on it).
    started = time.perf_counter()
    queued, unit_seconds = 0, []
    while True:
        unit_started = time.perf_counter()
        async with db.unit() as s:
            done = await send_due_checkins(s, NOW)
        unit_seconds.append(time.perf_counter() - unit_started)
        if not done:
            break
        queued += done
    seconds = time.perf_counter() - started
    async with db.unit() as s:
        outbox = (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
    await db.dispose()
    assert outbox == queued, (outbox, queued)
    return {
        "due": queued,
        "seconds": round(seconds, 3),
        "units": len(unit_seconds),
        "longest_unit_ms": round(max(unit_seconds) * 1000, 1),
        "median_unit_ms": round(statistics.median(unit_seconds) * 1000, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL (e.g. $TEST_DATABASE_URL): run there instead of SQLite, a fresh schema per run",
    )
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(sweep_once(args.child, args.schema))
        print(json.dumps(result))
        return
    if args.database_url:
        postgresql(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        t0 = time.perf_counter()
        asyncio.run(build(template, args.pairs, args.due))
        build_s = time.perf_counter() - t0
        results = []
        for run in range(args.runs):
            copy = Path(tmp) / f"run{run}.db"
            shutil.copy(template, copy)
            out = subprocess.run(
                [sys.executable, "-m", "bench.checkins", "--child", str(copy)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out) | {"pairs": args.pairs, "db": "sqlite", "run": run + 1}
            results.append(result)
            print(json.dumps(result))
            copy.unlink()
        print(
            json.dumps(
                {
                    "pairs": args.pairs,
                    "db": "sqlite",
                    "due": results[0]["due"],
                    "seconds": statistics.median(r["seconds"] for r in results),
                    "longest_unit_ms": statistics.median(r["longest_unit_ms"] for r in results),
                    "median_unit_ms": statistics.median(r["median_unit_ms"] for r in results),
                    "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in results),
                    "runs": args.runs,
                    "build_seconds": round(build_s, 1),
                    "cpus": os.cpu_count(),
                    "summary": "median",
                }
            )
        )


def postgresql(args: argparse.Namespace) -> None:
    """The same sweep on PostgreSQL: each run builds its data in a fresh schema (not timed),
    then a fresh process times the sweep, then the schema is dropped."""
    results, builds = [], []
    for run in range(args.runs):
        schema = f"bench_checkins_{os.getpid()}_{run}"
        asyncio.run(_schema(args.database_url, schema, drop=False))
        try:
            t0 = time.perf_counter()
            asyncio.run(build(args.database_url, args.pairs, args.due, schema))
            builds.append(time.perf_counter() - t0)
            out = subprocess.run(
                [sys.executable, "-m", "bench.checkins", "--child", args.database_url, "--schema", schema],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            asyncio.run(_schema(args.database_url, schema, drop=True))
        result = json.loads(out) | {"pairs": args.pairs, "db": "postgresql", "run": run + 1}
        results.append(result)
        print(json.dumps(result), flush=True)
    print(
        json.dumps(
            {
                "pairs": args.pairs,
                "db": "postgresql",
                "due": results[0]["due"],
                "seconds": statistics.median(r["seconds"] for r in results),
                "longest_unit_ms": statistics.median(r["longest_unit_ms"] for r in results),
                "median_unit_ms": statistics.median(r["median_unit_ms"] for r in results),
                "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in results),
                "runs": args.runs,
                "build_seconds": round(statistics.median(builds), 1),
                "cpus": os.cpu_count(),
                "summary": "median",
            }
        )
    )


if __name__ == "__main__":
    main()
