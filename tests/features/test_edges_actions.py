"""Issue 16, actions that did more than meant: a pause stops every nudge and tells the partner
once; finished members are asked about the next round, in one completion message."""

from sqlalchemy import select

from storage.tables import Pairing, Profile
from tests.chat import Chat
from tests.features.community import member_id, sign_up


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
