"""Resources at each milestone of a mentorship, and `/mentor resources` on demand."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature
from bot.features.milestones import milestones


def feature() -> Feature:
    return Feature(
        name="milestones",
        commands=(
            Command(
                "resources",
                "resources [topic]",
                "the program's guides: by title or topic",
                milestones.list_resources,
                args=(Arg("topic", ArgKind.TEXT, "A topic or words from a guide's title", max_length=60),),
                examples=("resources Python", "resources check-in"),
            ),
        ),
        components=(ComponentRoute("res", milestones.on_resource),),
    )
