"""Discord's global limit and DM channels kept in the database, through discord.py and the fake.

The scenario the independent check found: one send gets a per-route 429 while
another gets a global 429 with a longer `retry_after`. discord.py retries the
first as soon as its own wait ends — inside the global window. The fake records
every request that arrives inside a global window; nothing here is timed.
"""

from __future__ import annotations

import asyncio

import discord
from prometheus_client import REGISTRY

from adapters.discord.gate import GlobalGate
from adapters.discord.messenger import DiscordMessenger
from bot.core.messages import message
from bot.core.ports import Delivered, Delivery, Destination, Operation
from storage.migrate import upgrade
from storage.platform_state import DmChannels
from tests.fakes import PATIENCE
from tests.support.clocks import SleepClock


def _post(guild_id, channel_id, key):
    return Delivery(guild_id, Operation.POST, Destination.channel(channel_id), message(f"Intro {key}"), key)


async def _burst(fake, client, guild):
    """Two channels: one send meets a short per-route 429, another a longer global one."""
    first, second = list(guild.channels)[:2]
    fake.rate_limit("POST", rf"^/channels/{first}/messages$", times=1, retry_after=0.1)
    fake.rate_limit("POST", rf"^/channels/{second}/messages$", times=1, retry_after=0.6, is_global=True)
    messenger = DiscordMessenger(client)
    return await asyncio.gather(
        messenger.deliver(_post(guild.id, second, "b")),
        messenger.deliver(_post(guild.id, first, "a")),
    )


async def test_no_request_inside_a_global_retry_after(fake):
    guild = fake.add_guild(channels=("intros-1", "intros-2"))
    gate = GlobalGate()
    client = discord.Client(intents=discord.Intents.none(), http_trace=gate.trace_config())
    route = {"platform": "discord", "method": "POST /channels/{id}/messages"}
    limited = REGISTRY.get_sample_value("mentorbot_platform_rate_limited_total", route) or 0.0
    await client.login(fake.token)
    try:
        results = await _burst(fake, client, guild)
    finally:
        await client.close()
    assert all(isinstance(r, Delivered) for r in results)
    assert gate.global_429s == 1
    assert fake.inside_global == []
    # Both 429s are counted by route, channel ids left out of the label.
    assert REGISTRY.get_sample_value("mentorbot_platform_rate_limited_total", route) == limited + 2


async def test_discord_py_alone_sends_inside_the_global_window(fake):
    """The check above can fail: without the gate the per-route retry lands inside it."""
    guild = fake.add_guild(channels=("intros-1", "intros-2"))
    client = discord.Client(intents=discord.Intents.none())
    await client.login(fake.token)
    try:
        await _burst(fake, client, guild)
    finally:
        await client.close()
    assert fake.inside_global != []


async def test_dm_channels_survive_a_restart(fake, rest_client, sqlite_factory):
    guild = fake.add_guild()
    ana = fake.add_member(guild, "ana")
    db = sqlite_factory()
    await upgrade(db)
    try:
        for key in ("welcome", "reminder"):
            messenger = DiscordMessenger(rest_client, dm_channels=DmChannels(sqlite_factory(), "discord"))
            result = await messenger.deliver(
                Delivery(guild.id, Operation.POST, Destination.dm(ana.id), message("Hello"), key)
            )
            assert isinstance(result, Delivered)
            await messenger.dm_store.db.dispose()
    finally:
        await db.dispose()
    assert len(fake.calls_to("POST", r"^/users/@me/channels$")) == 1


async def test_opening_dms_too_fast_is_retried_later_and_pauses_create_dm(fake):
    """Discord's documented DM-opening limit answers 403 code 40003, not a 429: the introduction
    is not a permanent failure (the member did nothing), and Create DM pauses for every worker."""
    from adapters.discord.gate import CREATE_DM, DM_OPEN_PAUSE
    from bot.core.ports import RetryLater

    guild = fake.add_guild()
    ana = fake.add_member(guild, "ana")
    gate = GlobalGate()
    client = discord.Client(intents=discord.Intents.none(), http_trace=gate.trace_config())
    await client.login(fake.token)
    fake.fail("POST", r"^/users/@me/channels$", status=403, code=40003)
    try:
        result = await DiscordMessenger(client).deliver(
            Delivery(guild.id, Operation.POST, Destination.dm(ana.id), message("Meet your mentor"), "intro")
        )
    finally:
        await client.close()
    assert isinstance(result, RetryLater) and result.seconds >= 60
    paused_until = await gate.pacer.slots.take(f"discord:{CREATE_DM}", gate.pacer.clock(), 0.0)
    assert paused_until > DM_OPEN_PAUSE - 10  # the bucket is held for about a minute


async def test_the_gate_paces_a_learned_bucket_and_keeps_an_emptied_window_shut():
    """What the intros bench found (bench/RESULTS.md): discord.py counts a bucket from the responses
    it has seen, per process, and sent Create DMs into windows Discord had already filled. The
    gate spreads a learned bucket's requests `window / limit` apart, sends each only once the
    previous one is answered, and, when a response says `Remaining: 0`, lets no request of that
    bucket out before `Reset-After`."""
    from types import SimpleNamespace

    from yarl import URL

    from adapters.pacing import DISCORD_ROUTE_CATCH_UP, DISCORD_ROUTE_MARGIN, Pacer

    clock = SleepClock()
    gate = GlobalGate(Pacer(clock=clock, sleep=clock.sleep))
    url = URL("http://127.0.0.1/api/v10/users/@me/channels")
    sent: list[float] = []

    async def create_dm(remaining: int, reset_after: float) -> None:
        context = SimpleNamespace()  # aiohttp's per-request trace context
        await gate._before(None, context, SimpleNamespace(method="POST", url=url))  # type: ignore[arg-type]
        sent.append(clock.now)
        headers = {
            "X-RateLimit-Limit": "3",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset-After": str(reset_after),
        }
        response = SimpleNamespace(status=200, headers=headers)
        await gate._after(None, context, SimpleNamespace(method="POST", url=url, response=response))  # type: ignore[arg-type]

    await create_dm(2, 0.5)  # the first teaches the bucket: 3 per 0.5 s
    await create_dm(1, 0.3)
    await create_dm(0, 0.1)  # the window is full for 0.1 s more
    await create_dm(2, 0.5)
    # Evenly once learned (a late turn may be dated back by a quarter interval), never into a full window.
    interval = 0.5 / 3 * DISCORD_ROUTE_MARGIN
    assert sent[2] - sent[1] >= interval * (1 - DISCORD_ROUTE_CATCH_UP)
    assert sent[3] - sent[2] >= interval * (1 - DISCORD_ROUTE_CATCH_UP) and sent[3] >= sent[2] + 0.1
    assert gate.buckets["POST /users/@me/channels"] == (3, 0.5)

    # The next request of a bucket waits for the previous answer (whose `Remaining: 0` would
    # hold the window), however early its turn comes.
    first, second = SimpleNamespace(), SimpleNamespace()
    request = SimpleNamespace(method="POST", url=url)
    await gate._before(None, first, request)  # type: ignore[arg-type]
    waiting = asyncio.create_task(gate._before(None, second, request))  # type: ignore[arg-type]
    for _ in range(20):
        await asyncio.sleep(0)
    assert not waiting.done()
    answer = SimpleNamespace(status=200, headers={"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "1"})
    await gate._after(None, first, SimpleNamespace(method="POST", url=url, response=answer))  # type: ignore[arg-type]
    await asyncio.wait_for(waiting, PATIENCE)

    # A bot-wide route Discord answers without rate-limit headers is not paced once answered.
    user = SimpleNamespace(method="GET", url=URL("http://127.0.0.1/api/v10/users/123456789"))
    looked_up = SimpleNamespace()
    await gate._before(None, looked_up, user)  # type: ignore[arg-type]
    no_headers = SimpleNamespace(status=200, headers={})
    await gate._after(None, looked_up, SimpleNamespace(method="GET", url=user.url, response=no_headers))  # type: ignore[arg-type]
    started = clock.now
    await asyncio.gather(*(gate._before(None, SimpleNamespace(), user) for _ in range(3)))  # type: ignore[arg-type]
    assert clock.now - started < 0.1  # three at once: no lease, no turn a second


async def test_a_lease_left_by_a_dead_worker_runs_out():
    """A worker that took a bucket's turn and died before its answer blocks the bucket for the
    lease, not for ever."""
    from adapters.pacing import DISCORD_LEASE, MemorySlots, Pacer

    clock = SleepClock()
    slots = MemorySlots()
    dead = Pacer(slots, clock=clock, sleep=clock.sleep)
    alive = Pacer(slots, clock=clock, sleep=clock.sleep)
    await dead.turn("discord:POST /users/@me/channels", 0.1, lease=DISCORD_LEASE)  # never released
    started = clock.now
    owner = await alive.turn("discord:POST /users/@me/channels", 0.1, lease=DISCORD_LEASE)
    assert DISCORD_LEASE <= clock.now - started < DISCORD_LEASE + 0.1
    # A release by the dead worker's lease (say it was only slow) leaves the new lease alone.
    await dead.release("discord:POST /users/@me/channels", "someone-else", 0.0)
    assert await slots.take("discord:POST /users/@me/channels", clock.now + 1, 0.1, owner="x", lease_until=9e9) > 0
    await alive.release("discord:POST /users/@me/channels", owner, 0.0)
    assert await slots.take("discord:POST /users/@me/channels", clock.now + 1, 0.1, owner="x", lease_until=9e9) == 0


class _Worker:
    """One worker of the bot: its own database engine, pacing slots, gate and discord.py client."""

    def __init__(self, factory, gate_kind=GlobalGate) -> None:
        from adapters.pacing import Pacer
        from storage.platform_state import DbPacingSlots

        self.db = factory()
        self.gate = gate_kind(Pacer(DbPacingSlots(self.db)))
        self.client = discord.Client(intents=discord.Intents.none(), http_trace=self.gate.trace_config())

    async def open_dm(self, user_id: str):
        user = await self.client.fetch_user(int(user_id))
        return await user.create_dm()

    async def close(self) -> None:
        await self.client.close()
        await self.db.dispose()


class _NoLease(GlobalGate):
    """The gate as it was before the lease: only this process's previous request is waited for."""

    def _leased(self, key: str) -> bool:
        return False


async def _calls(fake, method: str, path: str, count: int) -> None:
    await _until(lambda: len(fake.calls_to(method, path)) >= count)


async def _second_worker_during_a_slow_answer(fake, factory, second_gate, window: float):
    """Worker 1 opens a DM; Discord counts it (the window of Create DM, 1 per `window` seconds,
    is now full) but its answer is slow. Meanwhile worker 2 opens another DM."""
    from tests.fakes.discord.buckets import dm_create

    guild = fake.add_guild()
    ana, ben = fake.add_member(guild, "ana"), fake.add_member(guild, "ben")
    setup = factory()
    await upgrade(setup)
    await setup.dispose()
    one, two = _Worker(factory), _Worker(factory, second_gate)
    for worker in (one, two):
        await worker.client.login(fake.token)
    users = [await one.client.fetch_user(int(m.id)) for m in (ana, ben)]
    buckets = fake.enforce_buckets([dm_create(1, window)])
    answer = fake.stall_answers("POST", r"^/users/@me/channels$")
    first = asyncio.create_task(users[0].create_dm())
    await asyncio.wait_for(_calls(fake, "POST", r"^/users/@me/channels$", 1), PATIENCE)
    second = asyncio.create_task(two.client.http.start_private_message(users[1].id))
    return one, two, buckets, answer, first, second


async def test_a_second_workers_request_waits_for_the_first_ones_answer(fake, any_factory):
    """The lease across workers (bench/RESULTS.md: 2 of 10,000 Create DMs early with 4 workers
    without it): worker 2's Create DM does not leave while worker 1's is unanswered, and once
    the answer says the window is full, not before it refills."""
    one, two, buckets, answer, first, second = await _second_worker_during_a_slow_answer(
        fake,
        any_factory,
        GlobalGate,
        window=1.0,  # waited out: short
    )
    try:
        # Worker 2 has asked for its turn and been told to wait (the lease), and sent nothing.
        await asyncio.wait_for(_until(lambda: two.gate.pacer.waited > 0), PATIENCE)
        assert len(fake.calls_to("POST", r"^/users/@me/channels$")) == 1
        answer.set()
        await asyncio.wait_for(asyncio.gather(first, second), PATIENCE)
    finally:
        answer.set()
        await one.close()
        await two.close()
    calls = fake.calls_to("POST", r"^/users/@me/channels$")
    assert [c.status for c in calls] == [200, 200]
    assert buckets.violations == []  # the second came after the window had refilled


async def test_without_the_lease_a_second_worker_oversteps_the_bucket(fake, sqlite_factory):
    """The check above can fail: without the lease worker 2's request reaches Discord while
    worker 1's answer is on its way, into the full window."""
    one, two, buckets, answer, first, second = await _second_worker_during_a_slow_answer(
        fake,
        sqlite_factory,
        _NoLease,
        window=30.0,  # never waited out: long, so a busy machine still sees the overstep
    )
    try:
        await asyncio.wait_for(_until(lambda: buckets.violations != []), PATIENCE)
        assert len(fake.calls_to("POST", r"^/users/@me/channels$")) >= 2
    finally:
        answer.set()
        for request in (first, second):  # the checks are done: no need to wait out discord.py's retry
            request.cancel()
        await asyncio.gather(first, second, return_exceptions=True)
        await one.close()
        await two.close()
    assert buckets.violations[0].reason == "bucket"


async def _until(condition) -> None:
    """Until `condition()` holds, looking every 10 ms (callers bound it with wait_for)."""
    for _ in range(10**6):
        if condition():
            return
        await asyncio.sleep(0.01)
