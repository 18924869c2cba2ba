"""A member's own place in the program: see the profile, pause, resume, leave, forget me."""

from __future__ import annotations

from bot.core.feature import Arg, ArgKind, Command, ComponentRoute, Feature, Sweep
from bot.features.profile import forget, profile


def feature() -> Feature:
    return Feature(
        name="profile",
        commands=(
            Command(
                "profile",
                "profile [@member]",
                "your profile (moderators: anyone's)",
                profile.profile_command,
                args=(Arg("member", ArgKind.MEMBER, "Moderators: whose profile to see"),),
            ),
            Command(
                "pause",
                "pause <weeks>",
                "take a break from matching and nudges",
                profile.pause_command,
                args=(
                    Arg(
                        "weeks",
                        ArgKind.INT,
                        "For how many weeks",
                        required=True,
                        min_value=1,
                        max_value=profile.MAX_PAUSE_WEEKS,
                    ),
                ),
                examples=("pause 4",),
            ),
            Command("resume", "resume", "end your break early", profile.resume_command),
            Command("leave", "leave", "withdraw from the program", profile.leave_command),
            Command("forget-me", "forget-me", "delete all your personal data (asks first)", forget.forget_me_command),
        ),
        components=(ComponentRoute("privacy", forget.on_privacy_component),),
        questions=(forget.FORGET_QUESTION,),
        sweeps=(
            Sweep(
                "end pauses", lambda session, now, env: profile.resume_due_pauses(session, now), profile.next_pause_end
            ),
        ),
    )
