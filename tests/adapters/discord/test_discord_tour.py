"""Every core command through discord.py (`serve()`) and the fake Discord, as the real
sub-command a member or moderator picks with typed options (`/mentor goal set goal:…`,
`/mentor-admin match swap pair:1 other:2`): each gets a private answer that is not the
internal-error apology, every reply and every message it causes is within Discord's
limits, and nothing pings anyone who was not meant to be pinged. What Discord itself
does not offer a member (a moderator command, an unknown name) cannot be sent."""

from __future__ import annotations

import pytest

from bot.bootstrap import build_router
from tests.fakes.discord import FakeDiscord, pinged
from tests.fakes.discord.commands import CommandUnavailable
from tests.support.command_tour import APOLOGY_WORDS, TOUR, commands_not_toured
from tests.support.discord_program import Program, invocation, text_of, until


@pytest.mark.slow
async def test_every_command_answers_through_discord(program: Program, fake: FakeDiscord) -> None:
    assert commands_not_toured(list(build_router().commands)) == set()
    p = program
    people = {n: fake.add_member(p.guild, n) for n in ("maria", "omar", "ann", "ben", "cyd", "newbie")}
    for name, role, topic in (
        ("maria", "mentor", "Python"),
        ("omar", "mentor", "Go"),
        ("ann", "mentee", "Python"),
        ("ben", "mentee", "Go"),
        ("cyd", "mentee", "Rust"),  # no mentor offers it: still waiting when the circle is created
    ):
        topics = {"topics_offered": [topic]} if role == "mentor" else {"topics_wanted": [topic]}
        await p.seed(people[name], role, **topics)
    users = {"mod": p.owner, "ann": people["ann"].id, "newbie": people["newbie"].id}

    answers: dict[tuple[str, str], str] = {}
    unavailable = []
    for who, line in TOUR:
        if (who, line) in (("ann", "match"), ("ann", "nonsense")):
            with pytest.raises(CommandUnavailable):  # /mentor-admin is hidden from members; no such name
                await p.run(users[who], line)
            unavailable.append(invocation(line)[:2])
            continue
        # Discord's user picker sends ids: "@ann" in the text tour is that member's mention here.
        typed = " ".join(
            f"<@{people[w[1:]].id}>" if w.startswith("@") and w[1:] in people else w for w in line.split(" ")
        )
        reply = await p.run(users[who], typed)
        shown = answers[(who, line)] = text_of(reply)
        assert reply["flags"] & 64, line  # private
        assert shown.strip() and not any(w in shown.lower() for w in APOLOGY_WORDS), (line, shown)
    assert "approved" in answers[("mod", "match approve")]
    assert unavailable == [("mentor-admin", "match run"), ("mentor", "nonsense")]
    assert (
        "/mentor-admin match run" in answers[("mod", "help")] and "/mentor goal set goal:…" in answers[("mod", "help")]
    )
    assert "/mentor-admin" not in answers[("newbie", "help")]
    # What the commands caused reached Discord: the announcement, one thread per pair.
    await until(lambda: any("Mentors wanted" in text_of(m) for m in fake.channel_messages(p.general)))
    # Two pairs' introductions and the circle's space.
    await until(lambda: len(p.threads()) == 3 and all(fake.channel_messages(t) for t in p.threads()))
    assert fake.rejected == []
    refused = [c for c in fake.calls if c.status >= 400]
    assert refused == [], refused
    for call in fake.calls:
        body = call.json if isinstance(call.json, dict) else {}
        if call.method in ("POST", "PATCH") and "content" in body:
            assert pinged(body)["everyone"] == set() and pinged(body)["roles"] == set(), call
