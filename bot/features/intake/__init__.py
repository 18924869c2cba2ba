"""Intake: the DM sign-up conversation, where sign-ups come from, and timezones.

- `steps`/`conversation`: the state machine saved at every step (`/mentor join`, `/mentor edit`)
- `campaigns`: announcements with sign-up buttons, greetings, and the source of each sign-up
- `timezone`: understanding "Berlin", "UTC+2" or "PST"
"""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature, Sweep
from bot.features.intake import campaigns, conversation, reminders


def feature() -> Feature:
    return Feature(
        name="intake",
        commands=(
            Command(
                "join",
                "join [mentor|mentee|both]",
                "sign up as a mentor or mentee (a short DM conversation)",
                conversation.join_command,
                args=(
                    Arg(
                        "role",
                        ArgKind.CHOICE,
                        "Sign up as a mentor, a mentee or both",
                        choices=("mentor", "mentee", "both"),
                    ),
                ),
                examples=("join", "join mentor"),
            ),
            Command(
                "edit",
                "edit [question]",
                "change an answer of your sign-up",
                conversation.edit_command,
                form="mentor:editq:{arg}:save",  # `edit goals`: a one-field form where it fits (overview feature)
                args=(
                    Arg(
                        "question",
                        ArgKind.TEXT,
                        "Which answer to change, e.g. topics (empty: choose from a list)",
                        max_length=60,
                    ),
                ),
                examples=("edit", "edit topics"),
            ),
            Command(
                "announce",
                'announce [--campaign NAME] ["text"]',
                "post the program announcement with sign-up buttons here",
                campaigns.announce_command,
                moderator_only=True,
                args=(
                    Arg(
                        "text",
                        ArgKind.TEXT,
                        "Your words above the sign-up buttons (default: the program's)",
                        max_length=1500,
                    ),
                    Arg(
                        "campaign",
                        ArgKind.TEXT,
                        "Name to count its sign-ups, e.g. newsletter",
                        option=True,
                        max_length=40,
                    ),
                ),
                examples=('announce --campaign october "Mentoring starts soon!"',),
            ),
        ),
        components=(
            ComponentRoute("intake", conversation.on_intake_component),
            ComponentRoute("join", campaigns.on_join_component),
        ),
        text_handler=conversation.on_direct_text,
        text_priority=10,  # a sign-up in progress gets the member's words first
        join_handler=campaigns.greet_new_member,
        sweeps=(
            Sweep(
                "remind unfinished intakes",
                lambda session, now, env: reminders.send_due_reminders(session, now, env.program),
                reminders.next_reminder,
            ),
        ),
    )
