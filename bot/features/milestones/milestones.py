"""Resources for each milestone of a mentorship, sent when the pair reaches it.

The program file lists resources with a role (mentor, mentee, all), an optional
topic and an optional milestone (signup, kickoff, first_goal, midpoint, wrapup).
`/mentor resources [topic]` lists them; milestone resources arrive by DM, once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx, OutboxWriter
from bot.core.messages import Message, UserText
from bot.core.ports import Destination
from storage.tables import Member, Pairing, Profile

MILESTONE_WORDS = {
    "signup": "to get started",
    "kickoff": "for your kick-off",
    "first_goal": "now that you have a first goal",
    "midpoint": "at the half-way point of your mentorship",
    "wrapup": "to wrap up well",
}


def _resources(program: Any) -> list[Any]:
    return list(getattr(program, "resources", ()) or ())


def for_member(program: Any, role: str, *, milestone: str | None = None, topic: str | None = None) -> list[Any]:
    picked = []
    for resource in _resources(program):
        if getattr(resource, "role", "all") not in ("all", role, "both"):
            continue
        if milestone is not None and getattr(resource, "milestone", None) != milestone:
            continue
        wanted_topic = getattr(resource, "topic", None)
        if topic is not None and (wanted_topic or "").casefold() != topic.casefold():
            continue
        picked.append(resource)
    return picked


def render_resources(resources: list[Any], heading: str) -> Message:
    parts: list[msg.Part] = [msg.text(msg.Strong(heading))]
    for resource in resources:
        # Titles and links come from the moderators' program file, still escaped like member text.
        parts.append(msg.text("• ", UserText(resource.title), " — ", UserText(resource.link)))
    return Message(tuple(parts))


def closing_resources(program: Any, role: str) -> tuple[msg.Part, ...]:
    """The wrap-up resources as parts of the one completion message (no separate DM)."""
    resources = for_member(program, role, milestone="wrapup")
    return (
        render_resources(resources, f"Resources {MILESTONE_WORDS.get('wrapup', '')}".strip()).parts if resources else ()
    )


async def send_milestone(
    session: AsyncSession, outbox: OutboxWriter, pairing: Pairing, milestone: str, program: Any
) -> int:
    """DM each member of the pair the resources for this milestone and their role (once)."""
    sent = 0
    for member_id, role in ((pairing.mentee_member_id, "mentee"), (pairing.mentor_member_id, "mentor")):
        resources = for_member(program, role, milestone=milestone)
        if not resources:
            continue
        member = await session.get(Member, member_id)
        assert member is not None
        await outbox.post(
            Destination.dm(member.platform_user_id),
            render_resources(resources, f"Resources {MILESTONE_WORDS.get(milestone, '')}".strip()),
            dedupe_key=f"pair:{pairing.id}:milestone:{milestone}:{member_id}",
        )
        sent += 1
    return sent


async def list_resources(ctx: Ctx, args: list[str]) -> list[Message]:
    topic = " ".join(args).strip() or None
    program = getattr(ctx, "program", None)
    profile = (
        await ctx.session.execute(select(Profile).where(col(Profile.member_id) == ctx.member_id))
    ).scalar_one_or_none()
    roles = ["mentor", "mentee"] if profile is None or profile.role == "both" else [profile.role]
    found: list[Any] = []
    for role in roles:
        for resource in for_member(program, role, topic=topic):
            if resource not in found:
                found.append(resource)
    if not found:
        what = f" about {topic}" if topic else ""
        return [msg.message(f"The program has no resources{what} yet. Moderators add them to the program file.")]
    heading = f"Resources about {topic}" if topic else "Program resources"
    return [render_resources(found, heading)]
