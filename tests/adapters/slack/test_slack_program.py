"""The mentorship program end to end through Slack: the real Bolt app in HTTP mode,
the real core and SlackMessenger, against the local fake Slack.

Matching review (proposal → approve → one group DM per pair), the pair's lifecycle
(kick-off, check-in by DM, `note …` as a DM, goals, reassess, wrap-up, feedback
conversation, testimonials) and the largest real messages within Block Kit limits.
Profiles are seeded straight into storage (`seed_profile`), as the console feature
tests do: intake has its own Slack test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.clock import ManualClock
from bot.core.events import Actor, CommunityRef
from bot.core.settings import Settings
from storage.tables import CheckIn, Feedback, Goal, Pairing
from tests.fakes.slack import BOT_USER_ID, TEAM_ID, FakeSlack
from tests.support.community import seed_profile
from tests.support.db import START
from tests.support.slack_harness import SlackStack, body_text, buttons, settle

SLACK = CommunityRef("slack", TEAM_ID, "mentor-community")


@pytest.fixture
async def stack(fake: FakeSlack, settings: Settings) -> AsyncIterator[SlackStack]:
    for user_id, name in (("U0MARIA", "Maria"), ("U0OMAR", "Omar"), ("U0ANN", "Ann"), ("U0BEN", "Ben")):
        fake.add_user(user_id, name)
    s = await SlackStack.start(fake, settings, ManualClock(START))
    yield s
    await s.stop()


async def seed(stack: SlackStack, user_id: str, role: str, **fields: Any) -> int:
    """A signed-up member, keyed by their Slack user id in this workspace."""
    name = stack.fake.users[user_id]["real_name"]
    return await seed_profile(stack.bot, SLACK, Actor(user_id, name), role, stack.clock.now(), **fields)


async def two_pairs(stack: SlackStack) -> None:
    await seed(stack, "U0MARIA", "mentor", topics_offered=["Python", "Rust"], years_experience=12)
    await seed(stack, "U0OMAR", "mentor", topics_offered=["Go"], years_experience=8)
    await seed(stack, "U0ANN", "mentee", topics_wanted=["Python"], goals="learn testing in Python")
    await seed(stack, "U0BEN", "mentee", topics_wanted=["Go"])


def mpim_with(fake: FakeSlack, *user_ids: str) -> Any:
    members = {BOT_USER_ID, *user_ids}
    return next((c for c in fake.channels.values() if c.is_mpim and c.members == members), None)


async def count(stack: SlackStack, model: Any, *where: Any) -> int:
    async with stack.bot.db.unit() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def dm_reply(stack: SlackStack, user_id: str, text: str, event_id: str) -> dict[str, Any]:
    """The member writes to the bot in its DM (message.im); returns the bot's answer there."""
    before = len(stack.dm_replies(user_id))
    status, _ = await stack.dm(user_id, text, event_id)
    assert status == 200
    await settle(lambda: len(stack.dm_replies(user_id)) > before)
    return stack.dm_replies(user_id)[-1]


async def approve(stack: SlackStack) -> None:
    reply = await stack.command("U0CAROL", "match")
    await stack.click("U0CAROL", buttons(reply)["Approve and introduce"], "1700000000.000001")
    await stack.deliver()


# --- 1. matching review ---------------------------------------------------------------


async def test_moderator_reviews_and_approves_a_round_each_pair_introduced_once(
    stack: SlackStack, fake: FakeSlack
) -> None:
    await two_pairs(stack)
    refused = await stack.command("U0ANN", "match")
    assert "Only moderators can use /mentor match" in refused["text"]

    proposal = await stack.command("U0CAROL", "match")
    assert proposal["response_type"] == "ephemeral"
    text = body_text(proposal)
    assert "Matching round* #1 — waiting for approval" in text
    assert "Ann ← Maria" in text and "Ben ← Omar" in text and "Python" in text  # pairs and a reason
    assert set(buttons(proposal)) == {"Approve and introduce", "Recompute", "Discard"}
    assert await count(stack, Pairing) == 0  # nothing before approval

    # A member cannot press the moderator's button either.
    stolen = await stack.click("U0ANN", buttons(proposal)["Approve and introduce"], "1700000000.000001")
    assert "Only moderators" in stolen["text"]

    approved = await stack.click("U0CAROL", buttons(proposal)["Approve and introduce"], "1700000000.000001")
    assert "Round #1 approved: 2 introductions on the way." in approved["text"]
    await stack.deliver()
    opens = [c.args["users"] for c in fake.calls_to("conversations.open", ok=True) if "," in c.args["users"]]
    assert sorted(opens) == ["U0ANN,U0MARIA", "U0BEN,U0OMAR"]
    for pair in (("U0ANN", "U0MARIA"), ("U0BEN", "U0OMAR")):
        group = mpim_with(fake, *pair)
        assert group is not None and len(group.messages) == 1
        intro = group.messages[0]
        assert f"Hello <@{pair[0]}> and <@{pair[1]}>!" in intro["text"]  # the two real mentions
        assert "Partnership policy to agree" in body_text(intro)
        assert set(buttons(intro)) == {
            "Confirm the policy",
            "Propose changes",
            "We've had our kick-off",
            *("Slot 1", "Slot 2", "Slot 3", "None of these work"),  # kick-off times to tick
        }

    again = await stack.click("U0CAROL", buttons(proposal)["Approve and introduce"], "1700000000.000001")
    assert "already approved" in again["text"]
    await stack.deliver()
    assert all(len(mpim_with(fake, *p).messages) == 1 for p in (("U0ANN", "U0MARIA"), ("U0BEN", "U0OMAR")))
    assert await count(stack, Pairing) == 2
    assert [c for c in fake.calls if not c.ok] == []


async def test_a_round_larger_than_a_batch_reaches_every_pair_through_the_sweep(
    stack: SlackStack, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One pair per unit of work: the click introduces the first, the runtime's next tick
    # (a sweep, then delivery) the second — each group DM once, in the reviewed order.
    from bot.features.rounds import approval

    monkeypatch.setattr(approval, "APPROVE_BATCH", 1)
    await two_pairs(stack)
    proposal = await stack.command("U0CAROL", "match")
    approved = await stack.click("U0CAROL", buttons(proposal)["Approve and introduce"], "1700000000.000001")
    assert "Round #1 approved: 2 introductions on the way." in approved["text"]
    await stack.deliver()
    assert await count(stack, Pairing) == 1
    await stack.bot.sweep()
    await stack.deliver()
    opens = [c.args["users"] for c in fake.calls_to("conversations.open", ok=True) if "," in c.args["users"]]
    assert opens == ["U0ANN,U0MARIA", "U0BEN,U0OMAR"]
    assert all(len(mpim_with(fake, *p).messages) == 1 for p in (("U0ANN", "U0MARIA"), ("U0BEN", "U0OMAR")))
    await stack.bot.sweep()
    assert await stack.deliver() == 0 and await count(stack, Pairing) == 2


# --- 2. the lifecycle of a pair -------------------------------------------------------------


async def test_a_pair_from_kickoff_to_testimonial(stack: SlackStack, fake: FakeSlack) -> None:
    await two_pairs(stack)
    await approve(stack)
    group = mpim_with(fake, "U0ANN", "U0MARIA")
    intro = group.messages[0]

    # Only the pair may press their buttons.
    other = await stack.click("U0BEN", buttons(intro)["We've had our kick-off"], intro["ts"], group.id)
    assert "belongs to someone else's introduction" in other["text"]
    kickoff = await stack.click("U0ANN", buttons(intro)["We've had our kick-off"], intro["ts"], group.id)
    assert "Kick-off recorded" in kickoff["text"]
    await stack.deliver()
    assert any("recorded your kick-off" in m["text"] for m in group.messages)

    # Two weeks later a check-in arrives by DM, in the member's daytime.
    stack.clock.advance(timedelta(days=14, hours=2))
    await stack.bot.sweep()
    await stack.deliver()
    ann_im = fake.im_with("U0ANN")
    assert ann_im is not None
    checkin = next(m for m in ann_im.messages if "How is your mentorship with Maria going?" in m["text"])
    assert set(buttons(checkin)) == {"We met", "Not yet", "Need help", "Pause 2 weeks"}
    met = await stack.click_in_dm("U0ANN", buttons(checkin)["We met"], checkin["ts"])
    assert "Thanks — noted: We met." in met["text"]
    note = await dm_reply(stack, "U0ANN", "note we reviewed my CV <!channel>", "Ev0NOTE1")
    assert "Added to your check-in: we reviewed my CV &lt;!channel&gt;" in note["text"]
    async with stack.bot.db.unit() as s:
        stored = (await s.execute(select(CheckIn).where(CheckIn.answer == "met"))).scalar_one()
    assert stored.note == "we reviewed my CV <!channel>"  # stored as typed, shown escaped

    # Goals through the slash command; the group DM hears about them.
    goal = await stack.command("U0ANN", 'goal set "Ship my first open-source PR" --by 2027-02-01')
    assert "Goal 1 is set" in goal["text"]
    update = await stack.command("U0MARIA", 'goal update "Picked an issue in the tracker"')
    assert "goal 1" in update["text"].lower()
    done = await stack.command("U0MARIA", "goal done")
    assert "Goal 1 is done" in done["text"]
    await stack.deliver()
    said = "\n".join(m["text"] for m in group.messages)
    assert "set goal 1" in said and "Picked an issue in the tracker" in said
    reassess = next(m for m in group.messages if "Goal reached!" in m["text"])
    assert set(buttons(reassess)) == {"Set a new goal", "Continue without one", "Wrap up early"}
    carry_on = await stack.click("U0ANN", buttons(reassess)["Continue without one"], reassess["ts"], group.id)
    assert "Carrying on without a new goal" in carry_on["text"]
    assert await count(stack, Goal, Goal.status == "done") == 1

    # Maria would rather wrap up: they chose differently, so both hear it and nothing ends.
    differ = await stack.click("U0MARIA", buttons(reassess)["Wrap up early"], reassess["ts"], group.id)
    assert "Your partner chose differently, so nothing has ended" in differ["text"]
    await stack.deliver()
    assert any(
        "You chose differently: Maria would like to wrap up, Ann would like to continue" in m["text"]
        for m in group.messages
    )
    # They agree after all: wrapping up asks first, then feedback questions arrive by DM.
    confirm = await stack.command("U0MARIA", "wrap-up")
    assert "Wrap up your mentorship with Ann now?" in confirm["text"]
    wrapped = await stack.click("U0MARIA", buttons(confirm)["Yes, wrap up"], reassess["ts"])
    assert "Wrapped up. Thank you!" in wrapped["text"]
    await stack.deliver()
    rating = next(m for m in ann_im.messages if "How would you rate your mentorship with Maria?" in m["text"])
    # One completion message holds every choice: the rating and the next-round question.
    assert list(buttons(rating)) == ["1", "2", "3", "4", "5", "Yes, next round", "Not now", "Get my certificate (PDF)"]
    rated = await stack.click_in_dm("U0ANN", buttons(rating)["5"], rating["ts"])
    assert "5/5 noted. What worked well?" in rated["text"]
    worked = await dm_reply(stack, "U0ANN", "Weekly calls kept me going & <@U0BEN> helped", "Ev0FB1")
    assert "what could have been better" in worked["text"]
    consent = await dm_reply(stack, "U0ANN", "skip", "Ev0FB2")
    assert "May the moderators quote" in consent["text"]
    other_name = await stack.click_in_dm("U0ANN", buttons(consent)["Yes, under another name"], consent["ts"])
    assert "Which name should a quote carry?" in other_name["text"]
    thanks = await dm_reply(stack, "U0ANN", "A junior developer", "Ev0FB3")
    assert "Thank you — your feedback helps" in thanks["text"]

    refused = await stack.command("U0ANN", "testimonials")
    assert "Only moderators can use /mentor testimonials" in refused["text"]
    quotes = await stack.command("U0CAROL", "testimonials")
    assert "Weekly calls kept me going &amp; &lt;@U0BEN&gt; helped" in quotes["text"]
    assert "<@U0BEN>" not in body_text(quotes)  # the typed mention pings nobody
    assert "A junior developer (mentee — 5/5)" in quotes["text"]
    assert await count(stack, Feedback, Feedback.step == "done") == 1
    assert [c for c in fake.calls if not c.ok] == []


# --- 4. the largest real messages within Slack's limits -------------------------------------


@pytest.mark.slow
async def test_a_proposal_with_twenty_pairs_and_moderator_help_fit_block_kit(
    stack: SlackStack, fake: FakeSlack
) -> None:
    for n in range(20):
        mentor, mentee = f"U0MENTOR{n:02d}", f"U0MENTEE{n:02d}"
        fake.add_user(mentor, f"Mentor number {n} " + "with a long name " * 3)
        fake.add_user(mentee, f"Mentee number {n} " + "with a long name " * 3)
        await seed(stack, mentor, "mentor", topics_offered=["Python"], years_experience=10 + n % 5)
        await seed(stack, mentee, "mentee", topics_wanted=["Python"], goals="grow in Python, testing and reviews " * 4)
    proposal = await stack.command("U0CAROL", "match")  # the fake rejects oversize bodies
    text = body_text(proposal)
    assert "20 pairs" in text and "… and 5 more pairs" in text
    everything = await stack.command("U0CAROL", "match show")
    assert "20 pairs" in body_text(everything)
    help_text = await stack.command("U0CAROL", "help")
    assert "What you can do (moderator)" in body_text(help_text)
    assert "/mentor match" in body_text(help_text) and "/mentor testimonials" in body_text(help_text)
    approved = await stack.click("U0CAROL", buttons(proposal)["Approve and introduce"], "1700000000.000001")
    assert "20 introductions" in approved["text"]
    await stack.deliver()
    groups = [c for c in fake.channels.values() if c.is_mpim]
    assert len(groups) == 20 and all(len(g.messages) == 1 for g in groups)
    assert [c for c in fake.calls if not c.ok] == []
    assert fake.response_rejections == []


# --- the other buttons: policy, Not yet / Need help / Pause, and the moderators' alert ---------


async def test_policy_buttons_check_in_answers_and_the_at_risk_alert(stack: SlackStack, fake: FakeSlack) -> None:
    await two_pairs(stack)
    modchannel = await stack.command("U0CAROL", "modchannel")
    assert "moderator" in modchannel["text"].lower()
    await approve(stack)
    group = mpim_with(fake, "U0ANN", "U0MARIA")
    intro = group.messages[0]
    change = await stack.click("U0MARIA", buttons(intro)["Propose changes"], intro["ts"], group.id)
    assert "What would you change?" in change["text"]
    weekly = await stack.click("U0MARIA", buttons(change)["Meet every week"], intro["ts"], group.id)
    assert "Proposed: meet every week by video call" in weekly["text"]
    sent = await stack.click("U0MARIA", buttons(change)["Send to my partner"], intro["ts"], group.id)
    assert "Sent to Ann" in sent["text"]
    await stack.deliver()
    proposal = next(m for m in fake.im_with("U0ANN").messages if "Maria proposes a change" in m["text"])
    accepted = await stack.click_in_dm("U0ANN", buttons(proposal)["Accept"], proposal["ts"])
    assert "Accepted — I told you both." in accepted["text"]
    await stack.deliver()
    assert any(
        "Ann accepted the change. Your partnership policy is now: meet every week" in m["text"] for m in group.messages
    )
    first = await stack.click("U0ANN", buttons(intro)["Confirm the policy"], intro["ts"], group.id)
    assert "when your partner confirms too" in first["text"]
    second = await stack.click("U0MARIA", buttons(intro)["Confirm the policy"], intro["ts"], group.id)
    assert "you both agree now" in second["text"]
    await stack.deliver()
    assert any("You both confirmed the partnership policy" in m["text"] for m in group.messages)

    # "Not yet" twice in a row: the moderators' channel hears about the pair, once.
    for _ in range(2):
        stack.clock.advance(timedelta(days=14, hours=2))
        await stack.bot.sweep()
        await stack.deliver()
        checkin = [m for m in fake.im_with("U0ANN").messages if "How is your mentorship" in m["text"]][-1]
        answer = await stack.click_in_dm("U0ANN", buttons(checkin)["Not yet"], checkin["ts"])
        assert "Thanks — noted: Not yet." in answer["text"]
        await stack.deliver()
    alerts = [m for m in fake.messages("C0MENTOR") if "At-risk pair* #1: Ann ← Maria" in m["text"]]
    assert len(alerts) == 1 and 'answered "Not yet" twice in a row' in alerts[0]["text"]
    help_ = await stack.click_in_dm("U0ANN", buttons(checkin)["Need help"], checkin["ts"])
    assert "A moderator will get in touch." in help_["text"]
    paused = await stack.click_in_dm("U0ANN", buttons(checkin)["Pause 2 weeks"], checkin["ts"])
    assert "Check-ins are paused for two weeks for both of you." in paused["text"]
    await stack.deliver()
    assert len([m for m in fake.messages("C0MENTOR") if "At-risk pair* #1: Ann ← Maria" in m["text"]]) == 1
    ended = await stack.command("U0CAROL", "pair 1 end")
    assert "Pairing #1" in ended["text"]
    await stack.deliver()
    assert any("A moderator ended your mentorship with Maria" in m["text"] for m in fake.im_with("U0ANN").messages)
    assert [c for c in fake.calls if not c.ok] == []


async def test_button_steps_take_typed_answers_in_the_dm(stack: SlackStack, fake: FakeSlack) -> None:
    """Issue 16: the policy, the wrap-up confirmation and the next-round question answered in words."""
    await two_pairs(stack)
    await approve(stack)
    agreed = await dm_reply(stack, "U0ANN", "I agree", "Ev0TYPED1")
    assert "Confirmed. I'll let you both know when your partner confirms too." in agreed["text"]
    confirm = await stack.command("U0MARIA", "wrap-up")
    assert "Wrap up your mentorship with Ann now?" in confirm["text"]
    unclear = await dm_reply(stack, "U0MARIA", "hmm <!channel>", "Ev0TYPED2")
    assert "I didn't catch that. Wrap up your mentorship now?" in unclear["text"]
    wrapped = await dm_reply(stack, "U0MARIA", "yes, wrap up", "Ev0TYPED3")
    assert "Wrapped up. Thank you!" in wrapped["text"]
    await stack.deliver()
    again = await dm_reply(stack, "U0ANN", "yes, next round", "Ev0TYPED4")
    assert "you're in the pool for the next matching round" in again["text"]
    rated = await dm_reply(stack, "U0ANN", "4/5", "Ev0TYPED5")
    assert "Thanks, 4/5 noted." in rated["text"]
    async with stack.bot.db.unit() as s:
        assert (await s.execute(select(Pairing.status))).scalars().all().count("completed") == 1
    assert [c for c in fake.calls if not c.ok] == []
