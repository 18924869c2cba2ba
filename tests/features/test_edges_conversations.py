"""Issue 16, conversations that lost or garbled what people said: typed feedback answers,
the partner left behind, proposing changes to the partnership policy, the thank-you summary."""

from sqlalchemy import select

from storage.tables import Feedback, Pairing
from tests.support.chat import Chat
from tests.support.community import member_id, sign_up


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
    await chat("@ann click We've had our kick-off", "wait 91d")
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
    await chat("wait 91d")
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


async def test_a_member_proposes_a_policy_change_and_the_partner_accepts(chat: Chat) -> None:
    await _paired(chat)
    out = await chat("@ann click Propose changes")
    assert "What would you change?" in out and "Hello" not in out
    assert "[1] Meet every week" in out
    await chat("@ann click Meet every week", "@ann click By chat")
    out = await chat("@ann click Send to my partner")
    assert "Sent to maria" in out
    assert "[DM maria] ann proposes a change to your partnership policy." in out
    assert "Proposed: meet every week by chat, until" in out
    out = await chat("@maria click Accept")
    assert "[DM ann+maria] maria accepted the change. Your partnership policy is now: meet every week by chat" in out
    pairing = await _pairing(chat)
    assert pairing.cadence == "weekly" and pairing.communication == "chat" and pairing.policy_change == {}
    out = await chat("wait 7d")
    assert "[DM ann] How is your mentorship with maria going?" in out  # check-ins follow the new cadence


async def test_a_declined_change_keeps_the_policy(chat: Chat) -> None:
    await _paired(chat)
    await chat("@maria click Propose changes", "@maria click 5")
    out = await chat("@maria click Send to my partner")
    assert "[DM ann] maria proposes a change" in out
    out = await chat("@ann click Decline")
    assert "maria" not in out.split("declined")[0].split("]")[-1]
    assert (
        "[DM ann+maria] ann declined the proposed change. Your policy stays: meet every two weeks by video call" in out
    )
    assert (await _pairing(chat)).cadence == "biweekly"


async def test_a_moderator_sets_the_policy_directly(chat: Chat) -> None:
    await _paired(chat)
    out = await chat("@carol /mentor pair 1 set --cadence 1w --ends 2027-03-01 --channel chat")
    assert "Pairing #1 now: meet every week by chat, until Mon 01 Mar 2027. Both were told." in out
    assert (
        "[DM ann+maria] A moderator changed your partnership policy: meet every week by chat, until Mon 01 Mar 2027."
        in out
    )
    pairing = await _pairing(chat)
    assert pairing.ends_on.date().isoformat() == "2027-03-01" and pairing.cadence == "weekly"
    out = await chat("@carol /mentor pair 1 set --cadence often")
    assert "--cadence takes 1w" in out
    out = await chat("@ann /mentor pair 1 set --cadence 1w")
    assert "Only moderators" in out
    out = await chat("@carol /mentor pair 1 set --cadence 2w --ends 2027-03-01 --channel video")
    assert "meet every two weeks by video call, until Mon 01 Mar 2027" in out


async def test_the_thank_you_summary_uses_human_units_and_never_praises_zero(chat: Chat) -> None:
    await _paired(chat)
    await chat("wait 1d")
    out = await chat("@ann /mentor wrap-up", "@ann click Yes, wrap up")
    assert "[DM maria] Thank you for mentoring ann and for the time you set aside. Your mentorship lasted 1 day." in out
    assert "0 meetings" not in out and "0 goals" not in out and "1 month" not in out


async def test_the_thank_you_summary_counts_weeks_and_only_what_happened(chat: Chat) -> None:
    await _paired(chat)
    await chat("wait 14d", "@ann click We met", "wait 21d")
    out = await chat("@maria /mentor wrap-up", "@maria click Yes, wrap up")
    assert "[DM maria] Thank you for mentoring ann! Over 5 weeks you reported 1 meeting together." in out


async def test_wrap_up_asks_for_confirmation(chat: Chat) -> None:
    await _paired(chat)
    out = await chat("@maria /mentor wrap-up")
    assert "Wrap up your mentorship with ann now?" in out and "[1] Yes, wrap up  [2] No, carry on" in out
    assert (await _pairing(chat)).status == "active"
    out = await chat("@maria click No, carry on")
    assert "Nothing changed: your mentorship goes on." in out
    assert (await _pairing(chat)).status == "active"
    await chat("@maria /mentor wrap-up")
    out = await chat("@maria click Yes, wrap up")
    assert "[DM ann+maria] maria wrapped up your mentorship." in out
    assert (await _pairing(chat)).status == "completed"


async def test_partners_who_choose_differently_on_reassess_are_both_told_and_nothing_ends(chat: Chat) -> None:
    await _paired(chat)
    await chat('@ann /mentor goal set "Finish the course"', "@maria /mentor goal done")
    out = await chat("@ann click Continue without one")
    assert "Carrying on without a new goal" in out
    out = await chat("@maria click Wrap up early")
    assert (
        "[DM ann+maria] You chose differently: maria would like to wrap up, ann would like to continue."
        " Nothing has ended." in out
    )
    assert "Pair #1 (ann ← maria) disagree after a goal" in out  # the moderators hear it too
    assert (await _pairing(chat)).status == "active"
    # They talk it over and agree: wrapping up still asks first.
    out = await chat("@ann /mentor wrap-up")
    assert "Wrap up your mentorship with maria now?" in out
    await chat("@ann click Yes, wrap up")
    assert (await _pairing(chat)).status == "completed"


async def test_wrap_up_early_alone_still_asks_for_confirmation(chat: Chat) -> None:
    await _paired(chat)
    await chat('@ann /mentor goal set "Finish the course"', "@maria /mentor goal done")
    out = await chat("@maria click Wrap up early")
    assert "Wrap up your mentorship with ann now?" in out
    assert (await _pairing(chat)).status == "active"


async def test_an_old_unanswered_rating_does_not_swallow_later_messages(chat: Chat) -> None:
    await _paired(chat)
    await chat("wait 100d")
    out = await chat("@ann hello")
    assert "Reply with a number from 1 (poor) to 5" in out  # fresh: asked again
    await chat("wait 15d")
    out = await chat("@ann hello")
    assert "Reply with a number" not in out
    out = await chat("@ann 3")  # a clear rating is still taken
    assert "Thanks, 3/5 noted." in out
