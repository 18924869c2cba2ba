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
                "post a community event here with RSVP buttons; the going get an invite",
                events.create_event,
                moderator_only=True,
                discord="event create",
                args=(
                    Arg("name", ArgKind.TEXT, "What it is, e.g. Kick-off mixer", required=True, max_length=100),
                    Arg(
                        "at",
                        ArgKind.WHEN,
                        "When it starts (community time): 2026-12-10 18:00 or friday 17:00",
                        required=True,
                        option=True,
                        max_length=40,
                    ),
                    Arg("where", ArgKind.TEXT, "Where: a room, an address or a link", option=True, max_length=100),
                    Arg("length", ArgKind.TEXT, "How long: 45m, 1h, 2h (default 1h)", option=True, max_length=10),
                ),
                examples=('event "Kick-off mixer" --at "2026-12-10 18:00" --where "Room 2"',),
            ),
            Command(
                "event cancel",
                "event cancel <id>",
                "cancel an event: those going get a cancelled invite",
                events.cancel_event_command,
                moderator_only=True,
                args=(Arg("id", ArgKind.INT, "The event's number, shown on the event", required=True, min_value=1),),
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
