"""A whole intake conversation through Discord: `/mentor join` in the server, then
buttons, string selects and typed answers in the member's DM, then Confirm — and a
profile is stored. Typed text that tries to ping (@everyone, a user or role mention)
pings nobody and is shown escaped.

`adapters.discord.main.serve` (the real discord.py client, core and messenger) against
the fake Discord; the DM arrives through the outbox, every later question is the
answer to the member's click (a follow-up) or typed message (a DM reply).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.tables import Member, Profile
from tests.fakes.discord import FakeDiscord, FakeUser, pinged
from tests.support.discord_program import Program, buttons, text_of, until


def select_of(message: dict[str, Any]) -> dict[str, Any]:
    (found,) = [c for row in message.get("components", []) for c in row["components"] if c["type"] == 3]
    return found


async def choose(
    p: Program, user: FakeUser, message: dict[str, Any], label: str | None = None, values: list[str] | None = None
) -> dict[str, Any]:
    """Click a button (or pick select values) in the DM; returns the next question."""
    custom_id = buttons(message)[label] if label is not None else select_of(message)["custom_id"]
    interaction = await p.fake.click(None, user.id, message["id"], custom_id, values)
    (call,) = await p.fake.wait_for_call("POST", rf"^/webhooks/\d+/{interaction['token']}$")
    assert p.fake.response_to(interaction)["type"] == 6
    return p.fake.messages[call.response["id"]]


async def say(p: Program, user: FakeUser, text: str, expect: str) -> dict[str, Any]:
    reply = await p.dm(user, text, expect)
    return next(m for m in reversed(p.dms(user)) if m["content"] == reply["content"])


async def test_a_whole_mentee_intake_in_discord(program: Program, fake: FakeDiscord) -> None:
    p = program
    role = fake.add_role(p.guild, "Staff")
    bo = fake.add_member(p.guild, "bo")
    started = await p.run(bo.id, "join")
    assert "I've sent you a DM" in started["content"]
    await until(lambda: any("Would you like to mentor someone" in m["content"] for m in p.dms(bo)))
    question = next(m for m in p.dms(bo) if "Would you like to mentor someone" in m["content"])

    question = await choose(p, bo, question, "Mentee")
    assert "Which topics do you want to grow in?" in question["content"]
    topics = select_of(question)
    assert topics["max_values"] > 1 and {"Python", "Rust"} <= {o["value"] for o in topics["options"]}
    question = await choose(p, bo, question, values=["Python", "Rust"])
    assert "Anything to add that isn't on the list?" in question["content"]
    question = await say(p, bo, "Elixir", "what do you hope to get out of mentoring?")
    typed_goal = f"Ship my first PR @everyone with <@{fake.bot.id}> and <@&{role}> **now**"
    question = await say(p, bo, typed_goal, "Where are you in your career?")
    question = await say(p, bo, "5", "Which timezone are you in?")
    question = await say(p, bo, "Berlin", "When are you usually free to meet each week")
    question = await say(p, bo, "Sat 10-12", "how many hours a month")  # typed, in his own time
    question = await choose(p, bo, question, "4")
    question = await choose(p, bo, question, "3–6 months")
    question = await choose(p, bo, question, "Weekly")
    question = await choose(p, bo, question, "Video calls")
    assert "Which languages could you meet in?" in question["content"]
    question = await choose(p, bo, question, values=["English", "German"])
    assert "should not be paired with" in question["content"]
    question = await choose(p, bo, question, "Skip")
    question = await say(p, bo, "Acme", "may I introduce you")
    summary = await choose(p, bo, question, "Yes, introduce me")

    shown = text_of(summary)
    assert "Your sign-up" in shown and "Python, Rust" in shown and "Europe/Berlin" in shown
    assert "Weekly availability: Sat 10:00–12:00 (your time)" in shown
    assert "Ship my first PR" in shown and "\\*\\*now\\*\\*" in shown  # typed markdown is shown, not applied
    assert pinged(summary) == {"users": set(), "roles": set(), "everyone": set()}
    done = await choose(p, bo, summary, "Confirm")
    assert "signed up" in done["content"] and "as a mentee" in done["content"]

    async with p.store.db.unit() as s:
        member = (await s.execute(select(Member).where(Member.platform_user_id == bo.id))).scalar_one()
        profile = (await s.execute(select(Profile).where(Profile.member_id == member.id))).scalar_one()
    assert (profile.role, profile.status, profile.consent) == ("mentee", "waiting", True)
    assert profile.topics_wanted == ["Python", "Rust"] and profile.topics_other == "Elixir"
    assert profile.goals == typed_goal  # stored exactly as typed
    assert (profile.timezone, profile.hours_per_month, profile.cadence) == ("Europe/Berlin", 4, "weekly")
    assert profile.languages == ["English", "German"] and profile.team == "Acme"

    # Nothing the bot sent during the whole conversation could ping anyone.
    for call in fake.calls:
        body = call.json if isinstance(call.json, dict) else {}
        if call.method in ("POST", "PATCH") and ("content" in body or "embeds" in body):
            assert pinged(body) == {"users": set(), "roles": set(), "everyone": set()}, call
    assert fake.rejected == []
