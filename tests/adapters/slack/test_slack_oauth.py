"""OAuth (multi-workspace) mode: Bolt's install flow stores the bot token encrypted in
mentorbot's database; app_uninstalled / tokens_revoked delete it."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from adapters.slack.installation_store import DbInstallationStore, DbOAuthStateStore, TokenCipher
from adapters.slack.main import build_services, start_http
from adapters.slack.settings import SlackSettings
from bot.bootstrap import bootstrap
from bot.core.messages import message
from bot.core.ports import Delivered, Delivery, Destination, Operation, PermanentFailure
from bot.core.settings import Settings
from storage.tables.slack import SlackInstallation
from tests.fakes.slack import SIGNING_SECRET, FakeSlack, signed_headers
from tests.support.slack_harness import settle
from tests.support.slack_payloads import fixture, slash_command

OTHER_TOKEN = "xoxb-other-workspace-token"
KEY = Fernet.generate_key().decode()


@pytest.fixture
async def oauth(fake: FakeSlack, settings: Settings) -> AsyncIterator[dict[str, Any]]:
    bot = await bootstrap(settings)
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


async def install(fake: FakeSlack, oauth: dict[str, Any]) -> None:
    session, base = oauth["session"], oauth["server"].url
    async with session.get(base + "/slack/install") as resp:
        assert resp.status == 200
        page = await resp.text()
        cookie = resp.headers.get("Set-Cookie", "")
    state = re.search(r"state=([A-Za-z0-9_\-]+)", page).group(1)
    assert "scope=commands,chat:write" in page.replace("%2C", ",") and "client_id=1111.2222" in page
    fake.grant_oauth_code(
        "code-1", team_id="T0OTHER", team_name="Other Community", bot_token=OTHER_TOKEN, scope="commands,chat:write"
    )
    cookie_pair = cookie.split(";", 1)[0]
    async with session.get(
        base + f"/slack/oauth_redirect?code=code-1&state={state}", headers={"Cookie": cookie_pair}
    ) as resp:
        assert resp.status == 200, await resp.text()


async def test_install_stores_the_token_encrypted_and_serves_the_workspace(
    fake: FakeSlack, oauth: dict[str, Any]
) -> None:
    await install(fake, oauth)
    bot = oauth["bot"]
    async with bot.db.unit() as session:
        row = (await session.execute(select(SlackInstallation))).scalar_one()
    assert row.team_id == "T0OTHER" and row.team_name == "Other Community"
    assert OTHER_TOKEN not in row.bot_token_encrypted
    assert TokenCipher(KEY).decrypt(row.bot_token_encrypted) == OTHER_TOKEN
    assert TokenCipher(Fernet.generate_key().decode()).decrypt(row.bot_token_encrypted) is None

    # A command from the new workspace runs with that workspace's token.
    fake.add_channel("C0OTHER", "mentoring", members=("U0ALICE",))
    body = slash_command("help", user_id="U0ALICE", channel_id="C0OTHER", response_url=fake.response_url("o1"))
    body = body.replace("team_id=T0MENTOR", "team_id=T0OTHER")
    async with oauth["session"].post(
        oauth["server"].url + "/slack/events",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)},
    ) as resp:
        assert resp.status == 200
    await settle(lambda: any(r["_rid"] == "o1" for r in fake.responses))
    assert any(c.token == OTHER_TOKEN for c in fake.calls_to("users.info"))

    # The outbox delivers to that workspace with its own token, looked up by team id.
    delivery = Delivery("T0OTHER", Operation.POST, Destination.channel("C0OTHER"), message("Welcome!"), "mb1")
    assert isinstance(await oauth["services"].messenger.deliver(delivery), Delivered)
    assert fake.calls_to("chat.postMessage")[-1].token == OTHER_TOKEN
    unknown = Delivery("T0NOBODY", Operation.POST, Destination.channel("C0OTHER"), message("Hi"), "mb2")
    failure = await oauth["services"].messenger.deliver(unknown)
    assert isinstance(failure, PermanentFailure) and failure.code == "team_access_not_granted"


@pytest.mark.parametrize("event_name", ["event_app_uninstalled", "event_tokens_revoked"])
async def test_uninstall_and_revocation_delete_the_token(
    fake: FakeSlack, oauth: dict[str, Any], event_name: str
) -> None:
    await install(fake, oauth)
    store: DbInstallationStore = oauth["store"]
    assert (await store.async_find_bot(enterprise_id=None, team_id="T0OTHER")) is not None
    body = json.dumps(fixture(event_name))
    async with oauth["session"].post(
        oauth["server"].url + "/slack/events",
        data=body,
        headers={"Content-Type": "application/json", **signed_headers(body)},
    ) as resp:
        assert resp.status == 200

    async def gone() -> bool:
        async with oauth["bot"].db.unit() as session:
            return (await session.execute(select(SlackInstallation))).first() is None

    for _ in range(200):
        if await gone():
            break
        import asyncio

        await asyncio.sleep(0.02)
    assert await gone()
    assert (await store.async_find_bot(enterprise_id=None, team_id="T0OTHER")) is None


async def test_oauth_state_is_single_use(oauth: dict[str, Any]) -> None:
    states = DbOAuthStateStore(oauth["bot"].db)
    state = await states.async_issue()
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False
    assert await states.async_consume("never-issued") is False
