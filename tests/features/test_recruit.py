"""Recruiting through the console: a shortage alert proposes a ready post; a moderator
edits and posts it; members sign up from it as mentors with the topic set, and stats
count them for the post's campaign. Targeted asks keep their limits."""

from __future__ import annotations

from sqlalchemy import select

from storage.tables import RecruitAlert
from tests.support.chat import Chat
from tests.support.community import sign_up
from tests.support.intake_flows import mentor_answers, profile_of


async def short_of_ml(chat: Chat, waiting: int = 5) -> None:
    """`waiting` mentees want Machine learning; one mentor offers it with one free place."""
    await chat("moderators: carol", "channel: #mods", "@carol /mentor modchannel", "channel: #general")
    await sign_up(chat, "maya", "mentor", topics_offered=["Machine learning"], capacity=1)
    for n in range(waiting):
        await sign_up(chat, f"mentee{n}", "mentee", topics_wanted=["Machine learning"])


async def alerts(chat: Chat) -> list[RecruitAlert]:
    async with chat.bot.db.unit() as s:
        return list((await s.execute(select(RecruitAlert).order_by(RecruitAlert.id))).scalars())


async def test_alert_edit_post_and_sign_ups_attributed(any_chat: Chat) -> None:
    chat = any_chat  # SQLite, and PostgreSQL when TEST_DATABASE_URL is set
    await short_of_ml(chat)
    out = await chat("wait 1d")
    assert "[#mods] Mentor shortage: Machine learning (alert #1)" in out
    assert "5 mentees are waiting for it; 1 mentor offers it, with 1 free place (alert margin 3)." in out
    assert "5 members are waiting for a Machine learning mentor." in out
    assert "[1] Post  [2] Edit  [3] Ask members directly  [4] Dismiss" in out
    out = await chat("wait 1d")
    assert "Mentor shortage" not in out  # at most one alert per topic a week

    out = await chat("@bob /mentor recruit asks")
    assert "Only moderators can use /mentor recruit asks" in out
    out = await chat("@bob click Post")
    assert "Only moderators can act on shortage alerts" in out
    out = await chat("@carol click Edit")
    assert '[only carol] Type /mentor recruit edit 1 "the new message" — then Post.' in out
    out = await chat('@carol /mentor recruit edit 1 "Our ML mentees need you: <two hours> a month."')
    assert "Saved. The alert shows the new message" in out
    assert "Our ML mentees need you: <two hours> a month." in out  # the alert, updated in place
    out = await chat("@carol click Post")  # no poll yet: the moderator chooses the channel
    assert "Type /mentor recruit post 1 in the channel where members should see it." in out
    out = await chat("channel: #jobs", "@carol /mentor recruit post 1")
    assert "[#jobs] Mentors wanted: Machine learning" in out
    assert "Our ML mentees need you: <two hours> a month." in out and "[1] Mentor Machine learning" in out
    assert "Sign-ups from its button count for the campaign “ask-1”" in out
    assert "Posted as the campaign “ask-1”" in out  # the moderators' alert shows the outcome
    out = await chat("@carol /mentor recruit post 1")
    assert "already posted" in out

    out = await chat("@dave click Mentor Machine learning")
    assert "[DM dave] Let's sign you up" in out and "Which topics could you mentor" in out
    assert "Your answer so far: Machine learning" in out  # the post's topic is filled in
    await chat("@dave pick Machine learning, Python", *mentor_answers("dave")[1:], "@dave click Confirm")
    profile = await profile_of(chat, "dave")
    assert profile is not None and profile.source == "campaign:ask-1" and profile.role == "mentor"
    assert profile.topics_offered == ["Machine learning", "Python"]
    out = await chat("@carol /mentor stats")
    assert "Recruiting post for shortage alert #1: 1 sign-up" in out


async def test_dismiss_and_the_margin_from_the_program_file(chat: Chat) -> None:
    await short_of_ml(chat, waiting=3)  # 3 waiting, 1 free place: a gap of 2, under the margin of 3
    out = await chat("wait 1d")
    assert "Mentor shortage" not in out
    await sign_up(chat, "mentee9", "mentee", topics_wanted=["Machine learning"])
    out = await chat("wait 1d")
    assert "Mentor shortage: Machine learning (alert #1)" in out
    out = await chat("@carol click Dismiss")
    assert "Alert #1 dismissed." in out and "Dismissed. The next alert for this topic" in out
    out = await chat("@carol /mentor recruit asks")
    assert "No open shortage alerts" in out
    out = await chat("wait 6d")
    assert "Mentor shortage" not in out
    out = await chat("wait 2d")
    assert "Mentor shortage: Machine learning (alert #2)" in out
    assert [a.status for a in await alerts(chat)] == ["dismissed", "open"]


async def test_a_topic_no_mentor_offers_alerts_once_its_waiting_reach_the_margin(chat: Chat) -> None:
    """The boundary: with no mentor for Rust, two waiting are under the margin of 3, three reach it."""
    await chat("moderators: carol", "channel: #mods", "@carol /mentor modchannel", "channel: #general")
    await sign_up(chat, "maya", "mentor", topics_offered=["Go"], capacity=1)
    for n in range(2):
        await sign_up(chat, f"mentee{n}", "mentee", topics_wanted=["Rust"])
    out = await chat("wait 1d")
    assert "Mentor shortage" not in out
    await sign_up(chat, "mentee2", "mentee", topics_wanted=["Rust"])
    out = await chat("wait 1d")
    assert "Mentor shortage: Rust (alert #1)" in out
    (alert,) = await alerts(chat)
    assert (alert.waiting, alert.free_places, alert.mentors_offering) == (3, 0, 0)
