"""numpy, SciPy and OR-Tools load only when a round runs, not when the bot imports the engine; a
started bot holds none of the heavy libraries, nor Alembic, nor the other platform's SDK."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


# What a running bot's main process must not hold (issue 17: idle RSS): the matching and
# chart libraries load when a round or a chart needs them, Alembic only in the short-lived
# `mentorbot migrate` process, and each platform's process never imports the other's SDK.
NOT_AT_START = ("numpy", "scipy", "ortools", "matplotlib", "PIL", "pandas", "alembic", "mako", "icalendar")
OTHER_PLATFORM = {"slack": ("discord",), "discord": ("slack_bolt", "slack_sdk")}

START = """
import asyncio, json, sys
from dataclasses import replace
platform, url = sys.argv[1], sys.argv[2]
if platform == "slack":
    import adapters.slack.main
    from adapters.slack.main import build_services
    from adapters.slack.settings import SlackSettings
else:
    import adapters.discord.main
from bot.bootstrap import bootstrap
from bot.core.settings import Settings
from bot.runtime import Runtime

async def start():
    bot = await bootstrap(replace(Settings(), database_url=url))
    if platform == "slack":
        env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://127.0.0.1:9/api/"}
        Runtime(bot, build_services(bot, SlackSettings.from_env(env)).messenger)
    await bot.db.dispose()

asyncio.run(start())
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def start_up_modules(platform: str, tmp_path: Path, migrated: Path) -> set[str]:
    """Top-level packages in a fresh interpreter after the platform's start-up on a migrated
    database (the state `mentorbot run` reaches once its migration child has finished)."""
    root = Path(__file__).parents[2]
    shutil.copyfile(migrated, tmp_path / "bot.db")
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))} | {"DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-c", START, platform, url], capture_output=True, text=True, check=True, cwd=root, env=env
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("platform", ["slack", "discord"])
def test_a_started_bot_holds_no_heavy_library_and_not_the_other_platform(
    platform: str, tmp_path: Path, migrated_sqlite: Path
) -> None:
    loaded = start_up_modules(platform, tmp_path, migrated_sqlite)
    own_sdk = {"slack": "slack_bolt", "discord": "discord"}[platform]
    assert {"sqlalchemy", "sqlmodel", own_sdk} <= loaded  # the probe saw a real start-up
    assert loaded & set(NOT_AT_START) == set()
    assert loaded & set(OTHER_PLATFORM[platform]) == set()


def test_the_migration_heads_read_from_the_files_are_alembics() -> None:
    # The start-up check compares the database with these ids without loading Alembic.
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config, head_revisions

    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())
