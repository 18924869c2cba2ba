"""The resource library in use: milestone guides sent when a pair reaches them, and
`/mentor resources [words]` on demand.

The library (`bot.core.library`) holds guides with a role (mentor, mentee, all), an
optional milestone (signup, kickoff, first_goal, midpoint, wrapup) and optional
topics. Milestone guides arrive by DM, once, as titles with a "Read" button; a guide
is read in the member's DM, where it stays for later.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx, OutboxWriter
from bot.core.errors import InvalidInput
from bot.core.library import Resource, search
from bot.core.messages import Button, Message, UserText
from bot.core.ports import Destination
from bot.core.router import ComponentId
from storage.tables import Member, Pairing, Profile

MILESTONE_WORDS = {
    "signup": "to get started",
    "kickoff": "for your kick-off",
    "first_goal": "now that you have a first goal",
    "midpoint": "at the half-way point of your mentorship",
    "wrapup": "to wrap up well",
}
MAX_BUTTONS = 5  # one row of buttons on Discord


def _resources(program: Any) -> list[Resource]:
    return list(getattr(program, "resources", ()) or ())


def for_member(program: Any, role: str, *, milestone: str | None = None, topic: str | None = None) -> list[Resource]:
    picked = []
    for resource in _resources(program):
        if resource.role not in ("all", role, "both") and role != "both":
            continue
        if milestone is not None and resource.milestone != milestone:
            continue
        if topic is not None and topic.casefold() not in [t.casefold() for t in resource.topics]:
            continue
        picked.append(resource)
    return picked


def read_id(resource: Resource) -> str:
    return str(ComponentId("res", resource.key, "read"))


def line(resource: Resource) -> msg.Text:
    """One list line: a link goes as it is; a guide says how to read it."""
    if resource.link:
        # Titles and links come from the moderators' program file, still escaped like member text.
        return msg.text("• ", UserText(resource.title), " — ", UserText(resource.link))
    return msg.text("• ", UserText(resource.title), f" — /mentor resources {resource.key}")


def render_resources(resources: list[Resource], heading: str, *, buttons: bool = True) -> Message:
    parts: list[msg.Part] = [msg.text(msg.Strong(heading))]
    parts.extend(line(r) for r in resources)
    if buttons:
        readable = [r for r in resources if r.body][:MAX_BUTTONS]
        parts.extend(Button(_label(r), read_id(r)) for r in readable)
    return Message(tuple(parts))


def _label(resource: Resource) -> UserText:
    return UserText(f"Read: {resource.title}"[:75])


def render_guide(resource: Resource) -> Message:
    """The guide itself, as one message."""
    parts: list[msg.Part] = [msg.text(msg.Strong(resource.title))]
    parts.extend(msg.text(UserText(paragraph)) for paragraph in resource.body.split("\n\n") if paragraph.strip())
    if resource.link:
        parts.append(msg.text("More: ", UserText(resource.link)))
    return Message(tuple(parts))


def closing_resources(program: Any, role: str) -> tuple[msg.Part, ...]:
    """The wrap-up resources as parts of the one completion message (no separate DM, no buttons)."""
    resources = for_member(program, role, milestone="wrapup")
    heading = f"Resources {MILESTONE_WORDS.get('wrapup', '')}".strip()
    return render_resources(resources, heading, buttons=False).parts if resources else ()


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
            # No buttons: the pair's own buttons (policy, kick-off) must stay the newest to press.
            render_resources(resources, f"Resources {MILESTONE_WORDS.get(milestone, '')}".strip(), buttons=False),
            dedupe_key=f"pair:{pairing.id}:milestone:{milestone}:{member_id}",
        )
        sent += 1
    return sent


async def _visible(ctx: Ctx) -> list[Resource]:
    """The guides for the member's role (everything for someone not signed up yet)."""
    profile = (
        await ctx.session.execute(select(Profile).where(col(Profile.member_id) == ctx.member_id))
    ).scalar_one_or_none()
    role = "both" if profile is None else profile.role
    return for_member(ctx.program, role)


async def deliver_guide(ctx: Ctx, resource: Resource) -> list[Message]:
    """The guide in the member's DM: the answer itself there, else a DM and a short note."""
    if ctx.in_dm:
        return [render_guide(resource)]
    await ctx.outbox.post(Destination.dm(ctx.member.platform_user_id), render_guide(resource))
    return [msg.message(msg.text("I've sent you “", UserText(resource.title), "” in a DM."))]


async def list_resources(ctx: Ctx, args: list[str]) -> list[Message]:
    words = " ".join(args).strip()
    visible = await _visible(ctx)
    if not words:
        if not visible:
            return [msg.message("The program has no resources yet. Moderators add them to the program file.")]
        guides = [r for r in visible if r.milestone is not None]
        starters = [r for r in visible if r.milestone is None]
        parts: list[msg.Part] = [msg.text(msg.Strong("Program resources"))]
        parts.extend(line(r) for r in guides)
        if starters:
            names = ", ".join(t for r in starters for t in r.topics)
            parts.append(msg.text(f"Topic starters: {names}. /mentor resources <topic> shows one."))
        return [Message(tuple(parts))]
    topic = ctx.program.find_topic(words)
    found = search(visible, words, topic.name if topic else None)
    if not found:
        suggestions = ctx.program.suggest_topics(words)
        hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
        return [
            msg.message(
                msg.text("No resources about “", UserText(words), f"” yet.{hint} /mentor resources lists them all.")
            )
        ]
    if len(found) == 1 and found[0].body:
        return await deliver_guide(ctx, found[0])
    heading = f"Resources about {topic.name}" if topic else "Resources that match"
    return [render_resources(found, heading)]


async def on_resource(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """A "Read: …" button: the guide, in the member's DM."""
    resource = ctx.program.resource(cid.key)
    if resource is None or cid.verb != "read" or not resource.body:
        raise InvalidInput("That guide is no longer in the library. /mentor resources lists what there is.")
    return await deliver_guide(ctx, resource)
