"""Pairings after the introduction: the moderator's view of a pair, ending one, at-risk signals."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, Feature
from bot.features.pairs import pairs


def feature() -> Feature:
    return Feature(
        name="pairs",
        commands=(
            Command(
                "pair", 'pair <id> [end|rematch|note "…"]', "see a pairing, end it, end and rematch, or note what you did",
                pairs.pair_command, moderator_only=True,
                args=(
                    Arg("id", ArgKind.INT, "The pairing's number", required=True, min_value=1),
                    Arg("action", ArgKind.CHOICE, "What to do (empty: show the pairing)", choices=("end", "rematch", "note")),
                    Arg("note", ArgKind.TEXT, "With action note: what you did", max_length=1000),
                ),
                examples=("pair 4", "pair 4 rematch", 'pair 4 note "called both"'),
            ),
        ),
    )
