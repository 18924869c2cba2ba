"""The mentorship program end to end through Discord: `adapters.discord.main.serve`
(the real discord.py client, the core and DiscordMessenger) against the fake Discord.

Matching review (proposal → approve → one introduction per pair, in a private thread
or as one DM each), the pair's lifecycle (kick-off, check-in DM, `note …` as a DM,
goals, reassess, wrap-up, feedback conversation, testimonials) and the largest real
messages within Discord's limits (the fake refuses oversize bodies).

Time: the test owns a ManualClock that `serve` runs the core with, and a one-second
sweep interval, so moving the clock makes the running bot send what falls due.
Profiles are seeded straight into storage (`seed_profile`), as the console tests do.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fake_discord import FakeDiscord, FakeGuild, FakeUser, pinged
from sqlalchemy import func, select

from adapters.discord.main import serve
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import Settings
from bot.events import Actor, CommunityRef
from storage.tables import CheckIn, Feedback, Goal, Pairing
from tests.conftest import START
from tests.features.community import seed_profile


class Program:
    """`mentorbot run` for Discord with an injected clock, plus what a test needs around it."""

    def __init__(self, fake: FakeDiscord, guild: FakeGuild, settings: Settings, env: dict[str, str]) -> None:
        self.fake, self.guild, self.settings, self.env = fake, guild, settings, env
        self.clock = ManualClock(START)
        self.task: asyncio.Task[None] | None = None
        self.store: Any = None  # a second handle on the same database, for seeding and reading
        self.general = next(iter(guild.channels))
        self.owner = guild.owner_id  # Manage Server: a moderator

    async def start(self) -> None:
        self.task = asyncio.create_task(serve(self.settings, self.env, clock=self.clock))
        waiter = asyncio.create_task(self.fake.wait_connected())
        done, _ = await asyncio.wait({self.task, waiter}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            waiter.cancel()
            self.task.result()
        await waiter
        self.store = await bootstrap(self.settings, clock=self.clock, migrate=False)

    async def stop(self) -> None:
        if self.store is not None:
            await self.store.close()
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.fake.drop_connections()

    async def seed(self, user: FakeUser, role: str, **fields: Any) -> int:
        community = CommunityRef("discord", self.guild.id, self.guild.name)
        actor = Actor(user.id, user.global_name or user.username)
        return await seed_profile(self.store, community, actor, role, self.clock.now(), **fields)

    async def count(self, model: Any, *where: Any) -> int:
        async with self.store.db.unit() as s:
            return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()

    async def command(self, user_id: str, sub: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """A slash command; returns the private answer (the deferred reply, edited)."""
        interaction = await self.fake.slash(self.guild, self.general, user_id, sub, options)
        await self.fake.wait_for_call("PATCH", rf"^/webhooks/\d+/{interaction['token']}/messages/@original$")
        return self.fake.messages[self.fake.interactions[interaction["token"]]["original_message_id"]]

    async def run(self, user_id: str, text: str) -> dict[str, Any]:
        """`/mentor run command:<text>`: any core command as text."""
        return await self.command(user_id, "run", {"command": text})

    async def click(self, user_id: str, message: dict[str, Any], label: str, values: list[str] | None = None) -> dict[str, Any]:
        """Click a button (by label) on a bot message; returns the ephemeral follow-up body."""
        in_guild = message.get("guild_id") is not None or message["channel_id"] in self.fake.threads
        interaction = await self.fake.click(
            self.guild if in_guild else None, user_id, message["id"], buttons(message)[label], values
        )
        (call,) = await self.fake.wait_for_call("POST", rf"^/webhooks/\d+/{interaction['token']}$")
        assert self.fake.response_to(interaction)["type"] == 6  # deferred within 3 s
        assert call.json["flags"] == 64  # only the member sees it
        return call.json

    async def dm(self, user: FakeUser, text: str, expect: str) -> dict[str, Any]:
        """The member writes to the bot in DMs; returns the bot's answer there (the first
        new message containing `expect`: outbox messages may arrive in between)."""
        channel = self.fake.dm_channels.setdefault(user.id, self.fake.snowflake())
        path = rf"^/channels/{channel}/messages$"
        before = len(self.fake.calls_to("POST", path))
        await self.fake.dm_to_bot(user.id, text)
        calls = await self.fake.wait_for_call(
            "POST", path, where=lambda c: c in self.fake.calls_to("POST", path)[before:] and expect in c.json.get("content", "")
        )
        return calls[-1].json

    def dms(self, user: FakeUser) -> list[dict[str, Any]]:
        return self.fake.channel_messages(self.fake.dm_channels.get(user.id, "-"))

    def threads(self) -> list[str]:
        intro = self.env.get("DISCORD_INTRO_CHANNEL_ID")
        return [t for t, data in self.fake.threads.items() if data["parent_id"] == intro]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {c.get("label", ""): c["custom_id"] for row in message.get("components", []) for c in row["components"]}


def text_of(message: dict[str, Any]) -> str:
    """Everything a member reads: content, embed descriptions and fields."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts.append(embed.get("description") or "")
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
    return "\n".join(parts)


async def until(predicate: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def start_program(fake: FakeDiscord, tmp_path: Any, *, threads: bool) -> Program:
    guild = fake.add_guild("Mentor Guild", channels=("general", "intros"))
    intros = list(guild.channels)[1]
    settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp_path / 'mentorbot.db'}", sweep_seconds=1.0)
    env = {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GUILD_ID": guild.id,
        "MENTORBOT_DATA_DIR": str(tmp_path / "data"),
    }
    if threads:
        env["DISCORD_INTRO_CHANNEL_ID"] = intros
    return Program(fake, guild, settings, env)


@pytest.fixture
async def program(fake: FakeDiscord, tmp_path: Any) -> Any:
    running = start_program(fake, tmp_path, threads=True)
    await running.start()
    yield running
    await running.stop()


async def two_pairs(p: Program) -> dict[str, FakeUser]:
    people = {n: p.fake.add_member(p.guild, n) for n in ("maria", "omar", "ann", "ben")}
    await p.seed(people["maria"], "mentor", topics_offered=["Python", "Rust"], years_experience=12)
    await p.seed(people["omar"], "mentor", topics_offered=["Go"], years_experience=8)
    await p.seed(people["ann"], "mentee", topics_wanted=["Python"], goals="learn testing in Python")
    await p.seed(people["ben"], "mentee", topics_wanted=["Go"])
    return people


# --- 1. matching review ---------------------------------------------------------------


@pytest.mark.parametrize("threads", [True, False], ids=["private-thread", "one-dm-each"])
async def test_moderator_reviews_and_approves_a_round_each_pair_introduced_once(fake: FakeDiscord, tmp_path: Any, threads: bool) -> None:
    p = start_program(fake, tmp_path, threads=threads)
    await p.start()
    try:
        people = await two_pairs(p)
        refused = await p.command(people["ann"].id, "match")
        assert "Only moderators can use /mentor match" in text_of(refused)

        proposal = await p.command(p.owner, "match")
        shown = text_of(proposal)
        assert "Matching round** #1 — waiting for approval" in shown
        assert "Ann ← Maria" in shown and "Ben ← Omar" in shown and "Python" in shown
        assert proposal["flags"] & 64  # ephemeral
        assert set(buttons(proposal)) == {"Approve and introduce", "Recompute", "Discard"}
        assert await p.count(Pairing) == 0

        stolen = await p.click(people["ann"].id, proposal, "Approve and introduce")
        assert "Only moderators" in stolen["content"]
        approved = await p.click(p.owner, proposal, "Approve and introduce")
        assert "Round #1 approved: 2 introductions on the way." in approved["content"]

        if threads:
            await until(lambda: len(p.threads()) == 2 and all(fake.channel_messages(t) for t in p.threads()))
            members = sorted(sorted(fake.thread_members[t] - {fake.bot.id}) for t in p.threads())
            assert members == sorted(sorted([people[a].id, people[b].id]) for a, b in (("ann", "maria"), ("ben", "omar")))
            intros = [fake.channel_messages(t)[0] for t in p.threads()]
        else:
            await until(lambda: all(any("You are matched" in m["content"] for m in p.dms(u)) for u in people.values()))
            intros = [next(m for m in p.dms(u) if "You are matched" in m["content"]) for u in people.values()]
        for intro in intros:
            assert "Partnership policy to agree" in text_of(intro)
            assert set(buttons(intro)) == {"Confirm the policy", "Propose changes", "We've had our kick-off"}
            # The two members are mentioned, and only they may be pinged.
            assert len(pinged(intro)["users"]) == 2 and pinged(intro)["everyone"] == set()

        again = await p.click(p.owner, proposal, "Approve and introduce")
        assert "already approved" in again["content"]
        await asyncio.sleep(1.5)  # a sweep tick passes; nothing new may be sent
        if threads:
            assert len(p.threads()) == 2 and all(len(fake.channel_messages(t)) == 1 for t in p.threads())
        else:
            assert all(sum("You are matched" in m["content"] for m in p.dms(u)) == 1 for u in people.values())
        assert await p.count(Pairing) == 2
        assert fake.rejected == []
    finally:
        await p.stop()


# --- 2. the lifecycle of a pair -------------------------------------------------------------


async def test_a_pair_from_kickoff_to_testimonial(program: Program, fake: FakeDiscord) -> None:
    p = program
    people = await two_pairs(p)
    ann, maria, ben = people["ann"], people["maria"], people["ben"]
    await p.command(p.owner, "match")
    await p.command(p.owner, "match-review", {"action": "approve"})
    await until(lambda: len(p.threads()) == 2 and all(fake.channel_messages(t) for t in p.threads()))
    thread = next(t for t in p.threads() if ann.id in fake.thread_members[t])
    intro = fake.channel_messages(thread)[0]

    other = await p.click(ben.id, intro, "We've had our kick-off")
    assert "belongs to someone else's introduction" in other["content"]
    kickoff = await p.click(ann.id, intro, "We've had our kick-off")
    assert "Kick-off recorded" in kickoff["content"]
    await until(lambda: any("recorded your kick-off" in m["content"] for m in fake.channel_messages(thread)))

    # Two weeks later the running bot sends a check-in by DM.
    p.clock.advance(timedelta(days=14, hours=2))
    await until(lambda: any("How is your mentorship with Maria going?" in m["content"] for m in p.dms(ann)))
    checkin = next(m for m in p.dms(ann) if "How is your mentorship" in m["content"])
    assert set(buttons(checkin)) == {"We met", "Not yet", "Need help", "Pause 2 weeks"}
    met = await p.click(ann.id, checkin, "We met")
    assert "Thanks — noted: We met." in met["content"]
    note = await p.dm(ann, "note we reviewed my CV @everyone", "Added to your check-in")
    assert "Added to your check-in: we reviewed my CV" in note["content"]
    assert pinged(note) == {"users": set(), "roles": set(), "everyone": set()}
    async with p.store.db.unit() as s:
        stored = (await s.execute(select(CheckIn).where(CheckIn.answer == "met"))).scalar_one()
    assert stored.note == "we reviewed my CV @everyone"

    # Goals through `/mentor run`; the pair's thread hears about them.
    goal = await p.run(ann.id, 'goal set "Ship my first open-source PR" --by 2027-02-01')
    assert "Goal 1 is set" in goal["content"]
    await p.run(maria.id, 'goal update "Picked an issue in the tracker"')
    done = await p.run(maria.id, "goal done")
    assert "Goal 1 is done" in done["content"]
    await until(lambda: any("Goal reached!" in m["content"] for m in fake.channel_messages(thread)))
    said = "\n".join(m["content"] for m in fake.channel_messages(thread))
    assert "set goal 1" in said and "Picked an issue in the tracker" in said
    reassess = next(m for m in fake.channel_messages(thread) if "Goal reached!" in m["content"])
    carry_on = await p.click(ann.id, reassess, "Continue without one")
    assert "Carrying on without a new goal" in carry_on["content"]
    assert await p.count(Goal, Goal.status == "done") == 1

    wrapped = await p.click(maria.id, reassess, "Wrap up early")
    assert "Wrapped up. Thank you!" in wrapped["content"]
    await until(lambda: any("How would you rate" in m["content"] for m in p.dms(ann)))
    rating = next(m for m in p.dms(ann) if "How would you rate your mentorship with Maria?" in m["content"])
    assert list(buttons(rating)) == ["1", "2", "3", "4", "5"]
    rated = await p.click(ann.id, rating, "5")
    assert "5/5 noted. What worked well?" in rated["content"]
    worked = await p.dm(ann, f"Weekly calls kept me going, **thanks** <@{ben.id}> @here", "better")
    assert "what could have been better" in worked["content"]
    consent = await p.dm(ann, "skip", "May the moderators")
    assert "May the moderators quote" in consent["content"]
    consent_message = next(m for m in p.dms(ann) if "May the moderators quote" in m["content"])
    other_name = await p.click(ann.id, consent_message, "Yes, under another name")
    assert "Which name should a quote carry?" in other_name["content"]
    thanks = await p.dm(ann, "A junior developer", "Thank you")
    assert "Thank you — your feedback helps" in thanks["content"]

    refused = await p.run(ann.id, "testimonials")
    assert "Only moderators can use /mentor testimonials" in refused["content"]
    quotes = await p.run(p.owner, "testimonials")
    assert "Weekly calls kept me going" in quotes["content"] and "A junior developer (mentee — 5/5)" in quotes["content"]
    assert "\\*\\*thanks\\*\\*" in quotes["content"]  # typed markdown shown, not applied
    assert pinged(quotes) == {"users": set(), "roles": set(), "everyone": set()}
    assert await p.count(Feedback, Feedback.step == "done") == 1
    assert fake.rejected == []


# --- 4. the largest real messages within Discord's limits -----------------------------------


@pytest.mark.slow
async def test_a_proposal_with_twenty_pairs_and_moderator_help_fit_discord(program: Program, fake: FakeDiscord) -> None:
    p = program
    for n in range(20):
        mentor = fake.add_member(p.guild, f"mentor{n:02d}-" + "with-a-long-name-" * 3)
        mentee = fake.add_member(p.guild, f"mentee{n:02d}-" + "with-a-long-name-" * 3)
        await p.seed(mentor, "mentor", topics_offered=["Python"], years_experience=10 + n % 5)
        await p.seed(mentee, "mentee", topics_wanted=["Python"], goals="grow in Python, testing and reviews " * 4)
    proposal = await p.command(p.owner, "match")
    assert "20 pairs" in text_of(proposal) and "… and 5 more pairs" in text_of(proposal)
    everything = await p.command(p.owner, "match-review", {"action": "show"})
    assert "20 pairs" in text_of(everything)
    help_text = await p.command(p.owner, "help")
    assert "What you can do (moderator)" in text_of(help_text) and "/mentor testimonials" in text_of(help_text)
    approved = await p.click(p.owner, proposal, "Approve and introduce")
    assert "20 introductions" in approved["content"]
    await until(lambda: len(p.threads()) == 20 and all(fake.channel_messages(t) for t in p.threads()), timeout=20)
    assert fake.rejected == []
