"""A choice round through Discord: the real discord.py client (`serve`) against the fake Discord.

`/mentor-admin match run choice:True` computes it, the moderator sends the shortlists,
mentees pick by button in their DMs, one mentor accepts, one stays silent, and at the
deadline (the running bot's sweep, on the test's clock) the rest fall back and every
pair is introduced once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.tables import MenteeChoice, Pairing
from tests.fakes.discord import FakeDiscord, pinged
from tests.support.discord_program import Program, buttons, text_of, until


async def test_choice_round_through_discord(program: Program, fake: FakeDiscord) -> None:
    p = program
    people = {n: p.fake.add_member(p.guild, n) for n in ("maria", "omar", "ann", "ben")}
    await p.seed(
        people["maria"],
        "mentor",
        topics_offered=["Python"],
        years_experience=12,
        can_help_with="Testing @everyone and packaging",
    )
    await p.seed(people["omar"], "mentor", topics_offered=["Python"], years_experience=8)
    await p.seed(people["ann"], "mentee", topics_wanted=["Python"], goals="learn testing in Python")
    await p.seed(people["ben"], "mentee", topics_wanted=["Python"])

    proposal = await p.run(p.owner, "match --choice")
    assert "Choice round** #1 — waiting for approval" in text_of(proposal)
    opened = await p.click(p.owner, proposal, "Send the shortlists")
    assert "Round #1 is open for choices: 2 shortlists on the way." in opened["content"]
    ann, ben, maria = people["ann"], people["ben"], people["maria"]
    await until(lambda: any("Choose your mentor" in m["content"] for m in p.dms(ann)))
    shortlist = next(m for m in p.dms(ann) if "Choose your mentor" in m["content"])
    assert "suggested first" in text_of(shortlist) and "None of these fit" in buttons(shortlist)
    assert pinged(shortlist)["everyone"] == set()  # a mentor's words never ping

    stolen = await p.click(ben.id, shortlist, "Choose Maria")
    assert "Only the member this shortlist was made for" in stolen["content"]
    picked = await p.click(ann.id, shortlist, "Choose Maria")
    assert "You chose Maria" in picked["content"]
    await until(lambda: any("A mentee chose you" in m["content"] for m in p.dms(maria)))
    ask = next(m for m in p.dms(maria) if "A mentee chose you" in m["content"])
    accepted = await p.click(maria.id, ask, "Accept")
    assert "Thank you!" in accepted["content"]
    await until(lambda: any("Maria accepted!" in m["content"] for m in p.dms(ann)))

    await until(lambda: any("Choose your mentor" in m["content"] for m in p.dms(ben)))
    theirs = next(m for m in p.dms(ben) if "Choose your mentor" in m["content"])
    await p.click(ben.id, theirs, "Choose Omar")  # Omar never answers

    status = await p.run(p.owner, "match show")
    assert "1 accepted" in text_of(status) and "1 picked, waiting for the mentor" in text_of(status)

    p.clock.advance(timedelta(days=8))
    await until(lambda: any("You are matched" in m["content"] for t in p.threads() for m in fake.channel_messages(t)))
    await until(lambda: len(p.threads()) == 2)
    async with p.store.db.unit() as s:
        states = sorted(c.state for c in (await s.execute(select(MenteeChoice))).scalars())
    assert states == ["accepted", "fell_back"]
    assert await p.count(Pairing) == 2
    assert fake.rejected == []
