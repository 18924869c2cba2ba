"""The deliverer: drains the outbox through the adapter's `Messenger`.

`Deliverer.drain` claims due rows written by `Outbox` (outbox.py), hands each to
the `Messenger` and records the outcome:

- `Delivered`  → `sent`, with the platform's message ref (for later updates/pins);
- `RetryLater` → back to `pending` with `not_before` pushed out (429, 5xx);
- `PermanentFailure` → `failed`, and the moderators are told (never a retry loop);
- a DM to a member whose DMs are known closed → `held`, no platform call (doors.py).

Pictures in a message (the dashboard chart) are drawn just before it is sent,
off the event loop (pictures.py).

Claiming sets a short lease (`not_before = now + LEASE`) so a worker that dies
mid-send leaves the row to be picked up again by anyone after the lease; on
PostgreSQL rows are claimed with `FOR UPDATE SKIP LOCKED` so many workers can
drain one database. A resend after a crash carries the same idempotency key, which
the messenger uses (Discord nonce, Slack metadata) so the member sees it once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Update, and_, bindparam, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core import metrics
from bot.core.ports import (
    Clock,
    Delivered,
    Delivery,
    Messenger,
    Operation,
    PermanentFailure,
    RetryLater,
)
from bot.delivery import doors
from bot.delivery.notices import NOTICE_PREFIX, report_failure  # noqa: F401  (NOTICE_PREFIX: re-exported)
from bot.delivery.outbox import destination_of
from bot.delivery.pictures import PictureError, PictureWorker, picture_worker
from storage.claims import claim_statement, run_claim
from storage.db import Database
from storage.tables import Community, OutboxMessage, OutboxStatus
from storage.types import UTCDateTime

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 12  # transient errors only; 429s honour Retry-After and do not count


# Statements run for every row are built once, on first use, with bind parameters:
# building a statement and its cache key cost more than running it on SQLite.
@cache
def _record_sent() -> Update:
    return (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == bindparam("row"), col(OutboxMessage.claim_token) == bindparam("token"))
        .values(
            status=OutboxStatus.SENT.value,
            sent_at=bindparam("sent_at", type_=UTCDateTime),
            message_ref=bindparam("ref"),
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )


def _claim_statement(*extra: ColumnElement[bool]) -> Any:
    where = [
        col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]),
        col(OutboxMessage.not_before) <= bindparam("now"),
        *extra,
    ]
    return claim_statement(
        OutboxMessage,
        where=where,
        order_by=[OutboxMessage.id],
        limit=bindparam("limit"),
        values={
            "status": OutboxStatus.SENDING.value,
            "not_before": bindparam("lease_until"),
            "attempts": OutboxMessage.attempts + 1,
            "claim_token": OutboxMessage.claim_token + 1,
        },
        token=OutboxMessage.claim_token,
    )


@cache
def _claim_due() -> Any:
    return _claim_statement()


def _destination_key() -> ColumnElement[str]:
    """ "kind:target" in SQL: what the deliverer groups and serialises rows by."""
    return col(OutboxMessage.destination_kind) + ":" + col(OutboxMessage.destination_target)


class Deliverer:
    """Drains due outbox rows through one `Messenger`."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        messenger: Messenger,
        *,
        batch: int = 50,
        concurrency: int = 8,
        pictures: PictureWorker | None = None,
    ) -> None:
        self.db = db
        self.pictures = pictures or picture_worker()
        self.clock = clock
        self.messenger = messenger
        self.platform = metrics.platform_name(messenger)
        self.batch = batch
        self._external_ids: dict[int, str] = {}
        self.concurrency = concurrency
        self._gate = asyncio.Semaphore(concurrency)

    async def drain(self, *, max_rows: int | None = None) -> int:
        """Send everything due now; returns how many rows reached a final state.

        With `concurrency` 1 (the default) rows go out strictly in id order, one at a
        time: the order services wrote them. Platforms pace per channel (about one
        message a second), so with `concurrency` N > 1 rows are sent per destination
        instead: each destination's rows in id order by one task, up to N destinations
        at once. Whenever a destination's task finishes, more rows are claimed for the
        destinations not in flight, so one slow channel (or one Retry-After) never
        holds up the messages for every other channel."""
        if self.concurrency == 1:
            return await self._drain_in_id_order(max_rows)
        done = 0
        claimed_total = 0
        running: dict[asyncio.Task[int], tuple[str, list[tuple[int, int]]]] = {}
        held: dict[int, int] = {}  # claimed and not finished: row id -> claim token
        keeper = asyncio.ensure_future(self._keep_leases(held))
        try:
            while True:
                room = self.concurrency - len(running)
                want = self.batch if max_rows is None else min(self.batch, max_rows - claimed_total)
                busy = {where for where, _ in running.values()}
                claimed = await self._claim(want, busy=busy) if room > 0 and want > 0 else []
                claimed_total += len(claimed)
                held.update(claimed)
                for where, rows in (await self._by_destination(claimed)).items():
                    running[asyncio.ensure_future(self._deliver_destination(rows))] = (where, rows)
                if not running:
                    return done
                finished, _ = await asyncio.wait(list(running), return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    for row_id, _ in running.pop(task)[1]:
                        held.pop(row_id, None)
                    done += task.result()
        finally:
            keeper.cancel()

    async def _keep_leases(self, held: dict[int, int]) -> None:
        """Claimed rows can wait longer than a lease for their turn (a tier shared by several
        workers: 50 claimed introductions at a quarter of Tier 3 take minutes). While this
        deliverer lives it extends them, so no other worker takes them over and opens the
        same conversation again, spending the tier twice; a dead deliverer's leases lapse."""
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            if held:
                await self._renew(list(held.items()), self.clock.now())

    async def _drain_in_id_order(self, max_rows: int | None) -> int:
        done = 0
        claimed_total = 0
        while max_rows is None or claimed_total < max_rows:
            claimed = await self._claim(self.batch if max_rows is None else min(self.batch, max_rows - claimed_total))
            if not claimed:
                break
            claimed_total += len(claimed)
            done += await self._deliver_in_order(claimed)
        return done

    async def _deliver_destination(self, rows: list[tuple[int, int]]) -> int:
        # At most `concurrency` destinations send at once, however many one claim returned
        # (each holds a database connection per step).
        async with self._gate:
            return await self._deliver_in_order(rows)

    async def _deliver_in_order(self, rows: list[tuple[int, int]]) -> int:
        """Send claimed rows one after another, each recorded before the next is sent.

        The rows are loaded (and their lease renewed) in one statement, again for the
        ones left whenever half a lease has passed (a paced batch may take a while), so
        a row is never sent after its lease could have run out. Each result is recorded
        in its own transaction before the next send: a crash loses at most the row in
        flight, which is resent under the same idempotency key."""
        done = 0
        loaded: dict[int, Any] = {}
        renewed_at: datetime | None = None
        door: dict[tuple[int, str], str] = {}  # recipients of these DMs whose dm_status is not ok
        for position, (row_id, token) in enumerate(rows):
            if renewed_at is None or self.clock.now() - renewed_at >= LEASE / 2:
                renewed_at = self.clock.now()
                loaded = await self._renew(rows[position:], renewed_at)
                door.update(await self._door_states(loaded.values()))
            row = loaded.get(row_id)
            if row is None:
                continue  # not ours any more: another deliverer took it over after our lease
            recipient = (row.community_id, row.destination_target)
            is_dm = row.destination_kind == "dm" and row.operation == Operation.POST.value
            if is_dm and door.get(recipient) in doors.SHUT:
                async with self.db.unit() as session:  # known closed: no platform call, no notice
                    done += await doors.hold(session, row_id, token)
                continue
            delivery = self._delivery_of(row, await self._community_external_id(row.community_id))
            prepared: Delivery | bool = delivery
            if row.target_outbox_id is not None:
                prepared = await self._resolve_target(row_id, token, delivery)
            if isinstance(prepared, bool):  # settled without a send, or deferred
                done += prepared
                continue
            try:
                if prepared.message is not None:
                    await self.pictures.ready(prepared.message)
                result = await self.messenger.deliver(prepared)
            except PictureError as exc:
                log.warning("outbox row %s: picture not drawn: %s", row_id, exc, extra={"outbox_id": row_id})
                result = RetryLater(min(300.0, 2.0 ** min(prepared.attempt + 3, 8)), reason=f"picture not drawn: {exc}")
            except Exception as exc:  # a bug or an unexpected network error: back off, never loop fast
                log.exception("delivery of outbox row %s raised", row_id, extra={"outbox_id": row_id})
                result = RetryLater(min(300.0, 2.0 ** min(prepared.attempt + 1, 8)), reason=repr(exc)[:200])
            waited = (self.clock.now() - row.created_at).total_seconds()
            metrics.observe_delivery(self.platform, row.operation, result, waited)
            async with self.db.unit() as session:
                if is_dm and door.get(recipient) == doors.RETRY and _shut_out(result, row.destination_target):
                    # The one retry after they came back failed: held again, no second notice.
                    done += await doors.hold(session, row_id, token)
                    await doors.closed_again(session, *recipient)
                else:
                    done += await self._record(session, row_id, token, result)
                if is_dm and isinstance(result, Delivered) and door.pop(recipient, None) is not None:
                    await doors.reopened(session, *recipient)
            if isinstance(result, PermanentFailure) and result.unreachable_user_id:
                door[(row.community_id, result.unreachable_user_id)] = doors.CLOSED
        return done

    async def _door_states(self, rows: Any) -> dict[tuple[int, str], str]:
        rows = list(rows)
        if not any(row.destination_kind == "dm" for row in rows):
            return {}
        async with self.db.unit() as session:
            return await doors.door_states(session, rows)

    async def _renew(self, rows: list[tuple[int, int]], now: datetime) -> dict[int, Any]:
        """Extend the lease on the rows still ours (same claim token) and load what sending needs."""
        async with self.db.unit() as session:
            found = (
                await session.execute(
                    update(OutboxMessage)
                    .where(
                        # One (id, token) term per row, each found by the primary key: a row-value
                        # IN over both columns scans the whole outbox on SQLite.
                        or_(*(and_(col(OutboxMessage.id) == i, col(OutboxMessage.claim_token) == t) for i, t in rows)),
                        col(OutboxMessage.status) == OutboxStatus.SENDING.value,
                    )
                    .values(not_before=now + LEASE)
                    .returning(
                        col(OutboxMessage.id),
                        col(OutboxMessage.community_id),
                        col(OutboxMessage.operation),
                        col(OutboxMessage.destination_kind),
                        col(OutboxMessage.destination_target),
                        col(OutboxMessage.payload),
                        col(OutboxMessage.target_outbox_id),
                        col(OutboxMessage.attempts),
                        col(OutboxMessage.created_at),  # for the delivery latency metric
                    )
                    .execution_options(synchronize_session=False)
                )
            ).all()
        return {row.id: row for row in found}

    @staticmethod
    def _delivery_of(row: Any, external_id: str) -> Delivery:
        return Delivery(
            community_external_id=external_id,
            operation=Operation(row.operation),
            destination=destination_of(row),
            message=msg.from_json(row.payload) if row.payload else None,
            idempotency_key=f"mb{row.id}",
            attempt=row.attempts - 1,
        )

    async def _resolve_target(self, row_id: int, token: int, delivery: Delivery) -> Delivery | bool:
        """An update or pin acts on a message we posted: it needs that message's platform ref."""
        now = self.clock.now()
        async with self.db.unit() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None or row.claim_token != token:
                return False
            target = await session.get(OutboxMessage, row.target_outbox_id)
            if target is None or target.status == OutboxStatus.FAILED.value:
                row.status = OutboxStatus.FAILED.value
                row.last_error = "the message it refers to was never delivered"
                session.add(row)
                return True
            if target.status != OutboxStatus.SENT.value:
                # The original is not out yet: try again shortly, keep order.
                row.status = OutboxStatus.PENDING.value
                row.not_before = now + timedelta(seconds=1)
                row.attempts -= 1
                session.add(row)
                return False
            return replace(delivery, target_ref=target.message_ref)

    async def _by_destination(self, claimed: list[tuple[int, int]]) -> dict[str, list[tuple[int, int]]]:
        """Claimed rows grouped by where they go, each group in id order."""
        if not claimed:
            return {}
        async with self.db.unit() as session:
            where = dict(
                (
                    await session.execute(
                        select(col(OutboxMessage.id), _destination_key()).where(
                            col(OutboxMessage.id).in_([row_id for row_id, _ in claimed])
                        )
                    )
                ).all()
            )
        groups: dict[str, list[tuple[int, int]]] = {}
        for row_id, token in claimed:  # run_claim() returns id order
            groups.setdefault(where.get(row_id, ""), []).append((row_id, token))
        return groups

    async def _claim(self, limit: int, busy: AbstractSet[str] = frozenset()) -> list[tuple[int, int]]:
        now = self.clock.now()
        params = {"now": now, "lease_until": now + LEASE, "limit": limit}
        async with self.db.unit() as session:
            if not busy:  # every drain starts here, most find nothing: a statement built once
                return await run_claim(session, _claim_due(), params)
            # A destination in flight gets its next rows after its current ones, in order.
            busy_filter = _destination_key().not_in(sorted(busy))
            return await run_claim(session, _claim_statement(busy_filter), params)

    async def _community_external_id(self, community_id: int) -> str:
        # A community's platform id never changes: one lookup per deliverer, not one per message.
        if community_id not in self._external_ids:
            async with self.db.unit() as session:
                community = await session.get(Community, community_id)
            assert community is not None
            self._external_ids[community_id] = community.external_id
        return self._external_ids[community_id]

    async def _record(
        self, session: AsyncSession, row_id: int, token: int, result: Delivered | RetryLater | PermanentFailure
    ) -> bool:
        now = self.clock.now()
        if isinstance(result, Delivered):  # the common case: one conditional UPDATE
            recorded = await session.execute(
                _record_sent(), {"row": row_id, "token": token, "sent_at": now, "ref": result.message_ref}
            )
            if cast(CursorResult[Any], recorded).rowcount != 1:
                log.warning("outbox row %s was taken over by another deliverer", row_id)
                return False
            return True
        row = await session.get(OutboxMessage, row_id, with_for_update=True)
        assert row is not None
        if row.claim_token != token:
            # Our lease ran out and another deliverer took the row over; it sends with the
            # same idempotency key, so the platform shows the message once. Its result wins.
            log.warning("outbox row %s was taken over by another deliverer", row_id)
            return False
        if isinstance(result, RetryLater):
            if row.attempts >= MAX_ATTEMPTS and result.reason != "rate limited":
                result = PermanentFailure("gave_up", f"still failing after {row.attempts} tries: {result.reason}")
            else:
                if result.reason == "rate limited":
                    row.attempts -= 1  # a 429 is the platform pacing us, not a failure
                row.status = OutboxStatus.PENDING.value
                row.not_before = now + timedelta(seconds=max(result.seconds, 0.0))
                row.last_error = result.reason[:500]
                session.add(row)
                return False
        row.status = OutboxStatus.FAILED.value
        row.last_error = f"{result.code}: {result.detail}"[:500]
        session.add(row)
        await report_failure(session, row, result, now)
        return True


def _shut_out(result: Delivered | RetryLater | PermanentFailure, user_id: str) -> bool:
    return isinstance(result, PermanentFailure) and result.unreachable_user_id == user_id


async def due_at(session: AsyncSession) -> datetime | None:
    """The earliest moment at which some outbox row becomes due (None: nothing queued)."""
    return (
        await session.execute(
            select(func.min(col(OutboxMessage.not_before))).where(
                col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value])
            )
        )
    ).scalar_one_or_none()
