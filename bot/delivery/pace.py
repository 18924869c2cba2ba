"""How fast a platform lets the bot start new conversations, for spreading a round.

A matching round introduces every pair in a conversation of its own. On Slack each
is a group DM opened with `conversations.open`, a Tier 3 method (about 50 calls a
minute per workspace); on Discord each costs about four REST requests (two DM
channels and two sends, or a private thread, its members and a send) against the
bot's global 50 requests a second, and the two Create DM requests share one bucket
for the whole bot. Discord does not publish that bucket (its headers announce it at
run time); the estimate assumes 10 a second — the figure bench/intros.py's fake
announces — so a round of fresh DMs takes 0.2 s an introduction, not the 0.08 s the
global limit alone would allow. The messengers pace the calls themselves
(adapters/pacing.py); the core uses the same figures to
- queue a large round's introductions with `not_before` spread at that rate, in the
  order of the reviewed list, so members see theirs in a predictable order and
  other messages (replies, check-ins) are not stuck behind thousands of due rows;
- tell moderators, when they approve, how long the round will take.
"""

from __future__ import annotations

from datetime import timedelta

DISCORD_DM_CREATES_PER_SECOND = 10  # assumed (see above); 4 requests at 50/s would be 0.08 s
SECONDS_PER_INTRODUCTION: dict[str, float] = {
    "slack": 60.0 / 50,  # conversations.open, Tier 3
    "discord": max(4 / 50, 2 / DISCORD_DM_CREATES_PER_SECOND),  # two Create DMs in the bot's bucket
}
BURST = 50  # the first introductions are due at once: Slack's tiers allow a minute's worth


def seconds_per_introduction(platform: str) -> float:
    return SECONDS_PER_INTRODUCTION.get(platform, 0.0)


def introduction_offset(platform: str, position: int) -> timedelta:
    """When the introduction at `position` (0-based, in list order) becomes due."""
    return timedelta(seconds=max(0, position - BURST + 1) * seconds_per_introduction(platform))


def round_duration(platform: str, introductions: int) -> timedelta:
    """The platform's floor for introducing a whole round, at its published limits."""
    return timedelta(seconds=max(0, introductions - 1) * seconds_per_introduction(platform))


def describe_duration(duration: timedelta) -> str:
    minutes = round(duration.total_seconds() / 60)
    if minutes < 1:
        return "less than a minute"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"about {hours} h {minutes:02d} min"


def round_duration_note(platform: str, introductions: int) -> str | None:
    """A sentence for moderators when a round takes more than a couple of minutes; else None."""
    duration = round_duration(platform, introductions)
    if duration < timedelta(minutes=2):
        return None
    rate = {
        "slack": "Slack lets a bot open about 50 conversations a minute",
        "discord": "Discord limits how fast a bot may open direct messages (about 5 introductions a second)",
    }
    return (
        f"{rate.get(platform, 'The platform limits how fast I may send')}, so the {introductions} introductions "
        f"will take {describe_duration(duration)}; members get theirs in the order of the list."
    )
