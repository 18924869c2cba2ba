"""Finding a time for a whole circle, reusing the pairs' slot finder and calendar invites.

`/mentor circle schedule` posts three slots in the circle's space that fit everyone's waking
hours and stated weekly availability (bot/features/meetings/slots.py), each written in each
member's own timezone. Everyone ticks what works; the first slot that every member ticked is
booked: an `.ics` invite by DM to each (bot/core/calendar.py, in their zone) and a note in the
space. Asking again offers new slots, and a booked time that moves goes out as an updated
invite (same UID, SEQUENCE one higher). With `--event` (the mentor's choice, because everyone in
the server can see it) the booked meeting is also a Discord Guild Scheduled Event, through the
same outbox operation as community events; Slack and the console have none and skip it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import messages as msg
from bot.core.calendar import Invite, invite_filename, invite_ics, invite_uid
from bot.core.context import Ctx
from bot.core.errors import InvalidInput
from bot.core.messages import Button, Message, UserText
from bot.core.parsing import Arity, ParseError, format_when, parse_args
from bot.core.ports import Destination
from bot.core.router import ComponentId
from bot.features.circles.circles import circle_for, members_by_id, seats_of, space_of
from bot.features.meetings.files import attachment_path, write_private
from bot.features.meetings.schedule import member_zone, slot_lines
from bot.features.meetings.slots import Person, Window, propose_slots, slot_label
from storage.tables import Availability, Circle, CircleStatus, Member, OutboxMessage

MINUTES = 60
SPEC = {"circle": Arity.ONE, "event": Arity.FLAG}


async def _people(session: AsyncSession, circle: Circle) -> list[Member]:
    seats = [s for s in await seats_of(session, circle) if s.end_reason != "forgotten"]
    members = await members_by_id(session, {circle.mentor_member_id, *(s.mentee_member_id for s in seats)})
    return [members[circle.mentor_member_id]] + [members[s.mentee_member_id] for s in seats]


async def _person(session: AsyncSession, member: Member) -> Person:
    stored = await session.get(Availability, member.id)
    return Person(await member_zone(session, member), tuple(Window(*w) for w in stored.windows) if stored else ())


async def schedule_command(ctx: Ctx, args: list[str]) -> list[Message]:
    """`/mentor circle schedule [--circle N] [--event]`."""
    parsed = parse_args(args, SPEC)
    if parsed.positional:
        raise ParseError("Use /mentor circle schedule [--circle <number>] [--event].")
    circle = await circle_for(ctx, parsed.one("circle"), action="find a time")
    if circle.status != CircleStatus.ACTIVE.value:
        raise InvalidInput("That circle has ended, so there is nothing to schedule.")
    public = parsed.flag("event")
    if public and ctx.member_id != circle.mentor_member_id:
        raise InvalidInput("Only the circle's mentor can list its meeting in the server's events (--event).")
    await offer(ctx, circle, public=public or bool(circle.meeting.get("event")))
    return [msg.message(f"Three times are in circle #{circle.id}'s space; each of you, tick the ones that work.")]


async def offer(ctx: Ctx, circle: Circle, *, public: bool) -> None:
    people = await _people(ctx.session, circle)
    persons = [await _person(ctx.session, m) for m in people]
    meeting = dict(circle.meeting)
    again = meeting.get("status") == "proposed"
    rounds = int(meeting.get("round", 0)) + 1
    skip = len(meeting.get("slots", [])) * (rounds - 1) if again else 0
    waking = getattr(ctx.program, "waking_hours", (8 * 60, 20 * 60))
    starts = propose_slots(persons, ctx.now, minutes=MINUTES, skip=skip, waking=waking)
    meeting.update(slots=[s.isoformat() for s in starts], picks={}, status="proposed", round=rounds, event=public)
    circle.meeting = meeting
    ctx.session.add(circle)
    space = await space_of(ctx.session, circle)
    key = f"circle:{circle.id}:slots:{rounds}"
    if not starts:
        text = "I found no time in the next three weeks that fits everyone; check /mentor availability, then ask again."
        await ctx.outbox.post(space, msg.message(text), dedupe_key=key)
        return
    parts: list[msg.Part] = [
        msg.text(
            msg.Strong("Find a time for the circle: "),
            f"these {MINUTES}-minute slots suit everyone. Each of you, tick every one that works; "
            "the first that everyone ticks is booked, with a calendar invite.",
        )
    ]
    named = [(member.display_name, person.zone) for member, person in zip(people, persons, strict=True)]
    parts += slot_lines(starts, named, MINUTES)
    cid = str(circle.id)
    parts += [Button(f"Slot {i + 1}", str(ComponentId("circle", cid, "slot", str(i)))) for i in range(len(starts))]
    parts.append(Button("None of these work", str(ComponentId("circle", cid, "noslot"))))
    await ctx.outbox.post(space, Message(tuple(parts)), dedupe_key=key)


async def on_slot(ctx: Ctx, circle: Circle, verb: str, arg: str) -> list[Message]:
    meeting = dict(circle.meeting)
    if circle.status != CircleStatus.ACTIVE.value:
        return [msg.message("That circle has ended, so there is nothing to schedule.")]
    if meeting.get("status") != "proposed":
        return [msg.message("These times are no longer open: /mentor circle schedule offers new ones.")]
    if verb == "noslot":
        await offer(ctx, circle, public=bool(meeting.get("event")))
        return [msg.message("I'll post three other times in the circle's space.")]
    if not arg.isdigit() or int(arg) >= len(meeting["slots"]):
        raise InvalidInput("That button is not valid any more.")
    index, mine = int(arg), str(ctx.member_id)
    ticked = set(meeting["picks"].get(mine, [])) ^ {index}  # a second tap unticks
    meeting["picks"] = {**meeting["picks"], mine: sorted(ticked)}
    circle.meeting = meeting
    ctx.session.add(circle)
    people = await _people(ctx.session, circle)
    common = set(range(len(meeting["slots"])))
    for member in people:
        common &= set(meeting["picks"].get(str(member.id), []))
    zone = await member_zone(ctx.session, ctx.member)
    label = slot_label(datetime.fromisoformat(meeting["slots"][index]), MINUTES, zone)
    if not common:
        waiting = sum(1 for m in people if not meeting["picks"].get(str(m.id)))
        verb_word = "Ticked" if index in ticked else "Unticked"
        return [msg.message(f"{verb_word}: {label}. {msg.plural(waiting, 'member')} still to answer.")]
    await _book(ctx, circle, people, datetime.fromisoformat(meeting["slots"][min(common)]))
    return [msg.message("Everyone can make it — booked. The invite is in your DMs.")]


async def _book(ctx: Ctx, circle: Circle, people: list[Member], start: datetime) -> None:
    meeting = dict(circle.meeting)
    sequence = int(meeting.get("sequence", -1)) + 1
    meeting.update(status="confirmed", start=start.isoformat(), sequence=sequence)
    words = "Moved" if sequence else "Booked"
    for member in people:
        zone = await member_zone(ctx.session, member)
        invite = Invite(
            uid=invite_uid("circle", circle.id or 0, str(ctx.community_id)),
            summary=f"Mentoring circle: {circle.topic}",
            start=start,
            end=start + timedelta(minutes=MINUTES),
            tzid=zone,
            sequence=sequence,
            description="Booked with mentorbot. /mentor circle schedule finds another time.",
        )
        name = f"circle{circle.id}-{sequence}-{invite_filename(invite)}"
        path = write_private(
            attachment_path(ctx.settings.data_dir, ctx.community_id, member.id or 0, name, ctx.now),
            invite_ics(invite, ctx.now),
        )
        await ctx.outbox.post(
            Destination.dm(member.platform_user_id),
            Message(
                (
                    msg.text(
                        msg.Strong(f"{words}: "),
                        "your circle's meeting (",
                        UserText(circle.topic),
                        f") — {slot_label(start, MINUTES, zone)} ({zone}).",
                    ),
                    msg.text("Add the attached invite to your calendar."),
                    msg.File(str(path), invite_filename(invite)),
                )
            ),
            dedupe_key=f"circle:{circle.id}:invite:{sequence}:{member.id}",
        )
    space = await space_of(ctx.session, circle)
    await ctx.outbox.post(
        space,
        msg.message(
            msg.text(
                msg.Strong(f"{words}: "), f"the circle meets {format_when(start, ctx.tz)}. Invites are in your DMs."
            )
        ),
        dedupe_key=f"circle:{circle.id}:booked:{sequence}",
    )
    if meeting.get("event"):
        earlier = await ctx.session.get(OutboxMessage, meeting["event_row"]) if meeting.get("event_row") else None
        if earlier is not None:  # the old time's server event is cancelled, a new one created
            await ctx.outbox.calendar_event(space, msg.message("cancelled"), target=earlier)
        row = await ctx.outbox.calendar_event(
            space,
            Message(
                (
                    msg.Fields(
                        (
                            ("name", (f"Mentoring circle: {circle.topic}"[:100],)),
                            ("start", (start.isoformat(),)),
                            ("end", ((start + timedelta(minutes=MINUTES)).isoformat(),)),
                            ("location", ("The circle's private thread",)),
                            ("description", ("A mentoring circle's meeting; its members have the invite.",)),
                        )
                    ),
                )
            ),
            dedupe_key=f"circle:{circle.id}:event:{sequence}",
        )
        await ctx.session.flush()
        meeting["event_row"] = row.id
    circle.meeting = meeting
    ctx.session.add(circle)
