"""Community events: a moderator posts one, members answer Going / Not going, the going are invited.

The program guide's "community groups and networking events" — a kick-off mixer, a talk —
where participants meet beyond their pair. `/mentor event "Kick-off mixer" --at "2026-12-10
18:00"` posts the event where it is typed, with its time in the community's timezone and two
buttons. The RSVP is the opt-in: only a member who taps Going gets anything (a calendar invite
by DM now, a reminder before it starts); nobody is added anywhere otherwise. On Discord the
event is also created as a Guild Scheduled Event (an outbox row the Discord messenger turns
into the REST call; the other platforms have no such thing and skip it).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core import messages as msg
from bot.core.context import Ctx, OutboxWriter
from bot.core.errors import InvalidInput, NotFound
from bot.core.messages import Button, ButtonStyle, Message, UserText
from bot.core.parsing import Arity, ParseError, format_when, parse_args, parse_duration, parse_when
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.features.events.invites import calendar_event_message, cancelled_calendar_event, send_invite
from storage.tables import CommunityEvent, EventRsvp, EventStatus, Member, OutboxMessage

EVENT_SPEC = {"at": Arity.ONE, "where": Arity.ONE, "length": Arity.ONE}
MAX_TITLE = 100  # Discord's scheduled-event name limit
MAX_WHERE = 100  # Discord's location limit
DEFAULT_LENGTH = timedelta(hours=1)
MAX_LENGTH = timedelta(hours=12)
MIN_LENGTH = timedelta(minutes=15)
REMIND_BEFORE = timedelta(hours=2)
USAGE = '/mentor event "Kick-off mixer" --at "2026-12-10 18:00" [--where "Room 2"] [--length 1h]'


async def create_event(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor event "<title>" --at <when> [--where <place>] [--length 1h]` (moderators)."""
    ctx.require_moderator("post an event")
    if ctx.in_dm:
        raise InvalidInput("Post an event in the channel where members should see it, not in a DM.")
    parsed = parse_args(args, EVENT_SPEC)
    title = " ".join(" ".join(parsed.positional).split())
    if not title:
        raise ParseError(f"Give the event a name, e.g. {USAGE}")
    if len(title) > MAX_TITLE:
        raise ParseError(f"The name is {len(title)} characters; keep it under {MAX_TITLE}.")
    at = parsed.one("at")
    if not at:
        raise ParseError(f"Say when it starts with --at, e.g. {USAGE}")
    start = parse_when(at, ctx.now, ctx.tz)
    length_raw = parsed.one("length")
    length = parse_duration(length_raw) if length_raw else DEFAULT_LENGTH
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ParseError("An event lasts between 15m and 12h; give --length like 45m or 2h.")
    where = " ".join((parsed.one("where") or "").split())
    if len(where) > MAX_WHERE:
        raise ParseError(f"The place is {len(where)} characters; keep it under {MAX_WHERE}.")
    event = CommunityEvent(
        community_id=ctx.community_id,
        channel_id=ctx.channel_id,
        title=title,
        location=where,
        start_at=start,
        end_at=start + length,
        created_by_member_id=ctx.member_id,
        created_at=ctx.now,
        # The database is the schedule: the reminder sweep reads this column.
        remind_at=start - REMIND_BEFORE if start - REMIND_BEFORE > ctx.now else None,
    )
    ctx.session.add(event)
    await ctx.session.flush()
    channel = Destination.channel(ctx.channel_id)
    post = await ctx.outbox.post(channel, render_event(event, 0, ctx.tz), dedupe_key=f"event:{event.id}:post")
    await ctx.session.flush()
    event.post_outbox_id = post.id
    # Discord: a Guild Scheduled Event too (other platforms skip the row). A missing Manage Events
    # permission fails only this row; the moderators are told how to re-invite the bot.
    await ctx.outbox.calendar_event(
        channel, calendar_event_message(event, ctx.tz), dedupe_key=f"event:{event.id}:scheduled"
    )
    return [
        msg.message(
            f"Event #{event.id} is posted here for {format_when(start, ctx.tz)}. Members who tap Going get a "
            f"calendar invite and a reminder; cancel it with /mentor event cancel {event.id}."
        )
    ]


async def cancel_event_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor event cancel <id>`: asks for confirmation first (the going are told, it can't be undone)."""
    ctx.require_moderator("cancel an event")
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        raise ParseError("Give the event's number, e.g. /mentor event cancel 3 (it is shown on the event).")
    event = await get_event(ctx.session, ctx.community_id, int(args[0].lstrip("#")))
    if event.status != EventStatus.SCHEDULED.value:
        return [msg.message(f"Event #{event.id} is already cancelled.")]
    going = await going_count(ctx.session, event)
    return [
        msg.message(
            msg.text(
                "Cancel ",
                UserText(event.title),
                f" ({format_when(event.start_at, ctx.tz)})? {msg.plural(going, 'member')} going will get a "
                "cancelled invite. This can't be undone.",
            ),
            Button("Cancel the event", str(ComponentId("event", str(event.id), "cancel")), ButtonStyle.DANGER),
        )
    ]


async def cancel_event(ctx: Ctx, event: CommunityEvent) -> list[Message]:
    """Cancel: the post is marked, the going get the cancelled invite (same UID, SEQUENCE+1)."""
    ctx.require_moderator("cancel an event")
    if event.status != EventStatus.SCHEDULED.value:
        return [msg.message(f"Event #{event.id} is already cancelled.")]
    event.status, event.cancelled_at, event.remind_at = EventStatus.CANCELLED.value, ctx.now, None
    event.sequence += 1
    ctx.session.add(event)
    going = await going_members(ctx.session, event)
    for member in going:
        await send_invite(ctx.session, ctx.outbox, ctx.settings.data_dir, event, member, ctx.tz, ctx.now)
    await refresh_event_message(ctx.session, ctx.outbox, event, ctx.tz)
    created = (
        await ctx.session.execute(
            select(OutboxMessage).where(
                col(OutboxMessage.community_id) == ctx.community_id,
                col(OutboxMessage.dedupe_key) == f"event:{event.id}:scheduled",
            )
        )
    ).scalar_one_or_none()
    if created is not None:  # Discord: the server's event is cancelled too (once it was created)
        await ctx.outbox.calendar_event(
            Destination.channel(event.channel_id),
            cancelled_calendar_event(),
            dedupe_key=f"event:{event.id}:scheduled-cancel",
            target=created,
        )
    told = "was" if len(going) == 1 else "were"
    return [msg.message(f"Event #{event.id} is cancelled; {msg.plural(len(going), 'member')} going {told} told.")]


async def get_event(session: AsyncSession, community_id: int, event_id: int) -> CommunityEvent:
    # Scoped to the community: another community's event id is simply "not found".
    event = (
        await session.execute(
            select(CommunityEvent).where(
                col(CommunityEvent.id) == event_id, col(CommunityEvent.community_id) == community_id
            )
        )
    ).scalar_one_or_none()
    if event is None:
        raise NotFound(f"There is no event #{event_id} here.")
    return event


# --- RSVPs ----------------------------------------------------------------


async def on_event_component(ctx: Ctx, cid: ComponentId, values: tuple[str, ...]) -> list[Message]:
    """`mentor:event:<id>:going|not` (RSVP) and `…:cancel` (a moderator's confirmation)."""
    if not cid.key.isdigit() or cid.verb not in ("going", "not", "cancel"):
        raise InvalidInput("That event button is not valid any more.")
    event = await get_event(ctx.session, ctx.community_id, int(cid.key))
    if cid.verb == "cancel":
        return await cancel_event(ctx, event)
    if event.status != EventStatus.SCHEDULED.value:
        return [msg.message("This event was cancelled, so there is nothing to answer.")]
    if event.end_at <= ctx.now:
        return [msg.message("This event is over. Thank you for your interest!")]
    going = cid.verb == "going"
    rsvp = (
        await ctx.session.execute(
            select(EventRsvp).where(col(EventRsvp.event_id) == event.id, col(EventRsvp.member_id) == ctx.member_id)
        )
    ).scalar_one_or_none()
    if rsvp is not None and rsvp.going == going:
        return [msg.message("You already said so. You can change your answer until it starts.")]
    if rsvp is None:
        assert event.id is not None
        rsvp = EventRsvp(
            community_id=ctx.community_id, event_id=event.id, member_id=ctx.member_id, going=going, answered_at=ctx.now
        )
    rsvp.going, rsvp.answered_at = going, ctx.now
    ctx.session.add(rsvp)
    await ctx.session.flush()
    await refresh_event_message(ctx.session, ctx.outbox, event, ctx.tz)
    if going:
        await send_invite(ctx.session, ctx.outbox, ctx.settings.data_dir, event, ctx.member, ctx.tz, ctx.now)
        return [msg.message("You're going. The calendar invite is in your DMs; I'll remind you before it starts.")]
    return [msg.message("Noted: not going. If you added the invite, remove it from your calendar.")]


async def going_count(session: AsyncSession, event: CommunityEvent) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(EventRsvp)
                .where(col(EventRsvp.event_id) == event.id, col(EventRsvp.going).is_(True))
            )
        ).scalar_one()
    )


async def going_members(session: AsyncSession, event: CommunityEvent) -> list[Member]:
    rows = await session.execute(
        select(Member)
        .join(EventRsvp, col(EventRsvp.member_id) == Member.id)
        .where(
            col(EventRsvp.event_id) == event.id,
            col(EventRsvp.going).is_(True),
            col(Member.community_id) == event.community_id,
        )
        .order_by(col(EventRsvp.answered_at), col(EventRsvp.id))
    )
    return list(rows.scalars().all())


async def refresh_event_message(session: AsyncSession, outbox: OutboxWriter, event: CommunityEvent, tz: str) -> None:
    """Queue an update of the posted event with the current count (or its cancelled mark)."""
    if event.post_outbox_id is None:
        return
    post = await session.get(OutboxMessage, event.post_outbox_id)
    if post is not None:
        await outbox.update(post, render_event(event, await going_count(session, event), tz))


# --- rendering --------------------------------------------------------------


def render_event(event: CommunityEvent, going: int, tz: str) -> Message:
    cancelled = event.status == EventStatus.CANCELLED.value
    minutes = int((event.end_at - event.start_at).total_seconds() // 60)
    length = f"{minutes}m" if minutes < 60 else f"{minutes // 60}h" + (f"{minutes % 60:02d}" if minutes % 60 else "")
    rows: list[tuple[str, tuple[msg.Span, ...]]] = [("When", (f"{format_when(event.start_at, tz)}, {length}",))]
    if event.location:
        rows.append(("Where", (UserText(event.location),)))
    rows.append(("Going", (msg.plural(going, "member"),)))
    parts: list[msg.Part] = [
        msg.text(msg.Strong("Community event (cancelled)" if cancelled else "Community event"), f" #{event.id}"),
        msg.text(UserText(event.title)),
        msg.Fields(tuple(rows)),
    ]
    if cancelled:
        parts.append(msg.text("This event is cancelled. Those going got a cancelled calendar invite."))
    else:
        parts.append(msg.text("Tap Going for a calendar invite by DM and a reminder before it starts."))
        parts.append(Button("Going", str(ComponentId("event", str(event.id), "going")), ButtonStyle.PRIMARY))
        parts.append(Button("Not going", str(ComponentId("event", str(event.id), "not"))))
    return Message(tuple(parts))
