"""The member's status card: where they stand in the program and what they can do next.

One card for every platform: `/mentor me` shows it (ephemeral), the Slack App Home
shows it at the top. It reads a handful of rows for one member (profile, active
pairings, their open goal and next check-in), never a whole community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.messages import Button, ButtonStyle, Message, Option, Part, Select, UserText
from bot.core.parsing import format_when
from bot.core.program import Program
from bot.core.router import ComponentId
from storage.tables import (
    CheckInPlan,
    Community,
    Goal,
    GoalStatus,
    Intake,
    IntakeStatus,
    Member,
    Pairing,
    PairingStatus,
    Profile,
    ProfileStatus,
)

GOAL_FORM_ID = "mentor:goalf:new:set"
PROGRESS_FORM_ID = "mentor:goalf:new:update"
PAUSE_WEEKS = ("1", "2", "4", "8")


@dataclass
class Viewer:
    """Whose card is built, and where: a command's context or the Home sweep give the same."""

    session: AsyncSession
    community: Community
    member: Member
    now: datetime
    program: Program
    is_moderator: bool

    @property
    def tz(self) -> str:
        return self.member.timezone or self.community.timezone

    @property
    def community_id(self) -> int:
        assert self.community.id is not None
        return self.community.id


@dataclass
class Partnership:
    pairing: Pairing
    partner: Member
    role: str  # the viewer's role in it: mentor or mentee
    goal: Goal | None
    next_checkin: datetime | None


def me_id(verb: str, arg: str = "") -> str:
    return str(ComponentId("me", "0", verb, arg))


async def partnerships(session: AsyncSession, community_id: int, member_id: int) -> list[Partnership]:
    pairings = (
        (
            await session.execute(
                select(Pairing)
                .where(
                    col(Pairing.community_id) == community_id,
                    col(Pairing.status) == PairingStatus.ACTIVE.value,
                    (col(Pairing.mentee_member_id) == member_id) | (col(Pairing.mentor_member_id) == member_id),
                )
                .order_by(col(Pairing.id))
            )
        )
        .scalars()
        .all()
    )
    found: list[Partnership] = []
    for pairing in pairings:
        is_mentee = pairing.mentee_member_id == member_id
        partner = await session.get(Member, pairing.mentor_member_id if is_mentee else pairing.mentee_member_id)
        if partner is None:
            continue
        goal = (
            await session.execute(
                select(Goal)
                .where(col(Goal.pairing_id) == pairing.id, col(Goal.status) == GoalStatus.OPEN.value)
                .order_by(col(Goal.number).desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        plan_due = (
            await session.execute(
                select(col(CheckInPlan.next_checkin_at)).where(
                    col(CheckInPlan.pairing_id) == pairing.id,
                    col(CheckInPlan.member_id) == member_id,
                    col(CheckInPlan.active) == True,  # noqa: E712
                )
            )
        ).scalar_one_or_none()
        found.append(Partnership(pairing, partner, "mentee" if is_mentee else "mentor", goal, plan_due))
    return found


def _label(program: Program, group: str, key: str) -> str:
    choice = program.choice(group, key) if key else None
    return choice.label if choice is not None else (key or "not set")


def short_day(when: datetime, tz: str) -> str:
    return format_when(when, tz).split(",")[0]


async def member_card(viewer: Viewer) -> Message:
    """Status, partner(s) and policy, the current goal, the next check-in, and the common actions."""
    session, member = viewer.session, viewer.member
    profile = (
        await session.execute(
            select(Profile).where(col(Profile.community_id) == viewer.community_id, col(Profile.member_id) == member.id)
        )
    ).scalar_one_or_none()
    parts: list[Part] = [msg.text(msg.Strong("Your mentorship"))]
    if profile is None or profile.status == ProfileStatus.LEFT.value:
        intake = (
            await session.execute(
                select(Intake).where(
                    col(Intake.community_id) == viewer.community_id, col(Intake.member_id) == member.id
                )
            )
        ).scalar_one_or_none()
        if profile is None and intake is not None and intake.status == IntakeStatus.IN_PROGRESS.value:
            parts.append(msg.text("Status: signing up — your sign-up continues in our DM."))
            parts.append(Button("Continue sign-up", me_id("join"), ButtonStyle.PRIMARY))
        else:
            left = profile is not None
            parts.append(msg.text("Status: " + ("you left the program." if left else "not signed up yet.")))
            parts.append(msg.text(f"{viewer.program.name}: mentors and mentees are matched by topics and time zone."))
            parts.append(Button("Join again" if left else "Join the program", me_id("join"), ButtonStyle.PRIMARY))
        parts.append(Button("Resources", me_id("resources")))
        return Message(tuple(parts))

    assert member.id is not None
    pairs = await partnerships(session, viewer.community_id, member.id)
    parts.append(
        msg.text("Status: ", msg.Strong(_status_words(profile, pairs, viewer.tz)), f" · signed up as {profile.role}")
    )
    for p in pairs:
        pairing = p.pairing
        parts.append(
            msg.text(
                msg.Strong(f"Your {'mentor' if p.role == 'mentee' else 'mentee'}: "),
                UserText(p.partner.display_name),
                f" (pairing #{pairing.id})",
            )
        )
        parts.append(
            msg.Fields(
                (
                    ("Cadence", (_label(viewer.program, "cadences", pairing.cadence),)),
                    ("Channel", (_label(viewer.program, "communication", pairing.communication),)),
                    ("Ends", (short_day(pairing.ends_on, viewer.tz),)),
                    ("Next check-in", (short_day(p.next_checkin, viewer.tz) if p.next_checkin else "none planned",)),
                    (
                        "Current goal",
                        ("no goal yet",)
                        if p.goal is None
                        else (UserText(p.goal.text),)
                        + ((f" (by {short_day(p.goal.by_date, viewer.tz)})",) if p.goal.by_date else ()),
                    ),
                )
            )
        )
    if profile.status == ProfileStatus.WAITING.value and not pairs:
        parts.append(msg.text("You're in the pool for the next matching round; I'll introduce you in a DM."))
    parts.extend(_member_actions(profile, pairs))
    return Message(tuple(parts))


def _status_words(profile: Profile, pairs: list[Partnership], tz: str) -> str:
    if profile.status == ProfileStatus.PAUSED.value:
        return f"paused until {short_day(profile.paused_until, tz)}" if profile.paused_until else "paused"
    if pairs:
        return "paired" if len(pairs) == 1 else f"paired ({len(pairs)} pairings)"
    if profile.waiting_since is not None:
        return f"waiting for a match since {short_day(profile.waiting_since, tz)}"
    return "waiting for a match"


def _member_actions(profile: Profile, pairs: list[Partnership]) -> list[Part]:
    actions: list[Part] = [Button("Edit profile", me_id("edit"))]
    if pairs:
        has_goal = any(p.goal is not None for p in pairs)
        actions.append(
            Button(
                "Update goal" if has_goal else "Set a goal",
                PROGRESS_FORM_ID if has_goal else GOAL_FORM_ID,
                ButtonStyle.PRIMARY,
            )
        )
        if has_goal:
            actions.append(Button("New goal", GOAL_FORM_ID))
    if profile.status == ProfileStatus.PAUSED.value:
        actions.append(Button("Resume", me_id("resume"), ButtonStyle.PRIMARY))
    actions.append(Button("Resources", me_id("resources")))
    actions.append(Button("Leave", me_id("leave"), ButtonStyle.DANGER))
    if profile.status != ProfileStatus.PAUSED.value:
        options = tuple(Option(f"Pause {w} week{'s' if w != '1' else ''}", w) for w in PAUSE_WEEKS)
        actions.append(Select(me_id("pause"), "Take a break…", options))
    return actions
