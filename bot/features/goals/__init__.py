"""Shared goals: set, update, reach and reassess what a pair works towards."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature
from bot.features.goals import goals


def feature() -> Feature:
    return Feature(
        name="goals",
        commands=(
            Command(
                "goal set",
                'goal set "<goal>" [--by <date>]',
                "set a shared goal with your partner",
                goals.set_goal,
                form="mentor:goalf:new:set",  # the overview feature's goal form (bare `goal set`)
                args=(
                    Arg("goal", ArgKind.TEXT, "What you want to achieve together", required=True, max_length=300),
                    Arg("by", ArgKind.WHEN, "A target date, e.g. 2027-02-01 or 6w", option=True, max_length=40),
                ),
                examples=('goal set "Ship my first open-source PR" --by 6w',),
            ),
            Command(
                "goal update",
                'goal update "<progress>"',
                "add a progress note to your open goal",
                goals.update_goal,
                args=(Arg("progress", ArgKind.TEXT, "Where you are with the goal", required=True, max_length=500),),
            ),
            Command(
                "goal done",
                "goal done [<n>]",
                "mark your goal as reached",
                goals.done_goal,
                args=(Arg("number", ArgKind.INT, "Which goal (empty: the open one)", min_value=1),),
            ),
            Command("goals", "goals", "your pair's goals and progress", goals.list_goals, discord="goal list"),
        ),
        components=(ComponentRoute("reassess", goals.on_reassess),),
        questions=(goals.REASSESS_QUESTION,),
    )
