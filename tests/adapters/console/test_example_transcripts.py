"""`mentorbot console --script examples/<name>.txt` prints exactly the stored transcript.

examples/expected/<name>.out were produced by the code before the package refactor
(issue 13, commit e5a189c) with the same command line; the console's clock is a
ManualClock started at --start, so the output is deterministic. A change that alters
what members see on purpose updates the expected transcript in the same commit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
START = "2026-11-23T09:00Z"
# Configuration from the developer's shell must not change what the console prints.
ENV_KEYS = re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.M)


def test_every_example_has_an_expected_transcript() -> None:
    scripts = {p.stem for p in EXAMPLES.glob("*.txt")}
    expected = {p.stem for p in (EXAMPLES / "expected").glob("*.out")}
    assert scripts == expected


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.txt")))
def test_console_prints_the_expected_transcript_byte_for_byte(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here; charts and exports land in the test's folder
    script = EXAMPLES / f"{name}.txt"
    code = main(["console", "--db", str(tmp_path / "example.db"), "--start", START, "--script", str(script)])
    printed = capsysbinary.readouterr().out
    assert code == 0
    expected = (EXAMPLES / "expected" / f"{name}.out").read_bytes()
    if printed != expected:  # show the first differing line, not two 20 kB blobs
        got, want = printed.decode().splitlines(), expected.decode().splitlines()
        first = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), min(len(got), len(want)))
        line_got = got[first] if first < len(got) else "<end>"
        line_want = want[first] if first < len(want) else "<end>"
        pytest.fail(f"{name}: line {first + 1} differs:\n  printed:  {line_got!r}\n  expected: {line_want!r}")
