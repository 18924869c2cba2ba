"""numpy, SciPy and OR-Tools load only when a round runs, not when the bot imports the engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("numpy", "scipy", "ortools")

PROBE = """
import importlib, json, pkgutil, sys
import bot.features.matching as matching
import bot.features.rounds as rounds
for info in pkgutil.walk_packages(rounds.__path__, "bot.features.rounds."):
    importlib.import_module(info.name)
loaded = lambda: sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
before = loaded()
matching.propose_round([matching.MatchProfile(1, matching.Role.MENTEE, topics_wanted=frozenset({"Go"})),
                        matching.MatchProfile(2, matching.Role.MENTOR, topics_offered=frozenset({"Go"}))])
print(json.dumps({"before": before, "after": loaded()}))
""".replace("set(HEAVY)", f"set({HEAVY!r})")


def test_importing_the_engine_and_the_rounds_feature_loads_no_heavy_library() -> None:
    # A fresh interpreter: this test process has long imported numpy through other tests.
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == []
    # The control: running a round does load them (so the probe can see them at all).
    assert seen["after"] == sorted(HEAVY)
