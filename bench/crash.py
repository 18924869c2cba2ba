"""Crash test: kill -9 the bot mid-delivery, restart, count what members received.

The bot runs as a real process: `mentorbot console` on a file database, with a
transcript file as the console platform's durable memory (a real platform keeps
what it received when our process dies, and recognises a resend by its nonce /
metadata; the transcript plays that part). Each trial:

1. copies a prepared database, starts the bot on a script that causes a burst of
   deliveries, and `kill -9`s it at a random moment in that burst (watching the
   transcript grow; some trials are killed before the first delivery);
2. restarts the bot later than the outbox lease, lets it finish;
3. counts, per expected message, how often it reached the platform.

Scenarios: `intros` (approve a round of 200 pairs), `poll` (a poll with 200
would-be participants closes: results + 200 invitations), `checkins` (200 pairs
with due check-ins: 400 DMs), and `inbound` (kill -9 0–50 ms after acknowledging a
member's DM answer, command, click or form, on Slack HTTP and Discord: see
bench/crash_inbound.py; not run by default). Prints one JSON line per scenario with `trials`,
`pairs` (expected messages per trial), `lost` and `duplicated` (summed over trials).

    .venv/bin/python -m bench.crash [--trials 100] [--scenario intros poll checkins]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PAIRS = 200


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def seed_community(db_path: Path, *, pairs: int, paired: bool) -> None:
    """A console community with `pairs` mentors and mentees (one topic each),
    optionally already paired with due check-ins."""
    from sqlalchemy import insert

    from storage.db import Database
    from storage.migrate import upgrade
    from storage.tables import CheckInPlan, Community, MatchRound, Member, Pairing, Profile

    db = Database(f"sqlite+aiosqlite:///{db_path}")
    await upgrade(db)
    members, profiles, pairings, plans = [], [], [], []
    members.append(
        {
            "id": 1,
            "community_id": 1,
            "platform_user_id": "carol",
            "display_name": "carol",
            "timezone": None,
            "dm_status": "ok",
            "is_moderator": True,
            "created_at": T0,
        }
    )
    for i in range(pairs):
        for offset, role in ((2, "mentor"), (3, "mentee")):
            member_id = 2 * i + offset
            name = f"{role}{i:03d}"
            members.append(
                {
                    "id": member_id,
                    "community_id": 1,
                    "platform_user_id": name,
                    "display_name": name,
                    "timezone": None,
                    "dm_status": "ok",
                    "is_moderator": False,
                    "created_at": T0,
                }
            )
            profiles.append(
                {
                    "community_id": 1,
                    "member_id": member_id,
                    "role": role,
                    "status": "active" if paired else "waiting",
                    "topics_offered": [f"Topic{i}"] if role == "mentor" else [],
                    "topics_wanted": [f"Topic{i}"] if role == "mentee" else [],
                    "topics_other": "",
                    "goals": "",
                    "can_help_with": "",
                    "career_stage": "",
                    "timezone": "UTC",
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
                    "signed_up_at": T0,
                    "updated_at": T0,
                    "waiting_since": T0,
                    "times_unmatched": 0,
                }
            )
        if paired:
            pairings.append(
                {
                    "id": i + 1,
                    "community_id": 1,
                    "round_id": 1,
                    "mentee_member_id": 2 * i + 3,
                    "mentor_member_id": 2 * i + 2,
                    "status": "active",
                    "score": 50.0,
                    "reasons": [],
                    "cadence": "biweekly",
                    "communication": "video",
                    "program_length": "3-6",
                    "ends_on": T0 + timedelta(days=90),
                    "policy_confirmed_by": [],
                    "started_at": T0,
                    "kickoff_at": T0,
                    "kickoff_reminders_sent": 0,
                    "end_reason": "",
                }
            )
            for member_id in (2 * i + 2, 2 * i + 3):
                plans.append(
                    {
                        "community_id": 1,
                        "pairing_id": i + 1,
                        "member_id": member_id,
                        "active": True,
                        "next_checkin_at": T0,
                        "base_interval_days": 14,
                        "interval_days": 14,
                        "sent_count": 0,
                        "awaiting_answer": False,
                        "ignored_in_a_row": 0,
                        "not_yet_in_a_row": 0,
                    }
                )
    async with db.unit() as s:
        await s.execute(
            insert(Community),
            [
                {
                    "id": 1,
                    "platform": "console",
                    "external_id": "console",
                    "name": "Console community",
                    "timezone": "UTC",
                    "created_at": T0,
                }
            ],
        )
        await s.execute(insert(Member), members)
        await s.execute(insert(Profile), profiles)
        if paired:
            await s.execute(
                insert(MatchRound),
                [
                    {
                        "id": 1,
                        "community_id": 1,
                        "status": "approved",
                        "dry_run": False,
                        "allow_rematch": False,
                        "created_at": T0,
                        "summary": {},
                    }
                ],
            )
            await s.execute(insert(Pairing), pairings)
            await s.execute(insert(CheckInPlan), plans)
    await db.dispose()


def _console(db: Path, transcript: Path, script: Path, start: datetime) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "DATABASE_URL"))}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "adapters.cli",
            "console",
            "--db",
            str(db),
            "--transcript",
            str(transcript),
            "--script",
            str(script),
            "--start",
            iso(start),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _lines(transcript: Path) -> list[dict[str, str]]:
    if not transcript.exists():
        return []
    out = []
    for line in transcript.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line cut by the kill: the platform never fully got it
    return out


def _run_and_kill(
    db: Path, transcript: Path, script: Path, start: datetime, counts_toward: str, expected: int, rng: random.Random
) -> bool:
    before = sum(1 for e in _lines(transcript) if e["text"].startswith(counts_toward))
    process = _console(db, transcript, script, start)
    if rng.random() < 0.15:
        time.sleep(rng.uniform(0.0, 2.0))  # sometimes before (or while) the burst begins
    else:
        target = before + rng.randint(1, max(1, expected - 1))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if sum(1 for e in _lines(transcript) if e["text"].startswith(counts_toward)) >= target:
                break
            time.sleep(0.002)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    delivered = sum(1 for e in _lines(transcript) if e["text"].startswith(counts_toward)) - before
    return 0 < delivered < expected  # the kill landed inside the burst


def _finish(db: Path, transcript: Path, script: Path, start: datetime) -> None:
    process = _console(db, transcript, script, start)
    if process.wait(timeout=300) != 0:
        raise RuntimeError("the restarted bot failed")


def _score(entries: list[dict[str, str]], prefix: str, expected: set[str]) -> tuple[int, int]:
    counts = Counter(e["to"] for e in entries if e["text"].startswith(prefix))
    lost = sum(1 for who in expected if counts.get(who, 0) == 0)
    duplicated = sum(1 for who in expected if counts.get(who, 0) >= 2)
    return lost, duplicated


def scenario_intros(work: Path, trials: int, rng: random.Random) -> dict[str, object]:
    template = work / "intros.db"
    asyncio.run(seed_community(template, pairs=PAIRS, paired=False))
    approve = work / "approve.txt"
    approve.write_text("moderators: carol\n@carol /mentor match\n@carol /mentor match approve\n")
    expected = {f"DM mentee{i:03d}+mentor{i:03d}" for i in range(PAIRS)}
    lost = duplicated = mid = 0
    for trial in range(trials):
        db, transcript = work / f"t{trial}.db", work / f"t{trial}.jsonl"
        shutil.copy(template, db)
        mid += _run_and_kill(db, transcript, approve, T0, "Hello", PAIRS, rng)
        import sqlite3

        with sqlite3.connect(db) as conn:
            state = conn.execute("SELECT status FROM match_round ORDER BY id DESC LIMIT 1").fetchone()
        resume = work / f"resume{trial}.txt"
        lines = ["moderators: carol"]
        if state is None or state[0] != "approved":
            lines += [
                "@carol /mentor match",
                "@carol /mentor match approve",
            ]  # the kill came before the approval committed
        lines += ["@carol /mentor match approve", "wait 2m"]  # a second approve must change nothing
        resume.write_text("\n".join(lines) + "\n")
        _finish(db, transcript, resume, T0 + timedelta(minutes=5))  # later than the 60 s outbox lease
        missing, twice = _score(_lines(transcript), "Hello", expected)
        lost, duplicated = lost + missing, duplicated + twice
        for path in (db, transcript, Path(f"{db}-wal"), Path(f"{db}-shm"), resume):
            path.unlink(missing_ok=True)
        _progress("intros", trial, trials, lost, duplicated, mid)
    return {
        "scenario": "intros",
        "trials": trials,
        "pairs": PAIRS,
        "lost": lost,
        "duplicated": duplicated,
        "killed_mid_burst": mid,
    }


def scenario_poll(work: Path, trials: int, rng: random.Random) -> dict[str, object]:
    template, template_transcript = work / "poll.db", work / "poll.jsonl"
    asyncio.run(seed_community(template, pairs=PAIRS // 2, paired=False))
    setup = work / "poll-setup.txt"
    voters = [f"{role}{i:03d}" for i in range(PAIRS // 2) for role in ("mentor", "mentee")]
    setup.write_text(
        'moderators: carol\n@carol /mentor poll "Would you join a mentorship program?" --closes 1h\n'
        + "".join(f"@{name} click {'1' if name.startswith('mentor') else '2'}\n" for name in voters)
    )
    _finish(template, template_transcript, setup, T0)
    close = work / "poll-close.txt"
    close.write_text("wait 1m\n")
    resume = work / "poll-resume.txt"
    resume.write_text("wait 2m\n")
    expected = {f"DM {name}" for name in voters}
    lost = duplicated = results_wrong = mid = 0
    for trial in range(trials):
        db, transcript = work / f"p{trial}.db", work / f"p{trial}.jsonl"
        shutil.copy(template, db)
        shutil.copy(template_transcript, transcript)
        mid += _run_and_kill(db, transcript, close, T0 + timedelta(hours=2), "Thanks for saying", len(voters), rng)
        _finish(db, transcript, resume, T0 + timedelta(hours=2, minutes=5))
        entries = _lines(transcript)
        missing, twice = _score(entries, "Thanks for saying", expected)
        results = sum(1 for e in entries if e["text"].startswith("Poll results"))
        lost, duplicated, results_wrong = lost + missing, duplicated + twice, results_wrong + (results != 1)
        for path in (db, transcript, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        _progress("poll", trial, trials, lost, duplicated, mid)
    return {
        "scenario": "poll",
        "trials": trials,
        "pairs": len(voters),
        "lost": lost,
        "duplicated": duplicated,
        "results_not_exactly_once": results_wrong,
        "killed_mid_burst": mid,
    }


def scenario_checkins(work: Path, trials: int, rng: random.Random) -> dict[str, object]:
    template = work / "checkins.db"
    asyncio.run(seed_community(template, pairs=PAIRS, paired=True))
    sweep = work / "checkins.txt"
    sweep.write_text("wait 1m\n")
    expected = {f"DM {role}{i:03d}" for i in range(PAIRS) for role in ("mentor", "mentee")}
    lost = duplicated = mid = 0
    for trial in range(trials):
        db, transcript = work / f"c{trial}.db", work / f"c{trial}.jsonl"
        shutil.copy(template, db)
        mid += _run_and_kill(
            db, transcript, sweep, T0 + timedelta(hours=1), "How is your mentorship", len(expected), rng
        )
        _finish(db, transcript, sweep, T0 + timedelta(hours=1, minutes=5))
        missing, twice = _score(_lines(transcript), "How is your mentorship", expected)
        lost, duplicated = lost + missing, duplicated + twice
        for path in (db, transcript, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        _progress("checkins", trial, trials, lost, duplicated, mid)
    return {
        "scenario": "checkins",
        "trials": trials,
        "pairs": len(expected),
        "lost": lost,
        "duplicated": duplicated,
        "killed_mid_burst": mid,
    }


def _progress(name: str, trial: int, trials: int, lost: int, duplicated: int, mid: int) -> None:
    """Every ten trials, a line to stderr: a long run can be followed (and read if cut short)."""
    if (trial + 1) % 10 == 0 and trial + 1 < trials:
        print(
            json.dumps(
                {
                    "scenario": name,
                    "trials_so_far": trial + 1,
                    "lost": lost,
                    "duplicated": duplicated,
                    "killed_mid_burst": mid,
                }
            ),
            file=sys.stderr,
            flush=True,
        )


def scenario_inbound(work: Path, trials: int, rng: random.Random) -> dict[str, object]:
    """Kill -9 0–50 ms after the ack of a DM answer, command, click and form, Slack HTTP and Discord
    (bench/crash_inbound.py; it prints a line per platform and kind)."""
    code = subprocess.call(
        [sys.executable, "-m", "bench.crash_inbound", "--trials", str(trials), "--seed", str(rng.randrange(10**6))],
        cwd=ROOT,
    )
    return {"scenario": "inbound", "trials": trials, "exit_code": code}


SCENARIOS = {
    "intros": scenario_intros,
    "poll": scenario_poll,
    "checkins": scenario_checkins,
    "inbound": scenario_inbound,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--scenario", nargs="+", choices=sorted(SCENARIOS), default=["intros", "poll", "checkins"])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.scenario:
            started = time.perf_counter()
            result = SCENARIOS[name](Path(tmp), args.trials, rng)
            result["seconds"] = round(time.perf_counter() - started, 1)
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
