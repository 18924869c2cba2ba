"""Fixtures for the Slack adapter tests: a running local fake of Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.slack.messenger import SlackMessenger, make_web_client
from tests.fakes.slack import BOT_TOKEN, FakeSlack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    slack.add_user("U0ALICE", "Alice Mentor")
    slack.add_user("U0BOB", "Bob Mentee")
    slack.add_user("U0CAROL", "Carol Admin", is_admin=True)
    slack.add_user("U0GONE", "Gone Member", deleted=True)
    slack.add_channel("C0MENTOR", "mentorship", members=("U0ALICE", "U0BOB", "U0CAROL"))
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
async def messenger(fake: FakeSlack) -> AsyncIterator[SlackMessenger]:
    client = make_web_client(BOT_TOKEN, base_url=fake.api_url)
    # No real pacing in functional tests: pacing is measured in bench/.
    yield SlackMessenger(client, pace_seconds=0.0)
