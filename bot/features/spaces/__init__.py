"""Community spaces: the participants' and the mentors' channels, joined only by members who opt in.

- `spaces`: the choice per member, `/mentor spaces` with Join/Leave buttons and typed answers,
  and `sync_member`, which writes each add or removal to the outbox (intake, leave and
  forget-me call it too).
"""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature, Sweep
from bot.features.spaces import spaces


def feature() -> Feature:
    return Feature(
        name="spaces",
        commands=(
            Command(
                "spaces",
                "spaces [join|leave] [participants|mentors]",
                "the community spaces: see them, join or leave",
                spaces.spaces_command,
                args=(
                    Arg("action", ArgKind.CHOICE, "join or leave a space", choices=("join", "leave")),
                    Arg("space", ArgKind.CHOICE, "which space", choices=("participants", "mentors")),
                ),
                examples=("spaces", "spaces join mentors"),
            ),
        ),
        components=(ComponentRoute("spaces", spaces.on_spaces_component),),
        questions=(spaces.SPACES_QUESTION,),
        sweeps=(
            # Forget-me: once a removal is sent, its outbox row forgets the member's platform id.
            Sweep("forget space removals", spaces.scrub_forgotten, spaces.next_scrub),
        ),
    )
