"""The end of a mentorship: wrap-up, feedback, thanks, testimonials, and the mid-point resources."""

from __future__ import annotations

from bot.core.feature import Command, ComponentRoute, Feature, Sweep
from bot.features.completion import answers, completion


def feature() -> Feature:
    return Feature(
        name="completion",
        commands=(
            Command(
                "wrap-up",
                "wrap-up",
                "finish your mentorship (asks you to confirm; then a short feedback form)",
                completion.wrap_up_command,
            ),
            Command(
                "testimonials",
                "testimonials",
                "feedback quotes members allowed you to use",
                completion.testimonials_command,
                moderator_only=True,
            ),
        ),
        components=(
            ComponentRoute("feedback", completion.on_feedback_component),
            ComponentRoute("wrapup", completion.on_wrap_up_component),
        ),
        questions=answers.QUESTIONS,
        text_handler=completion.on_direct_text,
        text_priority=20,
        sweeps=(
            Sweep(
                "mid-point resources",
                lambda session, now, env: completion.send_due_midpoints(session, now, env.settings, env.program),
                completion.next_midpoint,
            ),
            Sweep(
                "completions",
                lambda session, now, env: completion.complete_due_pairings(session, now, env.settings, env.program),
                completion.next_completion,
            ),
        ),
    )
