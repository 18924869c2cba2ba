"""Benchmark: Slack slash-command ack latency at 50/s with 100k members, vs a bare Bolt app.

The mentorbot Slack process (adapters.slack: `build_services` + `start_http`, the
real core on a SQLite file holding 100k member rows, bulk-inserted) and a bare Bolt
app whose only listener acks run in their own child processes on 127.0.0.1. The
driver posts signed `/mentor` commands (help, polls, goals — a mix) at a fixed rate
(open loop: a slow answer does not slow the sender) for a fixed time, and measures
until each HTTP request is answered (the ack Slack waits for). The local fake Slack
(users.info, response_url) runs in a process of its own (bench/fake_slack_process.py), so the
driver's clock times only the acks.

Also the Slack process's RSS: idle on an empty database, and with 100k members
after the load (VmRSS and peak VmHWM from /proc).

`--heavy`: the same, while a moderator runs `/mentor stats` (the chart drawn afresh, delivered
through the outbox) and `/mentor match` (a round of ~20k waiting members) every `--heavy-every`
seconds, on the dashboard's dataset (`--heavy-members 80000` members of whom a quarter wait,
`--checkins 1000000`). The bare Bolt app gets the same heavy work next to it: a sidecar process
runs the mentorbot core on a copy of the database and does the same commands at the same moments.
The ordinary commands' ack latency is compared; the moderator's own requests are not counted.

One JSON line:
    .venv/bin/python -m bench.ack [--rate 50] [--seconds 60] [--members 100000]
    .venv/bin/python -m bench.ack --heavy [--heavy-members 80000] [--checkins 1000000] [--heavy-every 20]

ACK_TRACE=<file> traces the mentorbot child (bench/ack_trace.py); ACK_PROFILE=<file> writes a
cProfile of its main thread's CPU time (read with `python -m pstats <file>`); ACK_LATENCIES=<file>
keeps every request's send time and latency as the driver saw them (one JSON line per app), whose
times compare with ACK_TRACE's: which requests were slow, and where their time went.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fake_slack_process import FakeSlackProcess
from tests.support.bench_api import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, signed_headers, slash_command

COMMANDS = ["help", "polls", "goals"]
START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


# --- the database ----------------------------------------------------------------


async def build(path: Path, members: int) -> None:
    """A migrated SQLite file with one Slack community and `members` member rows."""
    from sqlalchemy import insert

    from storage.db import Database
    from storage.migrate import upgrade
    from storage.tables import Community, Member

    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    async with db.unit() as s:
        await s.execute(
            insert(Community),
            [
                {
                    "id": 1,
                    "platform": "slack",
                    "external_id": TEAM_ID,
                    "name": "",
                    "timezone": "UTC",
                    "created_at": START,
                }
            ],
        )
    chunk = 20_000
    for base in range(0, members, chunk):
        rows = [
            {
                "community_id": 1,
                "platform_user_id": f"U{i:08d}",
                "display_name": f"Member {i}",
                "timezone": "Europe/Berlin",
                "dm_status": "ok",
                "is_moderator": False,
                "created_at": START,
            }
            for i in range(base, min(members, base + chunk))
        ]
        async with db.unit() as s:
            await s.execute(insert(Member), rows)
    await db.dispose()


# --- the child processes ------------------------------------------------------------


MODERATOR = "U0000001"  # member 1 of the dashboard dataset; a moderator by MENTORBOT_MODERATORS
HEAVY_COMMANDS = ("stats", "match")


def _settings(db_path: str, data_dir: str) -> Any:
    from bot.core.settings import Settings

    return Settings(
        database_url=f"sqlite+aiosqlite:///{db_path}",
        data_dir=data_dir,
        moderator_ids=frozenset({MODERATOR}),
        heavy_work=os.environ.get("MENTORBOT_HEAVY_WORK", "process"),
    )


async def sidecar(db_path: str, api_url: str, data_dir: str, every: float) -> None:
    """Child: the heavy work next to the bare app: the mentorbot core (no Slack inbound) does the
    moderator's stats and match at the moments the driver asks for them (one line on stdin each)."""
    from adapters.slack.main import build_services
    from adapters.slack.settings import SlackSettings
    from bot.bootstrap import bootstrap
    from bot.core.events import Actor, CommunityRef, SlashCommand

    bot = await bootstrap(_settings(db_path, data_dir))
    services = build_services(bot, SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=api_url))
    delivering = keep_delivering(bot, services.messenger)
    print("READY sidecar", flush=True)
    loop = asyncio.get_running_loop()
    community, actor = CommunityRef("slack", TEAM_ID), Actor(MODERATOR, "Moderator", platform_moderator=True)
    tasks = []
    while await loop.run_in_executor(None, sys.stdin.readline):  # one line: one burst; EOF: stop
        clear_charts(data_dir)
        for i, command in enumerate(HEAVY_COMMANDS):
            event = SlashCommand(community, actor, "C0MENTOR", command, event_id=f"side:{time.time()}:{i}")
            tasks.append(asyncio.create_task(bot.handle(event)))
    # Finish the heavy work and stop the workers before exiting: a sidecar killed mid-round left
    # its worker process solving on, orphaned, through the mentorbot side's measurement.
    await asyncio.gather(*tasks)
    await bot.deliver_outbox(services.messenger)  # the last burst's chart is drawn here
    delivering.cancel()
    stop_workers(bot)


def stop_workers(bot: Any) -> None:
    """Shut the heavy-work and picture worker processes down (no job is in flight)."""
    from bot.delivery.pictures import picture_worker

    bot.heavy.close()
    picture_worker(bot.settings.picture_worker).close()


def keep_delivering(bot: Any, messenger: Any) -> asyncio.Task[None]:
    """Deliver the outbox (the chart is drawn on delivery) every half second. Not the Runtime:
    its sweeps would start sending the dataset's months of due check-ins, which is not this bench."""

    async def loop() -> None:
        while True:
            await bot.deliver_outbox(messenger)
            await asyncio.sleep(0.5)

    return asyncio.create_task(loop())


def count_charts(data_dir: str) -> int:
    return len(list(Path(data_dir).rglob("*.png")))


def clear_charts(data_dir: str) -> None:
    """The chart must be drawn again each burst (a cached chart costs nothing)."""
    for png in Path(data_dir).rglob("*.png"):
        png.unlink(missing_ok=True)


async def serve(kind: str, db_path: str, api_url: str, data_dir: str = "") -> None:
    """Child: serve mentorbot's Slack app (or a bare Bolt app) until stdin closes."""
    from dataclasses import replace

    from adapters.slack.main import start_http
    from adapters.slack.messenger import make_web_client

    trace: Any = None
    if kind != "bare" and os.environ.get("ACK_TRACE"):  # where an ack's time goes (bench/ack_trace.py)
        from bench import ack_trace

        trace = ack_trace.install(os.environ["ACK_TRACE"])
    if kind == "bare":
        from slack_bolt.async_app import AsyncApp

        app = AsyncApp(
            signing_secret=SIGNING_SECRET,
            client=make_web_client(BOT_TOKEN, base_url=api_url),
            process_before_response=False,
        )

        async def only_ack(ack: Any) -> None:
            await ack()

        app.command("/mentor")(only_ack)
        server = await start_http(app, "127.0.0.1", 0)
    else:
        if kind == "mentorbot-nometrics":  # bench.metrics_ack: the same process, every metric a no-op
            from bot.core import metrics

            metrics.disable()
        from adapters.ops import long_running
        from adapters.slack.main import build_services
        from adapters.slack.settings import SlackSettings
        from bot.bootstrap import bootstrap
        from bot.core.settings import Settings
        from bot.delivery.leases import take_back_at_start

        long_running.before_start()  # as adapters.slack.main.serve does
        if data_dir:  # --heavy: moderators, a data folder, and a runtime that delivers (draws) the chart
            bot = await bootstrap(_settings(db_path, data_dir))
        else:
            bot = await bootstrap(replace(Settings(), database_url=f"sqlite+aiosqlite:///{db_path}"))
        slack = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=api_url)
        services = build_services(bot, slack, pace_seconds=0.0)
        assert services.inbox is not None
        await take_back_at_start(bot.db, bot.clock, services.inbox)  # as serve does (SQLite: no heartbeat)
        if trace is not None:
            ack_trace.mark_saver_connections(services.inbox)
            ack_trace.lag_monitor(trace)
        server = await start_http(services.adapter.app, "127.0.0.1", 0)
        long_running.after_start()
        if data_dir:
            keep_delivering(bot, services.messenger)
    profile: Any = None
    if kind != "bare" and os.environ.get("ACK_PROFILE"):  # CPU time per function of the loop's thread
        import cProfile

        profile = cProfile.Profile(time.thread_time)
        profile.enable()
    print(f"READY {server.url}", flush=True)
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, sys.stdin.readline):  # the driver closes stdin to stop us
        clear_charts(data_dir)  # --heavy: a line before each burst
    if profile is not None:
        profile.disable()
        profile.dump_stats(os.environ["ACK_PROFILE"])
    await server.stop()
    if kind != "bare":
        stop_workers(bot)
    if kind != "bare" and trace is not None:
        trace.close()


def rss_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


class Child:
    def __init__(self, kind: str, db_path: Path, api_url: str, data_dir: str = "") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.ack", "--serve", kind, "--db", str(db_path), "--api-url", api_url]
            + (["--data-dir", data_dir] if data_dir else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = ""

    def send(self, line: str = "go") -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    async def ready(self) -> str:
        assert self.proc.stdout is not None
        line = await asyncio.get_running_loop().run_in_executor(None, self.proc.stdout.readline)
        if not line.startswith("READY "):
            raise RuntimeError(f"child did not start: {line!r}")
        self.url = line.split()[1]
        return self.url

    def stop(self, timeout: float = 30) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # our own child, by its pid
            self.proc.wait()


# --- the load -------------------------------------------------------------------------


def _keep_latencies(path: str, url: str, sent: list[tuple[float, float]]) -> None:
    """ACK_LATENCIES=<file>: each request's send time (perf_counter, comparable with ACK_TRACE's)
    and latency, one JSON line per run, to find which requests were slow and when."""
    with open(path, "a") as out:
        out.write(json.dumps({"url": url, "sent": sent}) + "\n")


async def load(
    url: str, fake: FakeSlackProcess, rate: float, seconds: float, heavy: Any = None, every: float = 20.0
) -> dict[str, Any]:
    """`heavy(session)`: called at 2 s and then every `every` seconds (a moderator's heavy commands)."""
    import aiohttp

    total = int(rate * seconds)
    latencies: list[float] = []
    sent: list[tuple[float, float]] = []  # (perf_counter at send, ms): ACK_LATENCIES=<file> keeps them
    errors = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:

        async def one(i: int) -> None:
            nonlocal errors
            body = slash_command(
                COMMANDS[i % len(COMMANDS)],
                user_id=f"U{i % 5000:08d}",
                channel_id="C0MENTOR",
                response_url=fake.response_url(f"r{i}"),
            )
            headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
            started = time.perf_counter()
            try:
                async with session.post(url + "/slack/events", data=body, headers=headers) as resp:
                    await resp.read()
                    ok = resp.status == 200
            except (TimeoutError, aiohttp.ClientError):
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
                sent.append((started, latencies[-1]))
            else:
                errors += 1

        begin = time.perf_counter()
        tasks = []
        bursts = 0
        for i in range(total):
            if heavy is not None and time.perf_counter() - begin >= 2.0 + bursts * every:
                bursts += 1
                tasks.append(asyncio.create_task(heavy(session)))
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    latencies.sort()
    if os.environ.get("ACK_LATENCIES"):
        _keep_latencies(os.environ["ACK_LATENCIES"], url, sent)
    return {
        "requests": total,
        "heavy_bursts": bursts,
        "errors": errors,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1) if latencies else None,
    }


async def drive(args: argparse.Namespace) -> None:
    # users.info answers for the members who type commands; Slack in a process of its own.
    fake = FakeSlackProcess([(f"U{i:08d}", f"Member {i}", False) for i in range(5000)], [("C0MENTOR", "mentorship")])
    fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            empty, full = Path(tmp) / "empty.db", Path(tmp) / "full.db"
            await build(empty, 0)
            built = time.perf_counter()
            await build(full, args.members)
            build_s = time.perf_counter() - built

            idle = Child("mentorbot", empty, fake.api_url)
            await idle.ready()
            await asyncio.sleep(2)
            idle_rss = rss_mb(idle.proc.pid)
            idle.stop()

            bare_result: dict[str, Any] = {"p50_ms": None, "p99_ms": None, "errors": None}
            if not args.no_bare:
                bare = Child("bare", empty, fake.api_url)
                bare_url = await bare.ready()
                bare_result = await load(bare_url, fake, args.rate, args.seconds)
                bare.stop()

            child = Child("mentorbot", full, fake.api_url)
            url = await child.ready()
            await asyncio.sleep(1)
            loaded_idle_rss = rss_mb(child.proc.pid)
            result = await load(url, fake, args.rate, args.seconds)
            await asyncio.sleep(2)
            loaded_rss = rss_mb(child.proc.pid)
            child.stop()
    finally:
        fake.stop()
    print(
        json.dumps(
            {
                "bench": "ack",
                "rate_per_s": args.rate,
                "seconds": args.seconds,
                "members": args.members,
                "requests": result["requests"],
                "errors": result["errors"],
                "p50_ms": result["p50_ms"],
                "p99_ms": result["p99_ms"],
                "bare_p50_ms": bare_result["p50_ms"],
                "bare_p99_ms": bare_result["p99_ms"],
                "bare_errors": bare_result["errors"],
                "ratio_p99": round(result["p99_ms"] / bare_result["p99_ms"], 2)
                if result["p99_ms"] and bare_result["p99_ms"]
                else None,
                "idle_rss_mb": idle_rss.get("VmRSS"),
                "rss_100k_members_mb": loaded_idle_rss.get("VmRSS"),
                "rss_100k_after_load_mb": loaded_rss.get("VmRSS"),
                "peak_rss_100k_mb": loaded_rss.get("VmHWM"),
                "db_build_s": round(build_s, 1),
                "load_avg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            }
        ),
        flush=True,
    )


def build_dashboard_dataset(path: Path, members: int, checkins: int) -> dict[str, int]:
    """The dashboard bench's dataset (bench/stats.py) as one Slack workspace: a quarter of the
    members wait for a round, `checkins` check-ins feed /mentor stats."""
    from bench.stats import _migrate, fill_sqlite, rows

    data = rows(members, members // 2, checkins)
    first = data["community"][0]
    data["community"][0] = (first[0], "slack", TEAM_ID, *first[3:])
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    fill_sqlite(path, data)
    # The round is of the waiting quarter (~20k members), as the heavy work says. The
    # dashboard rows set profile status and pairings independently, so ~38k more "active"
    # profiles had no active pairing and a round took them all (58k, minutes of solving):
    # they are marked as not coming back for another round, which leaves every count the
    # dashboard shows unchanged.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE profile SET next_round = 'no' WHERE status != 'waiting'")
        pool = db.execute("SELECT count(*) FROM profile WHERE next_round != 'no'").fetchone()[0]
    return {"members": len(data["member"]), "checkins": len(data["checkin"]), "round_pool": pool}


async def drive_heavy(args: argparse.Namespace, tmp: Path, dataset: dict[str, int]) -> None:
    import sqlite3

    import aiohttp

    users = [(MODERATOR, "Moderator", True)] + [(f"U{i:08d}", f"Member {i}", False) for i in range(5000)]
    fake = FakeSlackProcess(users, [("C0MENTOR", "mentorship")])
    fake.start()
    results: dict[str, Any] = {}
    try:
        # The bare Bolt app, with the sidecar doing the same heavy work on a copy next to it.
        side_dir = str(tmp / "side-data")
        bare = Child("bare", tmp / "side.db", fake.api_url)
        side = Child("sidecar", tmp / "side.db", fake.api_url, side_dir)
        bare_url = await bare.ready()
        await side.ready()

        async def side_burst(_session: Any) -> None:
            side.send()

        results["bare"] = await load(bare_url, fake, args.rate, args.seconds, side_burst, args.heavy_every)
        await asyncio.sleep(2)
        bare.stop()
        # The sidecar finishes its heavy work before the mentorbot side starts, as the mentorbot
        # side starts: none of its work may spill into the mentorbot side's figures.
        stopping = time.perf_counter()
        side.stop(timeout=900)
        results["sidecar_finish_s"] = round(time.perf_counter() - stopping, 1)
        results["bare_side_rounds"] = (
            sqlite3.connect(tmp / "side.db").execute("SELECT count(*) FROM match_round").fetchone()[0]
        )

        data_dir = str(tmp / "bot-data")
        child = Child("mentorbot", tmp / "bot.db", fake.api_url, data_dir)
        url = await child.ready()
        moderator_status: list[int] = []

        async def moderator(session: Any) -> None:
            child.send()  # clear the cached chart: it is drawn afresh
            await asyncio.sleep(0.05)
            for i, command in enumerate(HEAVY_COMMANDS):
                body = slash_command(
                    command,
                    user_id=MODERATOR,
                    channel_id="C0MENTOR",
                    response_url=fake.response_url(f"mod{time.time()}{i}"),
                )
                headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
                try:
                    async with session.post(url + "/slack/events", data=body, headers=headers) as resp:
                        moderator_status.append(resp.status)
                except (TimeoutError, aiohttp.ClientError):
                    moderator_status.append(0)  # not answered within the client's 10 s

        results["mentorbot"] = await load(url, fake, args.rate, args.seconds, moderator, args.heavy_every)
        await asyncio.sleep(5)
        results["moderator_acks"] = moderator_status
        results["rounds"] = sqlite3.connect(tmp / "bot.db").execute("SELECT count(*) FROM match_round").fetchone()[0]
        results["charts_on_disk"] = count_charts(data_dir)
        child.stop()
    finally:
        fake.stop()
    mine, bare_r = results["mentorbot"], results["bare"]
    print(
        json.dumps(
            {
                "bench": "ack-heavy",
                "heavy_work": os.environ.get("MENTORBOT_HEAVY_WORK", "process"),
                "rate_per_s": args.rate,
                "seconds": args.seconds,
                **dataset,
                "heavy_every_s": args.heavy_every,
                "bursts": mine["heavy_bursts"],
                "requests": mine["requests"],
                "errors": mine["errors"],
                "p50_ms": mine["p50_ms"],
                "p99_ms": mine["p99_ms"],
                "bare_p50_ms": bare_r["p50_ms"],
                "bare_p99_ms": bare_r["p99_ms"],
                "bare_errors": bare_r["errors"],
                "ratio_p99": round(mine["p99_ms"] / bare_r["p99_ms"], 2)
                if mine["p99_ms"] and bare_r["p99_ms"]
                else None,
                "moderator_acks": results["moderator_acks"],
                "rounds_stored": results["rounds"],
                "sidecar_rounds_stored": results["bare_side_rounds"],
                "sidecar_finish_s": results["sidecar_finish_s"],
                "charts_on_disk": results["charts_on_disk"],
                "load_avg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            }
        ),
        flush=True,
    )


def heavy_main(args: argparse.Namespace) -> None:
    import shutil

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cache = (
            Path(args.dataset_cache) / f"dashboard-v2-{args.heavy_members}-{args.checkins}.db"
            if args.dataset_cache
            else None
        )
        if cache is not None and cache.exists():  # the same rows as a fresh build, without the minutes
            shutil.copy(cache, tmp / "bot.db")
            dataset = json.loads(cache.with_suffix(".json").read_text())
        else:
            dataset = build_dashboard_dataset(tmp / "bot.db", args.heavy_members, args.checkins)
            if cache is not None:
                cache.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(tmp / "bot.db", cache)
                cache.with_suffix(".json").write_text(json.dumps(dataset))
        shutil.copy(tmp / "bot.db", tmp / "side.db")
        asyncio.run(drive_heavy(args, tmp, dataset))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--heavy", action="store_true", help="a moderator's stats + 20k round meanwhile")
    parser.add_argument("--heavy-members", type=int, default=80_000)
    parser.add_argument("--checkins", type=int, default=1_000_000)
    parser.add_argument("--heavy-every", type=float, default=20.0)
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Bolt app (tracing runs)")
    parser.add_argument(
        "--dataset-cache", default="", help="--heavy: keep the built dataset in this folder and copy it next time"
    )
    parser.add_argument(
        "--serve", choices=("mentorbot", "mentorbot-nometrics", "bare", "sidecar"), help=argparse.SUPPRESS
    )
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "sidecar":
        asyncio.run(sidecar(args.db, args.api_url, args.data_dir, args.heavy_every))
    elif args.serve:
        asyncio.run(serve(args.serve, args.db, args.api_url, args.data_dir))
    elif args.heavy:
        heavy_main(args)
    else:
        asyncio.run(drive(args))


if __name__ == "__main__":
    main()
