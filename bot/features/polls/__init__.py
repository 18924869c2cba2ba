"""Interest polls: a pinned poll with buttons that closes by itself and invites the interested."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature, Sweep
from bot.features.polls import form, manage, polls


def feature() -> Feature:
    return Feature(
        name="polls",
        commands=(
            Command(
                "poll",
                'poll "<question>" [--options "A" "B" …] [--closes 3d|2026-12-01|"friday 17:00"]'
                " [--public|--anonymous]",
                "post an interest poll in this channel (pinned, closes by itself)",
                polls.create_poll,
                moderator_only=True,
                discord="poll create",
                form=form.POLL_FORM.id,
                args=(
                    Arg(
                        "question",
                        ArgKind.TEXT,
                        "What you ask, e.g. Join a mentorship program?",
                        max_length=300,
                    ),
                    Arg(
                        "options",
                        ArgKind.LIST,
                        "Choices, split by commas or | (default: Mentor, Mentee)",
                        option=True,
                        max_length=1000,
                    ),
                    Arg(
                        "closes",
                        ArgKind.WHEN,
                        "When it closes, e.g. 3d or 2026-12-01 (default 7 days)",
                        option=True,
                        max_length=40,
                    ),
                    Arg("anonymous", ArgKind.FLAG, "Never show who voted for what"),
                    Arg("public", ArgKind.FLAG, "Show voters' names next to the tallies"),
                ),
                examples=('poll "Would you join a mentorship program?" --closes 3d',),
            ),
            Command(
                "poll close",
                "poll close <id>",
                "close a poll now and post its results",
                polls.close_poll_command,
                moderator_only=True,
                args=(
                    Arg(
                        "id",
                        ArgKind.INT,
                        "Poll number (see /mentor polls)",
                        required=True,
                        min_value=1,
                    ),
                ),
                examples=("poll close 3",),
            ),
            Command(
                "poll edit",
                'poll edit <id> "<question>" [--options "A" "B" …]',
                "change a poll's question or options before the first vote",
                manage.edit_poll_command,
                moderator_only=True,
                args=(
                    Arg(
                        "id",
                        ArgKind.INT,
                        "Poll number (see /mentor polls)",
                        required=True,
                        min_value=1,
                    ),
                    Arg("question", ArgKind.TEXT, "The new question", max_length=300),
                    Arg(
                        "options",
                        ArgKind.LIST,
                        "New choices, split by commas or |",
                        option=True,
                        max_length=1000,
                    ),
                ),
                examples=('poll edit 3 "Would you join a mentorship program in spring?"',),
            ),
            Command(
                "poll cancel",
                "poll cancel <id>",
                "withdraw a poll: unpinned, no results, no invitations",
                manage.cancel_poll_command,
                moderator_only=True,
                args=(
                    Arg(
                        "id",
                        ArgKind.INT,
                        "Poll number (see /mentor polls)",
                        required=True,
                        min_value=1,
                    ),
                ),
                examples=("poll cancel 3",),
            ),
            Command("polls", "polls", "open and recent polls", polls.list_polls),
        ),
        components=(ComponentRoute("poll", polls.on_poll_component, form_handler=form.submit_poll_form),),
        forms=(form.POLL_FORM,),
        sweeps=(
            Sweep(
                "close polls",
                lambda session, now, env: polls.close_due_polls(session, now, env.settings.mentee_mentor_ratio_warning),
                polls.next_poll_close,
            ),
        ),
    )
