"""The whole interest-poll lifecycle through the real core, the real discord.py client
(`adapters.discord.main.serve`) and the fake Discord.

slash command → poll message with buttons (pinned) → clicks from several members →
a click after a client restart → close → results, unpin and invitation DMs; a member
with closed DMs (50007) is marked unreachable, told once and the moderator is told;
mention injection pings nobody.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from adapters.discord.main import serve
from bot.core.settings import Settings
from tests.fakes import PATIENCE
from tests.fakes.discord import pinged

QUESTION = "Would you join a mentorship program? @everyone <@&{role}> **now**"


class Server:
    """`mentorbot run` with DISCORD_TOKEN set, as a task we can stop and start again."""

    def __init__(self, settings: Settings, env: dict[str, str], fake) -> None:
        self.settings, self.env, self.fake = settings, env, fake
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(serve(self.settings, self.env))
        waiter = asyncio.create_task(self.fake.wait_connected())
        done, _ = await asyncio.wait({self.task, waiter}, timeout=PATIENCE, return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            waiter.cancel()
            self.task.result()
        await waiter

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        await self.fake.drop_connections()


@pytest.fixture
async def server(fake, tmp_path):
    guild = fake.add_guild("Mentor Guild", channels=("general", "mods"))
    settings = replace(Settings(), database_url=f"sqlite+aiosqlite:///{tmp_path / 'mentorbot.db'}", sweep_seconds=3600)
    env = {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GUILD_ID": guild.id,
        "MENTORBOT_DATA_DIR": str(tmp_path / "data"),
    }
    running = Server(settings, env, fake)
    await running.start()
    yield running, guild
    await running.stop()


def _buttons(message: dict) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message["components"] for c in row["components"]}


def _embed_text(message: dict) -> str:
    return "\n".join(f"{f['name']}: {f['value']}" for e in message.get("embeds", []) for f in e.get("fields", []))


async def _wait(predicate, timeout: float = PATIENCE) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_poll_lifecycle_with_restart_closed_dms_and_mention_injection(fake, server):
    running, guild = server
    general, mods = list(guild.channels)
    role = fake.add_role(guild, "Everyone-ish")
    alice, bob, cara, dan = (fake.add_member(guild, n) for n in ("alice", "bob", "cara", "dan"))
    fake.close_dms(bob.id)
    owner = guild.owner_id

    # The moderator (server owner: Manage Server) sends alerts to #mods and starts a poll.
    await fake.slash(guild, mods, owner, "modchannel", command="mentor-admin")
    await fake.wait_for_call("PATCH", r"^/webhooks/")
    slash = await fake.slash(
        guild,
        general,
        owner,
        "poll create",
        {"question": QUESTION.format(role=role), "closes": "3d"},
        command="mentor-admin",
    )
    assert fake.response_to(slash) is None or fake.response_to(slash)["type"] == 5
    (post,) = await fake.wait_for_call("POST", rf"^/channels/{general}/messages$")
    poll_message = fake.messages[post.response["id"]]
    await fake.wait_for_call("PUT", rf"^/channels/{general}/messages/pins/{poll_message['id']}$")
    assert fake.response_to(slash)["type"] == 5  # deferred within the 3 seconds, then answered
    reply = [c for c in fake.followups_for(slash) if c.method == "PATCH"][0]
    assert "posted" in reply.json["content"].lower()
    assert post.json["nonce"] and post.json["enforce_nonce"] is True
    buttons = _buttons(poll_message)
    assert set(buttons) == {"I'd mentor", "I'd like a mentor", "Both", "Not now"}
    assert all(len(cid) <= 100 and cid.startswith("mentor:poll:") for cid in buttons.values())

    # Several members click; each gets a private confirmation and the poll message is updated.
    clicks = [(alice, "I'd mentor"), (bob, "I'd like a mentor"), (cara, "Both")]
    for count, (member, label) in enumerate(clicks, start=1):
        click = await fake.click(guild, member.id, poll_message["id"], buttons[label])
        await fake.wait_for_call("PATCH", rf"^/channels/{general}/messages/{poll_message['id']}$", count=count)
        assert fake.response_to(click)["type"] == 6
        (confirm,) = await fake.wait_for_call("POST", rf"^/webhooks/\d+/{click['token']}$")
        assert confirm.json["flags"] == 64 and "You voted" in confirm.json["content"]
    tally = _embed_text(fake.messages[poll_message["id"]])
    assert "I'd mentor: 1 vote" in tally and "Both: 1 vote" in tally

    # Restart the whole process: the click on the old message still works (DynamicItem, no view).
    await running.stop()
    await running.start()
    late = await fake.click(guild, dan.id, poll_message["id"], buttons["I'd like a mentor"])
    (confirm,) = await fake.wait_for_call("POST", rf"^/webhooks/\d+/{late['token']}$")
    assert "You voted" in confirm.json["content"]
    await fake.wait_for_call("PATCH", rf"^/channels/{general}/messages/{poll_message['id']}$", count=4)
    assert "I'd like a mentor: 2 votes" in _embed_text(fake.messages[poll_message["id"]])

    # Close: results posted, poll unpinned and its buttons removed, invitations by DM.
    closing = await fake.slash(guild, general, owner, "poll close", {"id": 1}, command="mentor-admin")
    await fake.wait_for_call("DELETE", rf"^/channels/{general}/messages/pins/{poll_message['id']}$")
    results = await fake.wait_for_call("POST", rf"^/channels/{general}/messages$", count=2)
    assert "Poll results" in results[-1].json["content"]
    await _wait(lambda: fake.messages[poll_message["id"]]["components"] == [])
    for member in (alice, cara, dan):
        await fake.wait_for_call(
            "POST", r"^/users/@me/channels$", where=lambda c, m=member: c.json == {"recipient_id": int(m.id)}
        )
    await _wait(lambda: all(fake.channel_messages(fake.dm_channels.get(m.id, "-")) for m in (alice, cara, dan)))
    invite = fake.channel_messages(fake.dm_channels[alice.id])[0]
    assert _buttons(invite) and "Thanks for saying" in invite["content"]
    assert fake.response_to(closing)["type"] == 5

    # Bob's DMs are closed: tried exactly once, the moderators' channel is told.
    bob_dm = fake.dm_channels[bob.id]
    await _wait(lambda: any("DMs are closed" in m["content"] for m in fake.channel_messages(mods)))
    assert len(fake.calls_to("POST", rf"^/channels/{bob_dm}/messages$")) == 1
    # Bob is told once, privately, the next time he uses the bot.
    first = await fake.slash(guild, general, bob.id, "polls")
    (answer,) = await fake.wait_for_call("PATCH", rf"^/webhooks/\d+/{first['token']}/")
    texts = [answer.json.get("content", "")] + [
        c.json.get("content", "") for c in fake.followups_for(first) if c.method == "POST"
    ]
    await _wait(lambda: len(fake.followups_for(first)) >= 2)
    texts = [c.json.get("content", "") for c in fake.followups_for(first)]
    assert sum("could not send you a direct message" in t for t in texts) == 1
    second = await fake.slash(guild, general, bob.id, "polls")
    await fake.wait_for_call("PATCH", rf"^/webhooks/\d+/{second['token']}/")
    await asyncio.sleep(0.1)  # any extra follow-up would have been sent by now
    assert not any("could not send you" in (c.json.get("content") or "") for c in fake.followups_for(second))
    assert len(fake.calls_to("POST", rf"^/channels/{bob_dm}/messages$")) == 1  # still never retried

    # Mention injection: the question held @everyone and a role mention; nothing pinged anyone.
    sent = [
        c
        for c in fake.calls
        if c.method in ("POST", "PATCH")
        and isinstance(c.json, dict)
        and ("/messages" in c.path or c.path.startswith("/webhooks/") or c.path.endswith("/callback"))
    ]
    assert sent
    for call in sent:
        body = call.json.get("data", call.json) if call.path.endswith("/callback") else call.json
        if "content" not in body and "embeds" not in body:
            continue
        assert "allowed_mentions" in body, call
        assert pinged(body) == {"users": set(), "roles": set(), "everyone": set()}, (call, body)
    assert "@everyone" not in fake.messages[poll_message["id"]]["content"]
    assert f"<@&{role}>" not in fake.messages[poll_message["id"]]["content"]


async def test_dates_and_durations_are_suggested_and_what_was_typed_stays(fake, server):
    running, guild = server
    general = next(iter(guild.channels))
    member = fake.add_member(guild, "gus")
    typing = await fake.autocomplete(guild, general, member.id, "goal set", "by", "", others={"goal": "Ship it"})
    await fake.wait_for_call("POST", rf"^/interactions/{typing['id']}/")
    response = fake.response_to(typing)
    assert response["type"] == 8
    values = [c["value"] for c in response["data"]["choices"]]
    assert {"3d", "1w", "2w"} <= set(values)
    typing = await fake.autocomplete(
        guild, general, guild.owner_id, "poll create", "closes", "friday 9:00", command="mentor-admin"
    )
    await fake.wait_for_call("POST", rf"^/interactions/{typing['id']}/")
    choices = fake.response_to(typing)["data"]["choices"]
    assert choices[0] == {"name": "friday 9:00", "value": "friday 9:00"}  # a free string: the core reads it
    assert all(len(c["name"]) <= 100 for c in choices) and len(choices) <= 25
