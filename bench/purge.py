"""The uninstall purge at scale: how long the `workspace purge` sweep holds the database.

Builds one community with bench.stats' bulk rows (members, profiles, pairings, check-ins…)
in a migrated SQLite file, schedules its purge and times the sweep job (every delete,
the commits and `PRAGMA wal_checkpoint(TRUNCATE)`) and how late a 2 ms sleeper on the
event loop ran meanwhile (the longest batch: what an ack would wait), then checks no member row is left.
One JSON line.

    .venv/bin/python -m bench.purge [--members 20000] [--pairings 10000] [--checkins 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stats import EXTERNAL_ID, NOW, PLATFORM, _migrate, fill_sqlite, rows


@dataclass
class _Env:
    settings: Any


async def _purge(url: str, data_dir: Path) -> dict[str, Any]:
    from sqlalchemy import func, select, update

    from bot.core.settings import Settings
    from bot.features.admin.purge import purge_due
    from storage.db import Database
    from storage.tables import Community, Member

    db = Database(url)
    async with db.unit() as session:
        await session.execute(
            update(Community)
            .where(Community.platform == PLATFORM, Community.external_id == EXTERNAL_ID)  # type: ignore[arg-type]
            .values(purge_due_at=NOW)
        )
    lags: list[float] = []
    stop = asyncio.Event()

    async def sleeper() -> None:  # how late the event loop runs: what an ack would wait
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.002)
            lags.append(time.perf_counter() - before - 0.002)

    watch = asyncio.create_task(sleeper())
    await asyncio.sleep(0.01)
    t0 = time.perf_counter()
    async with db.unit() as session:
        purged = await purge_due(session, NOW, _Env(Settings(data_dir=str(data_dir))))
    seconds = time.perf_counter() - t0
    stop.set()
    await watch
    async with db.unit() as session:
        left = (await session.execute(select(func.count()).select_from(Member))).scalar_one()
    await db.dispose()
    return {
        "purged": purged,
        "seconds": round(seconds, 2),
        "max_loop_lag_ms": round(max(lags) * 1000, 1),
        "members_left": left,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--pairings", type=int, default=10000)
    parser.add_argument("--checkins", type=int, default=200000)
    args = parser.parse_args()
    data = rows(args.members, args.pairings, args.checkins)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "purge.db"
        url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(_migrate(url))
        fill_sqlite(path, data)
        size_mb = round(path.stat().st_size / 1e6, 1)
        result = asyncio.run(_purge(url, Path(tmp) / "data"))
        wal = Path(f"{path}-wal")
        print(
            json.dumps(
                {
                    "db": "sqlite",
                    "members": args.members,
                    "pairings": args.pairings,
                    "checkins": args.checkins,
                    "db_mb": size_mb,
                    **result,
                    "wal_bytes_after": wal.stat().st_size if wal.exists() else 0,
                    "load": round(os.getloadavg()[0], 2),
                }
            )
        )


if __name__ == "__main__":
    main()
