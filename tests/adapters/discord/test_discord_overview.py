"""`/mentor me`, the moderators' overview and lists on Discord: the real discord.py
client (`serve`) against the fake Discord, answers as ephemeral messages with buttons.

The commands are reached as `/mentor run command:<text>` here; the command tree
generated from the table gives each its own sub-command (`/mentor me`,
`/mentor-admin overview`), which reach the same core handlers.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.tables import Goal, Pairing
from tests.fakes.discord import FakeDiscord, pinged
from tests.fakes.discord.commands import CommandUnavailable
from tests.support.discord_program import Program, buttons, text_of


async def until_count(p: Program, model: object, n: int) -> None:
    for _ in range(500):
        if await p.count(model) == n:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {n} rows")


def posted(fake: FakeDiscord, body: dict) -> dict:  # type: ignore[type-arg]
    """The message a follow-up body became (to click its buttons in turn)."""
    return next(
        m
        for m in reversed(list(fake.messages.values()))
        if m.get("components") == body.get("components") and m.get("content") == body.get("content")
    )


async def test_me_shows_the_status_card_with_buttons_that_work(program: Program, fake: FakeDiscord) -> None:
    p = program
    maria, ann = fake.add_member(p.guild, "maria"), fake.add_member(p.guild, "ann @everyone")
    await p.seed(maria, "mentor")
    await p.seed(ann, "mentee")
    card = await p.run(ann.id, "me")
    assert "Your mentorship" in text_of(card) and "waiting for a match" in text_of(card)
    assert {"Edit profile", "Resources", "Leave"} <= buttons(card).keys()
    await p.run(p.owner, "match")
    await p.run(p.owner, "match approve")
    card = await p.run(ann.id, "me")
    shown = text_of(card)
    assert "Your mentor:** Maria" in shown and "Every 2 weeks" in shown and "Next check-in" in shown
    assert "Set a goal" in buttons(card)
    opened = await fake.click(p.guild, ann.id, card["id"], buttons(card)["Set a goal"])
    await fake.wait_for_call("POST", rf"/{opened['token']}/callback$")
    modal = fake.response_to(opened)
    assert modal is not None and modal["type"] == 9 and modal["data"]["custom_id"] == "mentor:goalf:new:set"
    assert len(modal["data"]["title"]) <= 45 and len(modal["data"]["components"]) == 2
    await fake.submit_modal(
        p.guild, p.general, ann.id, "mentor:goalf:new:set", {"goal": "Ship my first PR", "by": "6w"}
    )
    await until_count(p, Goal, 1)
    card = await p.run(ann.id, "me")
    assert "Current goal: Ship my first PR" in text_of(card) and "Update goal" in buttons(card)
    leave = await p.click(ann.id, card, "Leave")
    assert "Leave the program?" in leave["content"]
    assert await p.count(Pairing, Pairing.status == "active") == 1  # nothing happens before the confirmation
    assert pinged(card) == {"users": set(), "roles": set(), "everyone": set()}


async def test_overview_and_lists_are_for_moderators_and_page(program: Program, fake: FakeDiscord) -> None:
    p = program
    for n in range(13):
        member = fake.add_member(p.guild, f"waiter{n:02d}")
        await p.seed(member, "mentee")
        p.clock.advance(timedelta(minutes=1))
    overview = await p.run(p.owner, "overview")
    assert "Program at a glance" in text_of(overview) and "being counted" in text_of(overview)
    assert {"Pairs at risk", "Waiting members"} <= buttons(overview).keys()
    waiting = await p.click(p.owner, overview, "Waiting members")
    assert "Waiting for a match: 13" in text_of(waiting) and "page 1 of 2" in text_of(waiting)
    assert text_of(waiting).index("Waiter00") < text_of(waiting).index("Waiter09")  # longest waiting first
    second = await p.click(p.owner, posted(fake, waiting), "Next")
    assert "page 2 of 2" in text_of(second) and "Waiter12" in text_of(second)
    profile = await p.click(p.owner, posted(fake, second), "Waiter12")
    assert "Profile of" in text_of(profile)

    member = fake.add_member(p.guild, "curious")
    with pytest.raises(CommandUnavailable):  # Discord does not even offer /mentor-admin to members
        await p.run(member.id, "members --waiting")
    fake.grant_command(p.guild, "mentor-admin", p.guild.id)  # a server that opens it to @everyone
    refused = await p.run(member.id, "members --waiting")
    assert "Only moderators" in text_of(refused)
    forged = await p.click(member.id, posted(fake, waiting), "Next")
    assert "Only moderators" in forged["content"]
    pairs = await p.run(p.owner, "pairs --at-risk")
    assert "Pairs at risk: 0" in text_of(pairs)
