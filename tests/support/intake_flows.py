"""Console lines for whole intakes, shared by the intake, privacy and campaign tests."""

from __future__ import annotations

from sqlalchemy import select

from storage.tables import Intake, Member, Profile
from tests.support.chat import Chat


def mentee_answers(
    user: str, *, goals: str = "Ship my first open-source contribution this spring", team: str = "Acme"
) -> list[str]:
    """Everything after the role question, for a mentee."""
    return [
        f"@{user} pick Python, Rust",
        f"@{user} Elixir",
        f"@{user} {goals}",
        f"@{user} 5",
        f"@{user} Berlin",
        f"@{user} click Any time",
        f"@{user} click 4",
        f"@{user} click 3–6 months",
        f"@{user} click Weekly",
        f"@{user} click Video calls",
        f"@{user} pick English, German",
        f"@{user} click Skip",
        f"@{user} {team}",
        f"@{user} click Yes, introduce me",
    ]


def mentor_answers(user: str) -> list[str]:
    return [
        f"@{user} pick Python, Go",
        f"@{user} click Skip",
        f"@{user} Code review, testing and finding your way around a big codebase",
        f"@{user} click Senior (8+ years)",
        f"@{user} UTC+2",
        f"@{user} Mon-Fri 17:00-20:00",
        f"@{user} click 8",
        f"@{user} click 6–9 months",
        f"@{user} click Every 2 weeks",
        f"@{user} click Chat",
        f"@{user} pick English",
        f"@{user} click 2",
        f"@{user} click Skip",
        f"@{user} click Skip",
        f"@{user} click Yes, introduce me",
    ]


async def sign_up_mentee(chat: Chat, user: str, **kwargs: str) -> str:
    return await chat(
        f"@{user} /mentor join", f"@{user} click Mentee", *mentee_answers(user, **kwargs), f"@{user} click Confirm"
    )


async def sign_up_mentor(chat: Chat, user: str) -> str:
    return await chat(f"@{user} /mentor join", f"@{user} click Mentor", *mentor_answers(user), f"@{user} click Confirm")


async def member_named(chat: Chat, name: str) -> Member:
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(Member).where(Member.display_name == name))).scalar_one()


async def profile_of(chat: Chat, name: str) -> Profile | None:
    member = await member_named(chat, name)
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(Profile).where(Profile.member_id == member.id))).scalar_one_or_none()


async def intake_of(chat: Chat, name: str) -> Intake | None:
    member = await member_named(chat, name)
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(Intake).where(Intake.member_id == member.id))).scalar_one_or_none()
