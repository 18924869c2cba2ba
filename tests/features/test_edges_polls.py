"""Issue 16, polls: a mistyped sub-command never posts a poll; edit and cancel; voter names
hidden unless the poll is --public; polls stored before keep their setting."""

from sqlalchemy import select, update

from storage.tables import OutboxMessage, Poll
from tests.support.chat import Chat

POLL = '@carol /mentor poll "Would you join a mentorship program?" --closes 3d'


async def _polls(chat: Chat) -> list[Poll]:
    async with chat.bot.db.unit() as s:
        return list((await s.execute(select(Poll).order_by(Poll.id))).scalars())


async def test_a_sub_command_word_is_never_taken_as_a_question(chat: Chat) -> None:
    await chat("moderators: carol", POLL)
    for line in (
        "@carol /mentor poll delete 1",
        '@carol /mentor poll remove 1 "New question"',
        "@carol /mentor poll results",
    ):
        out = await chat(line)
        assert "looks like a poll sub-command, so I posted nothing" in out
        assert "[#general]" not in out
    assert len(await _polls(chat)) == 1
    out = await chat('@carol /mentor poll "Edit nights or weekends: which suits you?" --options "Nights" "Weekends"')
    assert "Poll #2 is posted" in out  # a whole question that starts with such a word is fine


async def test_poll_edit_before_the_first_vote(chat: Chat) -> None:
    await chat("moderators: carol", POLL)
    out = await chat('@carol /mentor poll edit 1 "Would you join a spring mentorship program?"')
    assert "[only carol] Poll #1 is updated in the channel." in out
    assert "[edited #general] Interest poll #1" in out and "spring mentorship" in out
    assert "edit 1" not in out.split("[edited #general]")[1]
    out = await chat('@carol /mentor poll edit 1 --options "Yes" "No"')
    assert "[1] Yes  [2] No" in out
    await chat("@alice click Yes")
    out = await chat('@carol /mentor poll edit 1 "Changed after voting?"')
    assert "already has 1 vote; editing now would change what people voted for" in out
    out = await chat('@alice /mentor poll edit 1 "x"')
    assert "Only moderators" in out
    assert (await _polls(chat))[0].question == "Would you join a spring mentorship program?"


async def test_poll_cancel_unpins_and_posts_no_results_or_invitations(chat: Chat) -> None:
    await chat("moderators: carol", POLL, "@alice click I'd like a mentor")
    out = await chat("@carol /mentor poll cancel 1")
    assert "Poll #1 is cancelled" in out and "unpinned" in out
    assert "Interest poll (cancelled) #1" in out
    assert not [m for m in chat.session.chat.messages if m.pinned]
    out = await chat("wait 5d")
    assert "Poll results" not in out and "[DM alice]" not in out
    out = await chat("@carol /mentor polls")
    assert "1 vote, cancelled" in out
    out = await chat("@carol /mentor poll close 1")
    assert "Poll #1 is already cancelled." in out


async def test_voter_names_are_hidden_by_default_and_shown_with_public(chat: Chat) -> None:
    await chat("moderators: carol", POLL)
    out = await chat("@bob click I'd like a mentor")
    assert "I'd like a mentor: 1 vote" in out and "— bob" not in out
    await chat('@carol /mentor poll "Public one?" --public')
    out = await chat("@bob click I'd like a mentor")
    assert "I'd like a mentor: 1 vote — bob" in out and "Voters' names are shown." in out
    out = await chat('@carol /mentor poll "Both?" --public --anonymous')
    assert "Choose one" in out
    out = await chat('@carol /mentor poll "Secret?" --anonymous', "@erin click 1")
    assert "— erin" not in out and "Votes are anonymous." in out


async def test_polls_stored_before_keep_showing_names(chat: Chat) -> None:
    await chat("moderators: carol", POLL)
    async with chat.bot.db.unit() as s:  # what the migration gives a poll stored before: show_voters = not anonymous
        await s.execute(update(Poll).values(show_voters=True))
    out = await chat("@bob click I'd like a mentor")
    assert "I'd like a mentor: 1 vote — bob" in out
    async with chat.bot.db.unit() as s:
        assert (await s.execute(select(OutboxMessage).limit(1))).scalar_one() is not None
