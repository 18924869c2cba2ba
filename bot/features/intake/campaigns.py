"""Campaigns: where sign-ups come from.

The program guide: advertise through the community's channels and track which
campaigns bring sign-ups. Every sign-up records its source on the intake and
then on the profile: "poll:<id>" (the invitation DM after an interest poll),
"campaign:<name>" (a moderator's /mentor announce), "greeting" (the welcome DM
to a member who just joined, when the program file enables it) or "direct"
(/mentor join). Sign-up buttons are `mentor:join:<source>:<role>`, with the
source's ":" written as "." so it fits in one component-id field.
"""

from __future__ import annotations

import re

from bot.core import messages as msg
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Button, ButtonStyle, Message, Part, UserText
from bot.core.parsing import Arity, ParseError, parse_args
from bot.core.ports import Destination
from bot.core.program import Program
from bot.core.router import ComponentId
from bot.features.intake.conversation import get_profile, start_or_resume
from storage.tables import ProfileStatus

_SOURCE = re.compile(r"^(poll\.\d{1,12}|campaign\.[a-z0-9][a-z0-9_\-]{0,39}|greeting|direct)$")
_CAMPAIGN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,39}$")
ANNOUNCE_SPEC = {"campaign": Arity.ONE}
DEFAULT_CAMPAIGN = "announcement"
MAX_ANNOUNCEMENT = 1500


def signup_buttons(source_key: str) -> list[Part]:
    """ "Sign up as a mentor / mentee" buttons for a campaign (`source_key` like "campaign.spring")."""
    return [
        Button("Sign up as a mentor", str(ComponentId("join", source_key, "mentor")), ButtonStyle.PRIMARY),
        Button("Sign up as a mentee", str(ComponentId("join", source_key, "mentee")), ButtonStyle.PRIMARY),
    ]


async def on_join_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """A sign-up button (poll invitation, announcement, greeting): start intake with the role chosen."""
    if not _SOURCE.match(cid.key) or cid.verb not in ("mentor", "mentee"):
        raise InvalidInput("That sign-up button is out of date. /mentor join signs you up instead.")
    preset = {}
    # A recruiting post's button names a topic ("t<index>" in the taxonomy): the mentor offers it.
    index = int(cid.arg[1:]) if cid.verb == "mentor" and cid.arg[:1] == "t" and cid.arg[1:].isdigit() else -1
    if 0 <= index < len(ctx.program.topics):
        preset["offer"] = [ctx.program.topics[index].name]
    return await start_or_resume(ctx, source=cid.key.replace(".", ":", 1), role=cid.verb, preset=preset)


def announcement(program: Program, text: str, campaign: str) -> Message:
    parts: list[Part] = [
        msg.text(msg.Strong(program.name), " is taking sign-ups!"),
        msg.text(program.purpose),
        msg.text(f"Who it's for: {program.audience}"),
    ]
    if text:
        parts.append(msg.text(UserText(text)))  # the moderator's own words are escaped like any member text
    parts.append(
        msg.text(
            "Mentors: share what you know, grow as a leader and give back. "
            "Mentees: get guidance towards a goal you choose. "
            "Signing up takes about five minutes, in a DM with me."
        )
    )
    parts.extend(signup_buttons(f"campaign.{campaign}"))
    return Message(tuple(parts))


async def announce_command(ctx: Ctx, args: list[str]) -> list[Message]:
    ctx.require_moderator("post the program announcement")
    if ctx.in_dm:
        raise InvalidInput("Post the announcement in the channel where members should see it, not in a DM.")
    parsed = parse_args(args, ANNOUNCE_SPEC)
    raw_name = (parsed.one("campaign") or DEFAULT_CAMPAIGN).strip().casefold().replace(" ", "-")
    if not _CAMPAIGN.match(raw_name):
        raise ParseError("Name the campaign with up to 40 letters, digits, '-' or '_', e.g. --campaign spring-2027.")
    text = " ".join(parsed.positional).strip()
    if len(text) > MAX_ANNOUNCEMENT:
        raise ParseError(f"The text is {len(text)} characters; keep it under {MAX_ANNOUNCEMENT}.")
    await ctx.outbox.post(Destination.channel(ctx.channel_id), announcement(ctx.program, text, raw_name))
    return [
        msg.message(
            msg.text(
                "The announcement is posted here. Sign-ups from its buttons count for the campaign “",
                UserText(raw_name),
                "”.",
            )
        )
    ]


async def greet_new_member(ctx: Ctx) -> list[Message]:
    """MemberJoined: when the program file says so, welcome them with the program (campaign "greeting")."""
    if not ctx.program.greeting_enabled:
        return []
    profile = await get_profile(ctx.session, ctx.community_id, ctx.member_id)
    if profile is not None and profile.status != ProfileStatus.LEFT.value:
        return []
    welcome = Message(
        (
            msg.text("Welcome to the community! We run ", msg.Strong(ctx.program.name), "."),
            msg.text(ctx.program.purpose),
            msg.text("If you'd like to mentor or be mentored, sign up here — it takes about five minutes."),
            *signup_buttons("greeting"),
        )
    )
    await ctx.outbox.post(Destination.dm(ctx.member.platform_user_id), welcome, dedupe_key=f"greeting:{ctx.member_id}")
    return []
