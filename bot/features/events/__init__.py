"""Community events: a moderator posts one, members RSVP, the going get an invite and a reminder."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature, Sweep
from bot.features.events import events, invites


def feature() -> Feature:
    return Feature(
        name="events",
        commands=(
            Command(
                "event",
                'event "<name>" --at <when> [--where "<place>"] [--length 1h]',
                "post an event here with RSVP buttons",
                events.create_event,
                moderator_only=True,
                discord="event create",
                args=(
                    Arg("name", ArgKind.TEXT, "Event name", required=True, max_length=100),
                    Arg(
                        "at",
                        ArgKind.WHEN,
                        "Start, e.g. 2026-12-10 18:00",
                        required=True,
                        option=True,
                        max_length=40,
                    ),
                    Arg("where", ArgKind.TEXT, "Place or link", option=True, max_length=100),
                    Arg("length", ArgKind.TEXT, "Length, e.g. 90m", option=True, max_length=20),
                ),
                examples=('event "Kick-off mixer" --at "2026-12-10 18:00" --where "Room 2"',),
            ),
            Command(
                "event cancel",
                "event cancel <id>",
                "cancel an event",
                events.cancel_event_command,
                moderator_only=True,
                args=(Arg("id", ArgKind.INT, "Event number", required=True, min_value=1),),
                examples=("event cancel 3",),
            ),
        ),
        components=(ComponentRoute("event", events.on_event_component),),
        sweeps=(
            Sweep(
                "event reminders",
                lambda session, now, env: invites.send_due_reminders(session, now),
                invites.next_reminder_due,
            ),
        ),
    )
