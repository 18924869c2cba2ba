"""Every `/mentor` command, in an order that makes each one meaningful, for the
adapter tests that run them all through Slack and Discord.

Actors: "mod" (a moderator), "ann" (a mentee paired with "maria"), "newbie" (no
profile yet). `tests/adapters/*/test_*_tour.py` map them to platform users, seed
ann/maria/omar/ben with `seed_profile` (and cyd, a mentee no mentor fits, for the circle),
and check that each command gets a private answer that is neither the internal-error
apology nor refused by the platform.
"""

from __future__ import annotations

TOUR: list[tuple[str, str]] = [
    ("mod", "modchannel"),
    ("mod", 'announce --campaign spring "Mentors wanted: sign up below!"'),
    ("mod", 'poll "Would you join a mentorship program?" --closes 3d'),
    ("mod", 'poll edit 1 "Would you join a spring mentorship program?"'),
    ("ann", "polls"),
    ("mod", "poll close 1"),
    ("mod", 'poll "A second poll?" --closes 3d'),
    ("mod", "poll cancel 2"),
    ("mod", 'block @ann @maria "tour"'),
    ("mod", "blocks"),
    ("mod", "unblock @ann @maria"),
    ("mod", "match --dry-run"),
    ("mod", "match"),
    ("mod", "match show"),
    ("mod", "match swap 1 2"),
    ("mod", "match drop 2"),
    ("mod", "match recompute"),
    ("mod", "match discard"),
    ("mod", "match"),
    ("mod", "match approve"),
    ("mod", "match close"),  # no choice round open: said so politely
    ("ann", "choice"),
    ("ann", 'choice none "not my topics"'),
    ("mod", "pair 1"),
    ("mod", 'pair 1 note "called them both"'),
    ("mod", "overview"),
    ("mod", "pairs --at-risk"),
    ("mod", "members --waiting"),
    ("ann", "me"),
    ("ann", "profile"),
    ("mod", "profile"),
    ("ann", 'goal set "Ship my first open-source PR" --by 2027-02-01'),
    ("ann", 'goal update "Picked an issue"'),
    ("ann", "goals"),
    ("ann", "goal done"),
    ("ann", 'log 45m "résumé review" --on today'),
    ("ann", "log"),
    ("ann", 'availability "Mon-Fri 18:00-20:00"'),
    ("ann", "availability"),
    ("ann", "schedule"),
    ("ann", "schedule cancel"),
    ("ann", "certificate"),
    ("mod", "verify MB-AAAA-BBBB"),
    ("ann", "thanks on"),
    ("ann", "spaces"),  # the tour's program has no spaces: said so politely
    ("ann", "spaces join participants"),
    ("ann", "resources"),
    ("ann", "resources Python"),
    ("ann", "edit"),
    ("ann", "pause 2"),
    ("ann", "resume"),
    ("ann", "wrap-up"),
    ("mod", "testimonials"),
    ("mod", "stats"),
    ("mod", "stats --since 30d"),
    ("mod", "export"),
    ("mod", "recruit asks"),
    ("mod", "recruit post 1"),  # no such alert: a polite answer
    ("mod", 'recruit edit 1 "Go mentors wanted"'),
    ("mod", "recruit lapsed"),
    ("mod", 'event "Mixer" --at "2026-12-24 18:00" --where "Room 2"'),
    ("mod", "event cancel 99"),  # no such event: a polite answer
    ("ann", 'circle offer --topic "Data science" --size 4'),  # a mentee: only mentors offer circles
    ("mod", 'circle create @maria @cyd --topic "Python circle"'),  # its private channel / thread
    ("ann", "circle list"),
    ("ann", 'circle goal "Ship one analysis each"'),  # not in a circle: said so politely
    ("ann", "circle done 1"),
    ("ann", "circle goals"),
    ("ann", "circle schedule"),
    ("ann", "circle wrap-up"),
    ("mod", "pair 2 end"),
    ("newbie", "join"),
    ("newbie", "help"),
    ("mod", "help"),
    ("ann", "leave"),
    ("ann", "forget-me"),
    ("ann", "match"),  # refused: members cannot run moderator commands
    ("ann", "nonsense"),  # unknown: a suggestion and the help
]

APOLOGY_WORDS = ("something went wrong",)


def commands_not_toured(command_names: list[str]) -> set[str]:
    """Router commands (e.g. "match swap") that no line of the tour runs."""
    toured = set()
    for _, line in TOUR:
        words = line.split()
        toured.add(words[0])
        if len(words) > 1:
            toured.add(f"{words[0]} {words[1]}")
    return {name for name in command_names if name not in toured}
