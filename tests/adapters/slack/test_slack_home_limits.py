"""The App Home of a 10,000-member community stays inside Block Kit's limits.

The community is built with the benchmark's bulk rows (bench/stats.py), then made
hostile to the renderer: names of 200 characters that Slack escapes to five times
their length, polls with the longest questions, hundreds of at-risk pairs and of
failed deliveries. The Home is rendered for a waiting member, a paired member, a
paused member and a moderator, and each view is checked the way the fake Slack's
views.publish checks it (blocks ≤ 100, section text ≤ 3000, fields, buttons,
action ids), plus the paging that keeps a large list on the Home short.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.slack.render import render_home
from bot.core.feature import SweepEnv
from bot.core.program import default_program
from bot.core.settings import Settings
from bot.features.overview.home import home_card
from bot.features.overview.snapshot import refresh_snapshots, snapshot_for
from bot.features.overview.status import Viewer
from storage.db import Database
from storage.migrate import upgrade
from storage.tables import Community, Member, Pairing, Profile
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[3]
MEMBERS = 10_000


def _bench_rows() -> Any:
    spec = importlib.util.spec_from_file_location("bench_stats", ROOT / "bench" / "stats.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hostile(path: Path, now: datetime) -> None:
    """Long escaped names, long poll questions, many at-risk pairs and failed deliveries."""
    ts = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    conn = sqlite3.connect(path)
    conn.execute(
        "UPDATE member SET display_name = substr(replace(hex(zeroblob(100)), '00', '<&'), 1, 200) WHERE id % 7 = 0"
    )
    conn.execute("UPDATE pairing SET at_risk_reported_at = ? WHERE status = 'active' AND id % 5 = 0", (ts,))
    question = ("Would you join <!channel> & mentor? " * 10)[:300]
    conn.executemany(
        "INSERT INTO poll (community_id, channel_id, question, options, anonymous, created_by_member_id,"
        " created_at, closes_at, status)"
        " VALUES (1, 'C1', ?, '[]', 0, 1, ?, ?, 'open')",
        [(question, ts, ts)] * 40,
    )
    conn.executemany(
        "INSERT INTO outbox (community_id, operation, destination_kind, destination_target, payload, status, attempts,"
        " claim_token, not_before, created_at, last_error) VALUES (1, 'post', 'dm', ?, '[]', 'failed', 1, 0, ?, ?, ?)",
        [(f"U{m:07d}", ts, ts, "cannot_dm_user: " + "x" * 400) for m in range(7, 3000, 7)],
    )
    conn.commit()
    conn.close()


def check_home(view: dict[str, Any]) -> None:
    blocks = view["blocks"]
    FakeSlack()._check_blocks(blocks, 100)  # raises what Slack would answer
    assert view["type"] == "home" and 0 < len(blocks) <= 100
    for block in blocks:
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            assert all(len(e["action_id"]) <= 100 for e in block["elements"])  # our own, stricter limit
    assert len(json.dumps(view)) < 250_000


async def test_home_of_a_ten_thousand_member_community_fits_block_kit(tmp_path: Path) -> None:
    bench = _bench_rows()
    path = tmp_path / "big.db"
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    await upgrade(db)
    bench.fill_sqlite(path, bench.rows(MEMBERS, MEMBERS // 4, 20_000))  # members above 5000 are never paired
    now = bench.NOW
    _hostile(path, now)
    program = default_program()
    async with db.unit() as session:
        await snapshot_for(session, 1)  # the first overview asks for the figures …
    async with db.unit() as session:
        assert await refresh_snapshots(session, now, SweepEnv(Settings(), program)) == 1  # … the sweep counts them

    async with db.unit() as session:
        community = await session.get(Community, 1)
        assert community is not None

        async def member_where(*where: Any) -> Member:
            found = (
                await session.execute(
                    select(Member).join(Profile, Profile.member_id == Member.id).where(*where).limit(1)
                )
            ).scalar_one()
            return found

        people = {
            "waiting": await member_where(Profile.status == "waiting", Member.id > MEMBERS // 2),
            "paired": await member_where(
                Member.id.in_(
                    select(Pairing.mentee_member_id).where(
                        Pairing.status == "active", Pairing.mentee_member_id % 7 == 0
                    )
                ),  # type: ignore[attr-defined]
                Profile.status == "active",
            ),
            "paused": await member_where(Profile.status == "paused", Member.id > MEMBERS // 2),
        }
        moderator = await session.get(Member, 1)
        assert moderator is not None
        shown: dict[str, str] = {}
        for name, member in people.items():
            view = render_home(await home_card(Viewer(session, community, member, now, program, False), 1))
            check_home(view)
            shown[name] = json.dumps(view)
        assert "waiting for a match" in shown["waiting"]
        assert "*paused*" in shown["paused"] and "mentor:me:0:resume" in shown["paused"]
        assert "Your mentor:" in shown["paired"] and "Current goal" in shown["paired"]

        pages: list[str] = []
        for page in (1, 2, 10_000):
            view = render_home(await home_card(Viewer(session, community, moderator, now, program, True), page))
            check_home(view)
            pages.append(json.dumps(view))
        assert "Program at a glance" in pages[0] and "Signed up" in pages[0]
        assert "At-risk pairs:" in pages[0] and "page 1 of" in pages[0] and "mentor:home:2:page" in pages[0]
        assert "page 2 of" in pages[1] and "mentor:home:1:page" in pages[1]
        assert (
            '"text": "Next"' not in pages[2] and '"text": "Previous"' in pages[2]
        )  # a page beyond the end shows the last one
        assert "Open polls: 40" in pages[0] and "<!channel>" not in pages[0]
        assert "Delivery problems this week:" in pages[0]
    await db.dispose()
