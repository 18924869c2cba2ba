"""Interest polls end to end, through the console chat."""

from datetime import timedelta

from sqlalchemy import func, select

from adapters.console.session import COMMUNITY
from bot.core.events import ComponentAction
from storage.tables import OutboxMessage, Poll, PollVote
from tests.support.chat import Chat

POLL = '@carol /mentor poll "Would you join a mentorship program?" --closes 3d'


async def test_member_cannot_create_or_close_a_poll(chat: Chat) -> None:
    out = await chat("moderators: carol", '@alice /mentor poll "Anyone?"')
    assert "[only alice] Only moderators can use /mentor poll" in out
    await chat(POLL)
    out = await chat("@alice /mentor poll close 1")
    assert "Only moderators can use /mentor poll close" in out
    async with chat.bot.db.unit() as s:
        assert (await s.execute(select(Poll.status))).scalar_one() == "open"


async def test_poll_is_posted_pinned_with_standard_options(chat: Chat) -> None:
    out = await chat("moderators: carol", POLL)
    assert "[only carol] Poll #1 is posted and pinned here. It closes Thu 26 Nov 2026, 09:00 (UTC)" in out
    assert "[#general] Interest poll #1" in out
    assert "[1] I'd mentor  [2] I'd like a mentor  [3] Both  [4] Not now" in out
    assert "[pinned #general] Interest poll #1" in out
    pinned = [m for m in chat.session.chat.messages if m.pinned]
    assert len(pinned) == 1 and pinned[0].header == "#general"


async def test_one_vote_per_member_changeable_with_private_confirmation(chat: Chat) -> None:
    await chat("moderators: carol", POLL + " --public")
    out = await chat("@alice click I'd mentor")
    assert "[only alice] You voted I'd mentor. You can change it until Thu 26 Nov 2026, 09:00 (UTC)." in out
    assert "I'd mentor: 1 vote — alice" in out
    out = await chat("@alice click Both")
    assert "[only alice] You changed your vote to Both." in out
    assert "I'd mentor: 0 votes" in out and "Both: 1 vote — alice" in out
    out = await chat("@alice click Both")
    assert "You already voted Both" in out
    async with chat.bot.db.unit() as s:
        assert (await s.execute(select(func.count()).select_from(PollVote))).scalar_one() == 1


async def test_anonymous_poll_hides_names(chat: Chat) -> None:
    await chat("moderators: carol", '@carol /mentor poll "Join?" --anonymous')
    out = await chat("@alice click 1")
    assert "I'd mentor: 1 vote" in out and "alice" not in out.split("[edited #general]")[1]
    assert "Votes are anonymous." in out


async def test_custom_options_and_validation(chat: Chat) -> None:
    await chat("moderators: carol")
    out = await chat('@carol /mentor poll "Best day?" --options "Mon" "Tue" "Wed"')
    assert "[1] Mon  [2] Tue  [3] Wed" in out
    out = await chat('@carol /mentor poll "Best day?" --options "Mon"')
    assert "A poll needs 2 to 10 options; you gave 1." in out
    out = await chat('@carol /mentor poll "Best day?" --options "Mon" "mon"')
    assert "Two options are the same" in out
    out = await chat("@carol /mentor poll --closes 3d")
    assert "Give the question" in out
    out = await chat('@carol /mentor poll "Q" --closes yesterdayish')
    assert "I can't read 'yesterdayish' as a time" in out and "Usage: /mentor poll" in out
    out = await chat('@carol /mentor poll "Q" --closes 2m')
    assert "at least 5 minutes" in out
    async with chat.bot.db.unit() as s:
        assert (await s.execute(select(func.count()).select_from(Poll))).scalar_one() == 1


async def test_poll_closes_by_itself_with_results_warning_and_invites(chat: Chat) -> None:
    await chat("moderators: carol", POLL)
    await chat(
        "@alice click I'd mentor",
        "@bob click I'd like a mentor",
        "@erin click I'd like a mentor",
        "@frank click I'd like a mentor",
        "@gus click I'd like a mentor",
        "@hal click Not now",
    )
    out = await chat("wait 2d")
    assert "Poll results" not in out  # not yet
    out = await chat("wait 1d")
    assert "[edited #general] Interest poll (closed) #1" in out
    assert "[unpinned #general]" in out
    assert "[#general] Poll results #1: Would you join a mentorship program?" in out
    assert "I'd like a mentor: 4 (67%)" in out
    assert "Would-be mentors: 1 · would-be mentees: 4." in out
    assert "Warning: 4.0 mentees per mentor" in out
    for member in ("alice", "bob", "erin", "frank", "gus"):
        assert f"[DM {member}] Thanks for saying" in out
    assert "[DM hal]" not in out
    assert "Sign up as a mentor" in out and "Sign up as a mentee" in out


async def test_poll_closes_on_time_even_across_a_restart(chat: Chat) -> None:
    await chat("moderators: carol", POLL, "@alice click I'd mentor")
    # Down from day 1 to day 5: the close time passes while nobody is running.
    await chat.session.close()
    chat.session.clock.advance(timedelta(days=5))
    out = await chat("restart")
    assert "Poll results" not in out
    await chat.bot.sweep()  # what the runtime does first at start-up
    await chat.session.deliver()
    out = chat.take()
    assert "[#general] Poll results #1" in out
    async with chat.bot.db.unit() as s:
        poll = (await s.execute(select(Poll))).scalar_one()
        assert poll.status == "closed"


async def test_votes_after_close_are_refused_politely(chat: Chat) -> None:
    await chat("moderators: carol", POLL, "@alice click I'd mentor", "@carol /mentor poll close 1")
    # bob's client still shows the old buttons (platforms update messages lazily).
    stale_click = ComponentAction(
        COMMUNITY,
        chat.session.actor("bob"),
        "#general",
        "mentor:poll:1:vote:0",
    )
    replies = await chat.bot.handle(stale_click)
    assert "This poll closed Mon 23 Nov 2026, 09:00 (UTC), so votes are no longer counted" in replies[0].plain_text()
    out = await chat("@carol /mentor poll close 1")
    assert "Poll #1 is already closed." in out


async def test_manual_close_twice_posts_results_once(chat: Chat) -> None:
    await chat("moderators: carol", POLL, "@alice click I'd mentor")
    out = await chat("@carol /mentor poll close 1", "@carol /mentor poll close 1")
    assert out.count("Poll results #1") == 1
    async with chat.bot.db.unit() as s:
        results = (
            await s.execute(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedupe_key == "poll:1:results")
            )
        ).scalar_one()
        assert results == 1


async def test_polls_list_and_unknown_poll(chat: Chat) -> None:
    await chat("moderators: carol", POLL)
    out = await chat("@alice /mentor polls")
    assert "#1 Would you join a mentorship program? — 0 votes, open, closes Thu 26 Nov 2026" in out
    out = await chat("@carol /mentor poll close 99")
    assert "There is no poll #99 here." in out
    out = await chat("@carol /mentor poll close abc")
    assert "Give the poll number" in out


async def test_another_communitys_poll_is_not_found(chat: Chat) -> None:
    from bot.core.events import CommunityRef, SlashCommand

    await chat("moderators: carol", POLL)
    other = CommunityRef("console", "elsewhere")
    intruder = chat.session.actor("carol")
    replies = await chat.bot.handle(SlashCommand(other, intruder, "#general", "poll close 1"))
    assert "There is no poll #1 here." in replies[0].plain_text()
    replies = await chat.bot.handle(ComponentAction(other, intruder, "#general", "mentor:poll:1:vote:0"))
    assert "There is no poll #1 here." in replies[0].plain_text()
    async with chat.bot.db.unit() as s:
        assert (await s.execute(select(Poll.status))).scalar_one() == "open"


async def test_member_text_cannot_control_the_terminal(chat: Chat) -> None:
    out = await chat("moderators: carol", '@carol /mentor poll "Join?\x1b[2J now"')
    assert "\x1b" not in out and "Join? now" in out


async def test_a_busy_option_names_its_first_ten_voters_and_counts_the_rest(chat: Chat) -> None:
    await chat("moderators: carol", POLL + " --public")
    voters = [f"m{n:02d}" for n in range(12)]
    for name in voters:
        await chat(f"@{name} click I'd mentor")
    out = await chat("@zoe click Not now")
    latest = out.split("[edited #general]")[-1]
    assert "I'd mentor: 12 votes — " + ", ".join(voters[:10]) + " and 2 more" in latest
    assert "Not now: 1 vote — zoe" in latest
