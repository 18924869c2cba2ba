"""How long a round's introductions take at each platform's published limits."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery.pace import introduction_offset, round_duration, round_duration_note


def test_five_thousand_group_dms_on_slack_take_about_a_hundred_minutes() -> None:
    assert round_duration("slack", 5000) == timedelta(seconds=4999 * 1.2)
    note = round_duration_note("slack", 5000)
    assert note is not None and "about 1 h 40 min" in note and "5000 introductions" in note


def test_small_rounds_say_nothing_extra_and_are_due_at_once() -> None:
    assert round_duration_note("slack", 40) is None
    assert round_duration_note("console", 5000) is None
    assert introduction_offset("slack", 49) == timedelta(0)


def test_introductions_are_due_in_list_order_at_tier_3() -> None:
    offsets = [introduction_offset("slack", i) for i in range(200)]
    assert offsets == sorted(offsets)
    assert offsets[199] - offsets[198] == timedelta(seconds=1.2)


def test_moderators_on_discord_hear_the_create_dm_bucket_not_only_the_global_limit() -> None:
    # Two Create DM requests an introduction in the bot's one bucket (10 a second assumed):
    # 0.2 s each, where the 50/s global limit alone would say 0.08 s.
    assert round_duration("discord", 5000) == timedelta(seconds=4999 * 0.2)
    note = round_duration_note("discord", 5000)
    assert note is not None and "about 17 minutes" in note and "direct messages" in note
    assert round_duration_note("discord", 300) is None  # a minute: nothing to warn about
