"""What an event sends to the members going: the `.ics` invite, the cancelled one, the reminder.

Invites are `bot.core.calendar` files written privately before the DM is queued (the outbox
carries the path, as for meetings: `bot.features.meetings.files`, whose retention sweep and
forget-me cover these copies too). One UID per event for its whole life; a cancellation goes
out with SEQUENCE one higher. The reminder is a sweep over `CommunityEvent.remind_at`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.calendar import Invite, invite_filename, invite_ics, invite_uid
from bot.core.context import OutboxWriter
from bot.core.messages import Message, UserText
from bot.core.parsing import format_when
from bot.core.ports import Destination
from bot.delivery.outbox import Outbox
from bot.features.meetings.files import attachment_path, write_private
from storage.tables import Community, CommunityEvent, EventRsvp, EventStatus, Member

NO_PLACE = "Details in the event post"  # Discord requires a location for an external event


def event_invite(event: CommunityEvent, tz: str) -> Invite:
    return Invite(
        uid=invite_uid("event", event.id or 0, str(event.community_id)),
        summary=event.title,
        start=event.start_at,
        end=event.end_at,
        tzid=tz,
        sequence=event.sequence,
        description="A community event of the mentorship program, posted with mentorbot.",
        location=event.location,
        cancelled=event.status == EventStatus.CANCELLED.value,
    )


def calendar_event_message(event: CommunityEvent, tz: str) -> Message:
    """The platform's own event (Discord: a Guild Scheduled Event), as label/value rows."""
    return Message(
        (
            msg.Fields(
                (
                    ("name", (event.title,)),
                    ("start", (event.start_at.isoformat(),)),
                    ("end", (event.end_at.isoformat(),)),
                    ("location", (event.location or NO_PLACE,)),
                    ("description", (f"Starts {format_when(event.start_at, tz)}. RSVP on the event post.",)),
                )
            ),
        )
    )


def cancelled_calendar_event() -> Message:
    """The change that cancels the platform's event (the outbox row names the one that created it)."""
    return Message((msg.Fields((("status", ("cancelled",)),)),))


async def send_invite(
    session: AsyncSession,
    outbox: OutboxWriter,
    data_dir: str | Path,
    event: CommunityEvent,
    member: Member,
    tz: str,
    now: datetime,
) -> None:
    """DM `member` the event's current invite (a cancelled one once the event is cancelled)."""
    invite = event_invite(event, tz)
    name = f"event{event.id}-{event.sequence}-{invite_filename(invite)}"
    path = write_private(
        attachment_path(data_dir, event.community_id, member.id or 0, name, now), invite_ics(invite, now)
    )
    if invite.cancelled:
        words: list[msg.Span] = [
            msg.Strong("Cancelled: "),
            UserText(event.title),
            f" ({format_when(event.start_at, tz)}).",
        ]
        advice = "The attached invite takes it out of your calendar."
    else:
        words = [msg.Strong("You're going: "), UserText(event.title), f" — {format_when(event.start_at, tz)}"]
        if event.location:
            words += [", ", UserText(event.location)]
        words.append(".")
        advice = "Add the attached invite to your calendar; I'll remind you before it starts."
    await outbox.post(
        Destination.dm(member.platform_user_id),
        Message((msg.Text(tuple(words)), msg.text(advice), msg.File(str(path), invite_filename(invite)))),
        dedupe_key=f"event-invite:{event.id}:{event.sequence}:{member.id}",
    )


async def send_due_reminders(session: AsyncSession, now: datetime) -> int:
    """Sweep: remind everyone going, once per event (`remind_at` is cleared in the same unit of work)."""
    due = (
        (
            await session.execute(
                select(CommunityEvent)
                .where(
                    col(CommunityEvent.remind_at) <= now,
                    col(CommunityEvent.status) == EventStatus.SCHEDULED.value,
                )
                .order_by(col(CommunityEvent.remind_at))
                .limit(100)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for event in due:
        event.remind_at = None
        session.add(event)
        if event.start_at <= now:
            continue  # missed while down and already started: a late reminder helps nobody
        community = await session.get(Community, event.community_id)
        tz = community.timezone if community else "UTC"
        outbox = Outbox(session, event.community_id, now)
        going = await session.execute(
            select(Member)
            .join(EventRsvp, col(EventRsvp.member_id) == Member.id)
            .where(
                col(EventRsvp.event_id) == event.id,
                col(EventRsvp.going).is_(True),
                col(Member.community_id) == event.community_id,
            )
        )
        for member in going.scalars():
            spans: list[msg.Span] = ["Soon: ", UserText(event.title), f" starts {format_when(event.start_at, tz)}"]
            if event.location:
                spans += [", ", UserText(event.location)]
            spans.append(". See you there!")
            await outbox.post(
                Destination.dm(member.platform_user_id),
                Message((msg.Text(tuple(spans)),)),
                dedupe_key=f"event-reminder:{event.id}:{member.id}",
            )
    return len(due)


async def next_reminder_due(session: AsyncSession) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(CommunityEvent.remind_at))).where(
                col(CommunityEvent.status) == EventStatus.SCHEDULED.value
            )
        )
    ).scalar_one_or_none()
