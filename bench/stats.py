"""`/mentor stats` at scale: 100k members, 50k pairings, 1M check-ins.

Builds the community once per database with bulk inserts (the schema comes from
the real migrations; rows go in through the driver's executemany / COPY), then
times `/mentor stats` through `MentorBot.handle` (the text answer: parsing,
every aggregate query, rendering) and then through the deliverer until the
chart reached a platform that accepts at once (`_Platform`): cold (the first
command of a fresh bot — the picture worker starts and imports matplotlib),
warm with the chart of these figures already on disk (reused), and warm with
the chart redrawn (the figures changed). While a chart is drawn, a 2 ms sleeper
on the event loop measures how late the loop runs (what an acknowledgement would
wait). One JSON line per database and picture worker (process / thread).
SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (in a throw-away
schema, dropped afterwards).

`--demo` also times `mentorbot demo --members 1000 --months 6` (fresh process
per run) and prints its median.

    .venv/bin/python -m bench.stats [--members 100000] [--pairings 50000] [--checkins 1000000] [--runs 7] [--demo 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
START = NOW - timedelta(days=300)
TOPICS = [
    "Python",
    "Machine learning",
    "Data science",
    "Web development",
    "DevOps",
    "Career growth",
    "Rust",
    "Public speaking",
    "Design",
    "Security",
    "Go",
    "Leadership",
]
PLATFORM, EXTERNAL_ID = "bench", "c1"


def _ts(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def rows(members: int, pairings: int, checkins: int, seed: int = 1) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as tuples in column order (see COLUMNS)."""
    rng = random.Random(seed)
    out: dict[str, list[tuple[Any, ...]]] = {k: [] for k in COLUMNS}
    out["community"].append((1, PLATFORM, EXTERNAL_ID, "Bench", "UTC", None, _ts(START)))
    options = json.dumps(
        [
            {"label": "I'd mentor", "role": "mentor"},
            {"label": "I'd like a mentor", "role": "mentee"},
            {"label": "Both", "role": "both"},
            {"label": "Not now", "role": "none"},
        ]
    )
    for poll_id in (1, 2):
        out["poll"].append(
            (
                poll_id,
                1,
                "#general",
                f"Would you join mentorship round {poll_id}?",
                options,
                False,
                1,
                _ts(START),
                _ts(START + timedelta(days=7)),
                _ts(START + timedelta(days=7)),
                "closed",
                None,
            )
        )
    sources = (
        ["poll:1"] * 40
        + ["poll:2"] * 15
        + ["campaign:spring"] * 20
        + ["campaign:autumn"] * 10
        + ["greeting"] * 8
        + ["direct"] * 7
    )
    for m in range(1, members + 1):
        signed = START + timedelta(minutes=rng.randrange(300 * 24 * 60))
        joined = _ts(signed - timedelta(days=rng.randrange(1, 30))) if m % 10 == 0 else None
        out["member"].append((m, 1, f"U{m:07d}", f"Member {m}", "Europe/Berlin", "ok", m == 1, _ts(START), joined))
        role = rng.choices(("mentor", "mentee", "both"), (30, 62, 8))[0]
        offered = json.dumps(rng.sample(TOPICS, rng.randint(1, 3)) if role != "mentee" else [])
        wanted = json.dumps(rng.sample(TOPICS[:6], rng.randint(1, 2)) if role != "mentor" else [])
        status = rng.choices(("waiting", "active", "paused", "left"), (25, 65, 5, 5))[0]
        out["profile"].append(
            (
                m,
                1,
                m,
                role,
                status,
                offered,
                wanted,
                "",
                "",
                "",
                "",
                5,
                "Europe/Berlin",
                3,
                "3-6",
                "biweekly",
                "video",
                '["en"]',
                rng.randint(1, 3),
                False,
                "[]",
                "",
                True,
                rng.choice(sources),
                _ts(signed),
                _ts(signed),
                None,
                None,
                None,
                0,
            )
        )
        if m <= members // 5:
            out["poll_vote"].append((m, 1 + m % 2, m, rng.randrange(4), _ts(START + timedelta(days=1))))
    out["match_round"].append((1, 1, "approved", False, False, _ts(START), None, _ts(START), None, "{}"))
    plan_id = checkin_id = goal_id = feedback_id = 0
    per_pair = max(1, checkins // max(1, pairings))
    for p in range(1, pairings + 1):
        mentee, mentor = (
            2 * p - 1 if 2 * p <= members else rng.randrange(1, members),
            2 * p if 2 * p <= members else rng.randrange(1, members),
        )
        started = START + timedelta(days=rng.randrange(250))
        status = rng.choices(("active", "completed", "ended"), (60, 30, 10))[0]
        ended = (
            _ts(started + timedelta(days=rng.randint(60, 120) if status == "completed" else rng.randint(5, 50)))
            if status != "active"
            else None
        )
        kickoff = _ts(started + timedelta(days=3)) if rng.random() < 0.8 else None
        at_risk = _ts(started + timedelta(days=30)) if status == "active" and rng.random() < 0.08 else None
        out["pairing"].append(
            (
                p,
                1,
                1,
                mentee,
                mentor,
                status,
                50.0,
                "[]",
                "biweekly",
                "video",
                "3-6",
                _ts(started + timedelta(days=90)),
                "[]",
                _ts(started),
                kickoff,
                None,
                0,
                ended,
                "",
                None,
                at_risk,
            )
        )
        for member in (mentee, mentor):
            plan_id += 1
            out["checkin_plan"].append(
                (
                    plan_id,
                    1,
                    p,
                    member,
                    status == "active",
                    _ts(NOW + timedelta(days=3)),
                    14,
                    14,
                    per_pair // 2,
                    False,
                    0,
                    0,
                )
            )
            for seq in range(1, per_pair // 2 + 1):
                checkin_id += 1
                sent = started + timedelta(days=14 * seq)
                answer = rng.choices((None, "met", "not_yet", "need_help", "pause"), (35, 48, 13, 2, 2))[0]
                out["checkin"].append(
                    (
                        checkin_id,
                        1,
                        p,
                        plan_id,
                        member,
                        seq,
                        _ts(sent),
                        answer,
                        _ts(sent + timedelta(hours=5)) if answer else None,
                        "",
                    )
                )
        if rng.random() < 0.6:
            goal_id += 1
            out["goal"].append(
                (
                    goal_id,
                    1,
                    p,
                    1,
                    "A goal",
                    None,
                    "done" if rng.random() < 0.4 else "open",
                    mentee,
                    _ts(started + timedelta(days=10)),
                    None,
                )
            )
        if status == "completed":
            for member, role in ((mentee, "mentee"), (mentor, "mentor")):
                feedback_id += 1
                rating = rng.choice((3, 4, 4, 5, 5)) if rng.random() < 0.7 else None
                out["feedback"].append(
                    (
                        feedback_id,
                        1,
                        p,
                        member,
                        role,
                        "done",
                        rating,
                        "Good" if rating else "",
                        "",
                        rating is not None and rng.random() < 0.4,
                        "Anonymous member",
                        ended,
                        ended,
                    )
                )
    return out


COLUMNS: dict[str, tuple[str, ...]] = {
    "community": ("id", "platform", "external_id", "name", "timezone", "moderator_channel_id", "created_at"),
    "poll": (
        "id",
        "community_id",
        "channel_id",
        "question",
        "options",
        "anonymous",
        "created_by_member_id",
        "created_at",
        "closes_at",
        "closed_at",
        "status",
        "post_outbox_id",
    ),
    "member": (
        "id",
        "community_id",
        "platform_user_id",
        "display_name",
        "timezone",
        "dm_status",
        "is_moderator",
        "created_at",
        "joined_at",
    ),
    "profile": (
        "id",
        "community_id",
        "member_id",
        "role",
        "status",
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
        "do_not_match",
        "team",
        "consent",
        "source",
        "signed_up_at",
        "updated_at",
        "waiting_since",
        "paused_until",
        "left_at",
        "times_unmatched",
    ),
    "poll_vote": ("id", "poll_id", "member_id", "option_index", "voted_at"),
    "match_round": (
        "id",
        "community_id",
        "status",
        "dry_run",
        "allow_rematch",
        "created_at",
        "created_by_member_id",
        "approved_at",
        "approved_by_member_id",
        "summary",
    ),
    "pairing": (
        "id",
        "community_id",
        "round_id",
        "mentee_member_id",
        "mentor_member_id",
        "status",
        "score",
        "reasons",
        "cadence",
        "communication",
        "program_length",
        "ends_on",
        "policy_confirmed_by",
        "started_at",
        "kickoff_at",
        "kickoff_due_at",
        "kickoff_reminders_sent",
        "ended_at",
        "end_reason",
        "midpoint_at",
        "at_risk_reported_at",
    ),
    "checkin_plan": (
        "id",
        "community_id",
        "pairing_id",
        "member_id",
        "active",
        "next_checkin_at",
        "base_interval_days",
        "interval_days",
        "sent_count",
        "awaiting_answer",
        "ignored_in_a_row",
        "not_yet_in_a_row",
    ),
    "checkin": (
        "id",
        "community_id",
        "pairing_id",
        "plan_id",
        "member_id",
        "sequence",
        "sent_at",
        "answer",
        "answered_at",
        "note",
    ),
    "goal": (
        "id",
        "community_id",
        "pairing_id",
        "number",
        "text",
        "by_date",
        "status",
        "created_by_member_id",
        "created_at",
        "done_at",
    ),
    "feedback": (
        "id",
        "community_id",
        "pairing_id",
        "member_id",
        "role",
        "step",
        "rating",
        "worked",
        "improve",
        "quote_ok",
        "quote_name",
        "requested_at",
        "completed_at",
    ),
}
ORDER = [
    "community",
    "member",
    "poll",
    "poll_vote",
    "profile",
    "match_round",
    "pairing",
    "checkin_plan",
    "checkin",
    "goal",
    "feedback",
]


async def _migrate(url: str, schema: str | None = None) -> None:
    from storage.db import Database
    from storage.migrate import upgrade

    db = Database(url, schema=schema)
    await upgrade(db)
    await db.dispose()


def fill_sqlite(path: Path, data: dict[str, list[tuple[Any, ...]]]) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # a throw-away benchmark database
    for table in ORDER:
        cols = COLUMNS[table]
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [
                tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in row)
                for row in data[table]
            ],
        )
    conn.commit()
    conn.execute("ANALYZE")  # what `PRAGMA optimize` would give a long-running database
    conn.close()


async def fill_postgres(url: str, schema: str, data: dict[str, list[tuple[Any, ...]]]) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        for table in ORDER:
            await conn.copy_records_to_table(
                table, records=data[table], columns=list(COLUMNS[table]), schema_name=schema
            )
        for table in ORDER:  # keep the sequences ahead of the ids we inserted
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{schema}\".{table}', 'id'), COALESCE(MAX(id), 1))"
                f' FROM "{schema}".{table}'
            )
            await conn.execute(f'VACUUM ANALYZE "{schema}".{table}')  # what autovacuum gives a live database
    finally:
        await conn.close()


class _Platform:
    """A platform that accepts every message at once and reads each attachment, as an upload would."""

    def __init__(self) -> None:
        self.charts: list[int] = []

    async def deliver(self, delivery: Any) -> Any:
        from bot.core.messages import Image
        from bot.core.ports import Delivered

        for part in delivery.message.parts if delivery.message else ():
            if isinstance(part, Image):
                data = await asyncio.to_thread(Path(part.path).read_bytes)
                assert data[:8] == b"\x89PNG\r\n\x1a\n"
                self.charts.append(len(data))
        return Delivered("bench")


async def _loop_lag(stop: asyncio.Event, lags: list[float]) -> None:
    """How late the event loop wakes a 2 ms sleeper: what an acknowledgement would wait meanwhile."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.002)
        lags.append((time.perf_counter() - before - 0.002) * 1000)


async def _command_and_chart(
    bot: Any, event: Any, platform: _Platform, lags: list[float] | None = None
) -> tuple[float, float]:
    """(ms to the text answer, ms to the chart delivered) for one `/mentor stats`."""
    started = time.perf_counter()
    replies = await bot.handle(event)
    answered = (time.perf_counter() - started) * 1000
    assert "Signed up:" in replies[0].plain_text() and "on its way" in replies[0].plain_text()
    stop = asyncio.Event()
    probe = asyncio.ensure_future(_loop_lag(stop, lags if lags is not None else []))
    before = len(platform.charts)
    await bot.deliver_outbox(platform)
    stop.set()
    await probe
    assert len(platform.charts) == before + 1, "the chart did not arrive"
    return answered, (time.perf_counter() - started) * 1000


async def time_stats(url: str, schema: str | None, runs: int, data_dir: Path, mode: str) -> dict[str, Any]:
    """Cold (first command of a fresh bot: worker start, matplotlib import), warm with the chart of
    these figures already drawn (reused), and warm with the chart redrawn (figures changed)."""
    from bot.bootstrap import bootstrap
    from bot.core.clock import ManualClock
    from bot.core.events import Actor, CommunityRef, SlashCommand
    from bot.core.settings import Settings
    from bot.delivery.pictures import picture_worker
    from bot.features.stats.figures import Filters
    from bot.features.stats.queries import build_dashboard
    from storage.db import Database

    shutil.rmtree(data_dir / "charts", ignore_errors=True)
    settings = replace(
        Settings(), database_url=url, data_dir=str(data_dir), moderator_ids=frozenset({"U0000001"}), picture_worker=mode
    )
    bot = await bootstrap(settings, clock=ManualClock(NOW), db=Database(url, schema=schema), migrate=False)
    event = SlashCommand(CommunityRef(PLATFORM, EXTERNAL_ID, "Bench"), Actor("U0000001", "Member 1"), "#mods", "stats")
    platform = _Platform()
    cold_text, cold_chart = await _command_and_chart(bot, event, platform)
    cached: list[tuple[float, float]] = []
    redrawn: list[tuple[float, float]] = []
    lag_cached: list[float] = []
    lag_redrawn: list[float] = []
    query_ms: list[float] = []
    for _ in range(runs):
        cached.append(await _command_and_chart(bot, event, platform, lag_cached))
        shutil.rmtree(data_dir / "charts", ignore_errors=True)  # the figures changed: no chart to reuse
        redrawn.append(await _command_and_chart(bot, event, platform, lag_redrawn))
        async with bot.db.unit() as session:
            t0 = time.perf_counter()
            await build_dashboard(session, 1, NOW, Filters())
            query_ms.append((time.perf_counter() - t0) * 1000)
    await bot.close()
    picture_worker(mode).close()

    def p50(values: list[float]) -> float:
        return round(statistics.median(values), 1)

    return {
        "picture_worker": mode,
        "cold_text_ms": round(cold_text, 1),
        "cold_chart_ms": round(cold_chart, 1),
        "cached_text_ms_p50": p50([t for t, _ in cached]),
        "cached_chart_ms_p50": p50([c for _, c in cached]),
        "redrawn_text_ms_p50": p50([t for t, _ in redrawn]),
        "redrawn_chart_ms_p50": p50([c for _, c in redrawn]),
        "redrawn_chart_ms_max": round(max(c for _, c in redrawn), 1),
        "queries_ms_p50": p50(query_ms),
        "loop_lag_ms_max_while_drawing": round(max(lag_redrawn, default=0.0), 1),
        "loop_lag_ms_p99_while_drawing": round(sorted(lag_redrawn)[int(0.99 * (len(lag_redrawn) - 1))], 1)
        if lag_redrawn
        else 0.0,
        "matplotlib_in_bot_process": "matplotlib" in sys.modules,
    }


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def bench_sqlite(args: argparse.Namespace, data: dict[str, list[tuple[Any, ...]]], tmp: Path) -> list[dict[str, Any]]:
    path = tmp / "stats.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    t0 = time.perf_counter()
    fill_sqlite(path, data)
    build_s = time.perf_counter() - t0
    return [
        {
            "db": "sqlite",
            **asyncio.run(time_stats(f"sqlite+aiosqlite:///{path}", None, args.runs, tmp / "data", mode)),
            "build_seconds": round(build_s, 1),
        }
        for mode in args.modes
    ]


def bench_postgres(
    args: argparse.Namespace, data: dict[str, list[tuple[Any, ...]]], tmp: Path, url: str
) -> list[dict[str, Any]]:
    from sqlalchemy import text

    from storage.db import Database

    schema = f"bench_{uuid.uuid4().hex[:10]}"

    async def schema_op(sql: str) -> None:
        admin = Database(url)
        async with admin.engine.begin() as conn:
            await conn.execute(text(sql))
        await admin.dispose()

    asyncio.run(schema_op(f'CREATE SCHEMA "{schema}"'))
    try:
        asyncio.run(_migrate(url, schema))
        t0 = time.perf_counter()
        asyncio.run(fill_postgres(url, schema, data))
        build_s = time.perf_counter() - t0
        results = [
            {
                "db": "postgresql",
                **asyncio.run(time_stats(url, schema, args.runs, tmp / "data", mode)),
                "build_seconds": round(build_s, 1),
            }
            for mode in args.modes
        ]
    finally:
        asyncio.run(schema_op(f'DROP SCHEMA "{schema}" CASCADE'))
    return results


def bench_demo(runs: int) -> dict[str, Any]:
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "adapters.cli",
                    "demo",
                    "--members",
                    "1000",
                    "--months",
                    "6",
                    "--out",
                    f"{tmp}/run{run}",
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=Path(__file__).resolve().parents[1],
            )
            seconds.append(time.perf_counter() - started)
            print(json.dumps({"demo_run": run + 1, "seconds": round(seconds[-1], 1), "load_1min": _load()}), flush=True)
    return {
        "command": "mentorbot demo --members 1000 --months 6",
        "seconds_p50": round(statistics.median(seconds), 1),
        "seconds_max": round(max(seconds), 1),
        "runs": runs,
        "load_1min": _load(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--pairings", type=int, default=50_000)
    parser.add_argument("--checkins", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--demo", type=int, default=0, help="also time the 1000-member demo this many times")
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["process", "thread"],
        choices=["process", "thread"],
        help="where the chart is drawn (MENTORBOT_PICTURE_WORKER); process first, so its "
        "matplotlib_in_bot_process is not spoilt by a thread run",
    )
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    t0 = time.perf_counter()
    data = rows(args.members, args.pairings, args.checkins)
    sizes = {"members": len(data["member"]), "pairings": len(data["pairing"]), "checkins": len(data["checkin"])}
    print(json.dumps({"generated_seconds": round(time.perf_counter() - t0, 1), **sizes}), file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for result in bench_sqlite(args, data, Path(tmp)):
            print(json.dumps({**sizes, **result, "load_1min": _load(), "cpus": os.cpu_count()}), flush=True)
        url = os.environ.get("TEST_DATABASE_URL", "").strip()
        if url:
            for result in bench_postgres(args, data, Path(tmp), url):
                print(json.dumps({**sizes, **result, "load_1min": _load(), "cpus": os.cpu_count()}), flush=True)
    if args.demo:
        print(json.dumps(bench_demo(args.demo)), flush=True)


if __name__ == "__main__":
    main()
