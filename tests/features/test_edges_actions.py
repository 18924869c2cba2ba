"""Issue 16, actions that did more than meant: a pause stops every nudge and tells the partner
once; finished members are asked about the next round, in one completion message."""

from sqlalchemy import select

from storage.tables import Pairing, Profile
from tests.support.chat import Chat
from tests.support.community import member_id, sign_up


async def _paired(chat: Chat, mentee: str = "ann", mentor: str = "maria") -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, mentor, "mentor")
    await sign_up(chat, mentee, "mentee")
    out = await chat("@carol /mentor match", "@carol /mentor match approve")
    assert "1 introduction" in out


async def _pairing(chat: Chat) -> Pairing:
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(Pairing))).scalars().one()


async def test_a_pause_stops_every_nudge_tells_the_partner_once_and_never_makes_the_pair_at_risk(chat: Chat) -> None:
    await _paired(chat)
    await chat("wait 1d")
    out = await chat("@ann /mentor pause 3")
    assert "Paused until Tue 15 Dec 2026" in out and "Your partner knows when you'll be back." in out
    assert out.count("[DM maria] ann is taking a break until Tue 15 Dec 2026.") == 1
    out = await chat("@ann /mentor pause 4")  # a longer break: the partner is not messaged again
    assert "[DM maria]" not in out
    out = await chat("wait 27d")  # while ann is away: no kick-off reminder, no check-in for her
    assert "friendly nudge" not in out
    assert "[DM ann] How is your mentorship" not in out
    assert "At-risk" not in out
    assert "[DM maria] How is your mentorship with ann going?" in out  # maria's own cadence goes on
    out = await chat("wait 2d")  # ann is back
    assert "[DM ann] Your pause is over" in out
    out += await chat("wait 8d")
    assert "[DM ann] How is your mentorship with maria going?" in out  # her check-ins resume
    assert "friendly nudge" in out  # the kick-off clock moved by the break: the first reminder comes now
    assert "At-risk" not in out


async def _profile(chat: Chat, name: str) -> Profile:
    mid = await member_id(chat, name)
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(Profile).where(Profile.member_id == mid))).scalar_one()


async def test_completion_sends_one_message_per_member_with_every_choice_and_asks_about_the_next_round(
    chat: Chat,
) -> None:
    await _paired(chat)
    await chat("@ann click We've had our kick-off")
    await chat("wait 89d")
    out = await chat("wait 2d")
    assert out.count("[DM ann] ") == 1 and out.count("[DM maria] ") == 1  # one message each, no burst
    assert "How would you rate your mentorship with maria?" in out
    assert "Would you like another mentor in the next round?" in out
    assert "Would you like to mentor someone else in the next round?" in out
    assert (await _profile(chat, "ann")).next_round == "asked"
    await sign_up(chat, "max", "mentor")
    out = await chat("@carol /mentor match")
    assert "ann ←" not in out and "← maria" not in out  # nobody re-queued silently
    await chat("@carol /mentor match discard")
    out = await chat("@ann click Yes, next round")
    assert "you're in the pool for the next matching round" in out
    out = await chat("@maria click Not now")
    assert "you won't be matched in the next round" in out
    out = await chat("@ann click 5")  # the same message still takes the rating
    assert "Thanks, 5/5 noted." in out
    out = await chat("@carol /mentor match")
    assert "ann ← max" in out and "maria" not in out
    assert (await _profile(chat, "maria")).next_round == "no"


async def test_an_early_end_by_a_moderator_asks_the_mentor_and_requeues_the_mentee(chat: Chat) -> None:
    await _paired(chat)
    out = await chat("@carol /mentor pair 1 end")
    assert (
        "[DM ann] A moderator ended your mentorship with maria." in out
        and "back on the waiting list with priority" in out
    )
    assert "[DM maria] A moderator ended your mentorship with ann." in out
    assert "Would you like to mentor someone else in the next round?" in out
    assert (await _profile(chat, "maria")).next_round == "asked"
    assert (await _profile(chat, "ann")).next_round == ""
