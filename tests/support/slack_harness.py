"""The whole Slack stack for end-to-end tests: the real core, the real Bolt app in
HTTP mode on an ephemeral port, SlackMessenger, and the local fake Slack.

Requests go in signed like Slack signs them; everything the bot says comes out
through the fake's Web API or response URLs, where the tests read it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from adapters.slack.main import HttpServer, build_services, start_http
from adapters.slack.settings import SlackSettings
from bot.bootstrap import bootstrap
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from bot.runtime import Runtime
from tests.fakes import PATIENCE
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, signed_headers
from tests.support.slack_payloads import block_action, buttons, dm_event, select_action, slash_command, view_submission

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


@dataclass
class SlackStack:
    fake: FakeSlack
    bot: Any
    clock: ManualClock
    services: Any
    runtime: Runtime
    server: HttpServer
    session: aiohttp.ClientSession

    @classmethod
    async def start(cls, fake: FakeSlack, settings: Settings, clock: ManualClock, **slack: Any) -> SlackStack:
        bot = await bootstrap(settings, clock=clock)
        slack_settings = SlackSettings(
            bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url, **slack
        )
        box: list[Runtime] = []
        services = build_services(bot, slack_settings, kick=lambda: box[0].kick(), pace_seconds=0.0)
        runtime = Runtime(bot, services.messenger)
        box.append(runtime)
        server = await start_http(services.adapter.app, "127.0.0.1", 0)
        return cls(fake, bot, clock, services, runtime, server, aiohttp.ClientSession())

    async def stop(self) -> None:
        await self.session.close()
        await self.server.stop()
        await self.runtime.stop()
        if self.services.inbox is not None:
            await self.services.inbox.close()
        await self.bot.close()

    @property
    def url(self) -> str:
        return self.server.url + "/slack/events"

    async def post(self, body: str, content: dict[str, str], **extra: str) -> tuple[int, str]:
        async with self.session.post(self.url, data=body, headers={**content, **signed_headers(body, **extra)}) as resp:
            return resp.status, await resp.text()

    async def command(self, user_id: str, text: str, channel_id: str = "C0MENTOR") -> dict[str, Any]:
        """Run a slash command; return the ephemeral reply sent to its response_url."""
        rid = f"cmd{len(self.fake.responses)}-{time.monotonic_ns()}"
        status, _ = await self.post(
            slash_command(text, user_id=user_id, channel_id=channel_id, response_url=self.fake.response_url(rid)),
            FORM,
        )
        assert status == 200
        return await self.response(rid)

    async def click(
        self, user_id: str, action_id: str, message_ts: str, channel_id: str = "C0MENTOR"
    ) -> dict[str, Any]:
        rid = f"act{len(self.fake.responses)}-{time.monotonic_ns()}"
        body = block_action(
            action_id,
            user_id=user_id,
            channel_id=channel_id,
            message_ts=message_ts,
            response_url=self.fake.response_url(rid),
        )
        status, _ = await self.post(body, FORM)
        assert status == 200
        return await self.response(rid)

    def dm_replies(self, user_id: str) -> list[dict[str, Any]]:
        """What the bot said in its DM with the member directly (outbox posts carry metadata)."""
        im = self.fake._open_im(user_id)
        return [m for m in im.messages if "metadata" not in m]

    async def _in_dm(self, user_id: str, body: str) -> dict[str, Any]:
        before = len(self.dm_replies(user_id))
        status, _ = await self.post(body, FORM)
        assert status == 200
        await settle(lambda: len(self.dm_replies(user_id)) > before)
        return self.dm_replies(user_id)[-1]

    async def click_in_dm(self, user_id: str, action_id: str, message_ts: str) -> dict[str, Any]:
        """Click a button on a message in the member's DM with the bot; returns the answer posted there."""
        im = self.fake._open_im(user_id)
        rid = f"dm{len(self.fake.responses)}-{time.monotonic_ns()}"
        body = block_action(
            action_id,
            user_id=user_id,
            channel_id=im.id,
            message_ts=message_ts,
            response_url=self.fake.response_url(rid),
        )
        return await self._in_dm(user_id, body)

    async def select_in_dm(
        self, user_id: str, action_id: str, values: list[str], message_ts: str, *, multi: bool = True
    ) -> dict[str, Any]:
        """Choose options of a select in the member's DM; returns the answer posted there."""
        im = self.fake._open_im(user_id)
        rid = f"dm{len(self.fake.responses)}-{time.monotonic_ns()}"
        body = select_action(
            action_id,
            values,
            multi=multi,
            user_id=user_id,
            channel_id=im.id,
            message_ts=message_ts,
            response_url=self.fake.response_url(rid),
        )
        return await self._in_dm(user_id, body)

    async def submit(
        self, user_id: str, callback_id: str, values: dict[str, str], channel_id: str = "C0MENTOR"
    ) -> tuple[int, str]:
        return await self.post(
            view_submission(values, user_id=user_id, channel_id=channel_id, callback_id=callback_id), FORM
        )

    async def dm(self, user_id: str, text: str, event_id: str, **headers: str) -> tuple[int, str]:
        im = self.fake._open_im(user_id)
        return await self.post(dm_event(text, user_id=user_id, channel_id=im.id, event_id=event_id), JSON, **headers)

    async def response(self, rid: str) -> dict[str, Any]:
        def arrived() -> bool:
            rejected = [r for r in self.fake.response_rejections if r["_rid"] == rid]
            assert not rejected, f"Slack would refuse this reply ({rejected[0]['_error']}): {rejected[0]}"
            return any(r["_rid"] == rid for r in self.fake.responses)

        await settle(arrived)
        return next(r for r in self.fake.responses if r["_rid"] == rid)

    async def deliver(self) -> int:
        """Drain the outbox now (what the runtime's tick does)."""
        await asyncio.gather(*list(self.runtime._tasks), return_exceptions=True)
        return await self.bot.deliver_outbox(self.services.messenger)


async def settle(predicate: Callable[[], bool], timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the expected state was not reached")
        await asyncio.sleep(0.01)


def button_ids(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def body_text(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False) + message.get("text", "")


__all__ = ["SlackStack", "settle", "button_ids", "buttons", "body_text", "replace"]
