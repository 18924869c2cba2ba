"""The real discord.py client against the fake, with a stand-in core that records events.

These check the adapter's own plumbing (acknowledge, translate, answer privately,
refuse unknown guilds); test_discord_lifecycle.py runs the real core.
"""

from __future__ import annotations

import discord
import pytest

from adapters.discord.render import render
from bot.core.events import ComponentAction, DirectText, FormSubmission, SlashCommand
from bot.core.messages import Button, UserText, message, text
from bot.features.polls.form import POLL_FORM
from tests.fakes.discord import pinged
from tests.fakes.discord.commands import CommandUnavailable


class StubCore:
    def __init__(self, replies=None):
        self.events = []
        self.replies = replies or (lambda event: [message("ok")])

    async def handle(self, event):
        self.events.append(event)
        return self.replies(event)


async def test_slash_command_is_deferred_then_answered_privately(fake, discord_settings, run_client):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    ana = fake.add_member(guild, "ana")
    core = StubCore(lambda e: [message(text("You said ", UserText(e.text))), message("second")])
    await run_client(core, discord_settings)
    interaction = await fake.slash(guild, channel_id, ana.id, "goal set", {"goal": 'Ship "my" PR', "by": "2w"})
    await fake.wait_for_call("POST", r"^/webhooks/\d+/[^/]+$")
    assert fake.response_to(interaction)["type"] == 5  # deferred first
    assert fake.response_to(interaction)["data"]["flags"] == 64  # ephemeral
    (event,) = core.events
    assert isinstance(event, SlashCommand)
    assert event.text == 'goal set "Ship \'my\' PR" --by "2w"'
    assert event.community.external_id == guild.id and event.actor.user_id == ana.id
    assert event.actor.platform_moderator is False and event.event_id == interaction["id"]
    edit, follow = fake.followups_for(interaction)
    assert edit.method == "PATCH" and "You said" in edit.json["content"]
    assert follow.json["flags"] == 64 and follow.json["content"] == "second"


async def test_owner_is_a_platform_moderator_and_role_counts_too(fake, discord_settings, run_client):
    from dataclasses import replace

    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    role = fake.add_role(guild, "Mentor Team")
    mod = fake.add_member(guild, "mod", roles=(role,))
    core = StubCore()
    await run_client(core, replace(discord_settings, moderator_role_name="Mentor Team"))
    await fake.slash(guild, channel_id, guild.owner_id, "polls")
    await fake.slash(guild, channel_id, mod.id, "help")
    await fake.wait_for_call("PATCH", r"^/webhooks/", count=2)
    assert [e.actor.platform_moderator for e in core.events] == [True, True]


async def test_interaction_from_an_unknown_guild_is_refused(fake, discord_settings, run_client):
    from dataclasses import replace

    served, other = fake.add_guild("served"), fake.add_guild("other")
    core = StubCore()
    await run_client(core, replace(discord_settings, guild_id=int(served.id)))
    # The commands are also registered globally (an earlier deployment): other servers can send them.
    fake.commands[None] = [{k: v for k, v in c.items() if k != "guild_id"} for c in fake.commands[served.id]]
    stranger = fake.add_member(other, "stranger")
    interaction = await fake.slash(other, next(iter(other.channels)), stranger.id, "polls")
    await fake.wait_for_call("POST", r"/callback$")
    response = fake.response_to(interaction)
    assert response["type"] == 4 and response["data"]["flags"] == 64
    assert "not set up" in response["data"]["content"]
    assert core.events == []


async def test_button_click_is_routed_by_custom_id_and_answered_ephemerally(fake, discord_settings, run_client):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    bo = fake.add_member(guild, "bo")
    core = StubCore(lambda e: [message("Vote counted")])
    runner = await run_client(core, discord_settings)
    view = render(message("Poll", Button("Yes", "mentor:poll:3:vote:0"))).view()
    sent = await runner.client.get_partial_messageable(int(channel_id)).send("Poll", view=view)
    interaction = await fake.click(guild, bo.id, str(sent.id), "mentor:poll:3:vote:0")
    await fake.wait_for_call("POST", r"^/webhooks/\d+/[^/]+$")
    assert fake.response_to(interaction)["type"] == 6  # deferred update: no "thinking" message
    (event,) = core.events
    assert isinstance(event, ComponentAction)
    assert event.component_id == "mentor:poll:3:vote:0"
    assert event.message_ref == f"{channel_id}:{sent.id}"
    (follow,) = fake.followups_for(interaction)
    assert follow.json["flags"] == 64


async def test_select_values_reach_the_core(fake, discord_settings, run_client):
    from bot.core.messages import Option, Select

    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    cy = fake.add_member(guild, "cy")
    core = StubCore()
    runner = await run_client(core, discord_settings)
    view = render(
        message(Select("mentor:intake:1:topics", "Pick", (Option("Go", "go"), Option("Rust", "rust")), 1, 2))
    ).view()
    sent = await runner.client.get_partial_messageable(int(channel_id)).send("Topics", view=view)
    await fake.click(guild, cy.id, str(sent.id), "mentor:intake:1:topics", values=["go", "rust"])
    await fake.wait_for_call("POST", r"^/webhooks/\d+/[^/]+$")
    assert core.events[0].values == ("go", "rust")


async def test_bare_poll_create_opens_the_core_form_whose_submission_is_a_form_submission(
    fake, discord_settings, run_client
):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    core = StubCore()
    await run_client(core, discord_settings)
    opened = await fake.slash(guild, channel_id, guild.owner_id, "poll create", command="mentor-admin")
    await fake.wait_for_call("POST", r"/callback$")
    modal = fake.response_to(opened)  # the fake refuses modals over Discord's limits
    assert modal["type"] == 9 and modal["data"]["custom_id"] == POLL_FORM.id
    assert modal["data"]["title"] == POLL_FORM.title
    inputs = [c for row in modal["data"]["components"] for c in row.get("components", [row.get("component")])]
    assert [i["custom_id"] for i in inputs] == [f.name for f in POLL_FORM.fields]
    assert [i.get("required", True) for i in inputs] == [f.required for f in POLL_FORM.fields]
    closes = next(i for i in inputs if i["custom_id"] == "closes")
    assert closes["label"] == "Closes (3d, 2026-12-01, friday 17:00)" and closes["placeholder"] == "empty: in 7 days"
    assert core.events == []  # opening the form is not an event
    typed = {
        "question": 'Would you "mentor"? @everyone',
        "options": "Yes\nNo, but later",
        "closes": "",
        "anonymous": "yes",
    }
    await fake.submit_modal(guild, channel_id, guild.owner_id, POLL_FORM.id, typed)
    await fake.wait_for_call("PATCH", r"^/webhooks/")
    (event,) = core.events
    assert isinstance(event, FormSubmission)
    assert event.form_id == POLL_FORM.id and event.fields == typed  # exactly what was typed, untranslated
    assert event.channel_id == channel_id and event.actor.platform_moderator is True


async def test_poll_create_with_a_question_is_the_command_not_the_form(fake, discord_settings, run_client):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    core = StubCore()
    await run_client(core, discord_settings)
    done = await fake.slash(
        guild,
        channel_id,
        guild.owner_id,
        "poll create",
        {"question": "Join?", "options": "A, B", "anonymous": True},
        command="mentor-admin",
    )
    await fake.wait_for_call("PATCH", r"^/webhooks/")
    assert fake.response_to(done)["type"] == 5
    assert [e.text for e in core.events] == ['poll "Join?" --options "A" "B" --anonymous']


async def test_dm_text_becomes_direct_text_and_is_answered_in_the_dm(fake, discord_settings, run_client):
    guild = fake.add_guild()
    dee = fake.add_member(guild, "dee")
    core = StubCore(lambda e: [message(text("echo: ", UserText(e.text)))])
    await run_client(core, discord_settings)
    await fake.dm_to_bot(dee.id, "hello @everyone")
    (call,) = await fake.wait_for_call(
        "POST",
        rf"^/channels/{fake.dm_channels[dee.id]}/messages$",
        where=lambda c: c.json.get("content", "").startswith("echo"),
    )
    (event,) = core.events
    assert isinstance(event, DirectText) and event.text == "hello @everyone"
    assert event.community.external_id == guild.id
    assert pinged(call.json) == {"users": set(), "roles": set(), "everyone": set()}


async def test_commands_are_synced_once_and_not_again_when_unchanged(fake, discord_settings, run_client):
    from dataclasses import replace

    guild = fake.add_guild()
    settings = replace(discord_settings, guild_id=int(guild.id))
    first = await run_client(StubCore(), settings)
    assert first.client.last_sync == "synced"
    await first.stop()
    second = await run_client(StubCore(), settings)
    assert second.client.last_sync == "unchanged"
    assert len(fake.calls_to("PUT", rf"^/applications/\d+/guilds/{guild.id}/commands$")) == 1
    assert fake.calls_to("PUT", r"^/applications/\d+/commands$") == []  # nothing global in development


async def test_ephemeral_outbox_row_uses_the_live_interaction_token(fake, discord_settings, run_client):
    from adapters.discord.messenger import DiscordMessenger
    from bot.core.ports import Delivered, Delivery, Destination, Operation

    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    eve = fake.add_member(guild, "eve")
    runner = await run_client(StubCore(), discord_settings)
    interaction = await fake.slash(guild, channel_id, eve.id, "polls")
    await fake.wait_for_call("PATCH", r"^/webhooks/")
    messenger = DiscordMessenger(runner.client, recent=runner.client.recent)
    result = await messenger.deliver(
        Delivery(guild.id, Operation.POST, Destination.ephemeral(channel_id, eve.id), message("only you"), "k1")
    )
    assert result == Delivered(None)
    (follow,) = [c for c in fake.followups_for(interaction) if c.method == "POST"]
    assert follow.json["flags"] == 64 and follow.json["content"] == "only you"
    assert eve.id not in fake.dm_channels  # no DM was needed


def test_interaction_tokens_are_not_used_after_their_lifetime():
    from types import SimpleNamespace

    from adapters.discord.messenger import RecentInteractions

    now = [0.0]
    recent = RecentInteractions(lifetime=840, clock=lambda: now[0])
    interaction = SimpleNamespace(
        user=SimpleNamespace(id=5), channel_id=7, response=SimpleNamespace(is_done=lambda: True)
    )
    recent.remember(interaction)
    assert recent.live("5", "7") is interaction
    assert recent.live("5", "8") is None  # another channel
    now[0] = 841
    assert recent.live("5", "7") is None


async def test_auto_sharded_client_connects_every_shard_and_gets_its_guilds(fake, discord_settings, run_client):
    from dataclasses import replace

    from adapters.discord.client import MentorShardedClient

    # Two IDENTIFY buckets (a large bot's session_start_limit): both shards start at once.
    fake.shard_count, fake.max_concurrency = 2, 2
    guilds = [fake.add_guild(f"g{i}") for i in range(4)]
    core = StubCore()
    runner = await run_client(core, replace(discord_settings, shards="auto"))
    assert isinstance(runner.client, MentorShardedClient)
    assert runner.client.shard_count == 2
    assert sorted(g.id for g in runner.client.guilds) == sorted(int(g.id) for g in guilds)
    for guild in guilds:
        await fake.slash(guild, next(iter(guild.channels)), guild.owner_id, "polls")
    await fake.wait_for_call("PATCH", r"^/webhooks/", count=4)
    assert sorted(e.community.external_id for e in core.events) == sorted(g.id for g in guilds)
    assert sorted(shard for _, shard in fake.identify_times) == [0, 1] and fake.early_identifies() == []


async def test_button_in_a_dm_is_a_component_action_in_the_members_community(fake, discord_settings, run_client):
    guild = fake.add_guild()
    fay = fake.add_member(guild, "fay")
    core = StubCore()
    runner = await run_client(core, discord_settings)
    dm = await runner.client.create_dm(discord.Object(int(fay.id)))
    sent = await dm.send(**render(message("Sign up?", Button("Sign up", "mentor:join:poll.1:mentor"))).send_kwargs())
    await fake.click(None, fay.id, str(sent.id), "mentor:join:poll.1:mentor")
    await fake.wait_for_call("POST", r"^/webhooks/\d+/[^/]+$")
    (event,) = core.events
    assert event.in_dm is True and event.community.external_id == guild.id
    assert event.actor.user_id == fay.id and event.actor.platform_moderator is False


async def test_typed_match_commands_become_the_cores_text(fake, discord_settings, run_client):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    core = StubCore()
    await run_client(core, discord_settings)
    await fake.slash(
        guild, channel_id, guild.owner_id, "match run", {"dry-run": True, "every": "4w"}, command="mentor-admin"
    )
    await fake.slash(guild, channel_id, guild.owner_id, "match swap", {"pair": 1, "other": 3}, command="mentor-admin")
    await fake.wait_for_call("PATCH", r"^/webhooks/", count=2)
    assert sorted(e.text for e in core.events) == ['match --dry-run --every "4w"', 'match swap "1" "3"']
    with pytest.raises(CommandUnavailable):  # Discord's client enforces the option's bounds
        await fake.slash(guild, channel_id, guild.owner_id, "match drop", {"pair": 0}, command="mentor-admin")


async def test_member_option_becomes_the_mention_the_core_parses(fake, discord_settings, run_client):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    gil = fake.add_member(guild, "gil")
    core = StubCore()
    await run_client(core, discord_settings)
    gone = fake.add_user("gone")  # left the server: Discord resolves a user but no member
    await fake.slash(guild, channel_id, guild.owner_id, "profile", {"member": gil.id})
    await fake.slash(guild, channel_id, guild.owner_id, "profile", {"member": gone.id})
    await fake.wait_for_call("PATCH", r"^/webhooks/", count=2)
    assert sorted(e.text for e in core.events) == sorted([f'profile "<@{gil.id}>"', f'profile "<@{gone.id}>"'])


async def test_the_sharded_client_reads_its_identify_buckets_and_falls_back_to_one(fake, discord_settings):
    """The session start limit comes from GET /gateway/bot; if Discord will not say, shards
    identify one per 5 s (what discord.py alone does), and the failure is not fatal."""
    from dataclasses import replace

    from adapters.discord.client import make_client

    client = make_client(StubCore(), replace(discord_settings, shards="auto"))
    await client.login(fake.token)
    try:
        fake.max_concurrency = 4
        assert await client._max_concurrency() == 4
        fake.fail("GET", r"^/gateway/bot$", status=403, code=50001)
        assert await client._max_concurrency() == 1
    finally:
        await client.close()
