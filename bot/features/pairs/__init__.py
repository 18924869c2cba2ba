"""Pairings after the introduction: the moderator's view of a pair, ending one, at-risk signals."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature
from bot.features.pairs import answers, moderation, pairs


def feature() -> Feature:
    return Feature(
        name="pairs",
        commands=(
            Command(
                "pair",
                'pair <id> [end|rematch|note "…"|set --cadence 2w --ends <date> --channel video]',
                "see a pairing, end it, rematch, change its policy, or note what you did",
                moderation.pair_command,
                moderator_only=True,
                args=(
                    Arg("id", ArgKind.INT, "The pairing's number", required=True, min_value=1),
                    Arg(
                        "action",
                        ArgKind.CHOICE,
                        "What to do (empty: show the pairing)",
                        choices=("end", "rematch", "note", "set"),
                    ),
                    Arg("note", ArgKind.TEXT, "With action note: what you did", max_length=1000),
                    Arg(
                        "cadence",
                        ArgKind.CHOICE,
                        "With set: how often they meet",
                        option=True,
                        choices=("1w", "2w", "4w"),
                    ),
                    Arg(
                        "ends",
                        ArgKind.WHEN,
                        "With set: the new end date, e.g. 2027-03-01",
                        option=True,
                        max_length=40,
                    ),
                    Arg(
                        "channel",
                        ArgKind.CHOICE,
                        "With set: how they meet",
                        option=True,
                        choices=("chat", "video", "in-person"),
                    ),
                ),
                examples=(
                    "pair 4",
                    "pair 4 rematch",
                    'pair 4 note "called both"',
                    "pair 4 set --cadence 2w --ends 2027-03-01 --channel video",
                ),
            ),
        ),
        components=(ComponentRoute("nextround", pairs.on_next_round_component),),
        questions=answers.QUESTIONS,
    )
