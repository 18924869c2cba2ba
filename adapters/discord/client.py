"""The discord.py client: app commands, components, modals and DMs → core events.

Every interaction is saved to the durable inbox (one insert) and then acknowledged
(deferred) before any other database work, because Discord gives three seconds and
never resends; DMs are saved on receipt. The core's private replies then arrive as
ephemeral follow-ups on the same interaction token (valid 15 minutes), and everything
durable goes through the outbox and `DiscordMessenger`. `resume()` finishes what a
crash left open (adapters/discord/inbound.py).

Intents: `guilds` (guild and channel cache, interactions need no intent),
`dm_messages` (members writing to the bot; DM content needs no privileged
intent), and `members` only when DISCORD_MEMBERS_INTENT=1 (privileged; used for
the member-joined count). No message-content intent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from adapters.discord import commands as cmds
from adapters.discord.components import DYNAMIC_ITEMS
from adapters.discord.identify import IdentifyPacer
from adapters.discord.inbound import SAVE_FAILED, kind_of, payload_of, resume_one
from adapters.discord.messenger import RecentInteractions
from adapters.discord.render import render
from adapters.discord.settings import DiscordSettings
from adapters.discord.sync import sync_commands_if_changed
from bot.bootstrap import build_router
from bot.core.command_refs import CommandRefs
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
from bot.delivery.inbox import Inbox, InboxUnavailable, Ticket
from bot.delivery.inbox_work import InboxWork
from bot.features.admin.purge import Uninstalls

log = logging.getLogger(__name__)

POLITE_FAILURE = APOLOGY  # the core's one apology
UNKNOWN_GUILD = "This server is not set up for mentorbot, so I can't act on that here."
DONE = "Done."


class CoreBot(Protocol):
    async def handle(self, event: Event) -> list[Message]: ...


class Kicker(Protocol):
    def kick(self) -> None: ...


def intents_for(settings: DiscordSettings) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    intents.members = settings.members_intent
    return intents


class MentorClientMixin:
    """Shared by the plain and the auto-sharded client."""

    # Provided by discord.Client / AutoShardedClient.
    http: Any
    guilds: Any
    user: Any
    application_id: Any

    def _setup_mentor(
        self,
        bot: CoreBot,
        settings: DiscordSettings,
        *,
        runtime: Kicker | None = None,
        recent: RecentInteractions | None = None,
        on_login: Callable[[Any], Awaitable[None]] | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        self.bot = bot
        # The durable inbox on the core's database (a stub core in adapter tests has none).
        self.inbox = inbox if inbox is not None else (Inbox(bot.db, bot.clock) if getattr(bot, "db", None) else None)
        # A server that removes the bot has its data purged after the grace period, unless it adds the bot back.
        self.uninstalls = Uninstalls(bot.db, bot.clock, bot.settings) if getattr(bot, "db", None) else None
        self.settings = settings
        self.runtime = runtime
        self.recent = recent or RecentInteractions()
        self._dm_guild: dict[str, str] = {}  # member id -> guild id of their last interaction
        self._on_login = on_login
        self.tree = MentorTree(self)  # type: ignore[arg-type]
        # The tree is generated from the core's command table (a stand-in core in tests has none).
        router = getattr(bot, "router", None) or build_router()
        for command in cmds.build_commands(self, router):
            self.tree.add_command(command)
        # The bot's texts name commands in the text syntax; Discord users read them as Discord names them.
        self.command_refs = CommandRefs(router.commands.values())
        self.last_sync: str = "not run"
        # SIGTERM (adapters/discord/main.py): events are still saved and acknowledged, so nothing
        # the gateway hands us is lost, but no longer worked on here: the next start resumes them.
        self.stopping = False
        self.in_hand = InboxWork()  # saved events being worked on after their ack

    # --- start-up ------------------------------------------------------------

    async def setup_hook(self) -> None:
        # Clicks on messages sent before this process started are routed by template.
        self.add_dynamic_items(*DYNAMIC_ITEMS)  # type: ignore[attr-defined]
        if not isinstance(self, discord.AutoShardedClient):
            # discord.Client connects to a fixed gateway host; ask the configured API
            # (GET /gateway/bot) like AutoShardedClient does, so DISCORD_API_BASE is
            # enough to point the whole client elsewhere.
            try:
                _, url, _ = await self.http.get_bot_gateway()
            except discord.GatewayNotFound:
                log.warning("GET /gateway/bot failed; using discord.py's default gateway")
            else:
                DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        # Sync here (after login, before the gateway), never from on_ready, which
        # fires again on every reconnect.
        self.last_sync = await sync_commands_if_changed(self.tree, self.settings, self.application_id)
        if self._on_login is not None:
            await self._on_login(self)

    # --- who and where ------------------------------------------------------------

    def known_guild(self, guild_id: int | None) -> discord.Guild | None:
        if guild_id is None:
            return None
        if self.settings.guild_id is not None and guild_id != self.settings.guild_id:
            return None
        return self.get_guild(guild_id)  # type: ignore[attr-defined]

    def actor_for(self, user: discord.abc.User, permissions: discord.Permissions | None = None) -> Actor:
        moderator = False
        if isinstance(user, discord.Member):
            perms = permissions or user.guild_permissions
            moderator = perms.manage_guild or perms.administrator
            if not moderator and (self.settings.moderator_role_id or self.settings.moderator_role_name):
                moderator = any(
                    role.id == self.settings.moderator_role_id or role.name == self.settings.moderator_role_name
                    for role in user.roles
                )
        return Actor(
            user_id=str(user.id),
            display_name=user.display_name,
            platform_moderator=moderator,
            timezone=None,  # Discord does not share members' time zones
            is_bot=user.bot,
        )

    def community_for_dm(self, user_id: str) -> CommunityRef | None:
        """A DM has no guild: use the member's last guild, the configured guild, or the only guild."""
        guild_id: int | None = None
        if user_id in self._dm_guild:
            guild_id = int(self._dm_guild[user_id])
        elif self.settings.guild_id is not None:
            guild_id = self.settings.guild_id
        elif len(self.guilds) == 1:
            guild_id = self.guilds[0].id
        guild = self.known_guild(guild_id)
        if guild is None:
            return None
        return CommunityRef("discord", str(guild.id), guild.name)

    # --- the inbox: saved before the ack, worked on in order, resumed after a crash -------------

    async def save(
        self, event: Event, interaction: discord.Interaction | None = None, **reply: Any
    ) -> Ticket | None | bool:
        """Save `event` before acknowledging it. None: no inbox wired; False: not saved (the
        member was told, nothing acknowledged) or a redelivery already saved."""
        if self.inbox is None:
            return None
        if interaction is not None:
            reply.update(token=interaction.token, app=str(interaction.application_id))
        try:
            ticket = await self.inbox.receive(
                "discord",
                event.community.external_id,
                event.event_id,
                event.actor.user_id,
                kind_of(event),
                payload_of(event, **reply),
            )
        except InboxUnavailable:
            if interaction is not None and not interaction.response.is_done():
                await interaction.response.send_message(SAVE_FAILED, ephemeral=True)
            return False
        return ticket if ticket.fresh else False

    async def work(self, ticket: Ticket | None, job: Callable[[], Awaitable[None]]) -> None:
        """A member's saved events one at a time, in inbox order; the row is finished after."""
        if self.inbox is None or ticket is None:
            await job()
            return
        if self.stopping:  # saved and acknowledged; left open (released at stop) for the next start
            await self.inbox.turns.leave(ticket.member_key, ticket.id)
            return
        await self.in_hand.run(self.inbox, ticket, job)

    async def idle(self) -> None:
        """Every event being worked on is finished (graceful stop waits for this)."""
        await self.in_hand.idle()

    async def resume(self) -> int:
        """Open Discord inbox rows (a crash's leftovers, a dead worker's): finish them."""
        if self.inbox is None:
            return 0
        rows = await self.inbox.claim_open("discord")
        for row in rows:
            async with self.inbox.turns.turn(row.member_key, row.id):
                try:
                    await resume_one(self, row)
                except Exception:
                    log.exception("resuming inbox row %s failed", row.id)
                finally:
                    await self.inbox.finish(row.id)
        if rows:
            log.info("resumed %d saved Discord event(s)", len(rows))
        return len(rows)

    # --- the core ---------------------------------------------------------------------

    async def run_core(self, event: Event) -> list[Message]:
        try:
            replies = await self.bot.handle(event)
        except Exception:  # the core already catches; this is the last line of defence
            log.exception("core failed on %s", type(event).__name__)
            replies = [message(POLITE_FAILURE)]
        if self.runtime is not None:
            self.runtime.kick()
        return replies

    async def answer(
        self, interaction: discord.Interaction, replies: list[Message], *, edit_original: bool, ephemeral: bool = True
    ) -> None:
        """Private replies as follow-ups on the interaction (never a stack trace): ephemeral
        in a server; in the member's DM with the bot a normal message, which only they see
        anyway and which, unlike an ephemeral one, is still there after a reload."""
        try:
            if edit_original:
                first = render(replies[0], self.command_refs) if replies else None
                kwargs = first.edit_kwargs() if first else {"content": DONE, "embeds": [], "view": None}
                await interaction.edit_original_response(**kwargs)
                replies = replies[1:]
            for reply in replies:
                await interaction.followup.send(ephemeral=ephemeral, **render(reply, self.command_refs).send_kwargs())
        except discord.HTTPException:
            log.exception("could not send the private reply for interaction %s", interaction.id)

    def event_for_interaction(self, interaction: discord.Interaction) -> tuple[CommunityRef, Actor] | None:
        guild = self.known_guild(interaction.guild_id)
        if guild is not None:
            self._dm_guild[str(interaction.user.id)] = str(guild.id)
            return CommunityRef("discord", str(guild.id), guild.name), self.actor_for(
                interaction.user, interaction.permissions
            )
        if interaction.guild_id is None:  # a button in a DM
            community = self.community_for_dm(str(interaction.user.id))
            if community is not None:
                return community, self.actor_for(interaction.user)
        return None

    async def refuse(self, interaction: discord.Interaction) -> None:
        log.warning("refused interaction from unknown guild %s", interaction.guild_id)
        if not interaction.response.is_done():
            await interaction.response.send_message(UNKNOWN_GUILD, ephemeral=True)

    async def handle_slash(self, interaction: discord.Interaction, text: str) -> None:
        who = self.event_for_interaction(interaction)
        if who is None or interaction.guild_id is None:
            await self.refuse(interaction)
            return
        community, actor = who
        event = SlashCommand(community, actor, str(interaction.channel_id), text, event_id=str(interaction.id))
        await self.save_then_answer_privately(interaction, event)

    async def save_then_answer_privately(self, interaction: discord.Interaction, event: Event) -> None:
        """Save, then acknowledge ("thinking…", only the member sees it): Discord allows three
        seconds and never resends. The core's answer replaces the placeholder."""
        ticket = await self.save(event, interaction, edit_original=True, ephemeral=True)
        if ticket is False:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        self.recent.remember(interaction)

        async def job() -> None:
            await self.answer(interaction, await self.run_core(event), edit_original=True)

        await self.work(ticket or None, job)

    async def handle_component(self, interaction: discord.Interaction, custom_id: str, values: tuple[str, ...]) -> None:
        who = self.event_for_interaction(interaction)
        if who is None:
            await self.refuse(interaction)
            return
        modal = form_modal(getattr(getattr(self.bot, "router", None), "forms", {}).get(custom_id))
        if modal is not None:  # a button whose id is a core form's id opens it (the answer is the modal)
            await interaction.response.send_modal(modal)
            return
        community, actor = who
        message_ref = f"{interaction.channel_id}:{interaction.message.id}" if interaction.message else ""
        event = ComponentAction(
            community,
            actor,
            str(interaction.channel_id),
            custom_id,
            values,
            message_ref=message_ref,
            in_dm=interaction.guild_id is None,
            event_id=str(interaction.id),
        )
        ticket = await self.save(event, interaction, edit_original=False, ephemeral=not event.in_dm)
        if ticket is False:
            return
        await interaction.response.defer()  # "deferred update": the message itself changes via the outbox
        self.recent.remember(interaction)

        async def job() -> None:
            # A DM conversation (intake, feedback) keeps its next question and buttons.
            await self.answer(interaction, await self.run_core(event), edit_original=False, ephemeral=not event.in_dm)

        await self.work(ticket or None, job)

    async def handle_form(self, interaction: discord.Interaction, custom_id: str, fields: dict[str, str]) -> None:
        who = self.event_for_interaction(interaction)
        if who is None:
            await self.refuse(interaction)
            return
        community, actor = who
        event = FormSubmission(
            community, actor, custom_id, fields, event_id=str(interaction.id), channel_id=str(interaction.channel_id)
        )
        await self.save_then_answer_privately(interaction, event)

    # --- gateway events -------------------------------------------------------------------

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Modal submissions are handled here, not by an in-memory Modal object, so a
        # form opened before a restart still works.
        if interaction.type is discord.InteractionType.modal_submit:
            data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
            custom_id = str(data.get("custom_id", ""))
            if custom_id.startswith("mentor:"):
                await self.handle_form(interaction, custom_id, modal_fields(data))

    async def on_message(self, message: discord.Message) -> None:
        if message.guild is not None or message.author.bot:
            return  # only DMs to the bot; guild messages are not read (no content intent)
        user_id = str(message.author.id)
        community = self.community_for_dm(user_id)
        if community is None:
            await message.channel.send(
                "Please use /mentor in your server first, so I know which community you mean.",
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        event = DirectText(
            community,
            self.actor_for(message.author),
            str(message.channel.id),
            message.content,
            event_id=str(message.id),
        )
        ticket = await self.save(event, channel=str(message.channel.id))  # on receipt
        if ticket is False:
            return  # a redelivered message, or not saved (logged); the gateway gives no way to refuse it

        async def job() -> None:
            for reply in await self.run_core(event):
                try:
                    await message.channel.send(**render(reply, self.command_refs).send_kwargs())
                except discord.HTTPException:
                    log.exception("could not answer a DM from %s", user_id)

        await self.work(ticket or None, job)

    async def on_member_join(self, member: discord.Member) -> None:
        guild = self.known_guild(member.guild.id)
        if guild is None or member.bot:
            return
        community = CommunityRef("discord", str(guild.id), guild.name)
        event = MemberJoined(community, self.actor_for(member), event_id=f"join:{guild.id}:{member.id}")
        ticket = await self.save(event)
        if ticket is False:
            return

        async def job() -> None:
            await self.run_core(event)

        await self.work(ticket or None, job)

    # --- the bot leaves or joins a server -------------------------------------
    # discord.py calls on_guild_remove only for a GUILD_DELETE without `unavailable`
    # (the bot was removed, or the server deleted); an outage (unavailable=true) calls
    # on_guild_unavailable instead, which must not purge anything.

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        if self.uninstalls is not None:
            await self.uninstalls.removed("discord", str(guild.id))

    async def on_ready(self) -> None:
        # Every server the bot is in (unavailable ones included) is known by now; a server
        # missing here removed the bot while this process was down.
        if self.uninstalls is not None:
            await self.uninstalls.absent("discord", {str(guild.id) for guild in self.guilds})

    async def on_guild_join(self, guild: discord.Guild) -> None:
        if self.uninstalls is not None:
            await self.uninstalls.returned("discord", str(guild.id))

    async def on_guild_available(self, guild: discord.Guild) -> None:
        # A server that added the bot back while this process was down arrives at start-up.
        if self.uninstalls is not None:
            await self.uninstalls.returned("discord", str(guild.id))


class MentorTree(app_commands.CommandTree):
    """Refuses interactions from guilds the bot does not serve, politely and privately."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        client = interaction.client
        if isinstance(client, MentorClientMixin) and client.known_guild(interaction.guild_id) is None:
            await client.refuse(interaction)
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError, /) -> None:
        log.error("app command failed", exc_info=error)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(POLITE_FAILURE, ephemeral=True)
            else:
                await interaction.response.send_message(POLITE_FAILURE, ephemeral=True)
        except discord.HTTPException:
            pass


class MentorClient(MentorClientMixin, discord.Client):
    def __init__(self, bot: CoreBot, settings: DiscordSettings, **kwargs: Any) -> None:
        mentor = {k: kwargs.pop(k) for k in ("runtime", "recent", "on_login", "inbox") if k in kwargs}
        super().__init__(intents=intents_for(settings), max_ratelimit_timeout=30.0, **kwargs)
        self._setup_mentor(bot, settings, **mentor)


class MentorShardedClient(MentorClientMixin, discord.AutoShardedClient):
    def __init__(self, bot: CoreBot, settings: DiscordSettings, **kwargs: Any) -> None:
        mentor = {k: kwargs.pop(k) for k in ("runtime", "recent", "on_login", "inbox") if k in kwargs}
        super().__init__(intents=intents_for(settings), max_ratelimit_timeout=30.0, **kwargs)
        self._setup_mentor(bot, settings, **mentor)
        self.identify_pacer = IdentifyPacer(self._max_concurrency)

    async def _max_concurrency(self) -> int:
        try:
            return int((await self.fetch_session_start_limits()).max_concurrency)
        except (discord.DiscordException, aiohttp.ClientError, OSError, KeyError, TypeError, ValueError):
            log.warning("could not read the session start limit; identifying one shard per 5 s")
            return 1

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord's per-bucket session-start limit instead of discord.py's 5 s before every shard.
        await self.identify_pacer.before_identify(shard_id)


def make_client(bot: CoreBot, settings: DiscordSettings, **kwargs: Any) -> MentorClient | MentorShardedClient:
    """DISCORD_SHARDS=auto → AutoShardedClient (Discord says how many shards); else one connection."""
    if settings.shards == "auto":
        return MentorShardedClient(bot, settings, **kwargs)
    return MentorClient(bot, settings, **kwargs)


MODAL_TITLE, MODAL_LABEL, MODAL_PLACEHOLDER, MODAL_INPUTS = 45, 45, 100, 5  # Discord's limits


def form_modal(form: Form | None) -> discord.ui.Modal | None:
    """A core `Form` as a Discord modal, when it fits one (else the core answers the click).

    Its submission comes back through `on_interaction` by custom id, like every modal."""
    if form is None or not 1 <= len(form.fields) <= MODAL_INPUTS or len(form.title) > MODAL_TITLE:
        return None
    if any(len(f.label) > MODAL_LABEL for f in form.fields):
        return None
    modal = discord.ui.Modal(title=form.title, custom_id=form.id, timeout=900)
    for f in form.fields:
        modal.add_item(
            discord.ui.TextInput(
                label=f.label,
                custom_id=f.name,
                required=f.required,
                max_length=min(f.max_length, 4000),
                style=discord.TextStyle.paragraph if f.long else discord.TextStyle.short,
                placeholder=f.placeholder[:MODAL_PLACEHOLDER] or None,
            )
        )
    return modal


def modal_fields(data: dict[str, Any]) -> dict[str, str]:
    """custom_id → value for every text input in a modal submission (rows or labels)."""
    fields: dict[str, str] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components:
            if "custom_id" in component and "value" in component:
                fields[str(component["custom_id"])] = str(component["value"])
            walk(component.get("components", []))
            if isinstance(component.get("component"), dict):
                walk([component["component"]])

    walk(data.get("components", []))
    return fields
