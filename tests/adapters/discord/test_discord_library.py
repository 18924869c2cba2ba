"""The resource library through Discord (the real discord.py client against the fake):
`/mentor resources` finds a guide and sends it by DM, several matches get "Read" buttons,
and every shipped guide fits one Discord message with no pings."""

from __future__ import annotations

from bot.core.program import default_program
from tests.fakes.discord import FakeDiscord
from tests.support.discord_program import Program, buttons, text_of, until


def dm_texts(p: Program, user_id: str) -> list[str]:
    return [text_of(m) for m in p.fake.channel_messages(p.fake.dm_channels.get(user_id, "-"))]


async def test_a_guide_by_topic_alias_arrives_by_dm(program: Program, fake: FakeDiscord) -> None:
    p = program
    ann = fake.add_member(p.guild, "ann")
    reply = await p.run(ann.id, "resources golang")
    assert "sent you “Starting out in Go” in a DM" in text_of(reply)
    await until(lambda: any("table-driven tests" in t for t in dm_texts(p, ann.id)))


async def test_several_matches_offer_read_buttons(program: Program, fake: FakeDiscord) -> None:
    p = program
    ann = fake.add_member(p.guild, "ann")
    listing = await p.run(ann.id, 'resources "starting out in ja"')
    assert buttons(listing)["Read: Starting out in JavaScript"] == "mentor:res:topic-javascript:read"
    answer = await p.click(ann.id, listing, "Read: Starting out in JavaScript")
    assert "sent you “Starting out in JavaScript” in a DM" in (answer.get("content") or "")
    await until(lambda: any("async/await" in t for t in dm_texts(p, ann.id)))


async def test_every_guide_fits_one_discord_message(program: Program, fake: FakeDiscord) -> None:
    p = program
    ann = fake.add_member(p.guild, "ann")
    for resource in default_program().resources:
        await p.run(ann.id, f"resources {resource.key}")
    # The fake refuses bodies Discord would refuse; all of them arriving means all of them fit.
    await until(lambda: len(dm_texts(p, ann.id)) == len(default_program().resources), timeout=90)  # paced DMs
    sent = fake.calls_to("POST", rf"^/channels/{fake.dm_channels[ann.id]}/messages$")
    assert all(call.json.get("allowed_mentions", {}).get("parse") == [] for call in sent)
