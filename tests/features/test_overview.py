"""The overview in the console: the same information as the Slack Home and the
Discord answers, as text — `/mentor me`, `/mentor overview`, the paged lists, the
card's buttons, the short forms, and the Home refresh bookkeeping."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.events import CommunityRef, ComponentAction, FormSubmission
from storage.tables import Goal, HomeView, OutboxMessage, Pairing, Profile, StatsSnapshot
from tests.support.chat import Chat
from tests.support.community import member_id, sign_up

COMMUNITY = CommunityRef("console", "console")


async def _count(chat: Chat, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def _paired(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "maria", "mentor", topics_offered=["Python"])
    await sign_up(chat, "lee", "mentee", topics_wanted=["Python"])
    await chat("@carol /mentor match", "@carol /mentor match approve")


async def test_me_before_during_and_after_a_break(chat: Chat) -> None:
    out = await chat("@ann /mentor me")
    assert "Status: not signed up yet." in out and "[1] Join the program" in out
    await _paired(chat)
    out = await chat("@lee /mentor me")
    assert "Status: paired" in out and "Your mentor: maria (pairing #1)" in out
    assert "Cadence: Every 2 weeks" in out and "Channel: Video calls" in out and "Next check-in:" in out
    assert "Current goal: no goal yet" in out and "Set a goal" in out
    out = await chat("@lee pick Pause 2 weeks")
    assert "Paused until" in out
    out = await chat("@lee /mentor me")
    assert "Status: paused until" in out and "Resume" in out
    out = await chat("@lee click Resume")
    assert "Welcome back" in out
    await chat('@lee /mentor goal set "Ship my first PR" --by 6w')
    out = await chat("@lee /mentor me")
    assert "Current goal: Ship my first PR (by" in out and "Update goal" in out


async def test_leave_from_the_card_asks_first(chat: Chat) -> None:
    await _paired(chat)
    await chat("@lee /mentor me")
    out = await chat("@lee click Leave")
    assert "Leave the program?" in out
    assert await _count(chat, Pairing, Pairing.status == "active") == 1
    out = await chat("@lee click Yes, leave")
    assert "You've left the program" in out
    assert await _count(chat, Pairing, Pairing.status == "active") == 0


async def test_overview_figures_come_from_the_sweep_never_from_the_command(chat: Chat) -> None:
    await _paired(chat)
    out = await chat("@carol /mentor overview")
    assert "being counted" in out and "No matching round is waiting" in out
    assert await _count(chat, StatsSnapshot) == 1
    out = await chat("wait 1m", "@carol /mentor overview")
    assert "Signed up: 2 (1 mentoring, 1 mentored)" in out and "Pairs active / completed: 1 / 0" in out
    out = await chat("@lee /mentor overview")
    assert "Only moderators" in out


async def test_pairs_and_members_lists_filter_sort_and_act(any_chat: Chat) -> None:
    chat = any_chat  # the filters (JSON as text, boolean ordering) on SQLite and PostgreSQL
    await _paired(chat)
    for n in range(12):
        await sign_up(chat, f"w{n:02d}", "mentee", topics_wanted=["Rust"])
        await chat("wait 1h")
    out = await chat("@carol /mentor members --waiting")
    assert "Waiting for a match: 12 (page 1 of 2)" in out and out.index("w00") < out.index("w09")
    out = await chat("@carol click Next")
    assert "page 2 of 2" in out and "w11" in out
    out = await chat("@carol /mentor members --topic rust")
    assert "Members interested in Rust: 12" in out
    out = await chat("@carol /mentor members --role mentor")
    assert "Mentors: 1" in out and "maria" in out
    out = await chat("@carol /mentor pairs @lee")
    assert "Pairs of lee: 1" in out and "#1 lee ← maria" in out
    out = await chat("@carol /mentor pairs --topic Python")
    assert "Pairs about Python: 1" in out
    out = await chat("@carol /mentor pairs --at-risk --ending 30d")
    assert "one filter at a time" in out
    out = await chat("@carol /mentor pairs --topic Cobol")
    assert "not a topic of the program" in out
    out = await chat("@carol /mentor pairs")
    out = await chat("@carol click #1")
    assert "Pairing #1" in out and "End and rematch" in out
    out = await chat("@carol click End and rematch")
    assert "End and rematch pairing #1?" in out
    out = await chat("@carol click Yes, end and rematch")
    assert "Pairing #1 is ended" in out


async def test_moderator_buttons_from_another_community_find_nothing(chat: Chat) -> None:
    await _paired(chat)
    lee = await member_id(chat, "lee")
    elsewhere = CommunityRef("console", "another-community")
    intruder = chat.session.actor("carol")  # a moderator — of the other community
    for component_id in ("mentor:mpair:1:end-yes", f"mentor:mmember:{lee}:profile", f"mentor:pairs:1:page:m{lee}"):
        replies = await chat.bot.handle(ComponentAction(elsewhere, intruder, "#general", component_id))
        text = replies[0].plain_text()
        assert "not here" in text or ": 0" in text, text
        assert "lee" not in text
    assert await _count(chat, Pairing, Pairing.status == "active") == 1


async def test_short_forms_validate_like_the_conversation(chat: Chat) -> None:
    await _paired(chat)
    out = await chat("@lee /mentor me")
    out = await chat("@lee click Set a goal")  # the console has no modals: it says what to type
    assert '/mentor goal set "what you want to achieve"' in out
    lee = chat.session.actor("lee")
    replies = await chat.bot.handle(
        FormSubmission(COMMUNITY, lee, "mentor:goalf:new:set", {"goal": "Ship it", "by": "6w"})
    )
    assert "Goal 1 is set" in replies[0].plain_text()
    assert await _count(chat, Goal) == 1
    replies = await chat.bot.handle(FormSubmission(COMMUNITY, lee, "mentor:editq:goals:save", {"answer": "short"}))
    assert "a goal or two" in replies[0].plain_text().lower() or "more" in replies[0].plain_text().lower()
    replies = await chat.bot.handle(
        FormSubmission(COMMUNITY, lee, "mentor:editq:goals:save", {"answer": "Grow into code review"})
    )
    assert "Saved" in replies[0].plain_text()
    replies = await chat.bot.handle(
        FormSubmission(COMMUNITY, lee, "mentor:editq:canhelpwith:save", {"answer": "Anything at all here"})
    )
    assert "not part of your profile as a mentee" in replies[0].plain_text()
    async with chat.bot.db.unit() as s:
        assert (
            await s.execute(select(Profile.goals).where(Profile.member_id == await member_id(chat, "lee")))
        ).scalar_one() == "Grow into code review"
    assert chat.bot.router.form_for("edit goals").id == "mentor:editq:goals:save"
    assert chat.bot.router.form_for('edit "Can help with"').id == "mentor:editq:canhelpwith:save"
    assert chat.bot.router.form_for("edit topics") is None  # choices stay in the DM conversation
    assert chat.bot.router.form_for("goal set").id == "mentor:goalf:new:set"
    assert chat.bot.router.form_for('goal set "typed"') is None


async def test_a_home_is_marked_stale_by_a_change_and_never_posted_outside_slack(any_chat: Chat) -> None:
    chat = any_chat  # the flush listener's statements on SQLite and PostgreSQL
    await _paired(chat)
    lee = chat.session.actor("lee")
    replies = await chat.bot.handle(ComponentAction(COMMUNITY, lee, "", "mentor:home:1:open"))
    assert "Your mentorship" in replies[0].plain_text()
    assert await _count(chat, HomeView, HomeView.stale == False) == 1  # noqa: E712
    await chat('@lee /mentor goal set "Ship my first PR"')
    assert await _count(chat, HomeView, HomeView.stale == True) == 1  # noqa: E712
    before = await _count(chat, OutboxMessage, OutboxMessage.destination_kind == "home")
    await chat("wait 1m")
    assert await _count(chat, HomeView, HomeView.stale == True) == 0  # noqa: E712
    assert await _count(chat, OutboxMessage, OutboxMessage.destination_kind == "home") == before == 0


async def test_home_republishing_keeps_within_a_per_minute_budget(chat: Chat) -> None:
    """views.publish is rate limited per workspace: the sweep spreads a burst over minutes."""
    from datetime import timedelta

    from bot.core.feature import SweepEnv
    from bot.core.settings import Settings
    from bot.features.overview import home
    from storage.tables import Community, Member

    now = chat.now
    async with chat.bot.db.unit() as s:
        community = Community(platform="slack", external_id="T1", created_at=now)
        s.add(community)
        await s.flush()
        for n in range(home.PER_MINUTE + 5):
            member = Member(community_id=community.id, platform_user_id=f"U{n}", created_at=now)  # type: ignore[arg-type]
            s.add(member)
            await s.flush()
            s.add(HomeView(community_id=community.id, member_id=member.id, opened_at=now, stale=True))  # type: ignore[arg-type]
    env = SweepEnv(Settings(), chat.bot.program)
    async with chat.bot.db.unit() as s:
        first = await home.republish_due(s, now, env)
        first += await home.republish_due(s, now, env)
    assert first == home.PER_MINUTE
    async with chat.bot.db.unit() as s:
        assert await home.next_republish(s) == now + timedelta(minutes=1)  # the rest wait a minute, no busy wake-up
        assert await home.republish_due(s, now + timedelta(seconds=59), env) == 0
    async with chat.bot.db.unit() as s:
        assert await home.republish_due(s, now + timedelta(minutes=1), env) == 5
    assert await _count(chat, OutboxMessage, OutboxMessage.destination_kind == "home") == home.PER_MINUTE + 5
