"""Recruiting through Discord (the real discord.py client, `serve`, against the fake): a
shortage alert in the moderators' channel, Edit as a modal, Post run in the chosen
channel, a member's click on the post starting mentor sign-up with topic and campaign;
an alumna's "not now" to a targeted ask is kept and respected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.tables import Intake, Profile, RecruitAsk
from tests.fakes.discord import FakeDiscord
from tests.support.discord_program import Program, buttons, invocation, text_of, until


async def run_in(p: Program, channel_id: str, user_id: str, text: str) -> dict[str, Any]:
    """A command run in a given channel; returns the private answer."""
    top, sub, options = invocation(text)
    interaction = await p.fake.slash(p.guild, channel_id, user_id, sub, options, command=top)
    await p.fake.wait_for_call("PATCH", rf"^/webhooks/\d+/{interaction['token']}/messages/@original$")
    return p.fake.messages[p.fake.interactions[interaction["token"]]["original_message_id"]]


async def shortage(p: Program) -> dict[str, Any]:
    for n in range(5):
        await p.seed(p.fake.add_member(p.guild, f"waiting{n}"), "mentee", topics_wanted=["Go"])
    await p.run(p.owner, "modchannel")
    p.clock.advance(timedelta(days=1))
    await until(lambda: any("Mentor shortage" in text_of(m) for m in p.fake.channel_messages(p.general)))
    return next(m for m in p.fake.channel_messages(p.general) if "Mentor shortage" in text_of(m))


async def test_alert_edit_in_a_modal_post_and_sign_up_attributed(program: Program, fake: FakeDiscord) -> None:
    p = program
    alert = await shortage(p)
    assert set(buttons(alert)) == {"Post", "Edit", "Ask members directly", "Dismiss"}
    opened = await fake.click(p.guild, p.owner, alert["id"], buttons(alert)["Edit"])
    await fake.wait_for_call("POST", rf"/{opened['token']}/callback$")
    modal = fake.response_to(opened)
    assert modal is not None and modal["type"] == 9 and modal["data"]["custom_id"] == "mentor:rcr:1:edit"
    await fake.submit_modal(
        p.guild, p.general, p.owner, "mentor:rcr:1:edit", {"text": "Go mentors **wanted** @everyone"}
    )
    await until(lambda: "Go mentors \\*\\*wanted\\*\\*" in text_of(fake.messages[alert["id"]]))

    jobs = list(p.guild.channels)[1]
    posted = await run_in(p, jobs, p.owner, "recruit post 1")
    assert "campaign “ask-1”" in text_of(posted)
    await until(lambda: any("Mentors wanted" in text_of(m) for m in fake.channel_messages(jobs)))
    post = next(m for m in fake.channel_messages(jobs) if "Mentors wanted" in text_of(m))
    (call,) = fake.calls_to("POST", rf"^/channels/{jobs}/messages$")
    assert call.json["allowed_mentions"]["parse"] == []  # "@everyone" in the moderator's text pings nobody
    alice = fake.add_member(p.guild, "alice")
    await p.click(alice.id, post, "Mentor Go")
    async with p.store.db.unit() as s:
        intake = (await s.execute(select(Intake))).scalar_one()
    assert intake.source == "campaign:ask-1" and intake.answers == {"role": "mentor", "offer": ["Go"]}


async def test_an_alumna_says_not_now_and_is_not_asked_again(program: Program, fake: FakeDiscord) -> None:
    p = program
    ann = fake.add_member(p.guild, "ann")
    await p.seed(ann, "mentor", topics_offered=["Python"], can_help_with="Go and testing", capacity=2)
    alert = await shortage(p)
    asked = await p.click(p.owner, alert, "Ask members directly")
    assert "Asked 1 member by DM" in (asked.get("content") or text_of(asked))
    await until(lambda: any("Could you mentor" in text_of(m) for m in p.dms(ann)))
    ask = next(m for m in p.dms(ann) if "Could you mentor" in text_of(m))
    answer = await p.click(ann.id, ask, "Not now")
    assert "I won't ask about this again for a good while" in (answer.get("content") or "")
    async with p.store.db.unit() as s:
        assert (await s.execute(select(RecruitAsk.answer))).scalar_one() == "not_now"
    again = await p.click(p.owner, alert, "Ask members directly")
    assert "Nobody to ask about Go right now" in (again.get("content") or "")


def newest_dm(p: Program, user: Any, contains: str) -> dict[str, Any]:
    return next(m for m in reversed(p.dms(user)) if contains in text_of(m))


async def test_an_alumna_becomes_a_mentor_with_her_answers_carried_over(program: Program, fake: FakeDiscord) -> None:
    p = program
    maria, ann = fake.add_member(p.guild, "maria"), fake.add_member(p.guild, "ann")
    await p.seed(maria, "mentor", topics_offered=["Python"])
    await p.seed(
        ann,
        "mentee",
        topics_wanted=["Python"],
        goals="Write Go services with tests",
        career_stage="mid",
        hours_per_month=6,
        team="Acme",
    )
    await p.run(p.owner, "modchannel")
    await p.run(p.owner, "match")
    await p.run(p.owner, "match approve")
    ask = await p.run(maria.id, "wrap-up")
    await p.click(maria.id, ask, "Yes, wrap up")
    await until(lambda: any("How would you rate" in text_of(m) for m in p.dms(ann)))
    await p.click(ann.id, newest_dm(p, ann, "How would you rate"), "5")
    await until(lambda: any("Would you mentor someone newer" in text_of(m) for m in p.dms(ann)))
    await p.click(ann.id, newest_dm(p, ann, "Would you mentor someone newer"), "Yes, I'd mentor")
    await until(lambda: any("what could you help a mentee with?" in text_of(m) for m in p.dms(ann)))
    await p.dm(ann, "Testing in Python and Go", expect="How many mentees")
    await p.click(ann.id, newest_dm(p, ann, "How many mentees"), "1")
    await until(lambda: any("introduce" in text_of(m) for m in p.dms(ann)))
    consent = next(m for m in reversed(p.dms(ann)) if "Yes, introduce me" in buttons(m))
    await p.click(ann.id, consent, "Yes, introduce me")
    await until(lambda: any("Save" in buttons(m) for m in p.dms(ann)))
    summary = next(m for m in reversed(p.dms(ann)) if "Save" in buttons(m))
    assert "Python, Go" in text_of(summary) and "Acme" in text_of(summary)
    await p.click(ann.id, summary, "Save")
    async with p.store.db.unit() as s:
        profile = (await s.execute(select(Profile).where(Profile.team == "Acme"))).scalar_one()
    board = await p.run(p.owner, "stats")
    assert "Mentors from alumni: 1" in text_of(board)
    assert profile.role == "mentor" and profile.topics_offered == ["Python", "Go"]


async def test_a_first_time_mentor_is_trained_and_lapsed_members_invited(program: Program, fake: FakeDiscord) -> None:
    p = program
    maria, ann = fake.add_member(p.guild, "maria"), fake.add_member(p.guild, "ann")
    await p.seed(maria, "mentor", topics_offered=["Python"])
    await p.seed(ann, "mentee", topics_wanted=["Python"])
    await p.run(p.owner, "match")
    await p.run(p.owner, "match approve")
    p.clock.advance(timedelta(days=1))
    await until(lambda: any("Mentor training 1 of 4" in text_of(m) for m in p.dms(maria)))
    lesson = next(m for m in p.dms(maria) if "Mentor training 1 of 4" in text_of(m))
    done = await p.click(maria.id, lesson, "Done — I've read it")
    assert "3 lessons to go" in (done.get("content") or "")
    assert not any("Mentor training" in text_of(m) for m in p.dms(ann))
    board = await p.run(p.owner, "stats")
    assert "Mentor training: 0 trained · 1 in training" in text_of(board)

    ask = await p.run(maria.id, "wrap-up")
    await p.click(maria.id, ask, "Yes, wrap up")
    listing = await p.run(p.owner, "recruit lapsed")
    assert "Lapsed participants" in text_of(listing) and "Invite 2 members" in buttons(listing)
    invited = await p.click(p.owner, listing, "Invite 2 members")
    assert "Invited 2 members back" in (invited.get("content") or "")
    await until(lambda: any("A new round is coming" in text_of(m) for m in p.dms(ann)))
