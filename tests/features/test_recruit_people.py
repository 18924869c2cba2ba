"""Recruiting people through the console: targeted asks that keep their limits, lapsed
participants invited back after a confirmation, an alumna becoming a mentor with her
answers carried over, and a first-time mentor's training path."""

from __future__ import annotations

from sqlalchemy import select

from storage.tables import MentorTraining, Profile, RecruitAsk
from tests.support.chat import Chat
from tests.support.community import sign_up
from tests.support.intake_flows import profile_of


async def go_shortage(chat: Chat) -> None:
    await chat("moderators: carol", "channel: #mods", "@carol /mentor modchannel", "channel: #general")
    for n in range(4):
        await sign_up(chat, f"mentee{n}", "mentee", topics_wanted=["Go"])


async def asks(chat: Chat) -> list[RecruitAsk]:
    async with chat.bot.db.unit() as s:
        return list((await s.execute(select(RecruitAsk).order_by(RecruitAsk.id))).scalars())


async def test_targeted_asks_respect_not_now_never_pause_leave_forget_and_anonymous_polls(any_chat: Chat) -> None:
    chat = any_chat  # SQLite, and PostgreSQL when TEST_DATABASE_URL is set
    await go_shortage(chat)
    await chat('@carol /mentor poll "Would you mentor?" --closes 1d', "@pia click I'd mentor")
    await chat('@carol /mentor poll "Secret: would you mentor?" --closes 1d --anonymous', "@quin click I'd mentor")
    for name in ("rex", "sam", "tia", "uma", "val"):  # mentors with room who mention Go
        await sign_up(chat, name, "mentor", topics_offered=["Python"], can_help_with="Go services, testing", capacity=2)
    await chat("@sam /mentor pause 4", "@tia /mentor leave", "@tia click Yes, leave")
    await chat("@uma /mentor forget-me", "@uma click Yes, delete my data")
    out = await chat("wait 1d")
    assert "Mentor shortage: Go (alert #1)" in out
    out = await chat("@carol click Ask members directly")
    assert "[only carol] Asked 3 members by DM (1 from polls, 2 mentors with room) about Go." in out
    assert "[DM pia] Could you mentor Go?" in out and "You said in a poll that you'd like to mentor." in out
    assert "[DM rex] Could you mentor Go?" in out and "[DM val] Could you mentor Go?" in out
    for absent in ("quin", "sam", "tia", "uma"):
        assert f"[DM {absent}] Could you mentor" not in out  # anonymous vote, paused, left, forgotten
    out = await chat("@rex click Not now", "@val click Never ask me")
    assert "I won't ask about this again for a good while" in out and "I won't ask you to mentor again" in out
    out = await chat("@pia click Yes, sign me up")
    assert "[DM pia] Let's sign you up" in out and "Your answer so far: Go" in out
    out = await chat("@carol click Ask members directly")
    assert "Nobody to ask about Go right now" in out  # all three were asked within 90 days
    assert sorted((a.reason, a.answer) for a in await asks(chat)) == [
        ("poll", "yes"),
        ("related", "never"),
        ("related", "not_now"),
    ]
    out = await chat("wait 8d")
    assert "Mentor shortage" not in out  # no second alert while the first is open
    out = await chat("wait 83d", "@carol click Ask members directly")  # the same alert, 91 days on
    assert "[DM rex] Could you mentor Go?" in out  # "not now" has expired
    assert "[DM val]" not in out  # "never" holds


async def test_lapsed_participants_are_listed_confirmed_and_invited(any_chat: Chat) -> None:
    chat = any_chat  # SQLite, and PostgreSQL when TEST_DATABASE_URL is set
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "maria", "mentor", topics_offered=["Python"])
    await sign_up(chat, "ann", "mentee", topics_wanted=["Python"])
    await chat("@carol /mentor match", "@carol /mentor match approve")
    await chat("@maria /mentor wrap-up", "@maria click Yes, wrap up")
    out = await chat("@ann /mentor recruit lapsed")
    assert "Only moderators can use /mentor recruit lapsed" in out
    out = await chat("@carol /mentor recruit lapsed")
    assert "[only carol] Lapsed participants: 2" in out and "maria" in out and "ann" in out
    assert "[1] Invite 2 members" in out
    assert "A new round is coming" not in out  # nothing is sent before the confirmation
    out = await chat("@carol click Invite 2 members")
    assert "Invited 2 members back, one DM each." in out
    assert "[DM ann] A new round is coming" in out and "[DM maria] A new round is coming" in out
    out = await chat("@ann click Yes, count me in")
    assert "Welcome back — you're in the pool for the next matching round." in out
    out = await chat("@maria click Never ask me")
    out = await chat("@carol /mentor recruit lapsed")
    assert "Nobody to invite back" in out  # ann said yes (in the pool), maria said never
    profile = await profile_of(chat, "ann")
    assert profile is not None and profile.next_round == "yes"


async def test_an_alumna_becomes_a_mentor_with_her_answers_carried_over(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "maria", "mentor", topics_offered=["Python"])
    await sign_up(
        chat,
        "ann",
        "mentee",
        topics_wanted=["Python"],
        goals="Write Go services with tests",
        team="Acme",
        hours_per_month=6,
        career_stage="mid",
    )
    await chat("@carol /mentor match", "@carol /mentor match approve")
    await chat("@maria /mentor wrap-up", "@maria click Yes, wrap up")
    out = await chat("@maria click 5")
    assert "Would you mentor someone newer" not in out  # only mentees are asked
    out = await chat("@ann click 5")
    assert "5/5 noted" in out and "Would you mentor someone newer in the next round?" in out
    out = await chat("@ann click Yes, I'd mentor")
    assert "[DM ann] Let's sign you up" in out
    assert "(4/16) In your own words: what could you help a mentee with?" in out  # never asked as a mentee
    out = await chat("@ann Testing in Python and Go", "@ann click 1")
    out += await chat("@ann click Yes, introduce me")
    assert "Your sign-up" in out and "Topics you mentor: Python, Go" in out and "Team/organisation: Acme" in out
    out = await chat("@ann click Save")
    assert "Saved" in out
    profile = await profile_of(chat, "ann")
    assert profile is not None and profile.role == "mentor" and profile.topics_offered == ["Python", "Go"]
    assert profile.team == "Acme" and profile.hours_per_month == 6 and profile.next_round == ""
    out = await chat("@carol /mentor stats")
    assert "Mentors from alumni: 1" in out


def test_only_a_mentee_rating_four_or_five_is_asked_to_mentor() -> None:
    from bot.features.recruit.alumni import alumni_choice
    from storage.tables import Feedback

    mentee = Feedback(id=1, community_id=1, pairing_id=1, member_id=1, role="mentee")
    mentor = Feedback(id=2, community_id=1, pairing_id=1, member_id=2, role="mentor")
    assert alumni_choice(mentee, 3) == () and alumni_choice(mentor, 5) == ()
    assert len(alumni_choice(mentee, 4)) == 3


async def test_a_first_time_mentor_gets_four_lessons_over_two_weeks(any_chat: Chat) -> None:
    chat = any_chat  # SQLite, and PostgreSQL when TEST_DATABASE_URL is set
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "maria", "mentor", topics_offered=["Python"])
    await sign_up(chat, "ann", "mentee", topics_wanted=["Python"])
    await chat("@carol /mentor match", "@carol /mentor match approve")
    out = await chat("wait 23h")
    assert "Mentor training" not in out  # the day after the introduction, not during it
    out = await chat("wait 1h")
    assert "[DM maria] Mentor training 1 of 4 — a few minutes, for your first weeks" in out
    assert "A mentor's first conversation" in out and "[DM ann] Mentor training" not in out
    out = await chat("@ann click Done — I've read it")
    out = await chat("@maria click Done — I've read it")
    assert "Noted. 3 lessons to go" in out
    out = await chat("@carol /mentor stats")
    assert "Mentor training: 0 trained · 1 in training" in out
    out = await chat("wait 3d")
    assert "[DM maria] Mentor training 2 of 4" in out and "Running a good check-in" in out
    await chat("@maria click Done — I've read it")
    out = await chat("wait 5d")
    assert "Mentor training 3 of 4" in out
    await chat("@maria click Done — I've read it")
    out = await chat("wait 4d")
    assert "Mentor training 4 of 4" in out
    out = await chat("@maria click Done — I've read it")
    assert "That's the whole training" in out
    out = await chat("@carol /mentor stats")
    assert "Mentor training: 1 trained · 0 in training" in out
    async with chat.bot.db.unit() as s:
        row = (await s.execute(select(MentorTraining))).scalar_one()
        assert row.next_due_at is None and len(row.done) == 4
        assert (await s.execute(select(Profile).where(Profile.role == "mentor"))).scalar_one()
