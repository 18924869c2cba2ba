"""Shortage alerts: the program's own figures turned into a recruiting message.

Once a day per community a sweep compares, per topic, the mentees waiting for it with
the places left with mentors who offer it. When the waiting exceed the places by the
program file's `shortage_margin`, and that topic had no alert for `alert_every_days`,
the moderators get one alert: the figures, a ready recruiting message, and Post /
Edit / Dismiss (no second alert for the topic while one is open). A posted message is
the campaign "ask-<id>": its sign-up button starts the mentor side of intake with the
topic filled in, and stats count what it brought.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.feature import SweepEnv
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.program import Program
from bot.core.router import ComponentId
from bot.delivery.outbox import Outbox, moderator_destinations
from storage.bulk import insert_ignoring_duplicates
from storage.tables import Community, Pairing, PairingStatus, Poll, Profile, ProfileStatus, RecruitAlert, RecruitCheck

CHECK_EVERY = timedelta(days=1)
NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # a community not yet checked is due at once
BATCH = 20  # communities checked per sweep


@dataclass(frozen=True)
class Shortage:
    topic: str
    waiting: int  # mentees waiting who want it
    free_places: int  # places left with mentors who offer it
    mentors_offering: int

    @property
    def gap(self) -> int:
        return self.waiting - self.free_places


def _topics(listed: Any) -> list[str]:
    values = json.loads(listed) if isinstance(listed, str) else (listed or [])
    return list(dict.fromkeys(str(v) for v in values)) if isinstance(values, list) else []


async def topic_supply(session: AsyncSession, community_id: int, *, reaching: int = 0) -> dict[str, Shortage]:
    """Per topic: waiting mentees, free mentor places and mentors offering it (grouped by topic list).

    With `reaching`, an empty answer when no topic has that many mentees waiting: no topic can
    then be short by that much, and the mentor side (the costlier query) is not read."""
    wanted = cast(Profile.topics_wanted, Text)
    demand = (
        await session.execute(
            select(wanted, func.count())
            .where(
                col(Profile.community_id) == community_id,
                col(Profile.role).in_(["mentee", "both"]),
                col(Profile.status) == ProfileStatus.WAITING.value,
            )
            .group_by(wanted)
        )
    ).all()
    counts: dict[str, list[int]] = {}
    for listed, waiting in demand:
        for topic in _topics(listed):
            counts.setdefault(topic, [0, 0, 0])[0] += int(waiting)
    if max((row[0] for row in counts.values()), default=0) < reaching:
        return {}
    load = (
        select(col(Pairing.mentor_member_id).label("mentor_id"), func.count().label("mentees"))
        .where(col(Pairing.community_id) == community_id, col(Pairing.status) == PairingStatus.ACTIVE.value)
        .group_by(col(Pairing.mentor_member_id))
        .subquery("load")
    )
    offered = cast(Profile.topics_offered, Text)
    room = col(Profile.capacity) - func.coalesce(load.c.mentees, 0)
    free = case((room > 0, room), else_=0)
    supply = (
        await session.execute(
            select(offered, free, func.count())
            .select_from(Profile)
            .outerjoin(load, load.c.mentor_id == Profile.member_id)
            .where(
                col(Profile.community_id) == community_id,
                col(Profile.role).in_(["mentor", "both"]),
                col(Profile.status).in_([ProfileStatus.WAITING.value, ProfileStatus.ACTIVE.value]),
            )
            .group_by(offered, free)
        )
    ).all()
    for listed, places, mentors in supply:
        for topic in _topics(listed):
            row = counts.setdefault(topic, [0, 0, 0])
            row[1] += int(places or 0) * int(mentors)
            row[2] += int(mentors)
    return {t: Shortage(t, w, f, m) for t, (w, f, m) in counts.items()}


def default_text(program: Program, shortage: Shortage) -> str:
    """The ready recruiting message: what mentors of the topic gain, and the time it takes."""
    people = "member is" if shortage.waiting == 1 else "members are"
    return (
        f"{shortage.waiting} {people} waiting for a {shortage.topic} mentor. If you know {shortage.topic}, "
        "you could be the person who helps them over the next hurdle: about two hours a month, "
        "a conversation every couple of weeks, for a few months. Mentors tell us they gain as much as they give: "
        "a fresh look at their own craft, practice in leading, and the joy of watching someone grow. "
        f"Signing up takes five minutes, and {shortage.topic} is already filled in."
    )


def topic_arg(program: Program, topic: str) -> str:
    """The sign-up button's topic, as its index in the taxonomy (names may hold any character)."""
    names = program.topic_names
    return f"t{names.index(topic)}" if topic in names else ""


def campaign_of(alert: RecruitAlert) -> str:
    return f"ask-{alert.id}"


def recruiting_post(program: Program, alert: RecruitAlert) -> Message:
    """What members see in the chosen channel: the message and a mentor sign-up with the topic set."""
    join = ComponentId("join", f"campaign.{campaign_of(alert)}", "mentor", topic_arg(program, alert.topic))
    return Message(
        (
            msg.text(msg.Strong("Mentors wanted: "), UserText(alert.topic)),
            msg.text(UserText(alert.text)),  # a moderator may have edited it: escaped like member text
            Button(UserText(f"Mentor {alert.topic}"[:75]), str(join), ButtonStyle.PRIMARY),
        )
    )


def alert_id(alert: RecruitAlert, verb: str) -> str:
    return str(ComponentId("rcr", str(alert.id), verb))


def alert_message(alert: RecruitAlert, margin: int) -> Message:
    """The moderators' alert: the figures, the ready message, and what they can do with it."""
    people = "mentee is" if alert.waiting == 1 else "mentees are"
    mentors = "mentor offers" if alert.mentors_offering == 1 else "mentors offer"
    parts: list[msg.Part] = [
        msg.text(msg.Strong("Mentor shortage: "), UserText(alert.topic), f" (alert #{alert.id})"),
        msg.text(
            f"{alert.waiting} {people} waiting for it; {alert.mentors_offering} {mentors} it, "
            f"with {msg.plural(alert.free_places, 'free place')} (alert margin {margin})."
        ),
    ]
    if alert.status == "open":
        parts.append(msg.text("Ready to post (members get a “Mentor ", UserText(alert.topic), "” sign-up button):"))
        parts.append(msg.text(UserText(alert.text)))
        parts += [
            Button("Post", alert_id(alert, "post"), ButtonStyle.PRIMARY),
            Button("Edit", alert_id(alert, "edit")),
            Button("Ask members directly", alert_id(alert, "ask")),
            Button("Dismiss", alert_id(alert, "dismiss"), ButtonStyle.DANGER),
        ]
    elif alert.status == "posted":
        parts.append(msg.text(f"Posted as the campaign “{campaign_of(alert)}”; /mentor stats counts its sign-ups."))
    else:
        parts.append(msg.text("Dismissed. The next alert for this topic comes in a week at the earliest."))
    return Message(tuple(parts))


async def _default_channel(session: AsyncSession, community_id: int) -> str | None:
    """Where members last saw the program: the channel of the newest poll."""
    return (
        await session.execute(
            select(col(Poll.channel_id))
            .where(col(Poll.community_id) == community_id)
            .order_by(col(Poll.created_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def check_community(session: AsyncSession, community: Community, now: datetime, program: Program) -> int:
    """Alert the moderators about each topic short of mentors that had no alert lately."""
    assert community.id is not None
    rules = program.recruiting
    supply = await topic_supply(session, community.id, reaching=rules.shortage_margin)
    short = [s for s in supply.values() if s.gap >= rules.shortage_margin]
    destinations = await moderator_destinations(session, community)
    if not short or not destinations:
        return 0  # nobody to tell yet: the next day's check alerts once a moderator can be reached
    recent = set(
        (
            await session.execute(
                select(col(RecruitAlert.topic)).where(
                    col(RecruitAlert.community_id) == community.id,
                    # an open alert waits for its moderator; a decided one a week
                    (col(RecruitAlert.status) == "open")
                    | (col(RecruitAlert.created_at) > now - timedelta(days=rules.alert_every_days)),
                )
            )
        )
        .scalars()
        .all()
    )
    outbox = Outbox(session, community.id, now)
    channel = await _default_channel(session, community.id)
    sent = 0
    for shortage in sorted(short, key=lambda s: (-s.gap, s.topic.casefold())):
        if shortage.topic in recent:
            continue
        alert = RecruitAlert(
            community_id=community.id,
            topic=shortage.topic[:80],
            created_at=now,
            waiting=shortage.waiting,
            free_places=shortage.free_places,
            mentors_offering=shortage.mentors_offering,
            text=default_text(program, shortage),
            channel_id=channel,
        )
        session.add(alert)
        await session.flush()
        for destination in destinations:
            await outbox.post(
                destination,
                alert_message(alert, rules.shortage_margin),
                dedupe_key=f"recruit-alert:{alert.id}:{destination.target}",
            )
        sent += 1
    return sent


async def check_shortages(session: AsyncSession, now: datetime, env: SweepEnv) -> int:
    """Sweep: communities not checked for a day (or never) are checked now.

    A community never checked gets its row first (ignoring one another worker just made),
    then due rows are claimed with SKIP LOCKED, so two workers never check one community."""
    unchecked = select(col(Community.id)).where(col(Community.id).not_in(select(col(RecruitCheck.community_id))))
    new_rows = [{"community_id": cid, "checked_at": NEVER} for cid in (await session.execute(unchecked)).scalars()]
    await insert_ignoring_duplicates(session, RecruitCheck.__table__, new_rows)  # type: ignore[attr-defined]  # SQLModel sets it; its stubs omit it
    due = (
        await session.execute(
            select(Community, RecruitCheck)
            .join(RecruitCheck, col(RecruitCheck.community_id) == Community.id)
            .where(col(RecruitCheck.checked_at) <= now - CHECK_EVERY)
            .order_by(col(Community.id))
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=RecruitCheck)
        )
    ).all()
    alerts = 0
    for community, check in due:
        check.checked_at = now
        session.add(check)
        alerts += await check_community(session, community, now, env.program)
    return alerts


async def next_check(session: AsyncSession) -> datetime | None:
    oldest = (await session.execute(select(func.min(RecruitCheck.checked_at)))).scalar_one_or_none()
    return oldest + CHECK_EVERY if oldest is not None else None
