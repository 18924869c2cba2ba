"""DiscordMessenger against the fake Discord: DMs, closed DMs, 429s, nonces, edits, pins, intros."""

from __future__ import annotations

from adapters.discord.messenger import DiscordMessenger, nonce_for
from bot.core.messages import Button, Mention, UserText, message, text
from bot.core.ports import Delivered, Delivery, Destination, Operation, PermanentFailure, RetryLater
from tests.fakes.discord import pinged


def _delivery(guild_id, destination, msg=None, *, key="outbox:1", op=Operation.POST, ref=None, attempt=0):
    return Delivery(guild_id, op, destination, msg, key, ref, attempt)


async def test_dm_goes_through_create_dm_with_a_short_enforced_nonce(fake, rest_client):
    guild = fake.add_guild()
    ana = fake.add_member(guild, "ana")
    key = "intro:" + "x" * 80
    result = await DiscordMessenger(rest_client).deliver(
        _delivery(guild.id, Destination.dm(ana.id), message("Welcome!"), key=key)
    )
    assert isinstance(result, Delivered)
    channel_id, message_id = result.message_ref.split(":")
    assert fake.dm_channels[ana.id] == channel_id and message_id in fake.messages
    (create_dm,) = fake.calls_to("POST", r"^/users/@me/channels$")
    assert create_dm.json == {"recipient_id": int(ana.id)}
    (post,) = fake.calls_to("POST", rf"^/channels/{channel_id}/messages$")
    assert post.json["nonce"] == nonce_for(key) and len(post.json["nonce"]) <= 25
    assert post.json["enforce_nonce"] is True
    assert post.json["allowed_mentions"] == {"parse": []}


async def test_resend_after_a_crash_does_not_duplicate(fake, rest_client):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    messenger = DiscordMessenger(rest_client)
    delivery = _delivery(guild.id, Destination.channel(channel_id), message("Poll!"), key="poll:1:post")
    first = await messenger.deliver(delivery)
    again = await messenger.deliver(delivery)  # the outbox row was not marked sent before the crash
    assert first == again
    assert len(fake.channel_messages(channel_id)) == 1


async def test_closed_dms_are_a_permanent_failure_naming_the_member(fake, rest_client):
    guild = fake.add_guild()
    bo = fake.add_member(guild, "bo")
    fake.close_dms(bo.id)
    result = await DiscordMessenger(rest_client).deliver(_delivery(guild.id, Destination.dm(bo.id), message("Hi")))
    assert isinstance(result, PermanentFailure)
    assert result.code == "dm_closed" and result.unreachable_user_id == bo.id
    # Tried once, not in a loop.
    assert len(fake.calls_to("POST", r"^/channels/\d+/messages$")) == 1


async def test_short_429s_are_waited_out_by_discord_py(fake, rest_client):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    fake.rate_limit("POST", rf"^/channels/{channel_id}/messages$", times=2, retry_after=0.01)
    result = await DiscordMessenger(rest_client).deliver(
        _delivery(guild.id, Destination.channel(channel_id), message("hello"))
    )
    assert isinstance(result, Delivered)
    statuses = [c.status for c in fake.calls_to("POST", rf"^/channels/{channel_id}/messages$")]
    assert statuses == [429, 429, 200]


async def test_429_without_retry_information_becomes_retry_later(fake, rest_client):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    fake.rate_limit("POST", r"/messages$", times=1, retry_after=3, via=False)  # Cloudflare-style
    result = await DiscordMessenger(rest_client).deliver(
        _delivery(guild.id, Destination.channel(channel_id), message("hello"))
    )
    assert isinstance(result, RetryLater) and result.seconds >= 1
    assert len(fake.channel_messages(channel_id)) == 0


async def test_update_pin_and_unpin_use_the_message_ref(fake, rest_client):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    messenger = DiscordMessenger(rest_client)
    posted = await messenger.deliver(
        _delivery(guild.id, Destination.channel(channel_id), message("Votes: 0", Button("Yes", "mentor:poll:1:vote:0")))
    )
    ref = posted.message_ref
    message_id = ref.split(":")[1]
    assert await messenger.deliver(
        _delivery(guild.id, Destination.channel(channel_id), op=Operation.PIN, ref=ref)
    ) == Delivered(ref)
    assert fake.pins[channel_id] == [message_id]
    updated = await messenger.deliver(
        _delivery(guild.id, Destination.channel(channel_id), message("Votes: 1"), op=Operation.UPDATE, ref=ref)
    )
    assert updated == Delivered(ref)
    assert fake.messages[message_id]["content"] == "Votes: 1"
    assert fake.messages[message_id]["components"] == []  # the update carried no buttons: closed poll
    await messenger.deliver(_delivery(guild.id, Destination.channel(channel_id), op=Operation.UNPIN, ref=ref))
    assert fake.pins[channel_id] == []


async def test_group_intro_is_a_private_thread_with_the_members(fake, rest_client):
    guild = fake.add_guild(channels=("general", "introductions"))
    intro_channel = list(guild.channels)[1]
    ana, bo = fake.add_member(guild, "ana"), fake.add_member(guild, "bo")
    messenger = DiscordMessenger(rest_client, intro_channel_id=int(intro_channel))
    msg = message(text(Mention(ana.id, "ana"), " meet ", Mention(bo.id, "bo"), ": ", UserText("@everyone hi")))
    delivery = _delivery(guild.id, Destination.group_dm([ana.id, bo.id]), msg, key="intro:9")
    result = await messenger.deliver(delivery)
    thread_id = result.message_ref.split(":")[0]
    thread = fake.threads[thread_id]
    assert thread["type"] == 12 and thread["parent_id"] == intro_channel
    assert fake.thread_members[thread_id] == {fake.bot.id, ana.id, bo.id}
    (post,) = fake.calls_to("POST", rf"^/channels/{thread_id}/messages$")
    assert pinged(post.json) == {"users": {ana.id, bo.id}, "roles": set(), "everyone": set()}
    assert "Ana & Bo" in thread["name"]
    # A resend finds the same thread and the same message.
    assert await messenger.deliver(delivery) == result
    assert len(fake.threads) == 1
    # A later message to the same pair (a reminder a week later, thread archived by then,
    # another process) goes to the same thread.
    fake.archive_thread(thread_id)
    later = DiscordMessenger(rest_client, intro_channel_id=int(intro_channel))
    reminder = await later.deliver(
        _delivery(guild.id, Destination.group_dm([bo.id, ana.id]), message("A friendly nudge"), key="remind:9")
    )
    assert reminder.message_ref.split(":")[0] == thread_id and len(fake.threads) == 1
    assert fake.threads[thread_id]["thread_metadata"]["archived"] is False


async def test_group_intro_without_a_channel_is_one_dm_each(fake, rest_client):
    guild = fake.add_guild()
    ana, bo = fake.add_member(guild, "ana"), fake.add_member(guild, "bo")
    result = await DiscordMessenger(rest_client).deliver(
        _delivery(guild.id, Destination.group_dm([ana.id, bo.id]), message("Meet each other"))
    )
    refs = result.message_ref.split(",")
    assert [r.split(":")[0] for r in refs] == [fake.dm_channels[ana.id], fake.dm_channels[bo.id]]


async def test_ephemeral_without_an_interaction_falls_back_to_dm_then_channel(fake, rest_client):
    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    cy = fake.add_member(guild, "cy")
    fake.close_dms(cy.id)
    result = await DiscordMessenger(rest_client).deliver(
        _delivery(guild.id, Destination.ephemeral(channel_id, cy.id), message("Please open your DMs"))
    )
    assert isinstance(result, Delivered) and result.message_ref.startswith(channel_id + ":")
    (post,) = fake.calls_to("POST", rf"^/channels/{channel_id}/messages$")
    assert pinged(post.json) == {"users": {cy.id}, "roles": set(), "everyone": set()}


async def test_images_are_attached_and_replaced_on_update(fake, rest_client, tmp_path):
    from bot.core.messages import Image

    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG fake")
    messenger = DiscordMessenger(rest_client)
    posted = await messenger.deliver(
        _delivery(guild.id, Destination.channel(channel_id), message("Stats", Image(str(chart), "votes chart")))
    )
    (post,) = fake.calls_to("POST", rf"^/channels/{channel_id}/messages$")
    assert post.json["_files"] == ["chart.png"] and post.json["nonce"]
    await messenger.deliver(
        _delivery(
            guild.id,
            Destination.channel(channel_id),
            message("Stats v2", Image(str(chart), "c")),
            op=Operation.UPDATE,
            ref=posted.message_ref,
        )
    )
    (edit,) = fake.calls_to("PATCH", rf"^/channels/{channel_id}/messages/\d+$")
    assert edit.json["_files"] == ["chart.png"] and edit.json["content"] == "Stats v2"


async def test_long_429_and_server_errors_go_back_to_the_outbox(fake, tmp_path):
    import discord

    guild = fake.add_guild()
    channel_id = next(iter(guild.channels))
    # Like the deliverer's client: discord.py sleeps through short 429s only (≤ 30 s).
    client = discord.Client(intents=discord.Intents.none(), max_ratelimit_timeout=30.0)
    await client.login(fake.token)
    try:
        messenger = DiscordMessenger(client)
        fake.rate_limit("POST", r"/messages$", times=1, retry_after=90)
        limited = await messenger.deliver(_delivery(guild.id, Destination.channel(channel_id), message("a")))
        assert limited == RetryLater(90, "rate limited")
        fake.fail("POST", r"/messages$", status=503)
        unavailable = await messenger.deliver(_delivery(guild.id, Destination.channel(channel_id), message("a")))
        assert isinstance(unavailable, RetryLater) and unavailable.reason != "rate limited"
        fake.fail("POST", r"/messages$", status=403, code=50013)
        forbidden = await messenger.deliver(_delivery(guild.id, Destination.channel(channel_id), message("a")))
        assert forbidden == PermanentFailure("missing_access", "403: injected failure")
        assert len(fake.channel_messages(channel_id)) == 0
        assert isinstance(
            await messenger.deliver(_delivery(guild.id, Destination.channel(channel_id), message("a"))), Delivered
        )
    finally:
        await client.close()
