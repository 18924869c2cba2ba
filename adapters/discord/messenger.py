"""DiscordMessenger: the only code that sends things to Discord on the core's behalf.

The outbox deliverer hands it one `Delivery` at a time; it answers with
`Delivered(message_ref="<channel_id>:<message_id>")`, `RetryLater(seconds)` or
`PermanentFailure(...)`. It never loops on a failure itself: discord.py already
sleeps through short 429s (it reads `retry_after`), anything longer or any 5xx is
handed back as `RetryLater` so the outbox reschedules it.

Idempotency: every new message carries `nonce` = a 25-character hash of the outbox
idempotency key, and discord.py sends `enforce_nonce: true` with it, so a resend
after a crash returns the message Discord already has instead of posting it twice.

Group introductions: Discord bots cannot create group DMs. With
DISCORD_INTRO_CHANNEL_ID set, a GROUP_DM becomes a *private thread* in that
channel with the members added (they can talk together, moderators with Manage
Threads can see it). Without it, each member gets the same message as a DM.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import aiohttp
import discord

from adapters.discord.render import RenderedMessage, render
from adapters.pacing import DmChannelStore
from bot.core import messages as msg
from bot.core.command_refs import CommandRefs
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

NONCE_MAX = 25  # Discord rejects longer nonces
DM_CLOSED = 50007  # "Cannot send messages to this user"
DMS_TOO_FAST = 40003  # "You are opening direct messages too fast": Discord's DM-opening limit, a 403
UNKNOWN_MEMBER = 10007  # removing someone who is not in the thread
FOLLOWUP_LIFETIME = 14 * 60  # interaction tokens live 15 minutes; keep a margin
THREAD_ARCHIVE_MINUTES = 10080  # a week
UNKNOWN_OVERWRITE = 10009
# A community space member's overwrite: View Channel, Send Messages, Read Message History.
SPACE_ALLOW = (1 << 10) | (1 << 11) | (1 << 16)


# Discord error codes → the core's failure vocabulary (bot/delivery/deliverer.py has advice for these).
_CODES = {
    10003: "channel_not_found",  # Unknown Channel
    10008: "message_not_found",  # Unknown Message
    50001: "missing_access",  # Missing Access
    50013: "missing_access",  # Missing Permissions
    50083: "is_archived",  # Operation on an archived thread
}


def nonce_for(key: str) -> str:
    """A stable nonce ≤ 25 characters for an outbox idempotency key of any length."""
    return hashlib.sha256(key.encode()).hexdigest()[:NONCE_MAX]


def group_tag(user_ids: list[str]) -> str:
    """A short, stable name tag for a set of members (order does not matter)."""
    return hashlib.sha256(",".join(sorted(user_ids)).encode()).hexdigest()[:8]


def parse_ref(ref: str) -> list[tuple[int, int]]:
    """ "<channel>:<message>[,<channel>:<message>…]" → [(channel id, message id), …]."""
    pairs = []
    for item in ref.split(","):
        channel_id, _, message_id = item.partition(":")
        pairs.append((int(channel_id), int(message_id)))
    return pairs


def make_ref(messages: list[discord.Message]) -> str:
    return ",".join(f"{m.channel.id}:{m.id}" for m in messages)


@dataclass
class _Recent:
    interaction: discord.Interaction
    seen_at: float


class RecentInteractions:
    """The last interaction of each member, so an EPHEMERAL outbox row can become a real
    ephemeral follow-up while the interaction token is still valid (15 minutes)."""

    def __init__(self, lifetime: float = FOLLOWUP_LIFETIME, clock=time.monotonic) -> None:
        self._by_user: dict[str, _Recent] = {}
        self._lifetime = lifetime
        self._clock = clock

    def remember(self, interaction: discord.Interaction) -> None:
        if len(self._by_user) > 10_000:  # keep memory bounded on huge servers
            self.expire()
        self._by_user[str(interaction.user.id)] = _Recent(interaction, self._clock())

    def live(self, user_id: str, channel_id: str | None = None) -> discord.Interaction | None:
        recent = self._by_user.get(user_id)
        if recent is None or self._clock() - recent.seen_at > self._lifetime:
            return None
        if channel_id and recent.interaction.channel_id and str(recent.interaction.channel_id) != channel_id:
            return None
        if not recent.interaction.response.is_done():
            return None  # the adapter is still answering it; a follow-up would race
        return recent.interaction

    def expire(self) -> None:
        now = self._clock()
        for user_id in [u for u, r in self._by_user.items() if now - r.seen_at > self._lifetime]:
            del self._by_user[user_id]


class _DMClosed(Exception):
    def __init__(self, user_id: str) -> None:
        super().__init__(user_id)
        self.user_id = user_id


class DiscordMessenger:
    """`bot.core.ports.Messenger` for Discord, on top of a logged-in discord.py client."""

    def __init__(
        self,
        client: discord.Client,
        *,
        intro_channel_id: int | None = None,
        recent: RecentInteractions | None = None,
        dm_channels: DmChannelStore | None = None,
        command_refs: CommandRefs | None = None,
    ) -> None:
        self.client = client
        self.command_refs = command_refs  # commands in the bot's texts, named as Discord does
        self.dm_store = dm_channels  # DM channel and intro thread ids, shared by workers
        self.intro_channel_id = intro_channel_id
        self.recent = recent or RecentInteractions()
        self._dm_channels: dict[str, int] = {}
        self._threads: dict[str, int] = {}  # group tag -> private thread id

    async def deliver(self, delivery: Delivery) -> DeliveryResult:
        try:
            if delivery.operation is Operation.POST:
                return await self._post(delivery)
            if delivery.operation is Operation.UPDATE:
                return await self._update(delivery)
            if delivery.operation is Operation.CALENDAR_EVENT:
                return await self._scheduled_event(delivery)
            if delivery.operation is Operation.SPACE_REMOVE and delivery.destination.kind is DestinationKind.SPACE:
                return await self._space_remove(delivery)  # out of a circle's thread
            if delivery.operation in (Operation.SPACE_ADD, Operation.SPACE_REMOVE):
                return await self._space_member(delivery)  # into / out of a community space
            return await self._pin(delivery, pin=delivery.operation is Operation.PIN)
        except _DMClosed as closed:
            return PermanentFailure(
                "dm_closed", "The member does not accept direct messages from this server.", closed.user_id
            )
        except discord.RateLimited as limited:  # longer than discord.py is willing to sleep
            return RetryLater(limited.retry_after, "rate limited")
        except discord.Forbidden as error:
            if error.code == DMS_TOO_FAST:
                # Not the member's doing and not final: later, backing off (the gate has paused
                # Create DM for every worker). Counted as an attempt, so it ends in a failure
                # the moderators see rather than a loop, should Discord keep refusing.
                return RetryLater(min(900.0, 60.0 * 2 ** min(delivery.attempt, 4)), "opening DMs too fast")
            return PermanentFailure(_CODES.get(error.code, f"forbidden:{error.code}"), error.text)
        except discord.NotFound as error:
            return PermanentFailure(_CODES.get(error.code, f"not_found:{error.code}"), error.text)
        except discord.DiscordServerError as error:
            return RetryLater(5.0 * (delivery.attempt + 1), f"Discord error {error.status}")
        except discord.HTTPException as error:
            if error.status == 429:  # e.g. a Cloudflare ban page without retry information
                return RetryLater(_retry_after(error), "rate limited")
            if error.status == 401:
                return PermanentFailure("token_revoked", "Discord refused the bot token.")
            return PermanentFailure(f"rejected:{error.code or error.status}", error.text)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return RetryLater(5.0 * (delivery.attempt + 1), f"network: {error.__class__.__name__}")

    # --- a community event as a Guild Scheduled Event ----------------------------

    async def _scheduled_event(self, delivery: Delivery) -> DeliveryResult:
        """POST /guilds/{guild}/scheduled-events: an external event (entity_type 3) members can see.

        External events carry their place in entity_metadata.location and must have an end time;
        privacy_level 2 is "guild only", the one Discord allows. Without Manage Events Discord
        answers 403: the event's post is out already, so this row alone fails and the moderators
        are told to re-invite the bot with that permission.
        """
        if delivery.message is None:
            return PermanentFailure("empty", "an event without its details")
        rows = {
            label: msg.spans_plain(value)
            for part in delivery.message.parts
            if isinstance(part, msg.Fields)
            for label, value in part.rows
        }
        payload = {
            "name": rows.get("name", "")[:100],
            "scheduled_start_time": rows.get("start", ""),
            "scheduled_end_time": rows.get("end", ""),
            "entity_type": 3,
            "entity_metadata": {"location": rows.get("location", "")[:100]},
            "privacy_level": 2,
            "description": rows.get("description", "")[:1000],
        }
        try:
            if delivery.target_ref:  # a change to the event we created: cancel it (status 4, CANCELED)
                guild = int(delivery.community_external_id)
                await self.client.http.edit_scheduled_event(guild, int(delivery.target_ref), status=4)
                return Delivered(delivery.target_ref)
            created = await self.client.http.create_guild_scheduled_event(
                int(delivery.community_external_id), reason="mentorbot community event", **payload
            )
        except discord.Forbidden as error:
            return PermanentFailure("missing_manage_events", error.text)
        return Delivered(str(created["id"]))

    # --- a member into / out of a community space ----------------------------------

    async def _space_member(self, delivery: Delivery) -> DeliveryResult:
        """A member permission overwrite on the space's (private) channel: PUT allows View Channel,
        Send Messages and Read Message History for that member alone; DELETE takes it away.

        Both need Manage Roles (on the channel is enough: "Manage Permissions" in its settings), and
        the bot can only allow what it has itself. No role is created or assigned, so nothing else
        on the server changes. PUT and DELETE are idempotent; an overwrite already gone counts as
        removed. A 403 becomes `missing_permissions`, which the core reports to the moderators once.
        """
        channel, user = delivery.destination.space_member_ref
        if user.startswith("forgotten:"):  # queued for someone forgotten since: nobody to add
            return Delivered(None)
        if not channel.isdigit() or not user.isdigit():
            return PermanentFailure("channel_not_found", "a Discord space must be a channel id (digits)")
        try:
            if delivery.operation is Operation.SPACE_ADD:
                await self.client.http.edit_channel_permissions(
                    int(channel), int(user), str(SPACE_ALLOW), "0", 1, reason="mentorbot: member opted into this space"
                )
            else:
                await self.client.http.delete_channel_permissions(
                    int(channel), int(user), reason="mentorbot: member left this space"
                )
        except discord.Forbidden as error:
            code = {50001: "missing_access", 50013: "missing_permissions"}.get(error.code, f"forbidden:{error.code}")
            return PermanentFailure(code, error.text)
        except discord.NotFound as error:
            if delivery.operation is Operation.SPACE_REMOVE and error.code in (UNKNOWN_OVERWRITE, 10007, 10013):
                return Delivered(None)  # no overwrite (or no such member) left: nothing to take away
            return PermanentFailure(_CODES.get(error.code, f"not_found:{error.code}"), error.text)
        return Delivered(None)

    # --- POST -----------------------------------------------------------------

    async def _post(self, delivery: Delivery) -> DeliveryResult:
        if delivery.message is None:
            return PermanentFailure("empty", "POST without a message")
        rendered = render(delivery.message, self.command_refs)
        destination = delivery.destination
        nonce = nonce_for(delivery.idempotency_key)
        if destination.kind is DestinationKind.CHANNEL:
            sent = await self._send(int(destination.target), rendered, nonce)
            return Delivered(make_ref([sent]))
        if destination.kind is DestinationKind.DM:
            sent = await self._send_dm(destination.target, rendered, nonce, delivery.community_external_id)
            return Delivered(make_ref([sent]))
        if destination.kind is DestinationKind.GROUP_DM:
            return await self._post_group(delivery, rendered)
        if destination.kind is DestinationKind.SPACE:
            return await self._post_space(delivery, rendered)
        return await self._post_ephemeral(delivery, rendered)

    async def _send(self, channel_id: int, rendered: RenderedMessage, nonce: str) -> discord.Message:
        channel = self.client.get_partial_messageable(channel_id)
        return await channel.send(nonce=nonce, **rendered.send_kwargs())

    async def _dm_channel(self, user_id: str, community: str) -> int:
        cached = self._dm_channels.get(user_id)
        if cached is None and self.dm_store is not None:
            known = await self.dm_store.get(community, [user_id])
            cached = int(known) if known else None
        if cached is None:
            channel = await self.client.create_dm(discord.Object(int(user_id)))
            cached = channel.id
            if self.dm_store is not None:
                await self.dm_store.put(community, [user_id], str(cached))
        self._dm_channels[user_id] = cached
        return cached

    async def _send_dm(self, user_id: str, rendered: RenderedMessage, nonce: str, community: str) -> discord.Message:
        channel_id = await self._dm_channel(user_id, community)
        try:
            return await self._send(channel_id, rendered, nonce)
        except discord.Forbidden as error:
            if error.code == DM_CLOSED:
                raise _DMClosed(user_id) from error
            raise

    async def _post_group(self, delivery: Delivery, rendered: RenderedMessage) -> DeliveryResult:
        user_ids = delivery.destination.user_ids
        if self.intro_channel_id is None:
            # One DM each, each with its own nonce so a resend skips the ones already sent.
            sent = []
            for user_id in user_ids:
                nonce = nonce_for(f"{delivery.idempotency_key}:{user_id}")
                sent.append(await self._send_dm(user_id, rendered, nonce, delivery.community_external_id))
            return Delivered(make_ref(sent))
        thread_id = await self._intro_thread(delivery, user_ids)
        message = await self._send(thread_id, rendered, nonce_for(delivery.idempotency_key))
        return Delivered(make_ref([message]))

    async def _intro_thread(self, delivery: Delivery, user_ids: list[str]) -> int:
        """The private thread of this group of members: found again for later messages
        (kick-off reminders, "you both confirmed") and after a crash, created once."""
        assert self.intro_channel_id is not None
        tag = group_tag(user_ids)
        thread_id = self._threads.get(tag)
        if thread_id is None and self.dm_store is not None:
            known = await self.dm_store.get(delivery.community_external_id, user_ids)
            thread_id = int(known) if known else None
        if thread_id is None:
            thread_id = await self._find_thread(delivery.community_external_id, tag)
        if thread_id is None:
            created = await self.client.http.start_thread_without_message(
                self.intro_channel_id,
                name=await self._thread_name(user_ids, tag),
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                type=discord.ChannelType.private_thread.value,
                invitable=False,
                reason="mentorbot introduction",
            )
            thread_id = int(created["id"])
        if self.dm_store is not None and tag not in self._threads:
            await self.dm_store.put(delivery.community_external_id, user_ids, str(thread_id))
        self._threads[tag] = thread_id
        for user_id in user_ids:  # idempotent; also brings back someone who left the thread
            await self.client.http.add_user_to_thread(thread_id, int(user_id))
        return thread_id

    async def _find_thread(self, guild_id: str, tag: str, parent: int | None = None) -> int | None:
        """Active threads of the guild, then the archived private threads the bot is in."""
        parent = parent or self.intro_channel_id
        assert parent is not None
        candidates: list[dict] = []
        if guild_id.isdigit():
            candidates += (await self.client.http.get_active_threads(int(guild_id))).get("threads", [])
        archived = await self.client.http.get_joined_private_archived_threads(parent, None, 100)
        candidates += archived.get("threads", [])
        for thread in candidates:
            if str(thread.get("parent_id")) == str(parent) and thread.get("name", "").endswith(f"· {tag}"):
                return int(thread["id"])
        return None

    async def _space_remove(self, delivery: Delivery) -> DeliveryResult:
        """Remove the listed members from the group's private thread (the bot created it, which is
        all a private thread asks); a thread never created, or someone already gone, is done."""
        community, key = delivery.community_external_id, [f"space:{delivery.destination.space_key}"]
        thread_id = self._threads.get(key[0])
        if thread_id is None and self.dm_store is not None:
            known = await self.dm_store.get(community, key)
            thread_id = int(known) if known else None
        if thread_id is None:
            return Delivered(None)
        for user_id in delivery.destination.user_ids:
            try:
                await self.client.http.remove_user_from_thread(thread_id, int(user_id))
            except discord.NotFound as error:
                if error.code != UNKNOWN_MEMBER:
                    raise
        return Delivered(None)

    async def _post_space(self, delivery: Delivery, rendered: RenderedMessage) -> DeliveryResult:
        """A circle's own space: a private thread (type 12, not invitable by members) under
        DISCORD_INTRO_CHANNEL_ID, else under the channel the circle was set up in, with every
        member added. Private threads need only Create Private Threads and Send Messages in
        Threads, which the invite already asks for: the least that works (a private channel
        would need Manage Channels and Manage Roles). The thread id is stored the moment Discord
        returns it; a crash before that is caught by finding the thread by its tag. Without
        any parent channel each member gets the message by DM."""
        destination = delivery.destination
        parent = self.intro_channel_id or (
            int(destination.space_parent) if destination.space_parent.isdigit() else None
        )
        if parent is None:
            sent = []
            for user_id in destination.user_ids:
                nonce = nonce_for(f"{delivery.idempotency_key}:{user_id}")
                sent.append(await self._send_dm(user_id, rendered, nonce, delivery.community_external_id))
            return Delivered(make_ref(sent))
        community, key = delivery.community_external_id, [f"space:{destination.space_key}"]
        tag = destination.space_key
        thread_id = self._threads.get(key[0])
        if thread_id is None and self.dm_store is not None:
            known = await self.dm_store.get(community, key)
            thread_id = int(known) if known else None
        try:
            if thread_id is None:
                thread_id = await self._find_thread(community, tag, parent)
            if thread_id is None:
                created = await self.client.http.start_thread_without_message(
                    parent,
                    name=f"Mentoring {tag.replace('-', ' #', 1)} · {tag}",
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                    type=discord.ChannelType.private_thread.value,
                    invitable=False,
                    reason="mentorbot mentoring circle",
                )
                thread_id = int(created["id"])
            if self.dm_store is not None and key[0] not in self._threads:
                await self.dm_store.put(community, key, str(thread_id))
            self._threads[key[0]] = thread_id
            for user_id in destination.user_ids:  # idempotent (204 for a member already in it)
                await self.client.http.add_user_to_thread(thread_id, int(user_id))
        except discord.Forbidden as error:
            return PermanentFailure("space_thread_forbidden", error.text)
        message = await self._send(thread_id, rendered, nonce_for(delivery.idempotency_key))
        return Delivered(make_ref([message]))

    async def _thread_name(self, user_ids: list[str], tag: str) -> str:
        names = []
        for user_id in user_ids:
            try:
                user = self.client.get_user(int(user_id)) or await self.client.fetch_user(int(user_id))
                names.append(user.display_name)
            except discord.HTTPException:
                names.append("member")
        # The tag finds the thread again; names are only for people.
        return f"Mentorship: {' & '.join(names)}"[: 100 - len(tag) - 3] + f" · {tag}"

    async def _post_ephemeral(self, delivery: Delivery, rendered: RenderedMessage) -> DeliveryResult:
        """Only-you messages. Discord has them only as interaction replies: use the member's
        live interaction token if there is one, else a DM, else (DMs closed) a channel
        message that mentions just them."""
        channel_id, _, user_id = delivery.destination.target.partition("|")
        interaction = self.recent.live(user_id, channel_id)
        if interaction is not None:
            try:
                await interaction.followup.send(ephemeral=True, **rendered.send_kwargs())
                return Delivered(None)
            except discord.HTTPException as error:  # token expired early: fall through
                log.info("ephemeral follow-up failed (%s); falling back", error)
        nonce = nonce_for(delivery.idempotency_key)
        try:
            return Delivered(make_ref([await self._send_dm(user_id, rendered, nonce, delivery.community_external_id)]))
        except _DMClosed:
            if not channel_id.isdigit():
                raise
        prefix = f"<@{user_id}> "
        rendered.content = (prefix + rendered.content)[:2000]
        rendered.mention_user_ids = [user_id, *[u for u in rendered.mention_user_ids if u != user_id]]
        return Delivered(make_ref([await self._send(int(channel_id), rendered, nonce)]))

    # --- UPDATE / PIN / UNPIN ---------------------------------------------------------

    async def _update(self, delivery: Delivery) -> DeliveryResult:
        if not delivery.target_ref or delivery.message is None:
            return PermanentFailure("no_target", "UPDATE needs target_ref and a message")
        rendered = render(delivery.message, self.command_refs)
        for channel_id, message_id in parse_ref(delivery.target_ref):
            partial = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
            await partial.edit(**rendered.edit_kwargs())
        return Delivered(delivery.target_ref)

    async def _pin(self, delivery: Delivery, *, pin: bool) -> DeliveryResult:
        if not delivery.target_ref:
            return PermanentFailure("no_target", "PIN/UNPIN needs target_ref")
        for channel_id, message_id in parse_ref(delivery.target_ref):
            partial = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
            try:
                if pin:
                    await partial.pin(reason="mentorbot")
                else:
                    await partial.unpin(reason="mentorbot")
            except discord.NotFound:
                if pin:
                    raise
                # Unpinning a message that is gone or no longer pinned is already done.
        return Delivered(delivery.target_ref)


def _retry_after(error: discord.HTTPException) -> float:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", {}) or {}
    for key in ("X-RateLimit-Reset-After", "Retry-After"):
        try:
            return max(1.0, float(headers[key]))
        except (KeyError, TypeError, ValueError):
            continue
    return 60.0
