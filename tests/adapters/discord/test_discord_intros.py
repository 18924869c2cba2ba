"""A round's introductions on Discord, through the outbox, DiscordMessenger and discord.py into
the fake enforcing Discord's buckets as its `X-RateLimit-*` headers announce them (not timed).

Two workers share one SQLite file, like two `mentorbot run` processes share a database: they
share Discord's Create DM bucket (one for the whole bot) but each discord.py counts it alone.
"""

from __future__ import annotations

from tests.support.discord_intros import run_discord_intros


async def test_a_few_introductions_keep_to_discords_buckets_across_two_workers():
    figures = await run_discord_intros(8, workers=2, dm_limit=3, dm_window=0.5)
    assert figures["violations"] == 0, figures["violation_detail"]
    assert (figures["delivered"], figures["lost"], figures["duplicated"]) == (8, 0, 0)
    assert figures["dm_creates"] == 16 and figures["message_creates"] == 16  # nothing sent twice
