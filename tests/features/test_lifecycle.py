"""The relationship lifecycle, with the clock moved through whole programs."""

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage.tables import CheckIn, CheckInPlan, Feedback, Goal, OutboxMessage, Pairing, Profile
from tests.support.chat import Chat
from tests.support.community import member_id, sign_up


async def _paired(chat: Chat, *pairs: tuple[str, str], **mentee_fields: object) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    for n, (mentee, mentor) in enumerate(pairs):
        topic = f"Topic{n}"
        await sign_up(chat, mentor, "mentor", topics_offered=[topic])
        await sign_up(chat, mentee, "mentee", topics_wanted=[topic], **mentee_fields)
    out = await chat("@carol /mentor match", "@carol /mentor match approve")
    assert f"{len(pairs)} introduction" in out


async def _rows(chat: Chat, model, *where):  # type: ignore[no-untyped-def]
    async with chat.bot.db.unit() as s:
        return (await s.execute(select(model).where(*where))).scalars().all()


async def test_checkins_arrive_at_the_cadence_in_each_members_daytime(chat: Chat) -> None:
    await chat("moderators: carol")
    # Nine hours apart: both accept working asynchronously, so they may be matched.
    await sign_up(chat, "maria", "mentor", timezone="Europe/Berlin", accepts_async=True)
    await sign_up(chat, "lee", "mentee", timezone="America/Los_Angeles", accepts_async=True)
    await chat("@carol /mentor match", "@carol /mentor match approve")
    out = await chat("wait 13d")
    assert "How is your mentorship" not in out
    out = await chat("wait 1d")  # 14 days: biweekly
    assert "[DM maria] How is your mentorship with lee going?" in out
    assert "[1] We met  [2] Not yet  [3] Need help  [4] Pause 2 weeks" in out
    out = await chat("wait 12h")
    assert "[DM lee] How is your mentorship with maria going?" in out
    for checkin in await _rows(chat, CheckIn):
        member_tz = "America/Los_Angeles" if checkin.member_id == await member_id(chat, "lee") else "Europe/Berlin"
        local = checkin.sent_at.astimezone(ZoneInfo(member_tz))
        assert 9 <= local.hour < 19, f"sent at night: {local}"


async def test_answers_are_stored_and_a_note_can_be_added(chat: Chat) -> None:
    await _paired(chat, ("ann", "maria"))
    await chat("wait 14d")
    out = await chat("@ann click We met")
    assert "[DM ann] Thanks — noted: We met." in out
    out = await chat("@ann note we reviewed my CV")
    assert "Added to your check-in: we reviewed my CV" in out
    out = await chat("@ann note " + "x" * 400)
    assert "Keep the note to one line" in out
    checkin = (await _rows(chat, CheckIn, CheckIn.member_id == await member_id(chat, "ann")))[0]
    assert checkin.answer == "met" and checkin.note == "we reviewed my CV"
    pairing = (await _rows(chat, Pairing))[0]
    assert pairing.kickoff_at is not None  # "We met" counts as the kick-off


async def test_ignored_checkins_halve_the_frequency_and_answering_restores_it(chat: Chat) -> None:
    await _paired(chat, ("ann", "maria"))
    await chat("@ann click We've had our kick-off")
    ann = await member_id(chat, "ann")
    out = await chat("wait 14d", "wait 14d", "wait 14d")  # ann ignores three check-ins
    plan = (await _rows(chat, CheckInPlan, CheckInPlan.member_id == ann))[0]
    assert plan.ignored_in_a_row == 2 and plan.interval_days == 28
    assert out.count("[DM ann] How is your mentorship") == 3
    out = await chat("wait 14d")
    assert "[DM ann] How is your mentorship" not in out  # half as often now
    await chat("wait 14d")
    await chat("@ann click We met")
    plan = (await _rows(chat, CheckInPlan, CheckInPlan.member_id == ann))[0]
    assert plan.interval_days == 14 and plan.ignored_in_a_row == 0


async def test_at_risk_reported_once_with_signals_and_moderator_actions(chat: Chat) -> None:
    await _paired(chat, ("ann", "maria"))
    await chat("@maria click We've had our kick-off", "wait 14d")
    out = await chat("@ann click Not yet")
    assert "At-risk" not in out
    await chat("wait 14d")
    out = await chat("@ann click Not yet")
    assert "[#general] At-risk pair #1: ann ← maria" in out
    assert 'ann answered "Not yet" twice in a row' in out and "/mentor pair 1 rematch" in out
    out = await chat("@ann click Need help", "wait 14d", "@maria click Need help")
    assert "At-risk pair" not in out  # reported once
    out = await chat("@ann /mentor pair 1 end")
    assert "Only moderators can use /mentor pair" in out
    out = await chat('@carol /mentor pair 1 note "called them both"', "@carol /mentor pair 1")
    assert "Noted on pairing #1." in out and "moderator note" in out and "called them both" in out


async def test_rematch_after_an_early_end(chat: Chat) -> None:
    await _paired(chat, ("ann", "maria"))
    await sign_up(chat, "max", "mentor", topics_offered=["Topic0"])
    out = await chat("@carol /mentor pair 1 rematch")
    assert "Pairing #1 is ended and both were told. The mentee has priority" in out
    assert (
        "[DM ann] A moderator ended your mentorship with maria." in out
        and "back on the waiting list with priority" in out
    )
    assert "[DM maria] A moderator ended your mentorship with ann." in out
    out = await chat("@carol /mentor match")
    assert "ann ← max" in out  # never maria again
    ann = (await _rows(chat, Profile, Profile.member_id == await member_id(chat, "ann")))[0]
    assert ann.times_unmatched == 1


async def test_goals_set_update_done_and_reassess(chat: Chat) -> None:
    await _paired(chat, ("ann", "maria"))
    out = await chat('@ann /mentor goal set "Ship my first open-source PR" --by 2027-02-01')
    assert "[only ann] Goal 1 is set" in out
    assert "[DM ann+maria] ann set goal 1 (by Mon 01 Feb 2027): Ship my first open-source PR" in out
    out = await chat('@maria /mentor goal update "Picked an issue in the tracker"')
    assert "maria on goal 1: Picked an issue in the tracker" in out
    out = await chat("@ann /mentor goals")
    assert "1. Ship my first open-source PR (open, by Mon 01 Feb 2027)" in out and "Picked an issue" in out
    out = await chat("@maria /mentor goal done")
    assert "Goal reached! Goal 1: Ship my first open-source PR" in out
    assert "[1] Set a new goal  [2] Continue without one  [3] Wrap up early" in out
    out = await chat("@ann click Continue without one")
    assert "Carrying on without a new goal" in out
    out = await chat("@ann /mentor goal done")
    assert "There is no open goal yet" in out
    out = await chat('@bob /mentor goal set "x"')
    assert "You need an active mentorship to set a goal" in out
    out = await chat("@ann /mentor goal set")
    assert "Write it in quotes" in out
    assert len(await _rows(chat, Goal)) == 1


async def test_a_whole_three_month_program_ends_with_feedback_thanks_and_testimonial(chat: Chat) -> None:
    await _paired(chat, ("ann", "maria"), ("ben", "omar"))
    await chat("@ann click We've had our kick-off", '@ann /mentor goal set "Finish the course"')
    await chat("@ben click We've had our kick-off")
    for _ in range(6):  # 12 weeks of biweekly check-ins, everyone answers
        await chat("wait 14d")
        for name in ("ann", "maria", "ben", "omar"):
            await chat(f"@{name} click We met")
    await chat("@maria /mentor goal done")
    out = await chat("wait 14d")
    assert "[DM ann+maria] Your mentorship has reached its agreed end date." in out
    assert "[DM ann] How would you rate your mentorship with maria?" in out
    assert (
        # The kick-off and six check-ins both answered "We met": the log counts each session once.
        "[DM maria] Thank you for mentoring ann! Over 3 months you logged 7 meetings and reached 1 goal together."
        in out
    )
    out = await chat("@ann click 5")
    assert "5/5 noted. What worked well?" in out
    out = await chat("@ann Weekly calls kept me going", "@ann skip")
    assert "May the moderators quote what you wrote" in out
    out = await chat("@ann click Yes, under another name", "@ann A junior developer")
    assert "Thank you — your feedback helps" in out
    out = await chat("@omar click 2", "@omar Not much", "@omar Meet more often", "@omar click No")
    assert "At-risk pair #2" in out and "omar rated it 2/5" in out
    out = await chat("@carol /mentor testimonials")
    assert "“Weekly calls kept me going” — A junior developer (mentee — 5/5)" in out
    assert "Not much" not in out  # omar said no
    out = await chat("@ann /mentor testimonials")
    assert "Only moderators can use /mentor testimonials" in out
    statuses = {p.status for p in await _rows(chat, Pairing)}
    assert statuses == {"completed"}
    out = await chat("wait 60d")
    assert "How is your mentorship" not in out  # no check-ins after completion


async def test_wrap_up_early_by_a_member(chat: Chat) -> None:
    await _paired(chat, ("ann", "maria"))
    out = await chat("@maria /mentor wrap-up", "@maria click Yes, wrap up")
    assert "Wrapped up. Thank you!" in out
    assert "[DM ann+maria] maria wrapped up your mentorship." in out
    out = await chat("@maria /mentor wrap-up")
    assert "Your mentorship has ended, so there is nothing to wrap up" in out
    feedback = await _rows(chat, Feedback)
    assert len(feedback) == 2


async def test_pause_two_weeks_pauses_both(chat: Chat) -> None:
    await _paired(chat, ("ann", "maria"))
    await chat("wait 14d")
    out = await chat("@ann click Pause 2 weeks")
    assert "Check-ins are paused for two weeks for both of you." in out
    out = await chat("wait 13d")
    assert "How is your mentorship" not in out
    async with chat.bot.db.unit() as s:
        sent = (
            await s.execute(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedupe_key.like("checkin:%"))
            )
        ).scalar_one()
    assert sent == 2  # only the first round


def test_checkin_template_renders_exactly_like_the_message_builder() -> None:
    from bot.core import messages as msg
    from bot.features.checkins.checkins import checkin_json, render_checkin

    for name in ("ann", 'Zoë "the <b>" \\ \u202e', "😀 name"):
        assert checkin_json(12, 3, name) == msg.to_json(render_checkin(12, 3, name))
