"""The slack-bolt AsyncApp: Slack payloads in, neutral events to the core, replies out.

Order for every command, click, form and DM, because Slack gives an app 3 seconds
and never resends what it got a 200 for:

0. The inbox middleware (adapters/slack/inbound.py) saves the raw body to the
   durable inbox — one insert, committed — or answers 503 when that fails.
1. `ack()` — before any other database, users.info or response_url work. Bolt
   (process_before_response=False) answers Slack's HTTP request / Socket Mode
   envelope as soon as ack() runs and keeps the listener running afterwards.
2. `work()`: the member's saved events one at a time, in inbox order. Who acted:
   users.info (cached) → display name, admin/owner → moderator, time zone.
3. `await bot.handle(event)`; the core marks the inbox row handled in the same
   transaction as the change and keeps the returned private replies on it; they
   go out ephemeral through the payload's response_url (chat.postEphemeral when
   that fails), or as a DM reply for a DM; then the row is finished.
4. Kick the outbox so the durable messages leave now rather than at the next sweep.

`resume()` does steps 2–4 from the saved body for rows a crash left open.
Slack's retries (X-Slack-Retry-Num) carry the same `event_id`; the inbox's unique
key turns them into an ack without a second effect. Interactive payloads carry
their `trigger_id`, unique per click/submit, as their id.

Nothing a member can trigger here shows them a stack trace: errors are logged and
answered with a polite sentence.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.inbound import TICKET, inbox_middleware, team_of
from adapters.slack.render import modal_for, render, render_home
from adapters.slack.settings import SlackSettings
from bot.core.errors import APOLOGY
from bot.core.events import (
    Actor,
    CommunityRef,
    ComponentAction,
    DirectText,
    Event,
    FormSubmission,
    MemberJoined,
    SlashCommand,
)
from bot.core.feature import Form
from bot.core.messages import Message, message
from bot.delivery.inbox import Inbox, OpenEvent
from bot.delivery.inbox_work import InboxWork
from bot.features.admin.purge import Uninstalls

if TYPE_CHECKING:  # the core is passed in; only its `handle` is used here
    from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

log = logging.getLogger(__name__)

PLATFORM = "slack"
COMMAND = "/mentor"
COMPONENT_PREFIX = re.compile(r"^mentor:")
WORK_LIMIT = 8  # events worked on at once per process, after their ack
SORRY = APOLOGY  # the core's one apology
HOME_OPEN = "mentor:home:1:open"  # the core answers it with the member's Home card
HOME_PREFIX = "mentor:home:"

Handler = Callable[[Event], Awaitable[list[Message]]]
Kick = Callable[[], Any]


def unescape(text: str) -> str:
    """Slack sends &, <, > escaped; the core stores what the member actually typed."""
    return html.unescape(text) if "&" in text else text


class ActorDirectory:
    """users.info with a small time-limited cache, plus configured moderators."""

    def __init__(self, settings: SlackSettings, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._monotonic = monotonic
        self._users: dict[tuple[str, str], tuple[float, Actor]] = {}
        self._group: dict[str, tuple[float, frozenset[str]]] = {}
        # Lookups in flight: Bolt acks first and runs listeners concurrently, so a member
        # clicking twice quickly would otherwise cost two users.info calls (and rate limit).
        self._pending: dict[tuple[str, str], asyncio.Future[Actor]] = {}

    async def actor(self, client: AsyncWebClient, team_id: str, user_id: str, fallback_name: str = "") -> Actor:
        key = (team_id, user_id)
        now = self._monotonic()
        cached = self._users.get(key)
        if cached and cached[0] > now:
            return cached[1]
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Actor] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            actor = await self._look_up(client, team_id, user_id, fallback_name, now)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so a lookup nobody else awaited logs nothing
            raise
        else:
            future.set_result(actor)
            return actor
        finally:
            del self._pending[key]

    async def _look_up(
        self, client: AsyncWebClient, team_id: str, user_id: str, fallback_name: str, now: float
    ) -> Actor:
        key = (team_id, user_id)
        try:
            user = (await client.users_info(user=user_id))["user"]
        except (SlackApiError, Exception) as exc:  # never block the member on a lookup
            log.warning("users.info failed for %s: %r", user_id, exc)
            return Actor(user_id, fallback_name or user_id, await self._configured(client, team_id, user_id))
        actor = self.from_user(user, await self._configured(client, team_id, user_id))
        self._users[key] = (now + self.settings.user_cache_seconds, actor)
        return actor

    def from_user(self, user: dict[str, Any], configured_moderator: bool = False) -> Actor:
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        workspace_admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        return Actor(
            user_id=user["id"],
            display_name=name or user["id"],
            platform_moderator=workspace_admin or configured_moderator or user["id"] in self.settings.moderator_ids,
            timezone=user.get("tz") or None,
            is_bot=bool(user.get("is_bot") or user.get("is_app_user")),
        )

    async def _configured(self, client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        if user_id in self.settings.moderator_ids:
            return True
        group = self.settings.moderator_group
        if not group:
            return False
        now = self._monotonic()
        cached = self._group.get(team_id)
        if not cached or cached[0] <= now:
            try:
                resp = await client.usergroups_users_list(usergroup=group)
                members = frozenset(resp.get("users") or [])
            except Exception as exc:  # missing usergroups:read or a wrong id
                log.warning("cannot read moderator group %s: %r", group, exc)
                members = frozenset()
            cached = (now + self.settings.user_cache_seconds, members)
            self._group[team_id] = cached
        return user_id in cached[1]


def form_values(view: dict[str, Any]) -> dict[str, str]:
    """view.state.values → {block_id: value} for plain inputs and selects."""
    out: dict[str, str] = {}
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        for element in actions.values():
            kind = element.get("type")
            if kind == "plain_text_input":
                out[block_id] = element.get("value") or ""
            elif kind == "static_select":
                out[block_id] = ((element.get("selected_option") or {}).get("value")) or ""
            elif kind == "multi_static_select":
                out[block_id] = ",".join(o["value"] for o in element.get("selected_options") or [])
    return out


class SlackAdapter:
    """Owns the Bolt app and the translation between Slack and the core."""

    def __init__(
        self,
        handle: Handler,
        settings: SlackSettings,
        *,
        client: AsyncWebClient,
        kick: Kick | None = None,
        installation_store: AsyncInstallationStore | None = None,
        oauth_state_store: Any = None,
        form_for: Callable[[str], Form | None] | None = None,
        form_by_id: Callable[[str], Form | None] | None = None,
        inbox: Inbox | None = None,
        uninstalls: Uninstalls | None = None,
    ) -> None:
        self._handle = handle
        self.uninstalls = uninstalls  # schedules the workspace's purge (single-workspace mode)
        self.form_for = form_for  # the core says which bare command opens which form
        self.form_by_id = form_by_id  # … and which button opens one (its component id is the form's id)
        self.inbox = inbox
        self.client = client
        self.installation_store = installation_store
        self.stopping = False  # set on SIGTERM: new events get 503 (HTTP) / no ack (Socket Mode)
        self.in_hand = InboxWork()  # saved events being worked on after their ack
        self.settings = settings
        self.kick = kick
        self.actors = ActorDirectory(settings)
        self._tasks: set[asyncio.Task[Any]] = set()
        # Acks never wait, but the work after them does: with at most WORK_LIMIT events
        # being worked on, a burst queues here instead of crowding the event loop that
        # must answer the next request's ack within Slack's 3 seconds (bench/ack.py).
        self._work = asyncio.Semaphore(WORK_LIMIT)
        self.app = self._build_app(client, installation_store, oauth_state_store)
        self._register()

    # --- construction ------------------------------------------------------------

    def _build_app(self, client: AsyncWebClient, store: Any, state_store: Any) -> AsyncApp:
        s = self.settings
        # Bolt switches to OAuth on its own when SLACK_CLIENT_ID/SECRET exist in os.environ,
        # even as empty strings (a copied .env.example). Our settings decide the mode.
        for key in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
            if os.environ.get(key) == "":
                del os.environ[key]
        kwargs: dict[str, Any] = {
            "name": "mentorbot",
            "client": client,
            "signing_secret": s.signing_secret or "",
            # Ack first: Bolt answers Slack as soon as ack() runs, the listener goes on.
            "process_before_response": False,
            # Signatures matter only in HTTP mode; Socket Mode has no signature.
            "request_verification_enabled": not s.socket_mode,
        }
        if s.oauth:
            kwargs["installation_store"] = store
            kwargs["oauth_settings"] = AsyncOAuthSettings(
                client_id=s.client_id,
                client_secret=s.client_secret,
                scopes=list(s.scopes),
                installation_store=store,
                state_store=state_store,
                install_path=s.install_path,
                redirect_uri_path=s.redirect_path,
                installation_store_bot_only=True,
            )
            kwargs["installation_store_bot_only"] = True
        return AsyncApp(**kwargs)

    def _register(self) -> None:
        app = self.app
        if self.inbox is not None:
            app.middleware(inbox_middleware(self.inbox, lambda: self.stopping))
        app.command(COMMAND)(self.on_command)
        app.action(COMPONENT_PREFIX)(self.on_action)
        app.view(COMPONENT_PREFIX)(self.on_view)
        app.event("message")(self.on_message)
        app.event("team_join")(self.on_team_join)
        app.event("app_home_opened")(self.on_home_opened)
        if self.settings.oauth:
            app.enable_token_revocation_listeners()
        else:
            app.event("app_uninstalled")(self.on_uninstalled)
            app.event("tokens_revoked")(self.on_uninstalled)
        app.error(self.on_error)

    # --- helpers -------------------------------------------------------------------

    @staticmethod
    def community(body: dict[str, Any], context: Any) -> CommunityRef:
        team = body.get("team")
        team_id = team_of(body, context)  # the same team the inbox row was saved under
        name = body.get("team_domain") or (team.get("domain") if isinstance(team, dict) else "") or ""
        return CommunityRef(PLATFORM, team_id, name)

    async def dispatch(self, event: Event) -> list[Message]:
        """The core handles the event; any failure becomes a polite sentence."""
        # Ids only: what a member typed never goes into the log, at any level.
        log.debug(
            "%s %s from %s in %s",
            type(event).__name__,
            event.event_id,
            event.actor.user_id,
            event.community.external_id,
        )
        try:
            replies = await self._handle(event)
        except Exception:
            log.exception("mentorbot failed on %s", type(event).__name__)
            return [message(SORRY)]
        self._kick()
        return list(replies or [])

    def _kick(self) -> None:
        if self.kick is None:
            return
        try:
            result = self.kick()
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        except Exception:
            log.exception("outbox kick failed")

    async def reply_private(
        self, replies: list[Message], *, respond: Any, client: AsyncWebClient, channel_id: str, user_id: str
    ) -> None:
        """Ephemeral replies: response_url first, chat.postEphemeral if that fails."""
        for reply in replies:
            rendered = render(reply)
            try:
                if respond is None or getattr(respond, "response_url", None) is None:
                    raise LookupError("no response_url")
                await respond(
                    text=rendered.text,
                    blocks=rendered.blocks,
                    response_type="ephemeral",
                    replace_original=False,
                )
                continue
            except Exception as exc:
                log.info("response_url reply failed (%r); using chat.postEphemeral", exc)
            try:
                if channel_id:
                    await client.chat_postEphemeral(
                        channel=channel_id, user=user_id, text=rendered.text, blocks=rendered.blocks
                    )
                else:
                    await client.chat_postMessage(channel=user_id, text=rendered.text, blocks=rendered.blocks)
            except Exception:
                log.exception("could not reply to %s", user_id)

    async def reply_in_dm(self, replies: list[Message], *, client: AsyncWebClient, channel_id: str) -> None:
        for reply in replies:
            rendered = render(reply)
            try:
                await client.chat_postMessage(
                    channel=channel_id, text=rendered.text, blocks=rendered.blocks, unfurl_links=False
                )
            except Exception:
                log.exception("could not answer in DM %s", channel_id)

    # --- listeners: ack, then work (the inbox middleware saved the body before the ack) ---

    async def on_command(
        self, ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any, respond: Any
    ) -> None:
        await ack()
        await self.work(context, lambda: self.run_command(body, client, context, respond))

    async def on_action(
        self, ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any, respond: Any, action: Any = None
    ) -> None:
        await ack()
        await self.work(context, lambda: self.run_action(body, client, context, respond, action))

    async def on_view(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        await ack()  # every form is validated once, by the core (Slack enforces required fields itself)
        await self.work(context, lambda: self.run_view(body, client, context))

    async def on_message(self, body: dict[str, Any], client: AsyncWebClient, context: Any, event: Any = None) -> None:
        await self.work(context, lambda: self.run_message(body, client, context, event))

    async def on_team_join(self, body: dict[str, Any], context: Any) -> None:
        await self.work(context, lambda: self.run_team_join(body, context))

    async def work(self, context: Any, job: Callable[[], Awaitable[None]] | None) -> None:
        """After the ack: the member's events one at a time in inbox order, each row finished after."""
        ticket = context.get(TICKET)
        if self.inbox is None or ticket is None:  # no inbox wired (stub cores in adapter tests)
            if job is not None:
                await job()
            return
        if not ticket.fresh:  # a platform retry of a saved event: it is (being) worked on already
            return
        await self.in_hand.run(self.inbox, ticket, job)

    async def idle(self) -> None:
        """Returns when no saved event is being worked on (a graceful stop waits for this)."""
        await self.in_hand.idle()

    # --- the work, from the saved body (also what a resume after a crash runs) ----------

    async def run_command(
        self, body: dict[str, Any], client: AsyncWebClient, context: Any, respond: Any, *, fresh: bool = True
    ) -> None:
        community = self.community(body, context)
        user_id = body.get("user_id", "")
        channel_id = body.get("channel_id", "")
        text = unescape(body.get("text") or "").strip()
        form = self.form_for(text) if self.form_for and body.get("trigger_id") and fresh else None
        if form is not None:
            # A bare "/mentor poll" opens a form (trigger ids expire after 3 s: do it now).
            try:
                await client.views_open(trigger_id=body["trigger_id"], view=modal_for(form, channel_id))
                return
            except Exception as exc:
                log.info("form %s could not open (%r); falling back to the command", form.id, exc)
        async with self._work:
            actor = await self.actors.actor(client, community.external_id, user_id, body.get("user_name", ""))
            event = SlashCommand(community, actor, channel_id, text, event_id=f"cmd:{body.get('trigger_id', '')}")
            replies = await self.dispatch(event)
            await self.send_command_replies(replies, body, client, respond)

    async def send_command_replies(
        self, replies: list[Message], body: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        await self.reply_private(
            replies,
            respond=respond,
            client=client,
            channel_id=body.get("channel_id", ""),
            user_id=body.get("user_id", ""),
        )

    async def run_action(
        self, body: dict[str, Any], client: AsyncWebClient, context: Any, respond: Any, action: Any = None
    ) -> None:
        community = self.community(body, context)
        user = body.get("user") or {}
        action = action or (body.get("actions") or [{}])[0]
        form_channel, _ = _action_place(body)
        form = self.form_by_id(action.get("action_id", "")) if self.form_by_id and body.get("trigger_id") else None
        if form is not None:
            # A button whose id is a form's id opens that form (trigger ids expire after 3 s: now).
            try:
                await client.views_open(trigger_id=body["trigger_id"], view=modal_for(form, form_channel))
                return
            except Exception as exc:
                log.info("form %s could not open (%r); the core answers the click", form.id, exc)
        if (body.get("view") or {}).get("type") == "home":
            await self.on_home_action(body, action, client, community, user)
            return
        if action.get("type") == "static_select":
            values: tuple[str, ...] = ((action.get("selected_option") or {}).get("value", ""),)
        elif action.get("type") == "multi_static_select":
            values = tuple(o["value"] for o in action.get("selected_options") or [])
        else:
            values = ()
        channel_id, message_ts = _action_place(body)
        async with self._work:
            actor = await self.actors.actor(client, community.external_id, user.get("id", ""), user.get("name", ""))
            event = ComponentAction(
                community,
                actor,
                channel_id,
                action.get("action_id", ""),
                values=values,
                message_ref=f"{channel_id}:{message_ts}" if message_ts else "",
                in_dm=channel_id.startswith("D"),
                event_id=f"act:{body.get('trigger_id') or action.get('action_ts', '')}",
            )
            replies = await self.dispatch(event)
            await self.send_action_replies(replies, body, client, respond)

    async def send_action_replies(
        self, replies: list[Message], body: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        channel_id, _ = _action_place(body)
        if channel_id.startswith("D"):
            # In the member's DM with the bot, answer with a real message: a response_url
            # reply there is ephemeral and is gone after a reload, and a conversation such
            # as intake needs its next question (and its buttons) to stay.
            await self.reply_in_dm(replies, client=client, channel_id=channel_id)
            return
        user_id = (body.get("user") or {}).get("id", "")
        await self.reply_private(replies, respond=respond, client=client, channel_id=channel_id, user_id=user_id)

    async def run_view(self, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        view = body.get("view") or {}
        fields = form_values(view)
        callback_id = view.get("callback_id", "")
        community = self.community(body, context)
        user = body.get("user") or {}
        channel_id = view.get("private_metadata") or ""
        async with self._work:
            actor = await self.actors.actor(client, community.external_id, user.get("id", ""), user.get("name", ""))
            event_id = f"view:{body.get('trigger_id') or view.get('id', '')}"
            event = FormSubmission(community, actor, callback_id, fields, event_id=event_id, channel_id=channel_id)
            replies = await self.dispatch(event)
            await self.send_view_replies(replies, body, client)

    async def send_view_replies(self, replies: list[Message], body: dict[str, Any], client: AsyncWebClient) -> None:
        channel_id = (body.get("view") or {}).get("private_metadata") or ""
        user_id = (body.get("user") or {}).get("id", "")
        await self.reply_private(replies, respond=None, client=client, channel_id=channel_id, user_id=user_id)

    async def run_message(self, body: dict[str, Any], client: AsyncWebClient, context: Any, event: Any = None) -> None:
        event = event or body.get("event") or {}
        # Only members' own DM text: no edits/joins (subtypes), no bots (ours or others).
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user_id = event.get("user", "")
        if not user_id or user_id == context.get("bot_user_id"):
            return
        community = self.community(body, context)
        async with self._work:
            actor = await self.actors.actor(client, community.external_id, user_id)
            if actor.is_bot:
                return
            channel_id = event.get("channel", "")
            neutral = DirectText(
                community, actor, channel_id, unescape(event.get("text") or ""), event_id=body.get("event_id", "")
            )
            replies = await self.dispatch(neutral)
            await self.reply_in_dm(replies, client=client, channel_id=channel_id)

    # --- the App Home ----------------------------------------------------------------

    async def publish_home(
        self, client: AsyncWebClient, community: CommunityRef, actor: Actor, component_id: str, event_id: str = ""
    ) -> None:
        """Ask the core for the member's Home card and publish it (a sentence if something failed)."""
        event = ComponentAction(community, actor, "", component_id, event_id=event_id)
        replies = await self.dispatch(event)
        if not replies:
            return
        try:
            await client.views_publish(user_id=actor.user_id, view=render_home(replies[0]))
        except Exception:
            log.exception("could not publish the App Home of %s", actor.user_id)

    async def on_home_opened(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return
        community = self.community(body, context)
        async with self._work:
            actor = await self.actors.actor(client, community.external_id, event["user"])
            if actor.is_bot:
                return
            await self.publish_home(client, community, actor, HOME_OPEN, f"home:{body.get('event_id', '')}")

    async def on_home_action(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        community: CommunityRef,
        user: dict[str, Any],
    ) -> None:
        """A click on the Home tab: paging republishes the Home; any other action answers in the
        member's DM (a Home has no ephemeral replies) and then shows the Home as it is now."""
        action_id = action.get("action_id", "")
        async with self._work:
            actor = await self.actors.actor(client, community.external_id, user.get("id", ""), user.get("name", ""))
            event_id = f"act:{body.get('trigger_id') or action.get('action_ts', '')}"
            if action_id.startswith(HOME_PREFIX):
                await self.publish_home(client, community, actor, action_id, event_id)
                return
            values: tuple[str, ...] = ()
            if action.get("type") == "static_select":
                values = ((action.get("selected_option") or {}).get("value", ""),)
            replies = await self.dispatch(
                ComponentAction(community, actor, "", action_id, values=values, event_id=event_id)
            )
            await self.reply_private(replies, respond=None, client=client, channel_id="", user_id=actor.user_id)
            await self.publish_home(client, community, actor, HOME_OPEN)

    async def run_team_join(self, body: dict[str, Any], context: Any) -> None:
        user = (body.get("event") or {}).get("user") or {}
        if not isinstance(user, dict) or user.get("is_bot"):
            return
        community = self.community(body, context)
        actor = self.actors.from_user(user, user.get("id") in self.settings.moderator_ids)
        await self.dispatch(MemberJoined(community, actor, event_id=body.get("event_id", "")))

    # --- after a crash: the saved events nobody finished --------------------------------

    async def resume(self) -> int:
        """Work on the open inbox rows (start-up; a dead worker's rows): apply what the core
        has not applied, send the kept replies of what it has. Returns the rows taken."""
        if self.inbox is None:
            return 0
        rows = await self.inbox.claim_open(PLATFORM)
        for row in rows:
            async with self.inbox.turns.turn(row.member_key, row.id):
                try:
                    await self._resume_one(row)
                except Exception:
                    log.exception("resuming inbox row %s failed", row.id)
                finally:
                    await self.inbox.finish(row.id)
        if rows:
            log.info("resumed %d saved Slack event(s)", len(rows))
        return len(rows)

    async def _resume_one(self, row: OpenEvent) -> None:
        body = json.loads(row.payload or "{}")
        client = await self._client_for(row.team_id)
        context = {"team_id": row.team_id}
        respond = AsyncRespond(response_url=body.get("response_url")) if body.get("response_url") else None
        if row.handled:  # applied before the crash; only its private replies are missing
            if row.kind == "command":
                await self.send_command_replies(row.replies, body, client, respond)
            elif row.kind == "action":
                await self.send_action_replies(row.replies, body, client, respond)
            elif row.kind == "view":
                await self.send_view_replies(row.replies, body, client)
            elif row.kind == "dm":
                await self.reply_in_dm(
                    row.replies, client=client, channel_id=(body.get("event") or {}).get("channel", "")
                )
            return
        if row.kind == "command":
            await self.run_command(body, client, context, respond, fresh=False)
        elif row.kind == "action":
            await self.run_action(body, client, context, respond)
        elif row.kind == "view":
            await self.run_view(body, client, context)
        elif row.kind == "dm":
            await self.run_message(body, client, context)
        elif row.kind == "joined":
            await self.run_team_join(body, context)

    async def _client_for(self, team_id: str) -> AsyncWebClient:
        if self.installation_store is None:
            return self.client
        found = await self.installation_store.async_find_bot(enterprise_id=None, team_id=team_id)
        return AsyncWebClient(token=found.bot_token if found else None, base_url=self.client.base_url)

    async def on_uninstalled(self, body: dict[str, Any], context: Any) -> None:
        # Single-workspace mode keeps its token in the environment; say so clearly.
        log.warning("Slack says mentorbot was uninstalled or its tokens revoked (team %s)", context.get("team_id"))
        event = body.get("event") or {}
        if event.get("type") == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
            return  # only user tokens were revoked: the bot is still installed
        team_id = context.get("team_id") or body.get("team_id")
        if self.uninstalls is not None and team_id:
            await self.uninstalls.removed(PLATFORM, team_id)

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack listener error: %r", error, exc_info=error)


def _action_place(body: dict[str, Any]) -> tuple[str, str]:
    """(channel id, message ts) of the message whose component was used."""
    container = body.get("container") or {}
    channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    message_ts = container.get("message_ts") or (body.get("message") or {}).get("ts") or ""
    return channel_id, message_ts
