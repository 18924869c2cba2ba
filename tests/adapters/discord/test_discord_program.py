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
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage.tables import CheckIn, Feedback, Goal, Pairing
from tests.fakes.discord import FakeDiscord, FakeUser, pinged
from tests.fakes.discord.commands import CommandUnavailable
from tests.support.discord_program import Program, buttons, start_program, text_of, until


async def two_pairs(p: Program) -> dict[str, FakeUser]:
    people = {n: p.fake.add_member(p.guild, n) for n in ("maria", "omar", "ann", "ben")}
    await p.seed(people["maria"], "mentor", topics_offered=["Python", "Rust"], years_experience=12)
    await p.seed(people["omar"], "mentor", topics_offered=["Go"], years_experience=8)
    await p.seed(people["ann"], "mentee", topics_wanted=["Python"], goals="learn testing in Python")
    await p.seed(people["ben"], "mentee", topics_wanted=["Go"])
    return people


# --- 1. matching review ---------------------------------------------------------------


@pytest.mark.parametrize("threads", [True, False], ids=["private-thread", "one-dm-each"])
async def test_moderator_reviews_and_approves_a_round_each_pair_introduced_once(
    fake: FakeDiscord, tmp_path: Any, threads: bool, migrated_sqlite: Any
) -> None:
    p = start_program(fake, tmp_path, threads=threads, template=migrated_sqlite)
    await p.start()
    try:
        people = await two_pairs(p)
        with pytest.raises(CommandUnavailable):  # members do not get /mentor-admin from Discord
            await p.run(people["ann"].id, "match")

        proposal = await p.run(p.owner, "match")
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
            assert members == sorted(
                sorted([people[a].id, people[b].id]) for a, b in (("ann", "maria"), ("ben", "omar"))
            )
            intros = [fake.channel_messages(t)[0] for t in p.threads()]
        else:
            await until(lambda: all(any("You are matched" in m["content"] for m in p.dms(u)) for u in people.values()))
            intros = [next(m for m in p.dms(u) if "You are matched" in m["content"]) for u in people.values()]
        for intro in intros:
            assert "Partnership policy to agree" in text_of(intro)
            assert set(buttons(intro)) == {
                "Confirm the policy",
                "Propose changes",
                "We've had our kick-off",
                *("Slot 1", "Slot 2", "Slot 3", "None of these work"),  # kick-off times to tick
            }
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


async def test_the_running_bot_introduces_a_round_larger_than_a_batch(
    fake: FakeDiscord, tmp_path: Any, migrated_sqlite: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One pair per unit of work: nobody types anything after the approval; the runtime wakes
    # for the "introduce approved pairs" sweep and introduces the second pair too, once.
    from bot.features.rounds import approval

    monkeypatch.setattr(approval, "APPROVE_BATCH", 1)
    p = start_program(fake, tmp_path, threads=False, template=migrated_sqlite)
    await p.start()
    try:
        people = await two_pairs(p)
        await p.run(p.owner, "match")
        approved = await p.run(p.owner, "match approve")
        assert "Round #1 approved: 2 introductions on the way." in approved["content"]
        await until(lambda: all(any("You are matched" in m["content"] for m in p.dms(u)) for u in people.values()))
        assert await p.count(Pairing) == 2
        await asyncio.sleep(1.5)  # a sweep tick passes; nothing new may be sent
        assert all(sum("You are matched" in m["content"] for m in p.dms(u)) == 1 for u in people.values())
        assert fake.rejected == []
    finally:
        await p.stop()


# --- 2. the lifecycle of a pair -------------------------------------------------------------


async def test_a_pair_from_kickoff_to_testimonial(program: Program, fake: FakeDiscord) -> None:
    p = program
    people = await two_pairs(p)
    ann, maria, ben = people["ann"], people["maria"], people["ben"]
    await p.run(p.owner, "match")
    await p.run(p.owner, "match approve")
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

    differ = await p.click(maria.id, reassess, "Wrap up early")  # they chose differently: nothing ends
    assert "Your partner chose differently, so nothing has ended" in differ["content"]
    await until(
        lambda: any(
            "You chose differently: Maria would like to wrap up" in m["content"] for m in fake.channel_messages(thread)
        )
    )
    confirm = await p.run(maria.id, "wrap-up")
    assert "Wrap up your mentorship with Ann now?" in confirm["content"]
    wrapped = await p.click(maria.id, confirm, "Yes, wrap up")
    assert "Wrapped up. Thank you!" in wrapped["content"]
    await until(lambda: any("How would you rate" in m["content"] for m in p.dms(ann)))
    rating = next(m for m in p.dms(ann) if "How would you rate your mentorship with Maria?" in m["content"])
    # One completion message holds every choice: the rating and the next-round question.
    assert list(buttons(rating)) == ["1", "2", "3", "4", "5", "Yes, next round", "Not now", "Get my certificate (PDF)"]
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

    with pytest.raises(CommandUnavailable):
        await p.run(ann.id, "testimonials")
    quotes = await p.run(p.owner, "testimonials")
    assert (
        "Weekly calls kept me going" in quotes["content"] and "A junior developer (mentee — 5/5)" in quotes["content"]
    )
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
    proposal = await p.run(p.owner, "match")
    assert "20 pairs" in text_of(proposal) and "… and 5 more pairs" in text_of(proposal)
    # The proposal names its commands as Discord has them, not in the console's text syntax.
    assert "(/mentor-admin match show lists them all)" in text_of(proposal)
    assert "/mentor match" not in text_of(proposal)
    everything = await p.run(p.owner, "match show")
    assert "20 pairs" in text_of(everything)
    help_text = await p.run(p.owner, "help")
    assert "What you can do (moderator)" in text_of(help_text) and "/mentor-admin testimonials" in text_of(help_text)
    approved = await p.click(p.owner, proposal, "Approve and introduce")
    assert "20 introductions" in approved["content"]
    await until(lambda: len(p.threads()) == 20 and all(fake.channel_messages(t) for t in p.threads()))
    assert fake.rejected == []


# --- the other buttons: policy, Not yet / Need help / Pause, and the moderators' alert ---------


async def test_policy_buttons_check_in_answers_and_the_at_risk_alert(program: Program, fake: FakeDiscord) -> None:
    p = program
    people = await two_pairs(p)
    ann, maria = people["ann"], people["maria"]
    await p.run(p.owner, "modchannel")
    await p.run(p.owner, "match")
    await p.run(p.owner, "match approve")
    await until(lambda: len(p.threads()) == 2 and all(fake.channel_messages(t) for t in p.threads()))
    thread = next(t for t in p.threads() if ann.id in fake.thread_members[t])
    intro = fake.channel_messages(thread)[0]
    change = await p.click(maria.id, intro, "Propose changes")
    assert "What would you change?" in change["content"] and "Send to my partner" in str(change)
    await p.click(ann.id, intro, "Confirm the policy")
    both = await p.click(maria.id, intro, "Confirm the policy")
    assert "you both agree now" in both["content"]
    await until(lambda: any("You both confirmed" in m["content"] for m in fake.channel_messages(thread)))

    for n in (1, 2):  # "Not yet" twice in a row
        p.clock.advance(timedelta(days=14, hours=2))
        await until(lambda n=n: sum("How is your mentorship" in m["content"] for m in p.dms(ann)) == n)
        checkin = [m for m in p.dms(ann) if "How is your mentorship" in m["content"]][-1]
        answer = await p.click(ann.id, checkin, "Not yet")
        assert "Thanks — noted: Not yet." in answer["content"]
    await until(lambda: any("At-risk pair** #1" in m["content"] for m in fake.channel_messages(p.general)))
    alert = next(m for m in fake.channel_messages(p.general) if "At-risk pair** #1" in m["content"])
    assert 'Ann answered "Not yet" twice in a row' in alert["content"]
    assert pinged(alert) == {"users": set(), "roles": set(), "everyone": set()}
    helped = await p.click(ann.id, checkin, "Need help")
    assert "A moderator will get in touch." in helped["content"]
    paused = await p.click(ann.id, checkin, "Pause 2 weeks")
    assert "Check-ins are paused for two weeks for both of you." in paused["content"]
    ended = await p.run(p.owner, "pair 1 end")
    assert "Pairing #1" in ended["content"]
    await until(lambda: any("A moderator ended your mentorship with Maria" in m["content"] for m in p.dms(ann)))
    assert sum("At-risk pair** #1" in m["content"] for m in fake.channel_messages(p.general)) == 1
    assert fake.rejected == []


async def test_button_steps_take_typed_answers_in_the_dm(program: Program, fake: FakeDiscord) -> None:
    """Issue 16: a check-in, a goal's reassess prompt, the wrap-up and the next round answered in words."""
    p = program
    people = await two_pairs(p)
    ann, maria = people["ann"], people["maria"]
    await p.run(p.owner, "match")
    await p.run(p.owner, "match approve")
    await until(lambda: len(p.threads()) == 2 and all(fake.channel_messages(t) for t in p.threads()))
    p.clock.advance(timedelta(days=14, hours=2))
    await until(lambda: any("How is your mentorship with Maria going?" in m["content"] for m in p.dms(ann)))
    kicked_off = await p.dm(ann, "We've had our kick-off", "Kick-off recorded")
    assert "Kick-off recorded. Thank you!" in kicked_off["content"]
    met = await p.dm(ann, "We met!", "noted")
    assert "Thanks — noted: We met." in met["content"]
    await p.run(ann.id, 'goal set "Ship my first open-source PR"')
    await p.run(maria.id, "goal done")
    asked = await p.dm(maria, "wrap up early", "Wrap up your mentorship")
    assert "Wrap up your mentorship with Ann now?" in asked["content"]  # alone, it still asks to confirm
    unclear = await p.dm(ann, "@everyone maybe?", "didn't catch")
    assert "I didn't catch that. How do you want to go on?" in unclear["content"]
    assert pinged(unclear) == {"users": set(), "roles": set(), "everyone": set()}
    differ = await p.dm(ann, "let's continue", "chose differently")
    assert "Your partner chose differently, so nothing has ended" in differ["content"]
    wrapped = await p.dm(maria, "yes", "Wrapped up")  # her confirmation still stands: they talked it over
    assert "Wrapped up. Thank you!" in wrapped["content"]
    await until(lambda: any("How would you rate" in m["content"] for m in p.dms(ann)))
    later = await p.dm(ann, "not now", "next round")
    assert "you won't be matched in the next round" in later["content"]
    async with p.store.db.unit() as s:
        statuses = sorted((await s.execute(select(Pairing.status))).scalars())
    assert statuses == ["active", "completed"]
    assert fake.rejected == []
