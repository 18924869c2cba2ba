"""Recruiting through Slack (the real Bolt app against the fake Slack): a shortage alert
in the moderators' channel, Edit as a modal, Post typed in the chosen channel, and a
member's click on the post starting mentor sign-up with the topic and the campaign set;
a targeted ask answered "Never ask me" is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.clock import ManualClock
from bot.core.events import Actor, CommunityRef
from bot.core.settings import Settings
from storage.tables import Intake, Profile, RecruitAlert, RecruitAsk
from tests.fakes.slack import TEAM_ID, FakeSlack
from tests.support.community import seed_profile
from tests.support.db import START
from tests.support.slack_harness import FORM, SlackStack, body_text, buttons, settle
from tests.support.slack_payloads import block_action

SLACK = CommunityRef("slack", TEAM_ID, "mentor-community")


@pytest.fixture
async def stack(fake: FakeSlack, settings: Settings) -> AsyncIterator[SlackStack]:
    fake.add_channel("C0MODS", "moderators", members=("U0CAROL",))
    fake.add_channel("C0JOBS", "jobs", members=("U0ALICE", "U0BOB", "U0CAROL"))
    for n in range(5):
        fake.add_user(f"U0WAIT{n}", f"Waiting {n}")
    s = await SlackStack.start(fake, settings, ManualClock(START))
    yield s
    await s.stop()


async def shortage(stack: SlackStack) -> dict[str, Any]:
    """Five mentees want Go, nobody mentors it; a day later the alert is in #moderators."""
    now = stack.clock.now()
    for n in range(5):
        await seed_profile(stack.bot, SLACK, Actor(f"U0WAIT{n}", f"Waiting {n}"), "mentee", now, topics_wanted=["Go"])
    await stack.command("U0CAROL", "modchannel", channel_id="C0MODS")
    stack.clock.advance(timedelta(days=1))
    await stack.bot.sweep()
    await stack.deliver()
    mods = stack.fake.channels["C0MODS"]
    await settle(lambda: any("Mentor shortage" in body_text(m) for m in mods.messages))
    return next(m for m in mods.messages if "Mentor shortage" in body_text(m))


async def test_alert_edit_in_a_modal_post_and_sign_up_attributed(stack: SlackStack, fake: FakeSlack) -> None:
    alert = await shortage(stack)
    assert "5 mentees are waiting for it; 0 mentors offer it" in body_text(alert)
    assert set(buttons(alert)) == {"Post", "Edit", "Ask members directly", "Dismiss"}
    edit = buttons(alert)["Edit"]
    assert edit == "mentor:rcr:1:edit"
    await stack.post(
        block_action(edit, user_id="U0CAROL", channel_id="C0MODS", message_ts=alert["ts"], response_url=""), FORM
    )
    await settle(lambda: bool(fake.modals))
    modal = fake.modals[-1]
    assert modal["callback_id"] == "mentor:rcr:1:edit"  # the shared form, opened for alert 1
    status, _ = await stack.submit("U0CAROL", modal["callback_id"], {"text": "Go mentors <wanted> & welcome"})
    assert status == 200
    await stack.deliver()
    await settle(lambda: "Go mentors &lt;wanted&gt; &amp; welcome" in body_text(fake.channels["C0MODS"].messages[-1]))

    refused = await stack.command("U0BOB", "recruit post 1", channel_id="C0JOBS")
    assert "Only moderators" in body_text(refused)
    posted = await stack.command("U0CAROL", "recruit post 1", channel_id="C0JOBS")
    assert "campaign “ask-1”" in body_text(posted)
    await stack.deliver()
    jobs = fake.channels["C0JOBS"]
    await settle(lambda: any("Mentors wanted" in body_text(m) for m in jobs.messages))
    post = next(m for m in jobs.messages if "Mentors wanted" in body_text(m))
    assert "Go mentors &lt;wanted&gt; &amp; welcome" in body_text(post)  # escaped for Slack
    join = buttons(post)["Mentor Go"]
    reply = await stack.click("U0ALICE", join, post["ts"], channel_id="C0JOBS")
    assert "I've sent you a DM" in body_text(reply)
    async with stack.bot.db.unit() as s:
        intake = (await s.execute(select(Intake))).scalar_one()
        assert intake.source == "campaign:ask-1" and intake.answers["offer"] == ["Go"]
        assert intake.answers["role"] == "mentor"


async def test_targeted_ask_and_never_ask_me(stack: SlackStack, fake: FakeSlack) -> None:
    now = stack.clock.now()
    await seed_profile(
        stack.bot, SLACK, Actor("U0ALICE", "Alice"), "mentor", now, topics_offered=["Python"], can_help_with="Go, Rust"
    )
    alert = await shortage(stack)
    reply = await stack.click("U0CAROL", buttons(alert)["Ask members directly"], alert["ts"], channel_id="C0MODS")
    assert "Asked 1 member by DM (1 mentors with room)" in body_text(reply)
    await stack.deliver()
    await settle(lambda: any("Could you mentor" in body_text(m) for m in fake._open_im("U0ALICE").messages))
    ask = next(m for m in fake._open_im("U0ALICE").messages if "Could you mentor" in body_text(m))
    answer = await stack.click_in_dm("U0ALICE", buttons(ask)["Never ask me"], ask["ts"])
    assert "I won't ask you to mentor again" in body_text(answer)
    async with stack.bot.db.unit() as s:
        assert (await s.execute(select(RecruitAsk.answer))).scalar_one() == "never"
        assert (await s.execute(select(RecruitAlert.asked))).scalar_one() == 1
    again = await stack.click("U0CAROL", buttons(alert)["Ask members directly"], alert["ts"], channel_id="C0MODS")
    assert "Nobody to ask about Go right now" in body_text(again)


async def test_an_alumna_becomes_a_mentor_with_her_answers_carried_over(stack: SlackStack, fake: FakeSlack) -> None:
    now = stack.clock.now()
    await seed_profile(stack.bot, SLACK, Actor("U0ALICE", "Alice"), "mentor", now, topics_offered=["Python"])
    await seed_profile(
        stack.bot,
        SLACK,
        Actor("U0BOB", "Bob"),
        "mentee",
        now,
        topics_wanted=["Python"],
        goals="Write Go services with tests",
        career_stage="mid",
        team="Acme",
    )
    await stack.command("U0CAROL", "modchannel", channel_id="C0MODS")
    proposal = await stack.command("U0CAROL", "match")
    await stack.click("U0CAROL", buttons(proposal)["Approve and introduce"], "1700000000.000001")
    ask = await stack.command("U0ALICE", "wrap-up")
    await stack.click("U0ALICE", buttons(ask)["Yes, wrap up"], "1700000000.000002")
    await stack.deliver()
    im = fake._open_im("U0BOB")
    await settle(lambda: any("How would you rate" in body_text(m) for m in im.messages))
    rating = next(m for m in im.messages if "How would you rate" in body_text(m))
    thanks = await stack.click_in_dm("U0BOB", buttons(rating)["5"], rating["ts"])
    assert "Would you mentor someone newer in the next round?" in body_text(thanks)
    start = await stack.click_in_dm("U0BOB", buttons(thanks)["Yes, I'd mentor"], thanks["ts"])
    assert "(4/16) In your own words: what could you help a mentee with?" in body_text(start)
    status, _ = await stack.dm("U0BOB", "Testing in Python and Go", "Ev0ALUM001")
    assert status == 200
    await settle(lambda: "About how many hours" in body_text(stack.dm_replies("U0BOB")[-1]))
    hours = stack.dm_replies("U0BOB")[-1]  # the seeded profile never said; everything else carried over
    capacity = await stack.click_in_dm("U0BOB", buttons(hours)["8"], hours["ts"])
    assert "How many mentees" in body_text(capacity)
    consent = await stack.click_in_dm("U0BOB", buttons(capacity)["1"], capacity["ts"])
    summary = await stack.click_in_dm("U0BOB", buttons(consent)["Yes, introduce me"], consent["ts"])
    assert "Python, Go" in body_text(summary) and "Acme" in body_text(summary)
    saved = await stack.click_in_dm("U0BOB", buttons(summary)["Save"], summary["ts"])
    assert "Saved" in body_text(saved)
    async with stack.bot.db.unit() as s:
        profile = (
            await s.execute(select(Profile).where(Profile.role == "mentor", Profile.team == "Acme"))
        ).scalar_one()
        assert profile.topics_offered == ["Python", "Go"] and profile.can_help_with == "Testing in Python and Go"
    board = await stack.command("U0CAROL", "stats")
    assert "Mentors from alumni: 1" in body_text(board)


async def test_a_first_time_mentor_gets_a_lesson_with_a_done_button(stack: SlackStack, fake: FakeSlack) -> None:
    now = stack.clock.now()
    await seed_profile(stack.bot, SLACK, Actor("U0ALICE", "Alice"), "mentor", now, topics_offered=["Python"])
    await seed_profile(stack.bot, SLACK, Actor("U0BOB", "Bob"), "mentee", now, topics_wanted=["Python"])
    proposal = await stack.command("U0CAROL", "match")
    await stack.click("U0CAROL", buttons(proposal)["Approve and introduce"], "1700000000.000001")
    stack.clock.advance(timedelta(days=1))
    await stack.bot.sweep()
    await stack.deliver()
    im = fake._open_im("U0ALICE")
    await settle(lambda: any("Mentor training 1 of 4" in body_text(m) for m in im.messages))
    lesson = next(m for m in im.messages if "Mentor training 1 of 4" in body_text(m))
    done = await stack.click_in_dm("U0ALICE", buttons(lesson)["Done — I've read it"], lesson["ts"])
    assert "3 lessons to go" in body_text(done)
    board = await stack.command("U0CAROL", "stats")
    assert "Mentor training: 0 trained · 1 in training" in body_text(board)
