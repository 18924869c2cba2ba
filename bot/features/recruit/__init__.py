"""Recruiting: shortage alerts that propose a ready recruiting post, targeted asks,
invitations back for lapsed participants, alumni who become mentors, and the first-time
mentors' training path."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature, Sweep
from bot.features.recruit import alerts, alumni, asks, lapsed, shortage, training

ALERT = Arg("alert", ArgKind.INT, "The alert's number", required=True, min_value=1)


def feature() -> Feature:
    return Feature(
        name="recruit",
        commands=(
            Command(
                "recruit asks",
                "recruit asks",
                "open mentor-shortage alerts, with Post / Edit / Ask / Dismiss",
                alerts.asks_command,
                moderator_only=True,
            ),
            Command(
                "recruit post",
                "recruit post <alert>",
                "post an alert's recruiting message in this channel",
                alerts.post_command,
                moderator_only=True,
                args=(ALERT,),
                examples=("recruit post 3",),
            ),
            Command(
                "recruit edit",
                'recruit edit <alert> "<message>"',
                "change an alert's recruiting message before posting it",
                alerts.edit_command,
                moderator_only=True,
                args=(ALERT, Arg("message", ArgKind.TEXT, "What members will read", required=True, max_length=1500)),
                examples=('recruit edit 3 "Our Go mentees need you: two hours a month."',),
            ),
            Command(
                "recruit lapsed",
                "recruit lapsed",
                "list past participants not signed up again, then invite them",
                lapsed.lapsed_command,
                moderator_only=True,
            ),
        ),
        components=(
            ComponentRoute("rcr", alerts.on_alert, form_handler=alerts.on_alert_form),
            ComponentRoute("rask", asks.on_ask_answer),
            ComponentRoute("rcrl", lapsed.on_invite),
            ComponentRoute("alum", alumni.on_alumni),
            ComponentRoute("train", training.on_done),
        ),
        forms=(alerts.EDIT_FORM,),
        sweeps=(
            Sweep("mentor shortages", shortage.check_shortages, shortage.next_check),
            Sweep("mentor training", training.send_due_lessons, training.next_lesson),
        ),
    )
