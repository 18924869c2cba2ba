"""Shared platform state: DM channels that are already open, and pacing slots.

Both are used by the platform messengers (adapters/*/messenger.py), which know
nothing of sessions: `DmChannels` and `DbPacingSlots` each take the `Database`
and run their own short unit of work per call.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import delete, or_, select, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database
from storage.tables.platform import DmChannel

CACHE_LIMIT = 50_000  # DM channel ids kept in process memory in front of the table


def members_key(user_ids: Iterable[str]) -> str:
    """The same key for the same members in any order."""
    return ",".join(sorted(set(user_ids)))


class DmChannels:
    """Opened DM/group DM channel ids, in the database (shared, durable) with a
    small in-process cache in front (a channel id never changes once opened)."""

    def __init__(self, db: Database, platform: str) -> None:
        self.db = db
        self.platform = platform
        self._cache: dict[tuple[str, str], str] = {}

    async def get(self, community: str, user_ids: Iterable[str]) -> str | None:
        key = (community, members_key(user_ids))
        if key in self._cache:
            return self._cache[key]
        async with self.db.unit() as session:
            row = await session.get(DmChannel, (self.platform, community, key[1]))
            channel = row.channel_id if row is not None else None
        if channel is not None:
            self._remember(key, channel)
        return channel

    async def put(self, community: str, user_ids: Iterable[str], channel_id: str, now: datetime | None = None) -> None:
        key = (community, members_key(user_ids))
        async with self.db.unit() as session:
            row = await session.get(DmChannel, (self.platform, community, key[1]))
            if row is None:
                session.add(
                    DmChannel(
                        platform=self.platform,
                        community_external_id=community,
                        members=key[1],
                        channel_id=channel_id,
                        opened_at=now or datetime.now(UTC),
                    )
                )
            else:
                row.channel_id = channel_id
        self._remember(key, channel_id)

    def _remember(self, key: tuple[str, str], channel: str) -> None:
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()  # the table still has them
        self._cache[key] = channel

    def forget(self, community: str, user_id: str) -> None:
        """Drop cached ids naming `user_id` (the rows go with forget_dm_channels)."""
        for key in [k for k in self._cache if k[0] == community and user_id in k[1].split(",")]:
            del self._cache[key]


async def forget_dm_channels(session: AsyncSession, platform: str, community: str, user_id: str) -> int:
    """Forget-me: delete every opened DM or group DM that names the member."""
    members = col(DmChannel.members)
    named = or_(
        members == user_id,
        members.startswith(user_id + ",", autoescape=True),
        members.endswith("," + user_id, autoescape=True),
        members.contains("," + user_id + ",", autoescape=True),
    )
    result = await session.execute(
        delete(DmChannel).where(
            col(DmChannel.platform) == platform, col(DmChannel.community_external_id) == community, named
        )
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def dm_channels_of(session: AsyncSession, platform: str, community: str) -> list[DmChannel]:
    """Every opened DM of a community (tests and the bench check persistence with it)."""
    rows = await session.execute(
        select(DmChannel).where(col(DmChannel.platform) == platform, col(DmChannel.community_external_id) == community)
    )
    return list(rows.scalars())


_CREATE = text("INSERT INTO pacing_slot (bucket, next_at) VALUES (:bucket, 0) ON CONFLICT DO NOTHING")
# The next turn is `interval` after the later of when the bucket fell free and `since`
# (now − catch-up): a late taker does not push every later turn back by its lateness.
_NEXT = "next_at = CASE WHEN next_at > :since THEN next_at ELSE :since END + :interval"
_TAKE = text(f"UPDATE pacing_slot SET {_NEXT} WHERE bucket = :bucket AND next_at <= :now RETURNING next_at")
# A leased turn: the bucket must also be out of lease (no request of it in flight).
_TAKE_LEASED = text(
    f"UPDATE pacing_slot SET {_NEXT}, lease_until = :lease_until, lease_owner = :owner"
    " WHERE bucket = :bucket AND next_at <= :now AND lease_until <= :now RETURNING next_at"
)
_FREE_AT = text("SELECT next_at, lease_until FROM pacing_slot WHERE bucket = :bucket")
_HOLD = text(
    "UPDATE pacing_slot SET next_at = CASE WHEN next_at > :until THEN next_at ELSE :until END WHERE bucket = :bucket"
)
# The answer's hold and the lease's end in one write: no turn can come between them.
_RELEASE = text(
    "UPDATE pacing_slot SET next_at = CASE WHEN next_at > :until THEN next_at ELSE :until END,"
    " lease_until = CASE WHEN lease_owner = :owner THEN 0 ELSE lease_until END WHERE bucket = :bucket"
)
# PostgreSQL: the take and, when it fails, what the bucket is waiting for, in one round
# trip (the outer SELECT sees the row as it was before the UPDATE, which is what a
# failed take needs).
_TAKE_OR_WAIT_PG = (
    "WITH taken AS ({update}) SELECT (SELECT count(*) FROM taken) AS taken, next_at, lease_until"
    " FROM pacing_slot WHERE bucket = :bucket"
)
_TAKE_PG = text(_TAKE_OR_WAIT_PG.format(update=_TAKE.text))
_TAKE_LEASED_PG = text(_TAKE_OR_WAIT_PG.format(update=_TAKE_LEASED.text))
_NO_HOLD = -1e18  # "not held": earlier than any clock


def _wait(free_at: float, leased_until: float, now: float, poll: float, leased: bool) -> float:
    wait = float(free_at) - now
    if leased and float(leased_until) > now:
        wait = max(wait, min(float(leased_until) - now, poll))
    return max(wait, 1e-3)


class DbPacingSlots:
    """Pacing slots every worker takes from the same table: one UPDATE takes the bucket
    when it is free at `now` (and, for a leased turn, not leased) and moves it on by
    `interval`; otherwise the caller learns when to look again and sleeps until then.
    On PostgreSQL every statement commits on its own (see `_autocommit`) and a take is a
    single round trip."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: set[str] = set()

    async def _ensure(self, session: Any, bucket: str) -> None:
        if bucket not in self._known:
            await session.execute(_CREATE, {"bucket": bucket})
            self._known.add(bucket)

    async def take(
        self,
        bucket: str,
        now: float,
        interval: float,
        catch_up: float = 0.0,
        *,
        owner: str = "",
        lease_until: float = 0.0,
        poll: float = 0.005,
    ) -> float:
        values = {"bucket": bucket, "now": now, "interval": interval, "since": now - catch_up}
        if owner:
            values.update(owner=owner, lease_until=lease_until)
        if not self.db.is_sqlite:
            row = await self._autocommit(bucket, _TAKE_LEASED_PG if owner else _TAKE_PG, values)
            return 0.0 if row.taken else _wait(row.next_at, row.lease_until, now, poll, bool(owner))
        async with self.db.unit() as session:
            await self._ensure(session, bucket)
            if (await session.execute(_TAKE_LEASED if owner else _TAKE, values)).first() is not None:
                return 0.0
            row = (await session.execute(_FREE_AT, {"bucket": bucket})).one()
        return _wait(row.next_at, row.lease_until, now, poll, bool(owner))

    async def _autocommit(self, bucket: str, statement: Any, values: dict[str, Any]) -> Any:
        """PostgreSQL: each statement commits on its own, so the bucket's row is locked only
        while the server runs it — not until a busy worker's event loop gets round to
        sending COMMIT (every other worker's take queued behind that lock: the Discord
        bench's 4 workers at a third of the ceiling). A connection found broken (the
        server restarted) is dropped and the statement runs once more on a new one."""
        for attempt in (1, 2):
            try:
                async with self.db.autocommit_engine().connect() as connection:
                    await self._ensure(connection, bucket)
                    result = await connection.execute(statement, values)
                    return result.one() if result.returns_rows else None
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        return None  # not reached

    async def hold(self, bucket: str, until: float) -> None:
        await self._write(_HOLD, bucket, {"bucket": bucket, "until": until})

    async def release(self, bucket: str, owner: str, until: float) -> None:
        await self._write(_RELEASE, bucket, {"bucket": bucket, "owner": owner, "until": max(until, _NO_HOLD)})

    async def _write(self, statement: Any, bucket: str, values: dict[str, Any]) -> None:
        if not self.db.is_sqlite:
            await self._autocommit(bucket, statement, values)
            return
        async with self.db.unit() as session:
            await self._ensure(session, bucket)
            await session.execute(statement, values)
