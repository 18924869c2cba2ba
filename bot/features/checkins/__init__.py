"""Check-ins at each member's cadence, with restraint (never at night, never while paused)."""

from __future__ import annotations

from bot.core.feature import ComponentRoute, Feature, Sweep
from bot.features.checkins import checkins


def feature() -> Feature:
    return Feature(
        name="checkins",
        components=(ComponentRoute("checkin", checkins.on_checkin_component),),
        questions=(checkins.CHECKIN_QUESTION,),
        text_handler=checkins.on_direct_text,
        text_priority=30,
        sweeps=(
            Sweep(
                "check-ins",
                lambda session, now, env: checkins.send_due_checkins(session, now, env.settings),
                checkins.next_checkin_due,
            ),
        ),
    )
