"""App Home publish time for a moderator of a 100k-member community.

The community is the one `bench/stats.py` builds (100k members, 50k pairings, 1M
check-ins, bulk-inserted after the real migrations) plus what a moderator's Home
lists: ~2,400 at-risk pairs, 40 open polls, 400 failed deliveries this week and a
proposed round. The headline figures are counted once by the snapshot sweep (as in
production: never on open). Then, several times, the whole open path is timed:
`MentorBot.handle(mentor:home:1:open)` (member row, the member card, the moderator
card, the HomeView bookkeeping, commit) → `render_home` → `views.publish` through
slack_sdk's AsyncWebClient to the local fake Slack (which validates the view).
Prints one JSON line per database (SQLite always; PostgreSQL when TEST_DATABASE_URL
is set, in a throw-away schema).

    .venv/bin/python -m bench.home [--members 100000] [--pairings 50000] [--checkins 1000000] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import stats as community  # bench/stats.py: the same 100k community
from tests.support.bench_api import BOT_TOKEN, FakeSlack

MODERATOR = "U0000001"  # member 1 is the moderator in bench/stats.py's rows


def with_home_lists(data: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Open polls, failed deliveries and a proposed round on top of the dashboard community."""
    now = community._ts(community.NOW)
    next_poll = len(data["poll"]) + 1
    for n in range(40):
        data["poll"].append(
            (
                next_poll + n,
                1,
                "C1",
                f"Would you join mentoring round {n}?",
                "[]",
                False,
                1,
                now,
                community._ts(community.NOW + timedelta(days=3)),
                None,
                "open",
                None,
            )
        )
    data["match_round"].append((2, 1, "proposed", False, False, now, 1, None, None, "{}"))
    data.setdefault("outbox", [])
    for n in range(400):
        data["outbox"].append(
            (
                n + 1,
                1,
                "post",
                "dm",
                f"U{n * 7 + 7:07d}",
                "[]",
                None,
                None,
                "failed",
                1,
                0,
                now,
                now,
                None,
                None,
                "cannot_dm_user",
            )
        )
    return data


OUTBOX_COLUMNS = (
    "id",
    "community_id",
    "operation",
    "destination_kind",
    "destination_target",
    "payload",
    "dedupe_key",
    "target_outbox_id",
    "status",
    "attempts",
    "claim_token",
    "not_before",
    "created_at",
    "sent_at",
    "message_ref",
    "last_error",
)


async def time_home(url: str, schema: str | None, runs: int, data_dir: Path) -> dict[str, float]:
    from adapters.slack.messenger import make_web_client
    from adapters.slack.render import render_home
    from bot.bootstrap import bootstrap
    from bot.core.clock import ManualClock
    from bot.core.events import Actor, CommunityRef, ComponentAction
    from bot.core.feature import SweepEnv
    from bot.core.settings import Settings
    from bot.features.overview.snapshot import refresh_snapshots, snapshot_for
    from storage.db import Database

    settings = replace(Settings(), database_url=url, data_dir=str(data_dir), moderator_ids=frozenset({MODERATOR}))
    bot = await bootstrap(settings, clock=ManualClock(community.NOW), db=Database(url, schema=schema), migrate=False)
    async with bot.db.unit() as session:  # the sweep's work, before anyone opens a Home
        await snapshot_for(session, 1)
    async with bot.db.unit() as session:
        await refresh_snapshots(session, community.NOW, SweepEnv(settings, bot.program))
    fake = FakeSlack()
    fake.add_user(MODERATOR, "Member 1", is_admin=True)
    await fake.start()
    client = make_web_client(BOT_TOKEN, base_url=fake.api_url)
    event = ComponentAction(
        CommunityRef(community.PLATFORM, community.EXTERNAL_ID, "Bench"),
        Actor(MODERATOR, "Member 1", True),
        "",
        "mentor:home:1:open",
    )
    total: list[float] = []
    core: list[float] = []
    blocks = 0
    try:
        for run in range(runs + 1):
            started = time.perf_counter()
            replies = await bot.handle(event)
            handled = time.perf_counter()
            view = render_home(replies[0])
            await client.views_publish(user_id=MODERATOR, view=view)
            done = time.perf_counter()
            assert "Program at a glance" in json.dumps(view) and "Signed up" in json.dumps(view)
            blocks = len(view["blocks"])
            if run == 0:
                continue  # first call warms caches: not counted
            core.append((handled - started) * 1000)
            total.append((done - started) * 1000)
    finally:
        await fake.stop()
        await bot.close()
    return {
        "publish_ms_p50": round(statistics.median(total), 1),
        "publish_ms_max": round(max(total), 1),
        "core_ms_p50": round(statistics.median(core), 1),
        "blocks": blocks,
    }


def _fill_sqlite(path: Path, data: dict[str, list[tuple[Any, ...]]]) -> None:
    import sqlite3

    community.fill_sqlite(path, data)
    conn = sqlite3.connect(path)
    conn.executemany(
        f"INSERT INTO outbox ({', '.join(OUTBOX_COLUMNS)}) VALUES ({', '.join('?' * len(OUTBOX_COLUMNS))})",
        [
            tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if hasattr(v, "strftime") else v for v in row)
            for row in data["outbox"]
        ],
    )
    conn.commit()
    conn.close()


async def _fill_postgres(url: str, schema: str, data: dict[str, list[tuple[Any, ...]]]) -> None:
    import asyncpg

    await community.fill_postgres(url, schema, data)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.copy_records_to_table(
            "outbox", records=data["outbox"], columns=list(OUTBOX_COLUMNS), schema_name=schema
        )
        await conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{schema}\".outbox', 'id'), 1000)")
        await conn.execute(f'ANALYZE "{schema}".outbox')
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--pairings", type=int, default=50_000)
    parser.add_argument("--checkins", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    data = with_home_lists(community.rows(args.members, args.pairings, args.checkins))
    sizes = {"members": len(data["member"]), "pairings": len(data["pairing"]), "checkins": len(data["checkin"])}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "home.db"
        asyncio.run(community._migrate(f"sqlite+aiosqlite:///{path}"))
        _fill_sqlite(path, data)
        result = asyncio.run(time_home(f"sqlite+aiosqlite:///{path}", None, args.runs, Path(tmp) / "data"))
        print(
            json.dumps({**sizes, "db": "sqlite", **result, "load_1min": community._load(), "cpus": os.cpu_count()}),
            flush=True,
        )
        url = os.environ.get("TEST_DATABASE_URL", "").strip()
        if url:
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
                asyncio.run(community._migrate(url, schema))
                asyncio.run(_fill_postgres(url, schema, data))
                result = asyncio.run(time_home(url, schema, args.runs, Path(tmp) / "data"))
                print(
                    json.dumps(
                        {**sizes, "db": "postgresql", **result, "load_1min": community._load(), "cpus": os.cpu_count()}
                    ),
                    flush=True,
                )
            finally:
                asyncio.run(schema_op(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
