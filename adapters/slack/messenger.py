"""SlackMessenger: the only code that sends anything to Slack's Web API.

The core's outbox hands it one `Delivery` at a time; it answers `Delivered`,
`RetryLater` or `PermanentFailure` and never raises for a Slack error.

- Transport retries use slack_sdk's own async retry handlers: a short 429 is
  retried in place after `Retry-After` (`ShortRateLimitRetryHandler`, a subclass of
  `AsyncRateLimitErrorRetryHandler` that declines to sleep for long waits), and
  dropped connections / 5xx are retried once. A long or repeated 429 becomes
  `RetryLater(Retry-After)` so the outbox reschedules the row instead of blocking
  the whole deliverer.
- Posts are paced to about one per second per channel, Slack's documented limit
  for chat.postMessage; every other method waits for its own tier per workspace
  (adapters/pacing.py: conversations.open Tier 3, pins.add Tier 2, views.publish
  Tier 4), through the database when several workers share it.
- DM and group DM channel ids from conversations.open are kept in the database
  (storage/platform_state.py), so a restart or another worker does not open them again.
- Every post carries message metadata {event_type: "mentorbot_outbox",
  event_payload: {idempotency_key}}. When a delivery is retried (attempt > 0) the
  recent history of the conversation is read first: if Slack already has a message
  with that key (the process died after Slack accepted it but before the outbox
  recorded it), that message is returned instead of posting a duplicate.
- Slack errors a moderator can act on (bot not in channel, archived channel, a
  member who cannot be DMed, a revoked token) become `PermanentFailure` with a
  sentence the core shows to moderators.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.pacing import TIER_CATCH_UP, DmChannelStore, Pacer, slack_interval
from adapters.slack.render import render, render_home
from bot.core import metrics
from bot.core.ports import (
    Delivered,
    Delivery,
    DeliveryResult,
    DestinationKind,
    Operation,
    PermanentFailure,
    RetryLater,
)

log = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "mentorbot_outbox"
HISTORY_LOOKBACK = 50  # messages scanned for an idempotency key before a resend

# Slack error codes that will never succeed on retry, with what a moderator can do.
PERMANENT_ERRORS: dict[str, str] = {
    "channel_not_found": "the channel does not exist or mentorbot cannot see it",
    "not_in_channel": "mentorbot is not a member of the channel; invite it with /invite @mentorbot",
    "is_archived": "the channel is archived",
    "cannot_dm_bot": "the recipient is a bot and cannot receive DMs",
    "user_not_found": "the member no longer exists in this workspace",
    "user_disabled": "the member's account is deactivated",
    "user_not_visible": "mentorbot is not allowed to see this member",
    "messages_tab_disabled": "the member has closed direct messages from apps",
    "account_inactive": "the bot token belongs to a deleted user or workspace; reinstall mentorbot",
    "token_revoked": "mentorbot was uninstalled or its token was revoked; reinstall it",
    "invalid_auth": "the bot token is not valid; check SLACK_BOT_TOKEN or reinstall",
    "not_authed": "no bot token is configured for this workspace",
    "team_access_not_granted": "mentorbot is not installed for this workspace",
    "missing_scope": "mentorbot lacks a permission; reinstall it from the manifest",
    "restricted_action": "a workspace setting prevents mentorbot from posting here",
    "restricted_action_read_only_channel": "the channel is read-only for apps",
    "restricted_action_thread_only_channel": "the channel only allows replies in threads",
    "restricted_action_non_threadable_channel": "the channel does not allow this message",
    "ekm_access_denied": "the workspace's key management denied access",
    "msg_too_long": "the message is too long for Slack",
    "invalid_blocks": "Slack rejected the message layout",
    "message_not_found": "the original message was deleted",
    "cant_update_message": "the message was not posted by mentorbot",
    "edit_window_closed": "the message can no longer be edited",
    "too_many_users": "a group DM can have at most 8 members",
    "user_not_in_channel": "the member is not in the channel",
    "not_pinnable": "the message cannot be pinned",
    "too_many_pins": "the channel has reached its pin limit",
    "no_permission": "mentorbot lacks permission for this action",
    "user_is_bot": "that account is a bot",
    "user_is_restricted": "guests cannot be added to that channel",
    "cant_invite": "Slack does not allow adding this member to that channel",
    "cant_kick_from_general": "nobody can be removed from the workspace's general channel",
    "space_scope_missing": "mentorbot lacks the groups:write permission for a circle's private channel; reinstall it",
    "name_taken": "every name tried for the circle's private channel is taken",
}
# Errors that mean this particular member cannot be reached by DM.
UNREACHABLE_USER_ERRORS = {
    "cannot_dm_bot",
    "user_not_found",
    "user_disabled",
    "user_not_visible",
    "messages_tab_disabled",
    "channel_not_found",
    "is_archived",
}
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class ShortRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Retry a 429 in place only when Slack asks for a short wait.

    A long Retry-After is better handled by the outbox (RetryLater), which frees the
    deliverer for other channels meanwhile."""

    def __init__(self, max_retry_count: int = 2, max_wait_seconds: float = 5.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_seconds = max_wait_seconds

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        retry = retry_after_seconds(response.headers) <= self.max_wait_seconds
        # The Web API method (e.g. chat.postMessage) is the last part of the URL: a bounded label.
        metrics.count_rate_limited("slack", request.url.rstrip("/").rsplit("/", 1)[-1], retried=retry)
        return retry

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        # slack_sdk's handler adds up to a whole second of jitter to every Retry-After;
        # per-channel pacing already spreads our posts, so a tenth of a second is
        # enough and a 429 storm costs far less time (bench/storm.py).
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        await asyncio.sleep(retry_after_seconds(response.headers) + random.uniform(0.0, 0.1))
        state.increment_current_attempt()


def retry_after_seconds(headers: Any, default: float = 1.0) -> float:
    """Retry-After from slack_sdk's headers (values may be lists or strings)."""
    if not headers:
        return default
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, (list, tuple)) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return default
    return default


def default_retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ShortRateLimitRetryHandler(),
        AsyncServerErrorRetryHandler(max_retry_count=1),
    ]


def make_web_client(token: str | None = None, *, base_url: str | None = None, timeout: int = 30) -> AsyncWebClient:
    """An AsyncWebClient with mentorbot's retry policy (base_url for a local fake)."""
    kwargs: dict[str, Any] = {"token": token, "timeout": timeout, "retry_handlers": default_retry_handlers()}
    if base_url:
        kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    return AsyncWebClient(**kwargs)


TokenLookup = Callable[[str], Awaitable[str | None]]


class SlackMessenger:
    """Messenger port for Slack. One instance serves every installed workspace:
    `token_for(team_id)` gives the bot token of a workspace (a fixed token in
    single-workspace mode, the installation store in OAuth mode)."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        token_for: TokenLookup | None = None,
        pace_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        pacer: Pacer | None = None,
        dm_channels: DmChannelStore | None = None,
    ) -> None:
        self.client = client
        # pace_seconds=0 turns every pause off (tests of other behaviour than pacing).
        self.pacer = pacer or Pacer(clock=monotonic, sleep=sleep, scale=1.0 if pace_seconds > 0 else 0.0)
        self.dm_store = dm_channels
        self._token_for = token_for
        self.pace_seconds = pace_seconds
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_post_at: dict[str, float] = {}
        self._channel_locks: dict[str, asyncio.Lock] = {}
        self._dm_channels: dict[tuple[str, str], str] = {}  # (team, "U1,U2") -> D…/G… without a store
        self._invited: dict[tuple[str, str], frozenset[str]] = {}  # (team, space channel) -> members invited

    # --- public port ---------------------------------------------------------

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        try:
            token = await self._token(delivery.community_external_id)
            if delivery.operation is Operation.SPACE_REMOVE and delivery.destination.kind is DestinationKind.SPACE:
                return await self._space_remove(delivery, token)  # out of a circle's private channel
            if delivery.operation in (Operation.SPACE_ADD, Operation.SPACE_REMOVE):
                return await self._space_member(delivery, token)  # into / out of a community space
            if delivery.destination.kind is DestinationKind.HOME and delivery.message is not None:
                return await self._publish_home(delivery, token)
            if delivery.operation is Operation.POST:
                return await self._post(delivery, token)
            if delivery.operation is Operation.UPDATE:
                return await self._update(delivery, token)
            if delivery.operation is Operation.PIN:
                return await self._pin(delivery, token, add=True)
            if delivery.operation is Operation.UNPIN:
                return await self._pin(delivery, token, add=False)
            if delivery.operation is Operation.CALENDAR_EVENT:
                return Delivered(None)  # Slack has no events of its own: the post and the .ics invites serve
            return PermanentFailure("unsupported_operation", str(delivery.operation))
        except SlackApiError as exc:
            result = self._classify(exc, delivery)
            if isinstance(result, PermanentFailure) and delivery.destination.kind is DestinationKind.CHANNEL:
                result = await self._name_channel(result, delivery)
            if isinstance(result, PermanentFailure) and result.code in UNREACHABLE_USER_ERRORS:
                if delivery.destination.kind is DestinationKind.GROUP_DM:
                    result = await self._who_is_unreachable(result, delivery)
            return result
        except (TimeoutError, ClientError, SlackRequestError, OSError) as exc:
            # The retry handlers already retried; let the outbox try again later.
            log.warning("Slack unreachable for %s: %r", delivery.idempotency_key, exc)
            return RetryLater(10.0, reason=f"connection error: {type(exc).__name__}")

    # --- operations -----------------------------------------------------------

    async def _publish_home(self, delivery: Delivery, token: str | None) -> DeliveryResult:
        """The App Home is replaced whole: publishing twice shows the same view, so no resend check.

        A Home that Slack refuses for good (Home tab turned off, member gone) is not worth a
        moderator's attention: it is logged, and the member's next open publishes it again."""
        assert delivery.message is not None
        try:
            await self._tiered(
                "views.publish",
                delivery.community_external_id,
                self.client.views_publish(
                    user_id=delivery.destination.target, view=render_home(delivery.message), **self._kw(token)
                ),
            )
        except SlackApiError as exc:
            result = self._classify(exc, delivery)
            if isinstance(result, RetryLater):
                return result
            log.warning("App Home of %s not published: %s", delivery.destination.target, exc.response.get("error"))
        return Delivered(None)

    async def _space_member(self, delivery: Delivery, token: str | None) -> DeliveryResult:
        """conversations.invite / conversations.kick for a community space.

        Scopes: channels:manage for a public channel, groups:write for a private one (Slack answers
        missing_scope otherwise, which the core reports to the moderators once). Already in (on
        invite) and not in (on kick) mean the work is done: a resend after a crash changes nothing.
        """
        channel, user = delivery.destination.space_member_ref
        if user.startswith("forgotten:"):  # queued for someone forgotten since: nobody to add
            return Delivered(None)
        add = delivery.operation is Operation.SPACE_ADD
        team = delivery.community_external_id
        try:
            if add:
                call = self.client.conversations_invite(channel=channel, users=user, **self._kw(token))
                await self._tiered("conversations.invite", team, call)
            else:
                call = self.client.conversations_kick(channel=channel, user=user, **self._kw(token))
                await self._tiered("conversations.kick", team, call)
        except SlackApiError as exc:
            error = exc.response.get("error")
            done = {"already_in_channel", "cant_invite_self"} if add else {"not_in_channel", "cant_kick_self"}
            if error in done:
                return Delivered(None)
            raise
        return Delivered(None)

    async def _token(self, team_id: str) -> str | None:
        if self._token_for is None:
            return None  # the client's own token
        token = await self._token_for(team_id)
        if token is None:
            raise SlackApiError("no installation", _FakeResponse({"ok": False, "error": "team_access_not_granted"}))
        return token

    def _kw(self, token: str | None) -> dict[str, Any]:
        return {"token": token} if token else {}

    async def _conversation(self, delivery: Delivery, token: str | None) -> str:
        """Channel id to post into: DMs and group DMs are opened first (cached)."""
        dest = delivery.destination
        if dest.kind is DestinationKind.CHANNEL:
            return dest.target
        if dest.kind is DestinationKind.EPHEMERAL:
            return dest.target.split("|", 1)[0]
        team = delivery.community_external_id
        if dest.kind is DestinationKind.SPACE:
            return await self._space(delivery, token)
        users = ",".join(dest.user_ids)
        if self.dm_store is not None:
            known = await self.dm_store.get(team, dest.user_ids)
        else:
            known = self._dm_channels.get((team, users))
        if known is not None:
            return known
        resp = await self._tiered(
            "conversations.open", team, self.client.conversations_open(users=users, **self._kw(token))
        )
        channel = str(resp["channel"]["id"])
        if self.dm_store is not None:
            await self.dm_store.put(team, dest.user_ids, channel)
        else:
            self._dm_channels[(team, users)] = channel
        return channel

    async def _space(self, delivery: Delivery, token: str | None) -> str:
        """The group's private channel: created once (conversations.create, is_private), its id
        stored at once so a retry or another worker never creates a second one, then the
        members invited (conversations.invite; already being in it is fine). Both need the
        groups:write scope; without it Slack answers missing_scope and the moderators are told
        to reinstall (bot/delivery/advice.py)."""
        dest, team = delivery.destination, delivery.community_external_id
        key = [f"space:{dest.space_key}"]
        channel = (
            await self.dm_store.get(team, key) if self.dm_store is not None else self._dm_channels.get((team, key[0]))
        )
        if channel is None:
            channel = await self._create_space(team, dest.space_key, token)
            if self.dm_store is not None:
                await self.dm_store.put(team, key, channel)
            else:
                self._dm_channels[(team, key[0])] = channel
        members = frozenset(dest.user_ids)
        if members and not members <= self._invited.get((team, channel), frozenset()):
            try:
                await self._tiered(
                    "conversations.invite",
                    team,
                    self.client.conversations_invite(
                        channel=channel, users=sorted(members), force=True, **self._kw(token)
                    ),
                )
            except SlackApiError as exc:
                if _error_of(exc) != "already_in_channel":
                    raise
            self._invited[(team, channel)] = members
        return channel

    async def _space_remove(self, delivery: Delivery, token: str | None) -> DeliveryResult:
        """conversations.kick each listed member out of the group's private channel (groups:write);
        someone no longer in it, or a channel never created, is done already."""
        dest, team = delivery.destination, delivery.community_external_id
        key = [f"space:{dest.space_key}"]
        channel = (
            await self.dm_store.get(team, key) if self.dm_store is not None else self._dm_channels.get((team, key[0]))
        )
        if channel is None:
            return Delivered(None)
        for user_id in dest.user_ids:
            try:
                await self._tiered(
                    "conversations.kick",
                    team,
                    self.client.conversations_kick(channel=channel, user=user_id, **self._kw(token)),
                )
            except SlackApiError as exc:
                if _error_of(exc) not in ("not_in_channel", "user_not_found"):
                    raise
        self._invited.pop((team, channel), None)  # invite again on the next post: the list changed
        return Delivered(None)

    async def _create_space(self, team: str, key: str, token: str | None) -> str:
        """conversations.create with a name made from the key; a name already taken (by someone
        else, or by a channel whose id a crash kept us from storing) moves on to -2, -3, …"""
        for attempt in range(1, 6):
            name = f"mentorbot-{key}" + (f"-{attempt}" if attempt > 1 else "")
            try:
                resp = await self._tiered(
                    "conversations.create",
                    team,
                    self.client.conversations_create(name=name[:80], is_private=True, **self._kw(token)),
                )
                return str(resp["channel"]["id"])
            except SlackApiError as exc:
                if _error_of(exc) == "missing_scope":
                    raise SlackApiError("space", _FakeResponse({"ok": False, "error": "space_scope_missing"})) from exc
                if _error_of(exc) != "name_taken":
                    raise
        raise SlackApiError("space", _FakeResponse({"ok": False, "error": "name_taken"}))

    async def _tiered(self, method: str, team: str, call: Awaitable[Any]) -> Any:
        """Wait for `method`'s tier in this workspace, then make the call. A 429 holds
        the method for its Retry-After, for every worker."""
        interval = slack_interval(method)
        bucket = f"slack:{team}:{method}"
        if interval is None:
            return await call
        try:
            await self.pacer.turn(bucket, interval, TIER_CATCH_UP)
        except BaseException:
            call.close()  # type: ignore[attr-defined]  # never awaited: no warning
            raise
        try:
            return await call
        except SlackApiError as exc:
            wait = self._retry_after_of(exc)
            if wait > 0:
                await self.pacer.hold(bucket, wait)
            raise

    async def _paced(self, channel: str) -> asyncio.Lock:
        # One in-flight post per channel keeps Slack's per-channel order and pace.
        return self._channel_locks.setdefault(channel, asyncio.Lock())

    async def _wait_turn(self, channel: str) -> None:
        wait = self._next_post_at.get(channel, 0.0) - self._monotonic()
        if wait > 0:
            await self._sleep(wait)
        self._next_post_at[channel] = self._monotonic() + self.pace_seconds

    def _posted(self, channel: str) -> None:
        """Count the pace from when Slack answered: slack_sdk may have retried a 429 in
        place meanwhile, and the next post must keep its distance from that retry."""
        self._next_post_at[channel] = self._monotonic() + self.pace_seconds

    def _hold(self, channel: str, seconds: float) -> None:
        """Slack said Retry-After for this channel: no post there before it runs out."""
        self._next_post_at[channel] = max(self._next_post_at.get(channel, 0.0), self._monotonic() + seconds)

    def _metadata(self, delivery: Delivery) -> dict[str, Any]:
        return {
            "event_type": METADATA_EVENT_TYPE,
            "event_payload": {"idempotency_key": delivery.idempotency_key},
        }

    async def _already_posted(self, channel: str, delivery: Delivery, token: str | None) -> str | None:
        """ts of a message that already carries this delivery's key, if any."""
        try:
            resp = await self._tiered(
                "conversations.history",
                delivery.community_external_id,
                self.client.conversations_history(
                    channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True, **self._kw(token)
                ),
            )
        except SlackApiError as exc:
            # Without history access we cannot check; posting is better than losing it.
            log.info("resend check skipped for %s: %s", channel, exc)
            return None
        for msg in resp.get("messages", []):
            meta = msg.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if (
                meta.get("event_type") == METADATA_EVENT_TYPE
                and payload.get("idempotency_key") == delivery.idempotency_key
            ):
                return str(msg["ts"])
        return None

    async def _not_yet_shared(self, channel: str, ts: str, uploads: list[Any], token: str | None) -> list[Any]:
        """The uploads of a resent message that no file share after its text carries yet."""
        if not uploads:
            return []
        try:
            resp = await self.client.conversations_history(
                channel=channel, oldest=ts, limit=HISTORY_LOOKBACK, **self._kw(token)
            )
        except SlackApiError as exc:
            log.info("upload check skipped for %s: %s", channel, exc)
            return uploads
        shared = {
            file.get("name")
            for message in resp.get("messages", [])
            if float(message.get("ts", 0)) > float(ts)
            for file in message.get("files") or []
        }
        return [upload for upload in uploads if upload.filename not in shared]

    async def _post(self, delivery: Delivery, token: str | None) -> DeliveryResult:
        if delivery.message is None:
            return PermanentFailure("empty_message", "nothing to post")
        rendered = render(delivery.message)
        channel = await self._conversation(delivery, token)
        kw = self._kw(token)

        if delivery.destination.kind is DestinationKind.EPHEMERAL:
            user = delivery.destination.user_ids[0]
            async with await self._paced(channel):
                await self._wait_turn(channel)
                try:
                    await self.client.chat_postEphemeral(
                        channel=channel, user=user, blocks=rendered.blocks, text=rendered.text, **kw
                    )
                finally:
                    self._posted(channel)
            return Delivered(None)  # ephemeral messages cannot be updated or pinned

        async with await self._paced(channel):
            ts = None
            uploads = rendered.uploads
            if delivery.attempt > 0:
                ts = await self._already_posted(channel, delivery, token)
                if ts is not None:
                    log.info("delivery %s already on Slack as %s:%s", delivery.idempotency_key, channel, ts)
                    # The text went out; a file that failed after it (a 429 on the upload) still has to.
                    uploads = await self._not_yet_shared(channel, ts, uploads, token)
                    if not uploads:
                        return Delivered(f"{channel}:{ts}")
            if rendered.blocks and ts is None:
                await self._wait_turn(channel)
                try:
                    resp = await self.client.chat_postMessage(
                        channel=channel,
                        blocks=rendered.blocks,
                        text=rendered.text,
                        metadata=self._metadata(delivery),
                        unfurl_links=False,
                        unfurl_media=False,
                        **kw,
                    )
                except SlackApiError as exc:
                    self._hold(channel, self._retry_after_of(exc))
                    raise
                finally:
                    self._posted(channel)
                channel = resp.get("channel", channel)
                ts = resp["ts"]
            for upload in uploads:
                await self._wait_turn(channel)
                try:
                    await self.client.files_upload_v2(
                        channel=channel,
                        file=upload.path,
                        filename=upload.filename,
                        title=upload.filename,
                        alt_txt=getattr(upload, "alt", None),
                        **kw,
                    )
                finally:
                    self._posted(channel)
        return Delivered(f"{channel}:{ts}" if ts else None)

    @staticmethod
    def _split_ref(ref: str | None) -> tuple[str, str]:
        if not ref or ":" not in ref:
            raise SlackApiError("bad target_ref", _FakeResponse({"ok": False, "error": "message_not_found"}))
        channel, ts = ref.split(":", 1)
        return channel, ts

    async def _update(self, delivery: Delivery, token: str | None) -> DeliveryResult:
        if delivery.message is None:
            return PermanentFailure("empty_message", "nothing to update")
        channel, ts = self._split_ref(delivery.target_ref)
        rendered = render(delivery.message)
        await self._tiered(
            "chat.update",
            delivery.community_external_id,
            self.client.chat_update(
                channel=channel,
                ts=ts,
                blocks=rendered.blocks,
                text=rendered.text,
                metadata=self._metadata(delivery),
                **self._kw(token),
            ),
        )
        return Delivered(delivery.target_ref)

    async def _pin(self, delivery: Delivery, token: str | None, *, add: bool) -> DeliveryResult:
        channel, ts = self._split_ref(delivery.target_ref)
        try:
            team = delivery.community_external_id
            if add:
                await self._tiered(
                    "pins.add", team, self.client.pins_add(channel=channel, timestamp=ts, **self._kw(token))
                )
            else:
                await self._tiered(
                    "pins.remove", team, self.client.pins_remove(channel=channel, timestamp=ts, **self._kw(token))
                )
        except SlackApiError as exc:
            # Pinning is idempotent from the outbox's point of view.
            data = getattr(exc.response, "data", None)
            if isinstance(data, dict) and data.get("error") in ("already_pinned", "no_pin"):
                return Delivered(delivery.target_ref)
            raise
        return Delivered(delivery.target_ref)

    # --- errors ------------------------------------------------------------------

    @staticmethod
    def _retry_after_of(exc: SlackApiError) -> float:
        """Seconds Slack asked us to wait (0 when the error is not a 429)."""
        response = exc.response
        if getattr(response, "status_code", 200) != 429:
            return 0.0
        return retry_after_seconds(getattr(response, "headers", None), 1.0)

    async def _name_channel(self, failure: PermanentFailure, delivery: Delivery) -> PermanentFailure:
        """Put the channel's name in the moderator's report (needs channels:read)."""
        if failure.code not in ("not_in_channel", "is_archived", "restricted_action"):
            return failure
        channel = delivery.destination.target
        try:
            token = await self._token(delivery.community_external_id)
            info = await self.client.conversations_info(channel=channel, **self._kw(token))
            name = info["channel"].get("name")
        except (TimeoutError, SlackApiError, ClientError, KeyError):
            return failure
        if not name:
            return failure
        detail = failure.detail.replace(f"channel {channel}", f"channel #{name} ({channel})")
        return PermanentFailure(failure.code, detail, failure.unreachable_user_id)

    async def _who_is_unreachable(self, failure: PermanentFailure, delivery: Delivery) -> PermanentFailure:
        """Slack refuses a group DM without saying whose account is the problem: open a DM
        with each member (a few calls, once per failed group message) to find out, so the
        core can hold that member's DMs and tell their partner."""
        for user_id in delivery.destination.user_ids:
            try:
                token = await self._token(delivery.community_external_id)
                await self._tiered(
                    "conversations.open",
                    delivery.community_external_id,
                    self.client.conversations_open(users=user_id, **self._kw(token)),
                )
            except SlackApiError as exc:
                data = getattr(exc.response, "data", None)
                if isinstance(data, dict) and data.get("error") in UNREACHABLE_USER_ERRORS:
                    return PermanentFailure(failure.code, failure.detail, user_id)
            except (TimeoutError, ClientError, SlackRequestError, OSError):
                break
        return failure

    def _classify(self, exc: SlackApiError, delivery: Delivery) -> DeliveryResult:
        response = exc.response
        status = getattr(response, "status_code", 200)
        data = getattr(response, "data", response)
        error = str((data.get("error") if isinstance(data, dict) else None) or f"http_{status}")
        if status == 429 or error == "ratelimited":
            return RetryLater(retry_after_seconds(getattr(response, "headers", None), 30.0), "rate limited")
        if status >= 500 or error in TRANSIENT_ERRORS:
            return RetryLater(15.0, reason=f"Slack error {error}")
        dest = delivery.destination
        unreachable = None
        if dest.kind is DestinationKind.DM and error in UNREACHABLE_USER_ERRORS:
            unreachable = dest.target
        elif dest.kind is DestinationKind.GROUP_DM and error in UNREACHABLE_USER_ERRORS:
            # Slack does not say which member; the detail names the whole group.
            unreachable = None
        detail = PERMANENT_ERRORS.get(error, f"Slack refused the request ({error})")
        where = {
            DestinationKind.CHANNEL: f"message to channel {dest.target}",
            DestinationKind.DM: f"DM to member {dest.target}",
            DestinationKind.GROUP_DM: "group DM with members " + ", ".join(dest.user_ids),
            DestinationKind.EPHEMERAL: f"private reply in channel {dest.target.split('|', 1)[0]}",
            DestinationKind.SPACE_MEMBER: f"membership change in channel {dest.space_member_ref[0]}",
            DestinationKind.SPACE: f"message to the private channel of {dest.space_key}",
            DestinationKind.HOME: f"App Home of {dest.target}",
        }[dest.kind]
        log.warning("Slack %s failed for %s: %s", delivery.operation, where, error)
        return PermanentFailure(error, f"Could not deliver a {where}: {detail}.", unreachable)


def _error_of(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", exc.response)
    return str(data.get("error") or "") if isinstance(data, dict) else ""


class _FakeResponse(dict):  # type: ignore[type-arg]
    """Minimal stand-in for SlackResponse when we raise SlackApiError ourselves."""

    status_code = 200
    headers: dict[str, str] = {}
