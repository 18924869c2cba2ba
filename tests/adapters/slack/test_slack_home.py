"""The App Home, the moderators' lists and the short forms, through the real Bolt app
against the local fake Slack (signed requests in, Web API calls out).

- Opening the Home tab (`app_home_opened`) publishes the member's card with
  `views.publish`; a moderator's Home adds the overview. Clicks on the Home answer
  in the DM and republish the Home; a change made elsewhere republishes it through
  the outbox once the debounce window has passed.
- `/mentor members` / `/mentor pairs` page with Next/Previous, moderators only.
- `/mentor edit goals` and the Home's goal button open modals (views.open); their
  submissions change the profile and the pair's goals.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.clock import ManualClock
from bot.core.events import Actor, CommunityRef
from bot.core.settings import Settings
from storage.tables import Goal, Pairing, Profile
from tests.fakes.slack import TEAM_ID, FakeSlack
from tests.support.community import seed_profile
from tests.support.db import START
from tests.support.slack_harness import FORM, JSON, SlackStack, buttons, settle
from tests.support.slack_payloads import block_action_payload, event, payload_body

SLACK = CommunityRef("slack", TEAM_ID, "mentor-community")


@pytest.fixture
async def stack(fake: FakeSlack, settings: Settings) -> AsyncIterator[SlackStack]:
    for user_id, name in (("U0MARIA", "Maria"), ("U0ANN", "Ann <!channel>")):
        fake.add_user(user_id, name)
    s = await SlackStack.start(fake, settings, ManualClock(START))
    yield s
    await s.stop()


async def seed(stack: SlackStack, user_id: str, role: str, **fields: Any) -> int:
    name = stack.fake.users[user_id]["real_name"]
    return await seed_profile(stack.bot, SLACK, Actor(user_id, name), role, stack.clock.now(), **fields)


def home_text(fake: FakeSlack, user_id: str) -> str:
    return json.dumps(fake.homes[user_id]["blocks"], ensure_ascii=False)


def home_controls(fake: FakeSlack, user_id: str) -> dict[str, str]:
    """Label (button text or select placeholder) → action_id on the member's Home."""
    found: dict[str, str] = {}
    for block in fake.homes[user_id]["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            label = element["text"]["text"] if element["type"] == "button" else element["placeholder"]["text"]
            found[label] = element["action_id"]
    return found


async def open_home(stack: SlackStack, user_id: str) -> str:
    """The member opens the Home tab; returns what it shows once published."""
    before = len(stack.fake.calls_to("views.publish"))
    body = event("event_message_im", event_id=f"EvHome{time.monotonic_ns()}")
    body["event"] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": "1700000000.1",
    }
    status, _ = await stack.post(json.dumps(body), JSON)
    assert status == 200
    await settle(lambda: len(stack.fake.calls_to("views.publish")) > before)
    return home_text(stack.fake, user_id)


async def click_home(stack: SlackStack, user_id: str, action_id: str, value: str | None = None) -> None:
    """A click (or a select choice) on the Home tab: no channel, no response_url."""
    body = block_action_payload(action_id, user_id=user_id, channel_id="", message_ts="", response_url="")
    for key in ("channel", "message", "response_url"):
        body.pop(key, None)
    body["container"] = {"type": "view", "view_id": "V0HOME"}
    body["view"] = {"id": "V0HOME", "type": "home", "blocks": []}
    if value is not None:
        body["actions"][0] = {
            "action_id": action_id,
            "type": "static_select",
            "selected_option": {"value": value},
            "action_ts": "1.2",
        }
    before = len(stack.fake.calls_to("views.publish"))
    status, _ = await stack.post(payload_body(body), FORM)
    assert status == 200
    await settle(lambda: len(stack.fake.calls_to("views.publish")) > before)


async def count(stack: SlackStack, model: Any, *where: Any) -> int:
    async with stack.bot.db.unit() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


# --- the member's Home ------------------------------------------------------------------


async def test_home_shows_a_waiting_member_and_a_pause_clicked_there(stack: SlackStack, fake: FakeSlack) -> None:
    await seed(stack, "U0ANN", "mentee")
    shown = await open_home(stack, "U0ANN")
    assert "Your mentorship" in shown and "waiting for a match since" in shown
    controls = home_controls(fake, "U0ANN")
    assert {"Edit profile", "Resources", "Leave", "Take a break…"} <= controls.keys()
    assert "Program at a glance" not in shown  # members never see the moderators' overview

    await click_home(stack, "U0ANN", controls["Take a break…"], "4")
    assert "paused until" in home_text(fake, "U0ANN")  # republished at once after the click
    assert "Resume" in home_controls(fake, "U0ANN")
    dm = fake.im_with("U0ANN")
    assert dm is not None and any("Paused until" in m.get("text", "") for m in dm.messages)  # the answer went to the DM


async def test_a_pairing_made_elsewhere_refreshes_the_home_once_after_the_debounce(
    stack: SlackStack, fake: FakeSlack
) -> None:
    await seed(stack, "U0MARIA", "mentor")
    await seed(stack, "U0ANN", "mentee")
    await open_home(stack, "U0ANN")
    reply = await stack.command("U0CAROL", "match")
    await stack.click("U0CAROL", buttons(reply)["Approve and introduce"], "1700000000.000001")
    await stack.deliver()
    await stack.bot.sweep()
    await stack.deliver()
    assert "Your mentor:" not in home_text(fake, "U0ANN")  # still inside the debounce window
    publishes = len(fake.calls_to("views.publish"))
    stack.clock.advance(timedelta(seconds=31))
    await stack.bot.sweep()
    await stack.deliver()
    shown = home_text(fake, "U0ANN")
    assert "Your mentor:" in shown and "Maria" in shown and "Next check-in" in shown and "Every 2 weeks" in shown
    assert len(fake.calls_to("views.publish")) == publishes + 1  # many changes, one publish
    assert "<!channel>" not in shown  # the member's name is escaped on the Home too


async def test_moderator_home_shows_the_overview_and_approves_a_round_from_there(
    stack: SlackStack, fake: FakeSlack
) -> None:
    await seed(stack, "U0MARIA", "mentor")
    await seed(stack, "U0ANN", "mentee")
    await stack.command("U0CAROL", "match")
    shown = await open_home(stack, "U0CAROL")
    assert "Your mentorship" in shown and "Program at a glance" in shown
    assert "being counted" in shown  # never counted on open: the sweep counts
    assert "awaits approval" in shown
    stack.clock.advance(timedelta(seconds=31))
    await stack.bot.sweep()  # counts the figures, then republishes the moderators' Homes
    await stack.bot.sweep()
    await stack.deliver()
    shown = home_text(fake, "U0CAROL")
    assert "Signed up" in shown and "2 (1 mentoring, 1 mentored)" in shown

    await click_home(stack, "U0CAROL", home_controls(fake, "U0CAROL")["Approve"])
    assert await count(stack, Pairing) == 1
    assert "No matching round is waiting" in home_text(fake, "U0CAROL")


# --- lists -------------------------------------------------------------------------------


async def test_members_list_pages_with_next_and_previous_for_moderators_only(
    stack: SlackStack, fake: FakeSlack
) -> None:
    for n in range(23):
        await seed_profile(
            stack.bot, SLACK, Actor(f"U0W{n:02d}", f"Waiter {n:02d}"), "mentee", stack.clock.now() - timedelta(days=n)
        )
    first = await stack.command("U0CAROL", "members --waiting")
    text = json.dumps(first["blocks"])
    assert "Waiting for a match: 23" in text and "page 1 of 3" in text
    assert text.index("Waiter 22") < text.index("Waiter 21")  # longest waiting first
    second = await stack.click("U0CAROL", buttons(first)["Next"], "1700000000.000002")
    assert "page 2 of 3" in json.dumps(second["blocks"]) and "Previous" in buttons(second)
    profile = await stack.click("U0CAROL", buttons(second)["Waiter 12"], "1700000000.000003")
    assert "Profile of" in json.dumps(profile["blocks"])

    refused = await stack.command("U0ANN", "members --waiting")
    assert "Only moderators" in refused["text"]
    forged = await stack.click("U0ANN", buttons(first)["Next"], "1700000000.000004")
    assert "Only moderators" in forged["text"]


async def test_pairs_list_ends_a_pair_after_a_confirmation(stack: SlackStack, fake: FakeSlack) -> None:
    await seed(stack, "U0MARIA", "mentor")
    await seed(stack, "U0ANN", "mentee")
    reply = await stack.command("U0CAROL", "match")
    await stack.click("U0CAROL", buttons(reply)["Approve and introduce"], "1700000000.000001")
    listing = await stack.command("U0CAROL", "pairs --ending 120d")
    assert "Pairs ending within 120 days: 1" in json.dumps(listing["blocks"])
    (pair_button,) = [label for label in buttons(listing) if label.startswith("#")]
    shown = await stack.click("U0CAROL", buttons(listing)[pair_button], "1700000000.000002")
    ask = await stack.click("U0CAROL", buttons(shown)["End"], "1700000000.000003")
    assert await count(stack, Pairing, Pairing.status == "active") == 1  # asked first
    done = await stack.click("U0CAROL", buttons(ask)["Yes, end"], "1700000000.000004")
    assert "ended" in done["text"]
    assert await count(stack, Pairing, Pairing.status == "active") == 0


# --- short forms as modals ---------------------------------------------------------------


async def test_edit_one_answer_opens_a_modal_and_saves_it(stack: SlackStack, fake: FakeSlack) -> None:
    await seed(stack, "U0ANN", "mentee", goals="old goals text")
    await stack.post(payload_body_command(stack, "U0ANN", "edit goals"), FORM)
    await settle(lambda: bool(fake.modals))
    modal = fake.modals[-1]
    assert modal["callback_id"] == "mentor:editq:goals:save" and len(modal["blocks"]) == 1
    status, _ = await stack.submit("U0ANN", modal["callback_id"], {"answer": "Ship a first open-source pull request"})
    assert status == 200

    async def saved() -> str:
        async with stack.bot.db.unit() as s:
            return (await s.execute(select(Profile.goals))).scalars().first() or ""

    for _ in range(500):
        if await saved() == "Ship a first open-source pull request":
            break
        await _sleep()
    assert await saved() == "Ship a first open-source pull request"
    too_short = await stack.submit("U0ANN", modal["callback_id"], {"answer": "x"})
    assert too_short[0] == 200
    assert await saved() == "Ship a first open-source pull request"  # refused politely, nothing changed


async def test_goal_button_on_the_home_opens_a_modal_and_sets_the_goal(stack: SlackStack, fake: FakeSlack) -> None:
    await seed(stack, "U0MARIA", "mentor")
    await seed(stack, "U0ANN", "mentee")
    reply = await stack.command("U0CAROL", "match")
    await stack.click("U0CAROL", buttons(reply)["Approve and introduce"], "1700000000.000001")
    await open_home(stack, "U0ANN")
    goal_button = home_controls(fake, "U0ANN")["Set a goal"]
    body = block_action_payload(goal_button, user_id="U0ANN", channel_id="", message_ts="", response_url="")
    body["container"], body["view"] = {"type": "view", "view_id": "V0HOME"}, {"id": "V0HOME", "type": "home"}
    await stack.post(payload_body(body), FORM)
    await settle(lambda: bool(fake.modals))
    assert fake.modals[-1]["callback_id"] == "mentor:goalf:new:set"
    await stack.submit("U0ANN", "mentor:goalf:new:set", {"goal": "Ship my first PR", "by": "6w"})
    for _ in range(500):
        if await count(stack, Goal) == 1:
            break
        await _sleep()
    assert await count(stack, Goal) == 1


def payload_body_command(stack: SlackStack, user_id: str, text: str) -> str:
    from tests.support.slack_payloads import slash_command

    return slash_command(text, user_id=user_id, channel_id="C0MENTOR", response_url=stack.fake.response_url("edit"))


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.01)


async def test_bare_goal_set_opens_the_goal_form_and_a_typed_one_does_not(stack: SlackStack, fake: FakeSlack) -> None:
    await stack.post(payload_body_command(stack, "U0ANN", "goal set"), FORM)
    await settle(lambda: bool(fake.modals))
    assert fake.modals[-1]["callback_id"] == "mentor:goalf:new:set"
    assert [b["block_id"] for b in fake.modals[-1]["blocks"]] == ["goal", "by"]
    reply = await stack.command("U0ANN", 'goal set "Ship it"')  # typed in full: the command runs
    assert "active mentorship" in reply["text"]
    assert len(fake.modals) == 1
