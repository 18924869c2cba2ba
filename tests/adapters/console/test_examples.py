"""The console scripts in examples/ run cleanly and show what the README promises."""

from pathlib import Path

import pytest

from tests.support.chat import Chat

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

EXPECTED = {
    "poll.txt": ["[#general] Poll results #1", "[DM alice] Thanks for saying"],
    "choice.txt": [
        "Round #1 is open for choices: 3 shortlists on the way.",
        "[DM ivan] Understood — I told them kindly",
        "[DM eve+lena] Hello @eve and @lena!",
        "Choice round #1 closed: 2 chose their first suggestion",
    ],
    "intake.txt": ["You're signed up as a mentee", "You're signed up as a mentor"],
    "circle.txt": [
        "[only carol] Circle #1 started: dana with 3 mentees on Data science with Python.",
        "[#circle-1 dana+ann+bob+eve] Mentoring circle #1: Data science with Python",
        "[#circle-1 dana+ann+bob+eve] Booked: the circle meets",
        "[DM dana] Circle check-in #1:",
        "[#circle-1 dana+ann+bob+eve] Circle #1 is complete.",
        "completed 1 (3 members)",
    ],
    "events.txt": [
        "Event #1 is posted here for Thu 10 Dec 2026, 18:00 (UTC).",
        "[DM ann] You're going: Kick-off mixer",
        "[DM ann] Soon: Kick-off mixer starts Thu 10 Dec 2026, 18:00 (UTC)",
        "[DM ann] Cancelled: Kick-off mixer",
    ],
    "match.txt": [
        "2 pairs, average fit",
        "fay: no mentor offers Rust",
        "[DM bob+dana] Hello @bob and @dana!",
        "[DM eve+ivan] Hello @eve and @ivan!",
        "nobody is introduced twice",
        "bob set goal 1",
    ],
    "lifecycle.txt": [
        "[DM bob+dana] dana accepted the change. Your partnership policy is now: meet every week by chat",
        "[DM bob] dana is taking a break until Mon 21 Dec 2026.",
        "You chose differently: dana would like to wrap up, bob would like to continue. Nothing has ended.",
        "[only dana] Wrap up your mentorship with bob now?",
        "Would you like another mentor in the next round?",
        "[DM bob] Thanks, 5/5 noted.",
        "Ended without meeting: 0",
    ],
}


def test_every_example_is_checked() -> None:
    assert {p.name for p in EXAMPLES.glob("*.txt")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_example_runs_without_script_errors(chat: Chat, name: str) -> None:
    out = await chat(*(EXAMPLES / name).read_text(encoding="utf-8").splitlines())
    assert "! line" not in out, [line for line in out.splitlines() if line.startswith("! line")]
    for expected in EXPECTED[name]:
        assert expected in out
    assert "Sorry — something went wrong on my side" not in out
