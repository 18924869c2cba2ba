"""A workspace that uninstalls mentorbot: signed `app_uninstalled` and `tokens_revoked`
(in either order) through Bolt schedule the purge of its data after the grace period;
installing again within it cancels the purge; when it falls due every row goes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from adapters.slack.installation_store import DbInstallationStore, DbOAuthStateStore
from adapters.slack.main import build_services, start_http
from adapters.slack.settings import SlackSettings
from bot.bootstrap import bootstrap
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from storage.tables import Community, Member
from tests.adapters.slack.test_slack_oauth import KEY, install
from tests.fakes.slack import SIGNING_SECRET, FakeSlack, signed_headers
from tests.support.slack_harness import SlackStack, settle
from tests.support.slack_payloads import fixture, slash_command

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
async def oauth(fake: FakeSlack, settings: Settings) -> AsyncIterator[dict[str, Any]]:
    bot = await bootstrap(settings, clock=ManualClock(START))
    slack = SlackSettings(
        client_id="1111.2222",
        client_secret="client-secret",
        signing_secret=SIGNING_SECRET,
        secret_key=KEY,
        api_url=fake.api_url,
        scopes=("commands", "chat:write"),
    )
    store = DbInstallationStore(bot.db, KEY, client_id="1111.2222")
    services = build_services(
        bot, slack, installation_store=store, oauth_state_store=DbOAuthStateStore(bot.db), pace_seconds=0
    )
    server = await start_http(services.adapter.app, "127.0.0.1", 0)
    async with aiohttp.ClientSession() as session:
        yield {"bot": bot, "store": store, "server": server, "session": session, "services": services}
    await server.stop()
    await bot.close()


async def post(oauth: dict[str, Any], body: str, content_type: str) -> None:
    async with oauth["session"].post(
        oauth["server"].url + "/slack/events",
        data=body,
        headers={"Content-Type": content_type, **signed_headers(body)},
    ) as resp:
        assert resp.status == 200


async def community(oauth: dict[str, Any]) -> Community | None:
    async with oauth["bot"].db.unit() as session:
        return (
            await session.execute(
                select(Community).where(Community.platform == "slack", Community.external_id == "T0OTHER")
            )
        ).scalar_one_or_none()


async def until(check: Any) -> None:
    for _ in range(500):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the expected state was not reached")


async def a_workspace_in_use(fake: FakeSlack, oauth: dict[str, Any]) -> Community:
    await install(fake, oauth)
    fake.add_channel("C0OTHER", "mentoring", members=("U0ALICE",))
    body = slash_command("help", user_id="U0ALICE", channel_id="C0OTHER", response_url=fake.response_url("o1"))
    await post(oauth, body.replace("team_id=T0MENTOR", "team_id=T0OTHER"), "application/x-www-form-urlencoded")
    await settle(lambda: any(r["_rid"] == "o1" for r in fake.responses))
    found = await community(oauth)
    assert found is not None and found.purge_due_at is None
    return found


@pytest.mark.parametrize(
    "order", [("event_app_uninstalled", "event_tokens_revoked"), ("event_tokens_revoked", "event_app_uninstalled")]
)
async def test_uninstall_schedules_the_purge_in_either_order(
    fake: FakeSlack, oauth: dict[str, Any], order: tuple[str, str]
) -> None:
    bot = oauth["bot"]
    await a_workspace_in_use(fake, oauth)
    due = START + timedelta(days=30)

    async def is_scheduled() -> bool:
        row = await community(oauth)
        return row is not None and row.purge_due_at is not None

    await post(oauth, json.dumps(fixture(order[0])), "application/json")
    await until(is_scheduled)
    assert (await community(oauth)).purge_due_at == due
    bot.clock.advance(timedelta(days=2))
    await post(oauth, json.dumps(fixture(order[1])), "application/json")
    await asyncio.sleep(0.2)  # the second event is handled (or ignored: the token is already gone)
    assert (await community(oauth)).purge_due_at == due, "the second event never postpones the purge"

    bot.clock.advance(timedelta(days=27))
    await bot.sweep()
    assert await community(oauth) is not None
    bot.clock.advance(timedelta(days=1, minutes=1))
    await bot.sweep()
    assert await community(oauth) is None
    async with bot.db.unit() as session:
        members = (await session.execute(select(func.count()).select_from(Member))).scalar_one()
    assert members == 0


async def test_installing_again_within_the_grace_period_cancels_the_purge(
    fake: FakeSlack, oauth: dict[str, Any]
) -> None:
    bot = oauth["bot"]
    before = await a_workspace_in_use(fake, oauth)

    async def is_scheduled() -> bool:
        row = await community(oauth)
        return row is not None and row.purge_due_at is not None

    await post(oauth, json.dumps(fixture("event_app_uninstalled")), "application/json")
    await until(is_scheduled)
    bot.clock.advance(timedelta(days=5))
    await install(fake, oauth)
    row = await community(oauth)
    assert row is not None and row.purge_due_at is None and row.id == before.id
    bot.clock.advance(timedelta(days=60))
    await bot.sweep()
    assert await community(oauth) is not None


async def single_workspace_removed(stack: SlackStack, event: dict[str, Any]) -> None:
    body = json.dumps(
        {**event, "team_id": "T0MENTOR", "authorizations": [{**event["authorizations"][0], "team_id": "T0MENTOR"}]}
    )
    status, _ = await stack.post(body, {"Content-Type": "application/json"})
    assert status == 200


async def mentor_due(stack: SlackStack) -> Any:
    async with stack.bot.db.unit() as session:
        row = (
            await session.execute(
                select(Community).where(Community.platform == "slack", Community.external_id == "T0MENTOR")
            )
        ).scalar_one()
    return row.purge_due_at


async def test_single_workspace_mode_schedules_the_purge_but_not_for_user_tokens(
    fake: FakeSlack, settings: Settings
) -> None:
    stack = await SlackStack.start(fake, settings, ManualClock(START))
    try:
        await stack.command("U0ALICE", "help")
        revoked_users = fixture("event_tokens_revoked")
        revoked_users["event"] = {**revoked_users["event"], "tokens": {"oauth": ["U0ALICE"], "bot": []}}
        await single_workspace_removed(stack, revoked_users)
        await asyncio.sleep(0.3)
        assert await mentor_due(stack) is None, "a revoked user token leaves the bot installed"

        await single_workspace_removed(stack, fixture("event_app_uninstalled"))

        async def scheduled() -> bool:
            return await mentor_due(stack) == START + timedelta(days=30)

        await until(scheduled)
    finally:
        await stack.stop()
