"""The durable inbox: persist, then acknowledge.

An adapter saves every inbound event here — one short insert, committed — before it
acknowledges the platform (`Inbox.receive`). A crash after the ack loses nothing:
the row is still open and `Inbox.claim_open` hands it out again at start-up (or,
with several PostgreSQL workers, once its holder's lease or heartbeat is gone).

Exactly once: the core marks the row handled inside the unit of work that applies
the event (`mark_handled`), so a platform retry, a second worker or a resume finds it
handled and changes nothing. The private replies the event produced are kept on the
row in that same transaction (`keep_replies`) until the adapter has sent them
(`Inbox.finish`), so a crash between the commit and the reply still reaches the
member after the restart. Events of one member run in arrival order (`MemberTurns`).

The platform's event key (`(platform, team, key)` unique) replaces the old
seen-events table. Rows live on for a while after they are finished so late
platform retries still find them; `prune_inbox` removes them after two days.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import and_, bindparam, delete, event, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core import metrics
from bot.core.messages import Message
from bot.core.ports import Clock
from storage.db import Database
from storage.tables import InboxEvent

log = logging.getLogger(__name__)

SAVE_TIMEOUT = 2.0  # seconds; a slower save is answered 503 rather than acknowledged unsaved
TURN_WAIT = 10.0  # seconds a member's event waits for their earlier one before going ahead
LEASE = timedelta(minutes=2)  # one event's work takes well under a second; a dead holder's rows wait this long at most
KEEP_FINISHED = timedelta(days=2)  # platforms retry within minutes; two days is generous


class InboxUnavailable(Exception):
    """The event could not be saved in time: the adapter must not acknowledge it."""


class AlreadyHandled(Exception):
    """This platform event was applied already (a platform retry, a second worker, a resume)."""


@dataclass(frozen=True)
class Ticket:
    """A saved event as the adapter sees it."""

    id: int
    fresh: bool  # False: the platform sent this event before (a retry); do not work on it again
    member_key: str


@dataclass(frozen=True)
class OpenEvent:
    """An inbox row to work on again after a crash (or whose replies were not sent)."""

    id: int
    platform: str
    team_id: str
    event_key: str
    member_key: str
    kind: str
    payload: str | None
    handled: bool
    replies: list[Message]


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


class Inbox:
    def __init__(self, db: Database, clock: Clock, *, worker_id: str | None = None) -> None:
        self.db = db
        self.clock = clock
        self.worker_id = worker_id or worker_name()
        self.turns = MemberTurns()
        # The save before an ack gets a connection of its own: on the core's pool it would
        # queue behind every unit of work in flight (SQLite has one connection per process),
        # and a burst of work would then hold up the acks (bench/ack.py).
        self._saver: Database | None = None

    def _save_db(self) -> Database:
        if self._saver is None:
            self._saver = Database(self.db.url.render_as_string(hide_password=False), schema=self.db.schema)
            if self.db.is_sqlite:
                # Never wait on SQLite's lock inside the event loop (the driver runs in place):
                # a busy database fails at once and the save is retried after a yield.
                event.listen(self._saver.engine.sync_engine, "connect", _no_busy_wait)
        return self._saver

    async def open(self) -> None:
        """Open the saver's connection at start-up, so the first ack does not pay for it (the
        engine, the connection, SQLite's pragmas)."""
        async with self._save_db().engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def close(self) -> None:
        if self._saver is not None:
            await self._saver.dispose()
            self._saver = None

    async def receive(
        self, platform: str, team_id: str, event_key: str, member_key: str, kind: str, payload: dict[str, Any]
    ) -> Ticket:
        """Save the event (committed) or raise InboxUnavailable; within SAVE_TIMEOUT seconds."""
        try:
            ticket = await asyncio.wait_for(
                self._insert(platform, team_id, event_key[:200], member_key[:64], kind, payload), SAVE_TIMEOUT
            )
        except Exception as exc:
            # Ids only: the payload holds what the member typed.
            log.error(
                "inbox: could not save %s %s from %s in time (%r); not acknowledging", kind, event_key, member_key, exc
            )
            raise InboxUnavailable(event_key) from exc
        if ticket.fresh:
            self.turns.arrived(ticket.member_key, ticket.id)
        metrics.EVENTS_RECEIVED.labels(platform, kind).inc()
        log.debug(
            "inbox: saved %s %s (row %s) from %s%s",
            kind,
            event_key,
            ticket.id,
            member_key,
            "" if ticket.fresh else " again",
        )
        return ticket

    async def _insert(
        self, platform: str, team_id: str, event_key: str, member_key: str, kind: str, payload: dict[str, Any]
    ) -> Ticket:
        now = self.clock.now()
        values = {
            "platform": platform,
            "team_id": team_id,
            "event_key": event_key,
            "member_key": member_key,
            "kind": kind,
            "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            "received_at": now,
            "claimed_by": self.worker_id,
            "claimed_until": now + LEASE,
        }
        while True:
            try:
                return await self._insert_once(values)
            except OperationalError as exc:
                if not self.db.is_sqlite or "locked" not in str(exc):
                    raise
                await asyncio.sleep(0.002)  # another unit of work holds the write lock: let it finish

    async def _insert_once(self, values: dict[str, Any]) -> Ticket:
        # A Core statement on a connection, not the ORM session: the save runs on the event loop
        # before the ack, and the session's bulk-insert path added ~0.07 ms of CPU to its ~0.4.
        async with self._save_db().engine.begin() as connection:
            row_id = (await connection.execute(_save_statement(connection.dialect.name), values)).scalar_one_or_none()
            if row_id is not None:
                return Ticket(row_id, True, values["member_key"])
            existing = (await connection.execute(_find_statement(), _key_params(values))).scalar_one()
            return Ticket(existing, False, values["member_key"])

    async def finish(self, row_id: int) -> None:
        """The adapter is done with the row: replies sent (or none), never worked on again."""
        try:
            async with self.db.unit() as session:
                await session.execute(_finish_statement(), {"row": row_id, "now": self.clock.now()})
        except Exception:
            # Left open: a resume sends the kept replies again rather than losing them.
            log.exception("inbox: could not finish row %s", row_id)

    async def claim_open(self, platform: str | None = None, limit: int = 100) -> list[OpenEvent]:
        """Claim unfinished rows (of `platform`) nobody holds (lease over or released), oldest first."""
        now = self.clock.now()
        async with self.db.unit() as session:
            free = or_(col(InboxEvent.claimed_until).is_(None), col(InboxEvent.claimed_until) < now)
            mine = [col(InboxEvent.platform) == platform] if platform else []
            ids = (
                (
                    await session.execute(
                        select(col(InboxEvent.id))
                        .where(col(InboxEvent.finished_at).is_(None), free, *mine)
                        .order_by(col(InboxEvent.id))
                        .limit(limit)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            if not ids:
                return []
            await session.execute(
                update(InboxEvent)
                .where(col(InboxEvent.id).in_(ids), col(InboxEvent.finished_at).is_(None), free)
                .values(claimed_by=self.worker_id, claimed_until=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            rows = (
                (
                    await session.execute(
                        select(InboxEvent)
                        .where(col(InboxEvent.id).in_(ids), col(InboxEvent.claimed_by) == self.worker_id)
                        .order_by(col(InboxEvent.id))
                    )
                )
                .scalars()
                .all()
            )
        events = [_open_event(row) for row in rows]
        for opened in events:
            self.turns.arrived(opened.member_key, opened.id)
        return events

    async def release(self, *, holders: list[str] | None = None, everyone: bool = False) -> int:
        """Give unfinished rows back: this worker's (stopping), named dead workers', or all (SQLite start-up)."""
        async with self.db.unit() as session:
            where = [col(InboxEvent.finished_at).is_(None), col(InboxEvent.claimed_by).is_not(None)]
            if not everyone:
                where.append(col(InboxEvent.claimed_by).in_(holders if holders is not None else [self.worker_id]))
            result = await session.execute(
                update(InboxEvent)
                .where(*where)
                .values(claimed_by=None, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def open_count(self) -> int:
        async with self.db.unit() as session:
            rows = await session.execute(select(col(InboxEvent.id)).where(col(InboxEvent.finished_at).is_(None)))
            return len(rows.all())


def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


def _insert_or_nothing(session: AsyncSession) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the database's own dialect (a retry is not an error)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(InboxEvent).on_conflict_do_nothing(constraint="uq_inbox_event")
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(InboxEvent).on_conflict_do_nothing()


# Statements run for every event are built once with bind parameters: building a statement
# and its cache key costs more than running it on SQLite (bench/ack.py, RESULTS "Durable inbox").
_SAVED = (
    "platform",
    "team_id",
    "event_key",
    "member_key",
    "kind",
    "payload",
    "received_at",
    "claimed_by",
    "claimed_until",
)


_INBOX: Any = InboxEvent.__table__  # type: ignore[attr-defined]  # the table itself: statements on it skip the ORM's insert path


@cache
def _save_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id (a platform retry is not an error)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        base: Any = pg_insert(_INBOX).on_conflict_do_nothing(constraint="uq_inbox_event")
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        base = sqlite_insert(_INBOX).on_conflict_do_nothing()
    return base.values({name: bindparam(name) for name in _SAVED}).returning(_INBOX.c.id)


def _key_params(values: dict[str, Any]) -> dict[str, Any]:
    return {"k_platform": values["platform"], "k_team": values["team_id"], "k_key": values["event_key"]}


def _bound_key() -> Any:
    return and_(
        col(InboxEvent.platform) == bindparam("k_platform"),
        col(InboxEvent.team_id) == bindparam("k_team"),
        col(InboxEvent.event_key) == bindparam("k_key"),
    )


@cache
def _find_statement() -> Any:
    return select(col(InboxEvent.id)).where(_bound_key())


@cache
def _finish_statement() -> Any:
    from sqlalchemy import func

    moment = InboxEvent.__table__.c.finished_at.type  # type: ignore[attr-defined]
    return (
        update(InboxEvent)
        .where(col(InboxEvent.id) == bindparam("row"))
        .values(
            finished_at=bindparam("now", type_=moment),
            handled_at=func.coalesce(InboxEvent.handled_at, bindparam("now", type_=moment)),
            replies=None,
            claimed_by=None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )


@cache
def _mark_statement() -> Any:
    return (
        update(InboxEvent)
        .where(_bound_key(), InboxEvent.handled_at.is_(None))  # type: ignore[union-attr]
        .values(handled_at=bindparam("now"))
        .execution_options(synchronize_session=False)
    )


@cache
def _replies_statement() -> Any:
    return (
        update(InboxEvent)
        .where(_bound_key(), InboxEvent.finished_at.is_(None))  # type: ignore[union-attr]
        .values(replies=bindparam("replies"))
        .execution_options(synchronize_session=False)
    )


def _open_event(row: InboxEvent) -> OpenEvent:
    replies = [msg.from_json(raw) for raw in json.loads(row.replies)] if row.replies else []
    return OpenEvent(
        row.id or 0,
        row.platform,
        row.team_id,
        row.event_key,
        row.member_key,
        row.kind,
        row.payload,
        row.handled_at is not None,
        replies,
    )


# --- inside the core's unit of work ------------------------------------------------------


def _key(platform: str, team_id: str, event_key: str) -> Any:
    return and_(
        col(InboxEvent.platform) == platform,
        col(InboxEvent.team_id) == team_id,
        col(InboxEvent.event_key) == event_key[:200],
    )


async def mark_handled(session: AsyncSession, platform: str, team_id: str, event_key: str, now: datetime) -> None:
    """Claim the right to apply this event, in the caller's transaction; AlreadyHandled if it was.

    An event that never went through an adapter's inbox (the console, a direct call)
    gets its row here, so de-duplication works the same way for every caller.
    On PostgreSQL a second worker's UPDATE waits for the first transaction and then
    finds `handled_at` set."""
    key = {"k_platform": platform, "k_team": team_id, "k_key": event_key[:200]}
    result = await session.execute(_mark_statement(), {**key, "now": now})
    if cast(CursorResult[Any], result).rowcount == 1:
        return
    inserted = await session.execute(
        _insert_or_nothing(session).values(
            platform=platform,
            team_id=team_id,
            event_key=event_key[:200],
            member_key="",
            kind="direct",
            received_at=now,
            handled_at=now,
            finished_at=now,
        )
    )
    if cast(CursorResult[Any], inserted).rowcount != 1:
        raise AlreadyHandled(event_key)


async def was_handled(session: AsyncSession, platform: str, team_id: str, event_key: str) -> bool:
    """True when the event was applied already (read only; the mark itself is `mark_handled`)."""
    query = select(col(InboxEvent.handled_at)).where(_key(platform, team_id, event_key))
    return (await session.execute(query)).scalar_one_or_none() is not None


async def keep_replies(
    session: AsyncSession, platform: str, team_id: str, event_key: str, replies: list[Message]
) -> None:
    """Store the private replies with the handled mark, for a resume to send if we crash before they leave."""
    if not replies:
        return
    key = {"k_platform": platform, "k_team": team_id, "k_key": event_key[:200]}
    await session.execute(_replies_statement(), {**key, "replies": json.dumps([msg.to_json(r) for r in replies])})


async def forget_saved_events(session: AsyncSession, platform: str, team_id: str, member_key: str) -> None:
    """Forget-me: the member's saved events (their payloads hold what they typed) go too."""
    await session.execute(
        delete(InboxEvent).where(
            col(InboxEvent.platform) == platform,
            col(InboxEvent.team_id) == team_id,
            col(InboxEvent.member_key) == member_key,
        )
    )


async def prune_inbox(session: AsyncSession, now: datetime, env: Any) -> int:
    """Sweep job: forget finished rows after KEEP_FINISHED (they hold members' texts)."""
    result = await session.execute(delete(InboxEvent).where(col(InboxEvent.finished_at) < now - KEEP_FINISHED))
    log.debug("pruned %s finished inbox rows", getattr(result, "rowcount", "?"))
    return 0  # housekeeping does not count as work done


# --- order per member ------------------------------------------------------------------------


class MemberTurns:
    """In this process, a member's events are worked on one at a time, in inbox order.

    Bolt and discord.py run listeners concurrently; without this, a member who answers
    two intake questions quickly could see the second answer applied first. Each waiting
    event has its own wake-up, set when the member's earlier event leaves: one shared
    condition woke every waiting event of every member on each finish, which under a
    backlog of hundreds of events cost more loop time than the work itself and starved the
    saves before acks (bench/ack.py at load 15: half the requests answered 503)."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[int]] = defaultdict(list)
        self._go: dict[int, asyncio.Event] = {}

    def arrived(self, member_key: str, row_id: int) -> None:
        queue = self._waiting[member_key]
        if row_id not in queue:
            queue.append(row_id)
            queue.sort()

    @asynccontextmanager
    async def turn(self, member_key: str, row_id: int) -> AsyncIterator[None]:
        self.arrived(member_key, row_id)
        if self._waiting[member_key][0] != row_id:
            go = self._go.setdefault(row_id, asyncio.Event())
            try:
                await asyncio.wait_for(go.wait(), TURN_WAIT)
            except TimeoutError:  # an earlier event never came to its turn (it was refused): do not wait for ever
                log.warning("inbox: row %s of %s went ahead of a stalled earlier event", row_id, member_key)
        try:
            yield
        finally:
            await self.leave(member_key, row_id)

    async def leave(self, member_key: str, row_id: int) -> None:
        """The row is done (or will not be worked on here): the member's next event may go."""
        queue = self._waiting.get(member_key, [])
        if row_id in queue:
            queue.remove(row_id)
        self._go.pop(row_id, None)
        if queue:
            self._go.setdefault(queue[0], asyncio.Event()).set()
        else:
            self._waiting.pop(member_key, None)
