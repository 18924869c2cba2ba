"""Issue 16, conversations that lost or garbled what people said: typed feedback answers,
the partner left behind, proposing changes to the partnership policy, the thank-you summary."""

from sqlalchemy import select

from storage.tables import Feedback, Pairing
from tests.chat import Chat
from tests.features.community import member_id, sign_up


async def _paired(chat: Chat, mentee: str = "ann", mentor: str = "maria") -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, mentor, "mentor")
    await sign_up(chat, mentee, "mentee")
    out = await chat("@carol /mentor match", "@carol /mentor match approve")
    assert "1 introduction" in out


async def _feedback(chat: Chat, name: str) -> Feedback:
    mid = await member_id(chat, name)
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(Feedback).where(Feedback.member_id == mid))).scalar_one()


async def _pairing(chat: Chat) -> Pairing:
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(Pairing))).scalars().one()


async def test_feedback_accepts_typed_ratings_and_quote_answers(chat: Chat) -> None:
    await _paired(chat)
    await chat("@ann click We've had our kick-off", "wait 200d")
    out = await chat("@ann 4/5")
    assert "Thanks, 4/5 noted. What worked well?" in out
    out = await chat("@ann Clear goals", "@ann skip")
    assert "May the moderators quote what you wrote" in out
    out = await chat("@ann yes, with my name")
    assert "Thank you — your feedback helps" in out
    ann = await _feedback(chat, "ann")
    assert ann.rating == 4 and ann.quote_ok and ann.quote_name == "ann"

    out = await chat("@maria great stuff")  # unclear: asked again, nothing lost or greeted
    assert "Reply with a number from 1 (poor) to 5 (excellent), or skip." in out
    out = await chat("@maria four")
    assert "Thanks, 4/5 noted." in out
    out = await chat("@maria Ann was curious", "@maria More structure", "@maria yes")
    assert "Reply yes with my name, yes anonymously, yes under another name, or no." in out
    out = await chat("@maria no")
    assert "Thank you — your feedback helps" in out
    maria = await _feedback(chat, "maria")
    assert maria.rating == 4 and not maria.quote_ok


async def test_typed_rating_five(chat: Chat) -> None:
    await _paired(chat)
    await chat("wait 200d")
    out = await chat("@ann 5")
    assert "Thanks, 5/5 noted." in out


async def test_the_partner_left_behind_is_told_who_acted(chat: Chat) -> None:
    await _paired(chat)
    out = await chat("@maria /mentor leave")
    assert "[DM ann] maria left the program, so your mentorship has ended." in out
    assert "ended your mentorship with maria" not in out
    assert "1 active pairing ended" in out and "pairing(s)" not in out


async def test_after_forget_me_the_partner_reads_only_that_their_partner_left(chat: Chat) -> None:
    await _paired(chat)
    await chat("@maria /mentor forget-me")
    out = await chat("@maria click Yes, delete my data")
    assert "[DM ann] Your partner left the program, so your mentorship has ended." in out
    assert "forgotten member ended" not in out and "with forgotten member" not in out
    out = await chat("@maria click Yes, delete my data")  # the old message, clicked again
    assert "Your data was already deleted, so there is nothing left to do with this message." in out
    assert "belongs to someone else" not in out
