"""`mentorbot demo` with small numbers: it finishes and writes what the README promises."""

from __future__ import annotations

import csv
import struct
from pathlib import Path

import pytest

from adapters.cli import main


def test_demo_runs_a_small_program_and_writes_stats_chart_and_csvs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--members", "40", "--months", "2", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # the dashboard is printed, with every section
    for heading in (
        "Mentorship program dashboard",
        "Sign-ups",
        "Relationships",
        "Campaigns",
        "Skills",
        "Health",
        "Community",
    ):
        assert heading in printed
    assert "Poll #1 “Would you join a mentorship program this autumn?”" in printed
    assert "Simulated 40 members over 2 months" in printed

    stats = (out / "stats.txt").read_text(encoding="utf-8")
    signed_up = int(stats.split("Signed up: ", 1)[1].split(" ", 1)[0])
    assert signed_up > 0

    chart = (out / "dashboard.png").read_bytes()
    assert chart[:8] == b"\x89PNG\r\n\x1a\n" and len(chart) > 20_000
    assert struct.unpack(">II", chart[16:24]) == (1200, 700)

    with (out / "members.csv").open(newline="", encoding="utf-8") as handle:
        members = list(csv.DictReader(handle))
    assert len(members) == signed_up
    assert {row["source"].split(":")[0] for row in members} <= {"poll", "campaign", "greeting", "direct"}
    with (out / "pairings.csv").open(newline="", encoding="utf-8") as handle:
        pairings = list(csv.DictReader(handle))
    assert pairings and all(row["status"] in ("active", "completed", "ended") for row in pairings)
    with (out / "checkins.csv").open(newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle))[:3] == ["checkin_id", "pairing_id", "member_id"]
    assert (out / "transcript.txt").stat().st_size > 0


def test_the_same_seed_gives_the_same_program(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for run in ("a", "b"):
        assert main(["demo", "--members", "20", "--months", "1", "--seed", "11", "--out", str(tmp_path / run)]) == 0
    capsys.readouterr()
    first = (tmp_path / "a" / "stats.txt").read_text(encoding="utf-8")
    assert first == (tmp_path / "b" / "stats.txt").read_text(encoding="utf-8")


def test_demo_refuses_silly_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--members", "3", "--out", str(tmp_path)]) == 2
    assert "--members between 10 and 100000" in capsys.readouterr().err
