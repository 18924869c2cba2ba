"""Issue 16: every step that offers buttons also takes the obvious typed answer (forgiving,
as intake is, with a clear re-ask when unclear), and a direct message goes to whichever
question the member is being asked now."""

from sqlalchemy import select

from storage.tables import CheckIn, Pairing, Profile
from tests.support.chat import Chat
from tests.support.community import member_id, sign_up


async def _paired(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    await sign_up(chat, "maria", "mentor")
    await sign_up(chat, "ann", "mentee")
    out = await chat("@carol /mentor match", "@carol /mentor match approve")
    assert "1 introduction" in out


async def _pairing(chat: Chat) -> Pairing:
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(Pairing))).scalars().one()


async def _profile(chat: Chat, name: str) -> Profile:
    mid = await member_id(chat, name)
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(Profile).where(Profile.member_id == mid))).scalar_one()


async def test_the_policy_is_changed_and_confirmed_in_words(chat: Chat) -> None:
    await _paired(chat)
    out = await chat("@maria I'd like to change something")
    assert "What would you change?" in out
    out = await chat("@maria every week by chat")
    assert "Proposed: meet every week by chat" in out
    out = await chat("@maria purple")
    assert "I didn't catch that. Say what you'd change" in out
    out = await chat("@maria send it")
    assert "Sent to ann" in out and "[DM ann] maria proposes a change" in out
    out = await chat("@ann yes")
    assert "[DM ann+maria] ann accepted the change. Your partnership policy is now: meet every week by chat" in out
    pairing = await _pairing(chat)
    assert pairing.cadence == "weekly" and pairing.communication == "chat"
    out = await chat("@ann change")
    assert "What would you change?" in out
    out = await chat("@ann 6 months, send")
    assert "Proposed: meet every week by chat, until" in out and "Sent to maria" in out
    out = await chat("@maria no")
    assert "[DM ann+maria] maria declined the proposed change." in out
    out = await chat("@ann I agree", "@maria confirm")
    assert "[DM ann+maria] You both confirmed the partnership policy." in out


async def test_the_kick_off_in_words_on_the_introduction_and_on_a_reminder(chat: Chat) -> None:
    await _paired(chat)
    out = await chat("wait 8d")
    assert "friendly nudge" in out
    out = await chat("@maria not yet")
    assert "No problem — book 30 minutes soon" in out
    assert (await _pairing(chat)).kickoff_at is None
    out = await chat("@maria yes, we did")
    assert "[DM ann+maria] maria recorded your kick-off." in out
    out = await chat("@ann yes")  # the kick-off question is closed for both; "yes" now confirms the policy
    assert "Confirmed." in out and "kick-off" not in out


async def test_wrap_up_is_confirmed_or_cancelled_in_words_and_unclear_words_are_asked_again(chat: Chat) -> None:
    await _paired(chat)
    await chat("@maria /mentor wrap-up")
    out = await chat("@maria hmm")
    assert "I didn't catch that. Wrap up your mentorship now? Reply yes, wrap up — or no, carry on." in out
    out = await chat("@maria no, carry on")
    assert "Nothing changed: your mentorship goes on." in out
    assert (await _pairing(chat)).status == "active"
    out = await chat("@maria yes")  # the question was answered: a later yes does not end anything
    assert "wrapped up" not in out
    await chat("@maria /mentor wrap-up")
    out = await chat("@maria yes, wrap up")
    assert "[DM ann+maria] maria wrapped up your mentorship." in out


async def test_reassess_in_words_and_a_disagreement(chat: Chat) -> None:
    await _paired(chat)
    await chat('@ann /mentor goal set "Finish the course"', "@maria /mentor goal done")
    out = await chat("@ann let's continue")
    assert "Carrying on without a new goal" in out
    out = await chat("@maria wrap up early")
    assert "You chose differently: maria would like to wrap up, ann would like to continue." in out
    assert (await _pairing(chat)).status == "active"


async def test_reassess_wrap_up_in_words_still_asks_to_confirm(chat: Chat) -> None:
    await _paired(chat)
    await chat('@ann /mentor goal set "Finish the course"', "@maria /mentor goal done")
    out = await chat("@maria wrap up")
    assert "Wrap up your mentorship with ann now?" in out
    out = await chat("@maria yes")
    assert "maria wrapped up your mentorship." in out


async def test_the_completion_message_takes_the_rating_and_the_next_round_answer_in_words(chat: Chat) -> None:
    await _paired(chat)
    await chat("@ann click We've had our kick-off", "wait 91d")
    out = await chat("@ann yes, next round")
    assert "you're in the pool for the next matching round" in out
    out = await chat("@ann 5")
    assert "Thanks, 5/5 noted." in out
    out = await chat("@maria not now")
    assert "you won't be matched in the next round" in out
    assert (await _profile(chat, "ann")).next_round == "yes"
    assert (await _profile(chat, "maria")).next_round == "no"
    out = await chat("@maria 4", "@maria Ann was curious", "@maria More structure")
    assert "May the moderators quote what you wrote" in out
    out = await chat("@maria not now")  # the newest question is the quote: never the next round's
    assert "Thank you — your feedback helps" in out


async def test_the_next_round_answer_is_not_taken_while_feedback_is_being_written(chat: Chat) -> None:
    await _paired(chat)
    await chat("@ann click We've had our kick-off", "wait 91d", "@ann 4")
    out = await chat("@ann Not now")  # the answer to "What worked well?"
    assert "And what could have been better?" in out
    assert (await _profile(chat, "ann")).next_round == "asked"


async def test_a_check_in_in_words_and_a_note_still_a_note(chat: Chat) -> None:
    await _paired(chat)
    await chat("@maria click We've had our kick-off")
    out = await chat("wait 14d")
    assert "[DM ann] How is your mentorship with maria going?" in out
    out = await chat("@ann we met")
    assert "Thanks — noted: We met." in out
    out = await chat("@ann note we met on Tuesday")
    assert "Added to your check-in: we met on Tuesday" in out
    out = await chat("@maria need help")
    assert "A moderator will get in touch." in out
    async with chat.bot.db.unit() as s:
        answers = sorted(a for a in (await s.execute(select(CheckIn.answer))).scalars() if a)
    assert answers == ["met", "need_help"]


async def test_a_bare_yes_never_answers_an_older_question_but_naming_it_does(chat: Chat) -> None:
    await _paired(chat)
    await chat("@maria click We've had our kick-off")
    await chat("wait 14d")  # a check-in is now the newest question; the policy question is older
    out = await chat("@ann yes")
    assert "Confirmed" not in out and "I didn't catch that. How is your mentorship going?" in out
    out = await chat("@ann I confirm the policy")
    assert "Confirmed." in out


async def test_forget_me_in_words_takes_the_explicit_words_only(chat: Chat) -> None:
    await _paired(chat)
    await chat("@maria /mentor forget-me")
    out = await chat("@maria yes")
    assert "I didn't catch that. Delete all your data?" in out
    out = await chat("@maria keep it")
    assert "Nothing was deleted." in out
    await chat("@maria /mentor forget-me")
    out = await chat("@maria delete my data")
    assert "Done: your profile, answers, votes and name are deleted" in out


async def test_leaving_from_the_member_card_in_words(chat: Chat) -> None:
    await _paired(chat)
    await chat("@ann /mentor me", "@ann click Leave")
    out = await chat("@ann no")
    assert "you stay in the program" in out
    await chat("@ann /mentor me", "@ann click Leave")
    out = await chat("@ann yes, leave")
    assert "[DM maria] ann left the program" in out
