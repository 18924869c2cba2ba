"""The one module of tests/ that benchmarks may import (bench/*.py).

Benchmarks measure the real adapters against the same local fakes the tests use;
this module is their published surface, so the tests' inner layout can change
without breaking a bench. Run benches from the repository root as modules
(`.venv/bin/python -m bench.storm`), which puts the root on `sys.path` without
any path edits. tests/unit/test_layout.py checks that benches import nothing
else from tests/.
"""

from __future__ import annotations

from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, FakeSlack, signed_headers
from tests.support.discord_intros import run_discord_intros
from tests.support.discord_program import invocation
from tests.support.discord_storm import discord_ceiling
from tests.support.intros import run_intros
from tests.support.slack_payloads import block_action, buttons, dm_event, select_action, slash_command, view_submission
from tests.support.slack_storm import slack_ceiling
from tests.support.storm import run_discord, run_slack

__all__ = [
    "BOT_TOKEN",
    "SIGNING_SECRET",
    "TEAM_ID",
    "block_action",
    "buttons",
    "dm_event",
    "select_action",
    "view_submission",
    "FakeDiscord",
    "FakeSlack",
    "discord_ceiling",
    "invocation",
    "run_discord",
    "run_discord_intros",
    "run_intros",
    "run_slack",
    "signed_headers",
    "slack_ceiling",
    "slash_command",
]
