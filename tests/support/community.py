"""Seed a small community of signed-up members straight into storage.

Matching and lifecycle tests start where intake ends; seeding profiles directly
keeps those tests about matching. (Intake's own tests drive the conversation.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from adapters.console.session import COMMUNITY
from bot.core.events import Actor, CommunityRef
from bot.core.settings import Settings
from bot.mentorbot import ensure_community, ensure_member
from storage.tables import Profile
from tests.support.chat import Chat


async def sign_up(chat: Chat, name: str, role: str, **fields: Any) -> int:
    """Create (or update) a console member with a confirmed profile; returns the member id."""
    return await seed_profile(chat.bot, COMMUNITY, chat.session.actor(name), role, chat.now, **fields)


async def seed_profile(
    bot: Any, community_ref: CommunityRef, actor: Actor, role: str, now: datetime, **fields: Any
) -> int:
    """The same seeding for any MentorBot and platform: the adapter tests seed Slack
    and Discord members this way (community and member keyed by platform ids)."""
    async with bot.db.unit() as s:
        community = await ensure_community(s, community_ref, now, Settings())
        member = await ensure_member(s, community, actor, now, actor.platform_moderator)
        profile = (await s.execute(select(Profile).where(Profile.member_id == member.id))).scalar_one_or_none()
        values: dict[str, Any] = {
            "community_id": community.id,
            "member_id": member.id,
            "role": role,
            "status": "waiting",
            "topics_offered": ["Python"] if role in ("mentor", "both") else [],
            "topics_wanted": ["Python"] if role in ("mentee", "both") else [],
            "goals": "",
            "years_experience": 10 if role == "mentor" else 2,
            "timezone": "Europe/Berlin",
            "program_length": "3-6",
            "cadence": "biweekly",
            "communication": "video",
            "languages": ["en"],
            "capacity": 1,
            "consent": True,
            "source": "direct",
            "signed_up_at": now,
            "updated_at": now,
            "waiting_since": now,
        }
        values.update(fields)
        if profile is None:
            profile = Profile(**values)
        else:
            for key, value in values.items():
                setattr(profile, key, value)
        s.add(profile)
        await s.flush()
        assert member.id is not None
        return member.id


async def member_id(chat: Chat, name: str) -> int:
    from storage.tables import Member

    async with chat.bot.db.unit() as s:
        return (await s.execute(select(Member.id).where(Member.platform_user_id == name))).scalar_one()


async def circle_and_pair(chat: Chat) -> None:
    """dana offers a circle that matching fills with ann and bob; maria mentors omar as a pair."""
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "dana", "mentor", capacity=3)
    await sign_up(chat, "maria", "mentor", capacity=1, topics_offered=["Go"])
    for name in ("ann", "bob"):
        await sign_up(chat, name, "mentee")
    await sign_up(chat, "omar", "mentee", topics_wanted=["Go"])
    await chat('@dana /mentor circle offer --topic "Python together" --size 3')
