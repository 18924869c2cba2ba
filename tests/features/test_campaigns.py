"""Campaigns: every sign-up records where it came from."""

from pathlib import Path

from bot.core.program import DEFAULT_PATH
from bot.core.settings import Settings
from tests.support.chat import Chat
from tests.support.db import DatabaseFactory
from tests.support.intake_flows import intake_of, mentee_answers, mentor_answers, profile_of


async def test_poll_invitation_signs_up_with_role_preset_and_poll_source(chat: Chat) -> None:
    await chat(
        "moderators: carol", '@carol /mentor poll "Would you join?" --closes 1d', "@alice click I'd like a mentor"
    )
    out = await chat("wait 1d")
    assert "[DM alice] Thanks for saying you'd like to be mentored" in out
    out = await chat("@alice click Sign up as a mentee")
    # Clicked in the DM: the conversation simply continues there, past the role question.
    assert "[DM alice] Let's sign you up" in out and "(2/15) Which topics do you want to grow in?" in out
    assert "Would you like to mentor someone" not in out
    intake = await intake_of(chat, "alice")
    assert intake is not None and intake.source == "poll:1" and intake.answers == {"role": "mentee"}
    await chat(*mentee_answers("alice"), "@alice click Confirm")
    profile = await profile_of(chat, "alice")
    assert profile is not None and (profile.source, profile.role) == ("poll:1", "mentee")
    assert "Signed up Tue 24 Nov 2026, 09:00 (UTC) after interest poll #1." in await chat("@alice /mentor profile")


async def test_announcement_campaign_sign_up(any_chat: Chat) -> None:
    chat = any_chat  # SQLite, and PostgreSQL when TEST_DATABASE_URL is set
    out = await chat("moderators: carol", '@bob /mentor announce "Join us"')
    assert "[only bob] Only moderators can use /mentor announce" in out
    out = await chat('@carol /mentor announce --campaign "Spring 2027" "Sign up by <b>Friday</b>!"')
    assert (
        "[only carol] The announcement is posted here. Sign-ups from its buttons count for the campaign “spring-2027”."
        in out
    )
    assert "[#general] Community Mentorship Program is taking sign-ups!" in out
    assert "Sign up by <b>Friday</b>!" in out  # shown as typed; renderers escape it (UserText)
    assert "[1] Sign up as a mentor  [2] Sign up as a mentee" in out
    out = await chat("@bob click Sign up as a mentor")
    assert "[only bob] I've sent you a DM — the sign-up continues there." in out
    assert "[DM bob] Let's sign you up" in out and "Which topics could you mentor someone in?" in out
    await chat(*mentor_answers("bob"), "@bob click Confirm")
    profile = await profile_of(chat, "bob")
    assert profile is not None and (profile.source, profile.role) == ("campaign:spring-2027", "mentor")
    # A second click later does not start over or change the attribution.
    from adapters.console.session import COMMUNITY
    from bot.core.events import Actor, ComponentAction

    again = ComponentAction(COMMUNITY, Actor("bob", "bob"), "#general", "mentor:join:campaign.spring-2027:mentee")
    assert "You're already signed up as a mentor." in (await chat.bot.handle(again))[0].plain_text()
    out = await chat('@carol /mentor announce --campaign "no:colons"')
    assert "Name the campaign with up to 40 letters" in out


async def test_direct_join_is_attributed_as_direct_and_resuming_keeps_the_first_source(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor announce", "@dave /mentor join", "@dave click Mentee")
    await chat("@dave click Sign up as a mentee")  # the announcement's button while already in progress
    intake = await intake_of(chat, "dave")
    assert intake is not None and intake.source == "direct" and intake.step == "want"


async def test_greeting_is_off_by_default_and_a_campaign_when_enabled(
    chat: Chat, sqlite_factory: DatabaseFactory, tmp_path: Path
) -> None:
    out = await chat("@eve joins")
    assert out == ""
    await chat.close()
    program = tmp_path / "program.toml"
    program.write_text(
        DEFAULT_PATH.read_text(encoding="utf-8").replace("greeting_enabled = false", "greeting_enabled = true"),
        encoding="utf-8",
    )
    greeted = await Chat.open(sqlite_factory, settings=Settings(program_path=str(program)))
    try:
        out = await greeted("@frank joins")
        assert "[DM frank] Welcome to the community! We run Community Mentorship Program." in out
        assert "[1] Sign up as a mentor  [2] Sign up as a mentee" in out
        out = await greeted("@frank click Sign up as a mentor")
        assert "Which topics could you mentor someone in?" in out
        intake = await intake_of(greeted, "frank")
        assert intake is not None and intake.source == "greeting"
    finally:
        await greeted.close()


async def test_forged_join_buttons_are_refused(chat: Chat) -> None:
    from adapters.console.session import COMMUNITY
    from bot.core.events import Actor, ComponentAction

    for raw in ("mentor:join:poll.x:mentor", "mentor:join:campaign.spring:admin", "mentor:join:elsewhere:mentee"):
        replies = await chat.bot.handle(ComponentAction(COMMUNITY, Actor("bob", "bob"), "#general", raw))
        assert "That sign-up button is out of date. /mentor join signs you up instead." in replies[0].plain_text()
