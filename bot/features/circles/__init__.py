"""Mentoring circles: one mentor with a few mentees, sharing one private space.

A mentor offers a circle ("up to 4 mentees on Data science, monthly") with `/mentor circle
offer`; a moderator starts one by hand with `/mentor circle create @mentor @a @b …`, and a
matching round places the mentees matched to a mentor with an open circle in it (capacity
counts: every seat is a mentee of that mentor).

Design: a circle is a `Circle` row (topic, cadence, seats, status, its goal board and check-in
schedule) grouping ordinary `Pairing` rows, one per member, each with `circle_id` set. So what
works for a pair keeps working per member without new code — the session log, capacity in
matching, forget-me (the member's pairing ends; circles/figures.py also takes them out of the
space on the platform and off the goal board), feedback at the
end (each seat completes as a pairing does, so each member answers the usual end message) — and
only what a group does differently is here:

- the space: `Destination.space("circle-<id>", …)`, a new outbox destination. The Slack messenger
  creates a private channel (conversations.create with is_private, then conversations.invite;
  the groups:write scope) and the Discord messenger a private thread with the members added
  (permissions the invite already asks for). Each stores the id it got before using it, so a
  retry or a restart finds the same space; a missing permission reaches the moderators as a
  plain notice (bot/delivery/advice.py). The console shows it as `#circle-<id>`;
- one introduction there, with every member's reasons and hopes (pair introductions, kick-off
  and mid-point nudges are not sent for seats);
- one check-in per cadence to the mentor (two buttons; "needs attention" tells the moderators)
  and a light one to everyone in the space, instead of a check-in per member;
- a shared goal board (`/mentor circle goal "…"`, `circle done 2`, `circle goals`) posted in the space;
- finding a time for everyone (`/mentor circle schedule`, circles/meeting.py, reusing the pairs' slot
  finder and `.ics` invites), optionally also a Discord Guild Scheduled Event (`--event`);
- the end: the mentor (or a moderator) wraps it up after a confirmation, or the earliest seat's
  agreed end comes; one goodbye in the space, then feedback from each member;
- statistics: circles and their members are counted on their own, not among the pairs.
"""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature, Sweep
from bot.features.circles import board, circles, meeting, start


def feature() -> Feature:
    return Feature(
        name="circles",
        commands=(
            Command(
                "circle offer",
                'circle offer [--topic "…"] [--size 4] [--cadence monthly]',
                "mentors: offer a mentoring circle for a few mentees",
                circles.offer_command,
                args=(
                    Arg("topic", ArgKind.TEXT, "What it is about", option=True, max_length=circles.MAX_TOPIC),
                    Arg("size", ArgKind.INT, "Mentees at most", option=True, min_value=2, max_value=8),
                    Arg(
                        "cadence",
                        ArgKind.CHOICE,
                        "How often it meets",
                        option=True,
                        choices=("weekly", "biweekly", "monthly"),
                    ),
                ),
                examples=('circle offer --topic "Data science" --size 4 --cadence monthly',),
            ),
            Command("circle list", "circle list", "your circles and open circle offers", circles.list_command),
            Command(
                "circle goal",
                'circle goal "<goal>" [--circle N]',
                "put a shared goal on your circle's board",
                board.goal_command,
                args=(
                    Arg("goal", ArgKind.TEXT, "The goal", required=True, max_length=board.MAX_GOAL),
                    Arg("circle", ArgKind.INT, "Which circle, if several", option=True, min_value=1),
                ),
                examples=('circle goal "Each of us ships one small analysis"',),
            ),
            Command(
                "circle done",
                "circle done <number> [--circle N]",
                "tick a goal on your circle's board",
                board.done_command,
                args=(
                    Arg("number", ArgKind.INT, "The goal's number", required=True, min_value=1),
                    Arg("circle", ArgKind.INT, "Which circle, if several", option=True, min_value=1),
                ),
            ),
            Command(
                "circle goals",
                "circle goals [--circle N]",
                "your circle's goal board",
                board.goals_command,
                args=(Arg("circle", ArgKind.INT, "Which circle, if several", option=True, min_value=1),),
            ),
            Command(
                "circle wrap-up",
                "circle wrap-up [N]",
                "mentors: end your circle and ask everyone for feedback",
                board.wrap_up_command,
                args=(Arg("circle", ArgKind.INT, "Which circle, if several", min_value=1),),
            ),
            Command(
                "circle schedule",
                "circle schedule [--circle N] [--event]",
                "find a time that suits everyone in your circle",
                meeting.schedule_command,
                args=(
                    Arg("circle", ArgKind.INT, "Which circle, if several", option=True, min_value=1),
                    Arg("event", ArgKind.FLAG, "Mentor: also list it in the server's events"),
                ),
            ),
            Command(
                "circle create",
                'circle create @mentor @a @b … [--topic "…"]',
                "start a circle: a mentor and 1–8 mentees",
                start.create_command,
                moderator_only=True,
                args=(
                    Arg("mentor", ArgKind.MEMBER, "The mentor", required=True),
                    Arg("mentees", ArgKind.TEXT, "Mentees, e.g. @ann @bob", required=True, max_length=400),
                    Arg("topic", ArgKind.TEXT, "Topic", option=True, max_length=circles.MAX_TOPIC),
                ),
                examples=('circle create @dana @ann @bob --topic "Data science"',),
            ),
        ),
        components=(ComponentRoute("circle", board.on_circle_component),),
        sweeps=(
            Sweep(
                "circle check-ins",
                lambda session, now, env: board.send_due_checkins(session, now),
                board.next_checkin_due,
            ),
            Sweep(
                "circle endings",
                lambda session, now, env: board.complete_due_circles(session, now, env.program),
                board.next_circle_end,
            ),
        ),
    )
