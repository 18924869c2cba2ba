"""Resources at each milestone of a mentorship, and `/mentor resources` on demand."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, Feature
from bot.features.milestones import milestones


def feature() -> Feature:
    return Feature(
        name="milestones",
        commands=(
            Command(
                "resources",
                "resources [topic]",
                "the program's guides and links",
                milestones.list_resources,
                args=(Arg("topic", ArgKind.TEXT, "Only resources about this topic", max_length=60),),
            ),
        ),
    )
