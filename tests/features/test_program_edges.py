"""Whole programs through the console, with the edges a real six months hits (issue 16):
a policy change, a pause, a disagreement on wrap-up and the question about the next round."""

from sqlalchemy import select

from storage.tables import CheckInPlan, Pairing, Profile
from tests.support.chat import Chat
from tests.support.community import member_id, sign_up


async def _rows(chat: Chat, model, *where):  # type: ignore[no-untyped-def]
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(model).where(*where))).scalars().all()


async def test_two_pairs_through_a_whole_program_with_its_edges(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    for mentee, mentor, topic in (("ann", "maria", "Python"), ("ben", "omar", "Go")):
        await sign_up(chat, mentor, "mentor", topics_offered=[topic, "Python"])
        await sign_up(chat, mentee, "mentee", topics_wanted=[topic])
    out = await chat("@carol /mentor match", "@carol /mentor match approve")
    assert "2 introductions" in out
    await chat("@ann click We've had our kick-off", "@ben click We've had our kick-off")

    # Pair 1 changes its policy: every week, until the 6-month date.
    await chat(
        "@ann click Propose changes", "@ann click Meet every week", "@ann click 5", "@ann click Send to my partner"
    )
    out = await chat("@maria click Accept")
    assert (
        "maria accepted the change. Your partnership policy is now: "
        "meet every week by video call, until Sat 22 May 2027" in out
    )
    ann_plan = (await _rows(chat, CheckInPlan, CheckInPlan.member_id == await member_id(chat, "ann")))[0]
    assert ann_plan.base_interval_days == 7

    # omar pauses for four weeks: ben is told once; no nudge reaches omar; nobody is at risk.
    out = await chat("@omar /mentor pause 4")
    assert out.count("[DM ben] omar is taking a break") == 1
    out = ""
    for week in range(1, 4):  # pair 1 meets every week meanwhile; ben answers his check-in
        out += await chat(
            "wait 7d", "@ann click We met", "@maria click We met", *(["@ben click We met"] if week == 2 else [])
        )
    assert "[DM omar]" not in out and "friendly nudge" not in out and "At-risk" not in out
    assert out.count("[DM ann] How is your mentorship with maria going?") == 3  # weekly now
    out = await chat("wait 8d")
    assert "[DM omar] Your pause is over" in out

    # Pair 2 reaches a goal and disagrees on how to go on: nothing ends until they agree.
    await chat('@ben /mentor goal set "Write a CLI tool in Go"', "@omar /mentor goal done")
    await chat("@ben click Wrap up early")
    out = await chat("@omar let's continue")  # typed: every button step takes words too
    assert "You chose differently: ben would like to wrap up, omar would like to continue." in out
    assert {p.status for p in await _rows(chat, Pairing)} == {"active"}
    await chat("@ben /mentor wrap-up")
    out = await chat("@ben yes, wrap up")
    assert "[DM ben+omar] ben wrapped up your mentorship." in out
    assert "[DM omar] Thank you for mentoring ben!" in out and "0 meetings" not in out and "0 goals" not in out
    assert "Would you like to mentor someone else in the next round?" in out

    # Pair 1 runs to its new end date; both are asked about the next round in their one message.
    out = await chat("wait 160d")
    assert "[DM ann+maria] Your mentorship has reached its agreed end date." in out
    assert "[DM ann] How would you rate your mentorship with maria?" in out
    assert "Would you like another mentor in the next round?" in out
    await chat("@ann click Yes, next round", "@maria not now", "@ben click Not now", "@omar yes, next round")
    answers = {p.member_id: p.next_round for p in await _rows(chat, Profile)}
    assert answers[await member_id(chat, "ann")] == "yes" and answers[await member_id(chat, "maria")] == "no"
    out = await chat("@carol /mentor match")
    assert "ann ← omar" in out  # only those who said yes are in the next round's pool
    assert "maria" not in out and "ben" not in out
    out = await chat("@carol /mentor stats")
    assert "Completed: 2\n" in out and "Ended without meeting: 0\n" in out
